"""Every way data reaches the hub leaves a mark, so the segment state is fresh after the
next maintenance run (``segment_state_refresh``), not before it; an erasure forgets the
contact at once.

Each test builds the state, acts through the entry point a system or a person uses (the
intake API with a channel token, a tracking link, an import file, an admin form, a consent
link, a bounce report), and then reads what segment counts read: the bitmap backend's
members and a saved segment's count.
"""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from campaigns.models import (
    Contact,
    ContactBitmap,
    Event,
    JourneyRule,
    OrderTotals,
    ProductPairs,
    Segment,
    SegmentChange,
    SegmentKind,
    Suppression,
)
from campaigns.segments.backends import BitmapBackend
from campaigns.segments.bitmaps import BitmapReader, attribute_key, from_bytes
from campaigns.segments.pairs import contacts as pair_contacts
from campaigns.segments.pairs import unpack as unpack_pairs
from campaigns.segments.totals import unpack
from campaigns.services.consent import consent_opt_in, suppression_add
from campaigns.services.segment_state import segment_state_rebuild, segment_state_refresh
from campaigns.tracking import delivery_token, link_token
from channels.base import DeliveryFeedback, FeedbackNotice
from channels.models import ApiClient, Scope
from channels.registry import report_feedback
from tests.campaigns.import_files import csv_bytes
from tests.factories import ContactFactory, DeliveryFactory

pytestmark = pytest.mark.django_db

# Monday 23 November 2026, 11:00 in Berlin: the windows below count back from here.
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
VIEWED_TODAY = {
    "field": "event",
    "operator": "has",
    "value": {"kind": "product_view", "within_days": 1},
}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def fresh_rate_limits(fresh_cache):
    """The API throttle counts in the cache."""


@pytest.fixture
def erika():
    return ContactFactory(email="erika@example.com", phase="awareness")


@pytest.fixture
def api(client):
    """POST to the intake API as the webshop, with its channel token."""
    shop = ApiClient(
        name="Webshop", channel="webshop", scopes=[Scope.EVENTS_WRITE, Scope.ORDERS_WRITE]
    )
    token = shop.issue_token()
    shop.save()

    def post(path, body):
        response = client.post(
            f"/api/v1{path}",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 200, response.content
        assert response.json()["errors"] == []
        return response

    return post


def members(rules) -> set[int]:
    return set(BitmapBackend().members(rules, now=NOW))


def attribute(name: str, value: str) -> set[int]:
    return set(BitmapReader().attribute(attribute_key(name, value)))


def saved(rules, *, include_all=True) -> Segment:
    return Segment.objects.create(
        name=f"Segment {Segment.objects.count()}",
        kind=SegmentKind.DYNAMIC,
        rules=rules,
        include_all=include_all,
    )


def count_of(segment: Segment) -> int | None:
    return Segment.objects.get(pk=segment.pk).member_count


def view(key: str, email: str, at: str = "2026-11-23T10:15:00+01:00") -> dict:
    return {
        "id": key,
        "type": "product_view",
        "occurred_at": at,
        "contact": {"email": email},
        "sku": "HW-BEF-0001",
    }


def order(number: str, email: str, at: str) -> dict:
    return {
        "order_number": number,
        "ordered_at": at,
        "currency": "EUR",
        "contact": {"email": email},
        "lines": [{"sku": "HW-BEF-0001", "quantity": "2", "unit_price": "50.00"}],
    }


def traces_of(contact_id: int) -> list[str]:
    """Where the segment state still holds a contact id."""
    found = [
        f"bitmap {row.span} {row.key} {row.period}"
        for row in ContactBitmap.objects.all()
        if contact_id in from_bytes(row.bits)
    ]
    found += [
        f"order totals {row.span} {row.period}"
        for row in OrderTotals.objects.all()
        if contact_id in unpack(row.data)[0]
    ]
    found += [
        f"pairs {row.kind} {row.span} {row.period}"
        for row in ProductPairs.objects.all()
        if contact_id in pair_contacts(unpack_pairs(row.data))
    ]
    found += [
        f"mark {change.kind} {change.day}"
        for change in SegmentChange.objects.all()
        if contact_id in from_bytes(change.contacts)
    ]
    found += [
        f"segment {segment.name}"
        for segment in Segment.objects.exclude(member_bits=None)
        if contact_id in from_bytes(segment.member_bits)
    ]
    return found


# --- events and orders through the intake API -------------------------------------------------


def test_an_event_from_the_api_counts_after_the_refresh_and_not_before(api, erika):
    segment = saved(VIEWED_TODAY)
    segment_state_rebuild(now=NOW)

    api("/events", {"events": [view("view-1", erika.email)]})
    before = (members(VIEWED_TODAY), count_of(segment))
    segment_state_refresh(now=NOW)

    assert before == (set(), 0)
    assert members(VIEWED_TODAY) == {erika.pk}
    assert count_of(segment) == 1


def test_an_order_moved_to_another_day_and_contact_counts_on_the_new_day_only(api, erika):
    max_ = ContactFactory(email="max@example.com")
    api("/orders", {"orders": [order("WS-1", erika.email, "2026-11-10T09:00:00+01:00")]})
    segment_state_rebuild(now=NOW)
    ordered_early = {
        "field": "last_order",
        "operator": "before",
        "value": "2026-11-15",
    }
    ordered_late = {"field": "last_order", "operator": "after", "value": "2026-11-15"}
    first = (members(ordered_early), members(ordered_late))

    api("/orders", {"orders": [order("WS-1", max_.email, "2026-11-20T09:00:00+01:00")]})
    segment_state_refresh(now=NOW)

    assert first == ({erika.pk}, set())
    assert members(ordered_early) == set()
    assert members(ordered_late) == {max_.pk}
    ordered_ever = {"field": "order_count", "operator": "gte", "value": {"value": 1}}
    assert members(ordered_ever) == {max_.pk}
    days = OrderTotals.objects.filter(span="day")
    assert [(row.period, unpack(row.data)[:2].T.tolist()) for row in days] == [
        (dt.date(2026, 11, 20), [[max_.pk, 1]])
    ]


def test_an_order_event_moved_with_its_order_leaves_its_old_day(api, erika):
    ordered_this_week = {
        "field": "event",
        "operator": "has",
        "value": {"kind": "order", "within_days": 7},
    }
    api("/orders", {"orders": [order("WS-1", erika.email, "2026-11-22T09:00:00+01:00")]})
    segment_state_rebuild(now=NOW)
    first = members(ordered_this_week)

    api("/orders", {"orders": [order("WS-1", erika.email, "2026-11-02T09:00:00+01:00")]})
    segment_state_refresh(now=NOW)

    assert first == {erika.pk}
    assert members(ordered_this_week) == set()


# --- tracking, consent, bounces ---------------------------------------------------------------


def test_a_tracked_click_counts_after_the_refresh(client, erika):
    delivery = DeliveryFactory(contact=erika)
    clicked = {
        "field": "event",
        "operator": "has",
        "value": {"kind": "email_click", "within_days": 1},
    }
    segment_state_rebuild(now=NOW)
    url = "https://shop.example.com/p/SKU-1"

    client.get(f"/t/c/{delivery_token(delivery.pk)}/{link_token(delivery.campaign_id, url)}/")
    before = members(clicked)
    segment_state_refresh(now=NOW)

    assert before == set()
    assert members(clicked) == {erika.pk}


def test_a_language_chosen_on_the_preference_page_moves_the_contact(client, erika):
    token = delivery_token(DeliveryFactory(contact=erika).pk)
    segment_state_rebuild(now=NOW)
    client.get(f"/t/p/{token}/")

    client.post(f"/t/p/{token}/", {"language": "en", "topics": ["products"]})
    before = attribute("language", "en")
    segment_state_refresh(now=NOW)

    assert before == set()
    assert attribute("language", "en") == {erika.pk}
    assert attribute("language", "de") == set()


def test_a_confirmed_opt_in_makes_the_contact_reachable_after_the_refresh(
    client, django_capture_on_commit_callbacks, newsletter_sink
):
    prospect = ContactFactory(email="neu@example.com", consent="none", consent_changed_at=None)
    everyone = {"op": "and", "rules": []}
    segment = saved(everyone, include_all=False)
    with django_capture_on_commit_callbacks(execute=True):
        consent_opt_in(contact=prospect, source="web-form", text_version="newsletter-2026")
    segment_state_rebuild(now=NOW)
    [mail] = newsletter_sink.received
    text = mail.message.get_body(("plain",)).get_content()
    link = re.search(r"http://testserver(/consent/confirm/[^/\s\"]+/)", text).group(1)

    client.post(link)
    before = count_of(segment)
    segment_state_refresh(now=NOW)

    assert before == 0
    assert count_of(segment) == 1
    assert attribute("consent", "confirmed") == {prospect.pk}


def _bounce(email: str) -> DeliveryFeedback:
    return DeliveryFeedback(
        channel="newsletter",
        kind="bounce",
        permanent=True,
        email=email,
        occurred_at=NOW - dt.timedelta(minutes=5),
        provider_message_id="ses-0001",
        message_id="17.abc@news.acme.example",
        detail="Permanent/General",
    )


def _notice() -> FeedbackNotice:
    return FeedbackNotice(
        source="ses",
        report_id="sns-message-1",
        index=0,
        origin="arn:aws:sns:eu-central-1:123456789012:ses-feedback",
        origin_allowed=True,
    )


def test_a_hard_bounce_leaves_the_contact_unreachable_with_a_bounce_after_the_refresh(erika):
    DeliveryFactory(contact=erika, message_id="17.abc@news.acme.example")
    bounced = {"field": "event", "operator": "has", "value": {"kind": "bounce"}}
    segment = saved({"op": "and", "rules": []}, include_all=False)
    segment_state_rebuild(now=NOW)
    first = count_of(segment)

    report_feedback(notice=_notice(), feedback=_bounce(erika.email))
    segment_state_refresh(now=NOW)

    assert first == 1
    assert Suppression.objects.filter(email_hash=erika.email_hash).exists()
    assert count_of(segment) == 0
    assert members(bounced) == {erika.pk}


def test_a_phase_set_by_a_journey_rule_moves_the_contact_between_phase_sets(
    erika, django_capture_on_commit_callbacks
):
    JourneyRule.objects.create(
        name="Bounced: back to awareness",
        phase="awareness",
        from_phases=["consideration"],
        conditions={
            "op": "and",
            "rules": [{"field": "event", "operator": "has", "value": {"kind": "bounce"}}],
        },
        sort_order=0,
    )
    Contact.objects.filter(pk=erika.pk).update(phase="consideration")
    DeliveryFactory(contact=erika, message_id="17.abc@news.acme.example")
    segment_state_rebuild(now=NOW)
    first = (attribute("phase", "consideration"), attribute("phase", "awareness"))

    with django_capture_on_commit_callbacks(execute=True):
        report_feedback(notice=_notice(), feedback=_bounce(erika.email))
    segment_state_refresh(now=NOW)

    assert first == ({erika.pk}, set())
    assert Contact.objects.get(pk=erika.pk).phase == "awareness"
    assert attribute("phase", "consideration") == set()
    assert attribute("phase", "awareness") == {erika.pk}


# --- imports ------------------------------------------------------------------------------------


def test_an_import_of_three_contacts_and_their_orders_updates_the_counts(tmp_path):
    buyers_who_ordered = {
        "op": "and",
        "rules": [
            {"field": "role", "operator": "in", "value": ["buyer"]},
            {"field": "event", "operator": "has", "value": {"kind": "order", "within_days": 30}},
        ],
    }
    segment = saved(buyers_who_ordered)
    segment_state_rebuild(now=NOW)
    emails = ["a@example.com", "b@example.com", "c@example.com"]
    contacts = tmp_path / "kontakte.csv"
    contacts.write_bytes(csv_bytes([["E-Mail", "Rolle"], *([email, "buyer"] for email in emails)]))
    orders = tmp_path / "auftraege.csv"
    orders.write_bytes(
        csv_bytes(
            [
                ["Bestellnummer", "Bestelldatum", "E-Mail", "Artikelnummer", "Menge", "Preis"],
                *(
                    [f"A-{n}", "20.11.2026", email, "SKU-1", "1", "9,90"]
                    for n, email in enumerate(emails)
                ),
            ]
        )
    )

    for command, path in (("import_contacts", contacts), ("import_orders", orders)):
        call_command(command, str(path), stdout=io.StringIO(), stderr=io.StringIO())
    before = count_of(segment)
    segment_state_refresh(now=NOW)

    imported = set(Contact.objects.filter(email__in=emails).values_list("pk", flat=True))
    assert len(imported) == 3
    assert before == 0
    assert count_of(segment) == 3
    assert members(buyers_who_ordered) == imported


def test_an_imported_country_change_moves_the_accounts_contacts(tmp_path, erika):
    erika.account.customer_number = "K1"
    erika.account.save()
    in_austria = {"field": "account.country", "operator": "in", "value": ["AT"]}
    segment_state_rebuild(now=NOW)
    accounts = tmp_path / "kunden.csv"
    accounts.write_bytes(csv_bytes([["Kundennummer", "Land"], ["K1", "AT"]]))

    call_command("import_accounts", str(accounts), stdout=io.StringIO(), stderr=io.StringIO())
    before = members(in_austria)
    segment_state_refresh(now=NOW)

    assert before == set()
    assert members(in_austria) == {erika.pk}


# --- the admin ----------------------------------------------------------------------------------


def test_a_contact_added_in_the_admin_counts_after_the_refresh(client, campaign_manager):
    buyers = {"field": "role", "operator": "in", "value": ["buyer"]}
    segment = saved(buyers)
    segment_state_rebuild(now=NOW)
    client.force_login(campaign_manager)

    client.post(
        reverse("contact:add"),
        {"email": "neu@example.com", "language": "de", "role": "buyer", "salutation": ""},
    )
    before = count_of(segment)
    segment_state_refresh(now=NOW)

    contact = Contact.objects.get(email="neu@example.com")
    assert before == 0
    assert members(buyers) == {contact.pk}
    assert count_of(segment) == 1


def test_a_role_changed_in_the_admin_moves_the_contact(client, campaign_manager, erika):
    segment_state_rebuild(now=NOW)
    client.force_login(campaign_manager)

    client.post(
        reverse("contact:edit", args=(erika.pk,)),
        {
            "email": erika.email,
            "account": erika.account_id,
            "language": "de",
            "role": "decision_maker",
            "salutation": "ms",
            "first_name": "Erika",
            "last_name": erika.last_name,
            "timezone": "",
        },
    )
    segment_state_refresh(now=NOW)

    assert Contact.objects.get(pk=erika.pk).role == "decision_maker"
    assert attribute("role", "buyer") == set()
    assert attribute("role", "decision_maker") == {erika.pk}


def test_a_phase_changed_in_the_admin_moves_the_contact_between_phase_sets(
    client, campaign_manager, erika
):
    segment_state_rebuild(now=NOW)
    client.force_login(campaign_manager)

    client.post(
        reverse("contact:phase", args=(erika.pk,)),
        {"phase": "consideration", "reason": "asked for a quote"},
    )
    before = (attribute("phase", "awareness"), attribute("phase", "consideration"))
    segment_state_refresh(now=NOW)

    assert before == ({erika.pk}, set())
    assert attribute("phase", "awareness") == set()
    assert attribute("phase", "consideration") == {erika.pk}


def test_an_account_edited_in_the_admin_moves_its_contacts(client, campaign_manager, erika):
    account = erika.account
    in_austria = {"field": "account.country", "operator": "in", "value": ["AT"]}
    segment_state_rebuild(now=NOW)
    client.force_login(campaign_manager)

    client.post(
        reverse("account:edit", args=(account.pk,)),
        {
            "name": account.name,
            "customer_number": account.customer_number,
            "erp_id": "",
            "crm_id": "",
            "industry": account.industry,
            "country": "AT",
            "size_class": account.size_class,
            "price_group": account.price_group,
        },
    )
    segment_state_refresh(now=NOW)

    assert members(in_austria) == {erika.pk}


def test_an_account_deleted_in_the_admin_takes_its_fields_from_its_contacts(
    client, campaign_manager, erika
):
    in_germany = {"field": "account.country", "operator": "in", "value": ["DE"]}
    segment_state_rebuild(now=NOW)
    first = members(in_germany)
    client.force_login(campaign_manager)

    client.post(reverse("account:delete", args=(erika.account_id,)))
    segment_state_refresh(now=NOW)

    assert first == {erika.pk}
    assert Contact.objects.get(pk=erika.pk).account_id is None
    assert members(in_germany) == set()


def test_a_suppression_lifted_in_the_admin_makes_the_contact_reachable_again(client, erika):
    from django.contrib.auth import get_user_model

    suppression = suppression_add(email=erika.email, reason="complaint", source="ses")
    segment = saved({"op": "and", "rules": []}, include_all=False)
    segment_state_rebuild(now=NOW)
    first = count_of(segment)
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))

    client.post(reverse("suppression:delete", args=(suppression.pk,)))
    segment_state_refresh(now=NOW)

    assert first == 0
    assert not Suppression.objects.exists()
    assert count_of(segment) == 1


# --- erasure --------------------------------------------------------------------------------------


def test_an_erasure_leaves_no_trace_in_the_segment_state(api, client, campaign_manager, erika):
    api("/events", {"events": [view("view-1", erika.email)]})
    api("/orders", {"orders": [order("WS-1", erika.email, "2026-11-02T09:00:00+01:00")]})
    segment = saved(VIEWED_TODAY)
    segment_state_rebuild(now=NOW)
    # One more event, marked but not yet taken in by a maintenance run.
    api("/events", {"events": [view("view-2", erika.email, "2026-11-20T10:00:00+01:00")]})
    held = traces_of(erika.pk)
    client.force_login(campaign_manager)

    client.post(reverse("contact:erase", args=(erika.pk,)), {"reason": "Ticket 1", "confirm": "on"})
    right_after = traces_of(erika.pk)
    segment_state_refresh(now=NOW)

    assert not Contact.objects.filter(pk=erika.pk).exists()
    assert Event.objects.filter(contact=None).count() == 3  # two views and the order's event
    assert {trace.split()[0] for trace in held} == {"bitmap", "order", "pairs", "mark", "segment"}
    assert right_after == []
    assert traces_of(erika.pk) == []
    assert count_of(segment) == 0
    assert members(VIEWED_TODAY) == set()
