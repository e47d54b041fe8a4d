"""Segments in the admin: campaign managers only, rule validation, live count, snapshots."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from campaigns.models import ConsentState, Segment, SegmentKind, SegmentMember, SegmentSnapshot
from campaigns.services.segment_state import segment_state_note_contacts, segment_state_refresh
from tests.factories import ContactFactory, SegmentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BUYERS = {"op": "and", "rules": [{"field": "role", "operator": "in", "value": ["buyer"]}]}
REFRESHED = dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC)  # 10:30 in Berlin


def form_data(**overrides):
    data = {
        "name": "Einkäufer",
        "description": "",
        "kind": "dynamic",
        "rules": json.dumps(BUYERS),
    }
    data.update(overrides)
    return data


def preview(client, **payload):
    return client.post(
        reverse("segment:preview"), data=json.dumps(payload), content_type="application/json"
    )


def test_campaign_manager_creates_a_dynamic_segment(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.post(reverse("segment:add"), form_data())

    assert response.status_code == 302
    segment = Segment.objects.get(name="Einkäufer")
    assert segment.rules == BUYERS
    assert segment.created_by == campaign_manager


def test_the_add_form_shows_the_rule_editor_and_the_preview_panel(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.get(reverse("segment:add"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "data-segment-rules" in html
    assert "campaigns/segment_rules.js" in html
    assert reverse("segment:preview") in html


def test_the_rule_editor_says_windows_are_whole_days_in_the_hubs_time_zone(
    client, campaign_manager, settings
):
    settings.TIME_ZONE = "Europe/Vienna"
    client.force_login(campaign_manager)

    html = client.get(reverse("segment:add")).content.decode()

    assert (
        "Time windows are whole days (the hub's time zone, Europe/Vienna): "
        "“in the last 30 days” counts from midnight 30 days ago up to now."
    ) in html


def test_bad_rules_are_refused_naming_the_place(client, campaign_manager):
    client.force_login(campaign_manager)
    rules = {"op": "and", "rules": [{"field": "role", "operator": "like", "value": ["x"]}]}

    response = client.post(reverse("segment:add"), form_data(rules=json.dumps(rules)))

    assert response.status_code == 200
    assert (
        "rules[0].operator: &#x27;like&#x27; is not allowed for field &#x27;role&#x27;"
        in response.content.decode()
    )
    assert not Segment.objects.exists()


def test_editors_cannot_see_or_create_segments(client, editor):
    segment = SegmentFactory()
    client.force_login(editor)

    listing = client.get(reverse("segment:index"))
    edit = client.get(reverse("segment:edit", args=(segment.pk,)))
    created = client.post(reverse("segment:add"), form_data(name="Sneaky"))

    assert listing.status_code in (302, 403)
    assert edit.status_code in (302, 403)
    assert created.status_code in (302, 403)
    assert not Segment.objects.filter(name="Sneaky").exists()


def test_live_count_and_sample_of_unsaved_rules(client, campaign_manager):
    buyers = [ContactFactory(role="buyer", first_name="Erika") for _ in range(3)]
    ContactFactory(role="buyer", consent=ConsentState.PENDING)
    ContactFactory(role="user")
    segment_state_refresh(now=REFRESHED)
    client.force_login(campaign_manager)

    response = preview(client, rules=BUYERS, kind="dynamic", include_all=False)

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 3
    assert [row["email"] for row in body["sample"]] == [buyer.email for buyer in buyers]


def test_live_count_with_include_all_counts_unconsented_contacts(client, campaign_manager):
    ContactFactory(role="buyer")
    ContactFactory(role="buyer", consent=ConsentState.NONE)
    segment_state_refresh(now=REFRESHED)
    client.force_login(campaign_manager)

    response = preview(client, rules=BUYERS, kind="dynamic", include_all=True)

    assert response.json()["count"] == 2


def test_the_sample_is_the_first_members_by_id_when_more_match(client, campaign_manager):
    buyers = ContactFactory.create_batch(23, role="buyer")
    segment_state_refresh(now=REFRESHED)
    client.force_login(campaign_manager)

    body = preview(client, rules=BUYERS, kind="dynamic").json()

    assert body["count"] == 23
    assert [row["email"] for row in body["sample"]] == [buyer.email for buyer in buyers[:20]]


def test_the_live_count_says_up_to_when_the_data_was_counted(client, campaign_manager):
    ContactFactory(role="buyer")
    segment_state_refresh(now=REFRESHED)
    client.force_login(campaign_manager)

    body = preview(client, rules=BUYERS, kind="dynamic").json()

    assert body["data_until"].startswith("counted from the data up to 11/03/2026 10:30")


def test_before_the_segment_state_is_built_the_live_count_is_exact_and_says_no_moment(
    client, campaign_manager
):
    ContactFactory(role="buyer")
    client.force_login(campaign_manager)

    body = preview(client, rules=BUYERS, kind="dynamic").json()

    assert body["count"] == 1
    assert body["data_until"] == ""


def test_a_new_contact_counts_after_the_next_refresh_not_before(client, campaign_manager):
    ContactFactory.create_batch(2, role="buyer")
    segment_state_refresh(now=REFRESHED)
    client.force_login(campaign_manager)
    newcomer = ContactFactory(role="buyer")
    segment_state_note_contacts([newcomer.pk])  # as the contact's intake marks it

    before = preview(client, rules=BUYERS, kind="dynamic").json()
    segment_state_refresh(now=REFRESHED + dt.timedelta(seconds=30))
    after = preview(client, rules=BUYERS, kind="dynamic").json()

    assert before["count"] == 2
    assert newcomer.email not in [row["email"] for row in before["sample"]]
    assert before["data_until"].startswith("counted from the data up to 11/03/2026 10:30")
    assert after["count"] == 3
    assert newcomer.email in [row["email"] for row in after["sample"]]


def test_live_count_shows_rule_errors(client, campaign_manager):
    client.force_login(campaign_manager)
    rules = {"op": "and", "rules": [{"field": "revenue", "operator": "gte", "value": {}}]}

    response = preview(client, rules=rules, kind="dynamic")

    assert response.status_code == 400
    assert response.json()["errors"] == ["rules[0].value.value: is required"]


def test_live_count_is_refused_to_editors(client, editor):
    ContactFactory(role="buyer")
    client.force_login(editor)

    response = preview(client, rules=BUYERS, kind="dynamic")

    assert response.status_code in (302, 403)
    assert "count" not in response.content.decode()


def test_freezing_a_snapshot_from_the_admin(client, campaign_manager):
    ContactFactory.create_batch(2, role="buyer")
    segment = SegmentFactory(rules=BUYERS)
    client.force_login(campaign_manager)

    response = client.post(reverse("segment:snapshot", args=(segment.pk,)), follow=True)

    snapshot = SegmentSnapshot.objects.get(segment=segment)
    assert snapshot.size == 2
    assert snapshot.created_by == campaign_manager
    assert "frozen with 2 contacts" in response.content.decode()


def test_the_snapshot_page_asks_first_and_freezes_nothing_on_get(client, campaign_manager):
    segment = SegmentFactory(rules=BUYERS)
    client.force_login(campaign_manager)

    response = client.get(reverse("segment:snapshot", args=(segment.pk,)))

    assert response.status_code == 200
    assert not SegmentSnapshot.objects.exists()


def test_editors_cannot_freeze_snapshots(client, editor):
    segment = SegmentFactory(rules=BUYERS)
    client.force_login(editor)

    client.post(reverse("segment:snapshot", args=(segment.pk,)))

    assert not SegmentSnapshot.objects.exists()


def test_managing_a_static_list_by_address(client, campaign_manager):
    erika = ContactFactory(email="erika@example.com")
    max_ = ContactFactory(email="max@example.com")
    segment = SegmentFactory(kind=SegmentKind.STATIC)
    client.force_login(campaign_manager)
    url = reverse("segment:members", args=(segment.pk,))

    added = client.post(
        url,
        {"action": "add", "emails": "erika@example.com\nMAX@example.com\nx@example.com"},
        follow=True,
    )
    client.post(url, {"action": "remove", "contact": [str(max_.pk)]})

    assert "x@example.com" in added.content.decode()
    assert list(segment.members.values_list("contact_id", flat=True)) == [erika.pk]
    count = preview(client, kind="static", segment=segment.pk).json()["count"]
    assert count == 1


def test_the_listing_shows_the_latest_snapshot(client, campaign_manager):
    segment = SegmentFactory(name="Alle Einkäufer", rules=BUYERS)
    SegmentSnapshot.objects.create(segment=segment, size=1234)
    client.force_login(campaign_manager)

    response = client.get(reverse("segment:index"))

    html = response.content.decode()
    assert "Alle Einkäufer" in html
    assert "1234" in html


def test_the_edit_view_of_a_static_segment_offers_snapshot_and_members(client, campaign_manager):
    segment = SegmentFactory(kind=SegmentKind.STATIC)
    member = ContactFactory(email="erika@example.com")
    SegmentMember.objects.create(segment=segment, contact=member)
    client.force_login(campaign_manager)

    edit = client.get(reverse("segment:edit", args=(segment.pk,)))
    members = client.get(reverse("segment:members", args=(segment.pk,)))

    assert reverse("segment:snapshot", args=(segment.pk,)) in edit.content.decode()
    assert reverse("segment:members", args=(segment.pk,)) in edit.content.decode()
    assert "erika@example.com" in members.content.decode()


def test_a_dynamic_segment_has_no_members_page(client, campaign_manager):
    segment = SegmentFactory(kind=SegmentKind.DYNAMIC)
    client.force_login(campaign_manager)

    response = client.get(reverse("segment:members", args=(segment.pk,)))

    assert response.status_code == 404


def test_blank_rules_are_saved_as_the_empty_tree(client, campaign_manager):
    client.force_login(campaign_manager)

    client.post(reverse("segment:add"), form_data(name="Alle", rules=""))

    assert Segment.objects.get(name="Alle").rules == {"op": "and", "rules": []}
