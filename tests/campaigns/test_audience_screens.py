"""The audience screens: segment member counts, ISO countries by name, neutral "no" cells."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

from campaigns.importing.values import BadValue, parse_country
from campaigns.models import Account, Segment, SegmentKind
from campaigns.segments import field_catalogue
from campaigns.services.consent import suppression_add
from campaigns.services.segments import segment_add_emails, segment_counts_refresh
from campaigns.tasks import segment_state_refresh as segment_state_task
from tests.factories import AccountFactory, ContactFactory, SegmentFactory

pytestmark = pytest.mark.django_db

BUYERS = {"op": "and", "rules": [{"field": "role", "operator": "in", "value": ["buyer"]}]}
COUNTED = dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC)  # 10:30 in Berlin


def speaking(user, language: str):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    return user


def listing_row(page: str, name: str) -> str:
    """The listing's table row that names ``name``."""
    rows = re.findall(r"<tr[^>]*>.*?</tr>", page, flags=re.S)
    return next(row for row in rows if name in row)


# --- segment member counts ------------------------------------------------------------------


def test_the_segment_listing_shows_each_count_with_the_moment_it_was_counted(
    client, campaign_manager
):
    SegmentFactory(name="Einkäufer", rules=BUYERS)
    SegmentFactory(name="Alle", rules={"op": "and", "rules": []})
    ContactFactory.create_batch(2, role="buyer")
    ContactFactory(role="user")
    with time_machine.travel(COUNTED, tick=False):
        segment_counts_refresh()
    client.force_login(speaking(campaign_manager, "en"))

    page = client.get(reverse("segment:index")).content.decode()

    assert re.search(r"2 \(counted [^)]*2026[^)]*10:30[^)]*\)", listing_row(page, "Einkäufer"))
    assert re.search(r"3 \(counted [^)]*10:30", listing_row(page, "Alle"))


def test_the_german_segment_listing_says_when_it_was_counted_in_german(client, campaign_manager):
    SegmentFactory(name="Einkäufer", rules=BUYERS)
    ContactFactory(role="buyer")
    with time_machine.travel(COUNTED, tick=False):
        segment_counts_refresh()
    client.force_login(speaking(campaign_manager, "de"))

    page = client.get(reverse("segment:index")).content.decode()

    assert re.search(r"1 \(gezählt 03\.11\.2026 10:30\)", listing_row(page, "Einkäufer"))
    assert "Mitglieder" in page


def test_the_german_rule_editor_says_windows_are_whole_days(client, campaign_manager):
    client.force_login(speaking(campaign_manager, "de"))

    page = client.get(reverse("segment:add")).content.decode()

    assert (
        "Zeitfenster sind ganze Tage (Zeitzone des Hubs, Europe/Berlin): „in den letzten 30 "
        "Tagen“ zählt ab Mitternacht vor 30 Tagen bis jetzt."
    ) in page


def test_a_segment_never_counted_says_so_rather_than_zero(client, campaign_manager):
    SegmentFactory(name="Frisch angelegt", rules=BUYERS)
    ContactFactory(role="buyer")
    client.force_login(speaking(campaign_manager, "en"))

    page = client.get(reverse("segment:index")).content.decode()

    assert "not counted yet" in listing_row(page, "Frisch angelegt")


def test_saving_a_segment_in_the_admin_counts_it(client, campaign_manager):
    ContactFactory.create_batch(2, role="buyer")
    client.force_login(campaign_manager)
    data = {"name": "Einkäufer", "description": "", "kind": "dynamic", "rules": json.dumps(BUYERS)}

    client.post(reverse("segment:add"), data)
    segment = Segment.objects.get(name="Einkäufer")
    ContactFactory(role="buyer")
    client.post(reverse("segment:edit", args=(segment.pk,)), data)

    segment.refresh_from_db()
    assert segment.member_count == 3
    assert segment.member_count_at is not None


def test_adding_to_a_static_list_updates_its_count(campaign_manager):
    segment = SegmentFactory(kind=SegmentKind.STATIC)
    contacts = ContactFactory.create_batch(2)

    segment_add_emails(segment=segment, emails=[c.email for c in contacts], user=campaign_manager)

    segment.refresh_from_db()
    assert segment.member_count == 2


def test_the_listing_reads_counts_without_counting_any_segment(client, campaign_manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    SegmentFactory.create_batch(3, rules=BUYERS)
    client.force_login(campaign_manager)

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("segment:index"))

    assert not any('"campaigns_contact"' in query["sql"] for query in queries.captured_queries)


def test_beat_recounts_the_segments_within_a_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["segment-state-refresh"]
    segment = SegmentFactory(rules=BUYERS)
    ContactFactory(role="buyer")

    segment_state_task.run()

    assert entry["task"] == segment_state_task.name
    assert entry["schedule"] <= 60
    segment.refresh_from_db()
    assert segment.member_count == 1


# --- countries --------------------------------------------------------------------------------


def test_the_account_form_offers_countries_named_in_german_in_the_german_admin(
    client, campaign_manager
):
    client.force_login(speaking(campaign_manager, "de"))

    page = client.get(reverse("account:add")).content.decode()

    assert re.search(r'<option value="DE"[^>]*>Deutschland</option>', page)
    assert re.search(r'<option value="CH"[^>]*>Schweiz</option>', page)


def test_the_account_form_offers_countries_named_in_english_in_the_english_admin(
    client, campaign_manager
):
    client.force_login(speaking(campaign_manager, "en"))

    page = client.get(reverse("account:add")).content.decode()

    assert re.search(r'<option value="DE"[^>]*>Germany</option>', page)


def test_the_account_form_refuses_a_code_that_is_no_country(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.post(reverse("account:add"), {"name": "Nirgendwo AG", "country": "XX"})

    assert response.status_code == 200
    assert not Account.objects.filter(name="Nirgendwo AG").exists()


def test_the_account_form_stores_the_chosen_country_as_its_code(client, campaign_manager):
    client.force_login(campaign_manager)

    client.post(reverse("account:add"), {"name": "Alpen Hydraulik AG", "country": "AT"})

    assert Account.objects.get(name="Alpen Hydraulik AG").country == "AT"


def test_the_account_listing_names_the_country_in_the_admin_language(client, campaign_manager):
    AccountFactory(name="Alpen Hydraulik AG", country="AT")
    client.force_login(speaking(campaign_manager, "de"))

    page = client.get(reverse("account:index")).content.decode()

    assert "Österreich" in listing_row(page, "Alpen Hydraulik AG")


def test_the_rule_editor_offers_countries_by_name_in_the_active_language():
    with translation.override("de"):
        fields = {field["name"]: field for field in field_catalogue()}

    country = fields["account.country"]
    assert country["widget"] == "countries"
    assert ["DE", "Deutschland"] in country["choices"]
    assert len(country["choices"]) > 240


# --- boolean columns ------------------------------------------------------------------------


def test_a_no_in_a_boolean_column_is_a_muted_dash_not_a_red_cross(client, campaign_manager):
    suppressed = ContactFactory(last_name="Gesperrt")
    ContactFactory(last_name="Erreichbar")
    suppression_add(email=suppressed.email, reason="complaint", source="ses")
    client.force_login(speaking(campaign_manager, "en"))

    page = client.get(reverse("contact:index")).content.decode()

    yes, no = listing_row(page, "Gesperrt"), listing_row(page, "Erreichbar")
    assert "icon-check" in yes and '<span class="w-sr-only">Yes</span>' in yes
    assert "data-boolean-no" in no and '<span class="w-sr-only">No</span>' in no
    assert "icon-cross" not in no


@pytest.mark.parametrize(
    ("cell", "code"),
    [("DE", "DE"), ("at", "AT"), ("Frankreich", "FR"), ("Netherlands", "NL"), ("Schweiz", "CH")],
)
def test_imports_take_iso_codes_and_country_names(cell, code):
    assert parse_country(cell) == code


def test_imports_refuse_a_two_letter_code_that_is_no_country():
    with pytest.raises(BadValue, match="no ISO 3166 country"):
        parse_country("XX")
