"""Placement segments per contact: computed by the refresh task, never in a shop's request."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from campaigns.models import (
    Campaign,
    CampaignPlacement,
    CampaignStatus,
    Placement,
    PlacementAudience,
)
from campaigns.placements import audience
from campaigns.placements.audience import (
    placement_audience_mark_stale,
    placement_audience_rebuild,
    placement_audience_refresh,
    placement_segment_ids,
)
from campaigns.services.consent import consent_opt_out
from campaigns.services.contacts import contact_phase_set
from campaigns.services.events import ContactRef, EventInput, events_record
from campaigns.services.privacy import contact_erase
from campaigns.tasks import placement_audience_rebuild_task, placement_audience_refresh_task
from tests.factories import CampaignFactory, ContactFactory, EventFactory, SegmentFactory, locale

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 23, 30, tzinfo=dt.UTC)  # late in the day on purpose
VIEWED_30_DAYS = {
    "op": "and",
    "rules": [
        {"field": "event", "operator": "has", "value": {"kind": "product_view", "within_days": 30}}
    ],
}
CONSIDERING = {
    "op": "and",
    "rules": [{"field": "phase", "operator": "in", "value": ["consideration"]}],
}


def _hero() -> Placement:
    placement, _created = Placement.objects.get_or_create(
        channel="webshop", key="home.hero", defaults={"name": "Hero"}
    )
    return placement


def placement_campaign(rules, *, status=CampaignStatus.RUNNING, placements=True, **fields):
    """An approved campaign (live, from a published revision) filling the home page's hero."""
    campaign = CampaignFactory(
        segment=SegmentFactory(rules=rules),
        channels=["webshop"] if placements else ["newsletter"],
        status=status,
        live=True,
        **fields,
    )
    revision = campaign.save_revision()
    Campaign.objects.filter(pk=campaign.pk).update(live_revision=revision)
    if placements:
        CampaignPlacement.objects.create(campaign=campaign, placement=_hero(), locale=locale("de"))
    return Campaign.objects.get(pk=campaign.pk)


def segments_of(contact) -> list[int]:
    return PlacementAudience.objects.get(contact=contact).segment_ids


def test_an_event_puts_the_contact_in_the_segment_only_once_the_refresh_task_ran(
    django_capture_on_commit_callbacks,
):
    campaign = placement_campaign(VIEWED_30_DAYS)
    contact = ContactFactory()
    placement_audience_mark_stale([contact.pk])
    placement_audience_refresh_task()
    assert segments_of(contact) == []

    with django_capture_on_commit_callbacks(execute=True):
        events_record(
            source="shop",
            items=[
                EventInput(
                    key="view-1",
                    kind="product_view",
                    occurred_at=dt.datetime.now(dt.UTC),
                    contact=ContactRef(email=contact.email),
                    sku="SKU-1",
                )
            ],
        )
    stored = PlacementAudience.objects.get(contact=contact)
    assert stored.stale is True
    assert stored.segment_ids == []

    placement_audience_refresh_task()

    stored.refresh_from_db()
    assert stored.segment_ids == [campaign.segment_id]
    assert stored.stale is False


def test_a_phase_change_takes_the_contact_out_of_a_phase_segment_after_the_refresh(
    django_capture_on_commit_callbacks,
):
    campaign = placement_campaign(CONSIDERING)
    contact = ContactFactory(phase="consideration")
    placement_audience_mark_stale([contact.pk])
    placement_audience_refresh()
    assert segments_of(contact) == [campaign.segment_id]

    with django_capture_on_commit_callbacks(execute=True):
        contact_phase_set(contact=contact, phase="transaction", reason="Called us")
    assert segments_of(contact) == [campaign.segment_id]  # the last answer stands until then

    placement_audience_refresh()

    assert segments_of(contact) == []


def test_unsubscribing_takes_the_contact_out_of_segments_that_need_consent(
    django_capture_on_commit_callbacks,
):
    campaign = placement_campaign(CONSIDERING)
    contact = ContactFactory(phase="consideration")
    placement_audience_mark_stale([contact.pk])
    placement_audience_refresh()
    assert segments_of(contact) == [campaign.segment_id]

    with django_capture_on_commit_callbacks(execute=True):
        consent_opt_out(contact=contact, source="unsubscribe_page")
    placement_audience_refresh()

    assert segments_of(contact) == []


def test_only_segments_of_campaigns_serving_placements_are_stored():
    serving = placement_campaign(CONSIDERING)
    scheduled = placement_campaign(CONSIDERING, status=CampaignStatus.SCHEDULED)
    placement_campaign(CONSIDERING, status=CampaignStatus.PAUSED)
    placement_campaign(CONSIDERING, status=CampaignStatus.APPROVED)
    placement_campaign(CONSIDERING, placements_until=dt.datetime.now(dt.UTC) - dt.timedelta(1))
    placement_campaign(CONSIDERING, placements=False)  # a newsletter: no placements
    unapproved = placement_campaign(CONSIDERING)
    Campaign.objects.filter(pk=unapproved.pk).update(live_revision=None)
    contact = ContactFactory(phase="consideration")
    placement_audience_mark_stale([contact.pk])

    placement_audience_refresh()

    assert segments_of(contact) == sorted([serving.segment_id, scheduled.segment_id])


def test_a_refresh_leaves_fresh_contacts_alone_and_reports_how_many_it_did():
    placement_campaign(CONSIDERING)
    contacts = ContactFactory.create_batch(5, phase="consideration")
    placement_audience_mark_stale([contact.pk for contact in contacts[:3]])

    assert placement_audience_refresh(limit=2) == 2
    assert placement_audience_refresh(limit=2) == 1
    assert placement_audience_refresh(limit=2) == 0
    assert PlacementAudience.objects.count() == 3


def test_a_time_window_rule_changes_after_the_rebuild_not_before():
    with time_machine.travel(NOW, tick=False) as clock:
        campaign = placement_campaign(VIEWED_30_DAYS)
        contact = ContactFactory()
        EventFactory(contact=contact, occurred_at=NOW - dt.timedelta(days=25))
        placement_audience_mark_stale([contact.pk])
        placement_audience_refresh()
        assert segments_of(contact) == [campaign.segment_id]

        clock.move_to(NOW + dt.timedelta(days=6))  # the view is now 31 days old
        placement_audience_refresh()
        assert segments_of(contact) == [campaign.segment_id]

        placement_audience_rebuild_task()
        placement_audience_refresh()

    assert segments_of(contact) == []


def test_the_rebuild_marks_every_contact_including_those_without_a_row():
    placement_campaign(CONSIDERING)
    refreshed = ContactFactory(phase="consideration")
    placement_audience_mark_stale([refreshed.pk])
    placement_audience_refresh()
    newcomer = ContactFactory(phase="consideration")

    marked = placement_audience_rebuild()

    assert marked == 2
    assert set(PlacementAudience.objects.filter(stale=True).values_list("contact", flat=True)) == {
        refreshed.pk,
        newcomer.pk,
    }


def test_marking_an_erased_contact_stale_writes_nothing():
    contact = ContactFactory()
    gone = contact.pk
    contact.delete()

    placement_audience_mark_stale([gone])

    assert not PlacementAudience.objects.exists()


def test_erasing_a_contact_removes_its_placement_audience():
    placement_campaign(CONSIDERING)
    contact = ContactFactory(phase="consideration")
    placement_audience_mark_stale([contact.pk])
    placement_audience_refresh()
    assert PlacementAudience.objects.filter(contact_id=contact.pk).exists()

    contact_erase(contact=contact, reason="Art. 17 request")

    assert not PlacementAudience.objects.filter(contact_id=contact.pk).exists()


def test_placement_segments_are_those_of_serving_and_scheduled_campaigns():
    serving = placement_campaign(CONSIDERING)
    placement_campaign(CONSIDERING, status=CampaignStatus.CANCELLED)

    assert placement_segment_ids() == {serving.segment_id}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="skip_locked: PostgreSQL only")
def test_two_workers_refresh_disjoint_contacts(monkeypatch):
    placement_campaign(CONSIDERING)
    contacts = ContactFactory.create_batch(10, phase="consideration")
    placement_audience_mark_stale([contact.pk for contact in contacts])
    both_inside = threading.Barrier(2, timeout=10)
    seen: dict[str, list[int]] = {}
    memberships = audience._memberships

    def held(segments, contact_ids, now):
        # Both workers hold their rows at once: the second must skip the first's.
        seen[threading.current_thread().name] = list(contact_ids)
        both_inside.wait()
        return memberships(segments, contact_ids, now)

    monkeypatch.setattr(audience, "_memberships", held)
    counts = {}

    def worker():
        try:
            counts[threading.current_thread().name] = placement_audience_refresh(limit=5)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=name) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert counts == {"one": 5, "two": 5}
    assert not set(seen["one"]) & set(seen["two"])
    assert not PlacementAudience.objects.filter(stale=True).exists()


def test_changing_a_contacts_role_in_the_admin_moves_it_after_the_refresh(
    client, campaign_manager, django_capture_on_commit_callbacks
):
    buyers = {"op": "and", "rules": [{"field": "role", "operator": "in", "value": ["buyer"]}]}
    campaign = placement_campaign(buyers)
    contact = ContactFactory(role="buyer")
    placement_audience_mark_stale([contact.pk])
    placement_audience_refresh()
    assert segments_of(contact) == [campaign.segment_id]
    client.force_login(campaign_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("contact:edit", args=(contact.pk,)),
            {
                "account": contact.account_id,
                "email": contact.email,
                "salutation": contact.salutation,
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "language": contact.language,
                "role": "user",
                "timezone": "",
                "crm_id": "",
                "external_id": "",
            },
        )
    assert response.status_code == 302
    placement_audience_refresh()

    assert segments_of(contact) == []
