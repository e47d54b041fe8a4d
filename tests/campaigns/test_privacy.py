"""GDPR export and erasure: what the person gets, what the hub keeps, what the audit shows."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import ModelLogEntry

from campaigns.models import (
    ConsentKind,
    ConsentRecord,
    ConsentState,
    Contact,
    Event,
    EventKind,
    Order,
    OrderLine,
    PhaseChange,
    SegmentMember,
    Suppression,
    SuppressionReason,
    email_hash,
)
from campaigns.services.consent import consent_opt_out
from campaigns.services.privacy import contact_erase, contact_export_data
from tests.factories import (
    ContactFactory,
    EventFactory,
    OrderFactory,
    OrderLineFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

ADDRESS = "erika.muster@example.com"


@pytest.fixture
def erika():
    contact = ContactFactory(email=ADDRESS, first_name="Erika", last_name="Muster")
    ConsentRecord.objects.create(
        contact=contact,
        kind=ConsentKind.OPT_IN,
        source="web-form",
        text_version="v1",
        ip_address="203.0.113.7",
    )
    PhaseChange.objects.create(
        contact=contact, from_phase="", to_phase="awareness", reason="import"
    )
    EventFactory(
        contact=contact,
        kind=EventKind.EMAIL_CLICK,
        sku="SKU-1",
        data={"url": f"https://shop.example/?email={ADDRESS}", "order_number": "A1"},
    )
    OrderLineFactory(
        order=OrderFactory(contact=contact, external_id="A0000001", revenue=Decimal("249.90")),
        sku="SKU-1",
        quantity=Decimal("2"),
        unit_price=Decimal("124.95"),
        line_total=Decimal("249.90"),
    )
    SegmentMember.objects.create(segment=SegmentFactory(name="Messe 2026"), contact=contact)
    return contact


def audit_entries(action: str):
    return ModelLogEntry.objects.filter(action=action)


def test_the_export_contains_everything_the_hub_holds_about_the_contact(erika):
    data = contact_export_data(contact=erika, user=None)

    assert data["contact"]["email"] == ADDRESS
    assert data["account"]["name"] == erika.account.name
    assert data["consent_records"][0]["ip_address"] == "203.0.113.7"
    assert data["phase_changes"][0]["to_phase"] == "awareness"
    assert data["events"][0]["kind"] == "email_click"
    assert data["orders"][0]["revenue"] == "249.90"
    assert data["orders"][0]["lines"][0]["sku"] == "SKU-1"
    assert data["segments"] == [
        {"segment": "Messe 2026", "added_at": data["segments"][0]["added_at"]}
    ]
    assert data["suppression"] is None
    json.dumps(data)


def test_the_export_shows_a_suppression(erika):
    consent_opt_out(contact=erika, source="unsubscribe-link")

    data = contact_export_data(contact=erika, user=None)

    assert data["suppression"]["reason"] == "unsubscribed"


def test_an_export_is_audited_without_the_address(erika, campaign_manager):
    contact_export_data(contact=erika, user=campaign_manager)

    entry = audit_entries("campaigns.contact.export").get()
    assert entry.user == campaign_manager
    assert entry.label == f"Contact #{erika.pk}"
    assert ADDRESS not in json.dumps(entry.data)


def test_erasure_deletes_the_contact_and_its_personal_records(erika):
    contact_erase(contact=erika, user=None, reason="Ticket 4711")

    assert not Contact.objects.filter(pk=erika.pk).exists()
    assert ConsentRecord.objects.count() == 0
    assert PhaseChange.objects.count() == 0
    assert SegmentMember.objects.count() == 0


def test_erasure_keeps_events_and_orders_without_the_person(erika):
    account = erika.account

    contact_erase(contact=erika, user=None, reason="Ticket 4711")

    event = Event.objects.get()
    assert event.contact is None
    assert event.account == account
    assert event.data == {"order_number": "A1"}
    order = Order.objects.get()
    assert (order.contact, order.account, order.revenue) == (None, account, Decimal("249.90"))
    assert OrderLine.objects.get().sku == "SKU-1"


def test_erasure_keeps_a_hashed_tombstone(erika):
    contact_erase(contact=erika, user=None, reason="Ticket 4711")

    suppression = Suppression.objects.get()
    assert suppression.email_hash == email_hash(ADDRESS)
    assert (suppression.reason, suppression.source) == (SuppressionReason.MANUAL, "erasure")


def test_erasure_keeps_an_existing_suppression_reason(erika):
    consent_opt_out(contact=erika, source="unsubscribe-link")

    contact_erase(contact=erika, user=None, reason="Ticket 4711")

    assert Suppression.objects.get().reason == SuppressionReason.UNSUBSCRIBED


def test_an_erased_address_imported_again_is_still_suppressed(erika):
    contact_erase(contact=erika, user=None, reason="Ticket 4711")

    again = ContactFactory(email=ADDRESS.upper(), consent=ConsentState.NONE)

    assert Suppression.objects.filter(email_hash=again.email_hash).exists()


def test_erasure_is_audited_without_personal_data(erika, campaign_manager):
    contact_erase(contact=erika, user=campaign_manager, reason="Ticket 4711")

    entry = audit_entries("campaigns.contact.erase").get()
    assert entry.user == campaign_manager
    assert entry.label == f"Contact #{erika.pk}"
    assert entry.object_id == str(erika.pk)
    assert entry.data["reason"] == "Ticket 4711"
    assert entry.data["events_anonymised"] == 1
    everything = json.dumps(list(ModelLogEntry.objects.values("label", "data")))
    assert ADDRESS not in everything
    assert "Muster" not in everything


def test_erasure_rewrites_the_titles_of_earlier_audit_entries(erika, campaign_manager):
    from wagtail.log_actions import log

    log(instance=erika, action="wagtail.edit", user=campaign_manager)

    contact_erase(contact=erika, user=campaign_manager, reason="Ticket 4711")

    assert ModelLogEntry.objects.get(action="wagtail.edit").label == f"Contact #{erika.pk}"


def test_erasure_needs_a_reason(erika):
    with pytest.raises(ValueError):
        contact_erase(contact=erika, user=None, reason="  ")

    assert Contact.objects.filter(pk=erika.pk).exists()


def test_export_command_writes_the_json_to_stdout(erika):
    out = io.StringIO()

    call_command("export_contact", "--email", ADDRESS.upper(), stdout=out)

    assert json.loads(out.getvalue())["contact"]["id"] == erika.pk
    assert audit_entries("campaigns.contact.export").get().user is None


def test_export_command_writes_a_file(erika, tmp_path):
    target = tmp_path / "erika.json"

    call_command(
        "export_contact", "--id", str(erika.pk), "--output", str(target), stderr=io.StringIO()
    )

    assert json.loads(target.read_text())["contact"]["email"] == ADDRESS


def test_export_command_names_an_unknown_contact():
    with pytest.raises(CommandError, match=r"nobody@example\.com"):
        call_command("export_contact", "--email", "nobody@example.com")


def test_erase_command_erases_with_yes_and_logs_the_system(erika):
    out = io.StringIO()

    call_command(
        "erase_contact", "--id", str(erika.pk), "--reason", "Ticket 4711", "--yes", stdout=out
    )

    assert not Contact.objects.filter(pk=erika.pk).exists()
    assert Suppression.objects.filter(email_hash=email_hash(ADDRESS)).exists()
    entry = audit_entries("campaigns.contact.erase").get()
    assert entry.user is None
    assert f"Contact #{erika.pk} erased" in out.getvalue()


def test_erase_command_asks_and_erases_nothing_without_yes(erika, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "no")

    with pytest.raises(CommandError, match="Nothing erased"):
        call_command("erase_contact", "--email", ADDRESS, "--reason", "Ticket 4711")

    assert Contact.objects.filter(pk=erika.pk).exists()


def test_erase_command_erases_after_a_typed_yes(erika, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")

    call_command(
        "erase_contact", "--email", ADDRESS, "--reason", "Ticket 4711", stdout=io.StringIO()
    )

    assert not Contact.objects.filter(pk=erika.pk).exists()
