"""GDPR export and erasure: what the person gets, what the hub keeps, what the audit shows."""

import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import timezone
from wagtail.models import ModelLogEntry

from campaigns.models import (
    ConsentKind,
    ConsentRecord,
    ConsentState,
    Contact,
    Delivery,
    Event,
    EventKind,
    IgnoredFeedback,
    ImportJob,
    Order,
    OrderLine,
    PhaseChange,
    SegmentMember,
    SegmentSnapshot,
    SnapshotMember,
    Suppression,
    SuppressionReason,
    SyncState,
    TrackingHit,
    email_hash,
)
from campaigns.services.consent import consent_opt_out
from campaigns.services.privacy import contact_erase, contact_export_data
from tests.factories import (
    CampaignFactory,
    ContactFactory,
    DeliveryFactory,
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


# --- erasure reaches every table --------------------------------------------------------------
#
# Every model with a foreign key to Contact, or a column that can hold an address (text,
# JSON or a stored file), is either given the person's data by ``everywhere`` below and
# checked after the erasure, or allowed here with the reason it never holds a contact's
# address. A new table that is neither makes test_every_table_that_can_hold_a_person_is_covered
# fail: decide what erasure does with it, then list it.

ERASURE_COVERS = {
    "campaigns.contact": "deleted",
    "campaigns.consentrecord": "deleted",
    "campaigns.phasechange": "deleted",
    "campaigns.segmentmember": "deleted",
    "campaigns.snapshotmember": "deleted",
    "campaigns.placementaudience": "deleted (with the contact)",
    "campaigns.event": "kept without the person; data and key scrubbed",
    "campaigns.order": "kept without the person",
    "campaigns.delivery": "kept without the person; the server's reply scrubbed",
    "campaigns.trackinghit": "kept without address and user agent; the address scrubbed from URLs",
    "campaigns.importjob": "the file deleted when it names the person; errors scrubbed",
    "campaigns.ignoredfeedback": "deleted (it holds the address's hash)",
    "campaigns.suppression": "kept: the hashed tombstone, by design",
    "campaigns.syncstate": "the address scrubbed from errors and stats",
    "campaigns.contactbitmap": "the contact's id taken out of every set",
    "campaigns.ordertotals": "the contact's id taken out of every block",
    "campaigns.productpairs": "the contact's pairs taken out of every block",
    "campaigns.segmentchange": "the contact's id taken out of pending marks",
    "wagtailcore.modellogentry": "kept as the audit trail, titles rewritten",
}

# Tables of our apps that never hold a contact's address, and why.
NEVER_A_CONTACT = {
    "campaigns.account": "companies: names and numbers, no people",
    "campaigns.accountoffer": "an account's offers: SKUs, dates, product and category names",
    "campaigns.campaign": "the plan: sender and reply-to are the company's own addresses",
    "campaigns.campaignarm": "A/B arm labels",
    "campaigns.brandsettings": "the company's own name, address, links and sender addresses",
    "campaigns.campaigndaystats": "counts per campaign variant and day",
    "campaigns.campaignlinkstats": "links as written in a variant (tracked before any merge)",
    "campaigns.deliverystatecount": "counts per campaign variant and state",
    "campaigns.ordercredit": "amounts and variant keys; the person is its order's and delivery's",
    "campaigns.campaigncontent": "newsletter texts written by staff, merged per recipient",
    "campaigns.groupprice": "prices",
    "campaigns.placement": "slots of a shop's pages, written by staff",
    "campaigns.placementdefault": "a slot's default content, written by staff",
    "campaigns.campaignplacement": "a campaign's content for a slot, written by staff",
    "campaigns.journeyrule": "rules; the rule language has no address field",
    "campaigns.newslettertopic": "topic keys and their labels, written by staff",
    "campaigns.machinerule": "address ranges and user-agent patterns of machines, not people",
    "campaigns.orderline": "SKUs and amounts",
    "campaigns.skucode": "SKUs and their numbers",
    "campaigns.segment": "rules and names; the rule language has no address field",
    "campaigns.survey": "questions and texts written by staff; answers are events",
    "campaigns.segmentsnapshot": "frozen rules and a count; members are SnapshotMember",
    "channels.apiclient": "channel systems and token hashes",
    "channels.webhookendpoint": "URLs of channel systems",
    "channels.webhookdelivery": "content events (products, messages), never contacts",
    "channels.webhookattempt": "a channel system's answer to a content event",
    "channels.sendratestate": "a transport's send rate",
    "content.category": "the category tree",
    "content.product": "product content",
    "content.product_categories": "product to category links",
    "content.productfeature": "product content",
    "content.productimage": "product content",
    "content.productdocument": "product content",
    "content.audiencemessage": "messages to roles and phases, not to people",
    "content.reviewtask": "a workflow task",
    "content.productetimclass": "product content",
    "content.productrelation": "product content (spare parts and accessories)",
    "content.etimfeature": "ETIM reference data",
    "content.translationprogress": "a translated copy's source text: product and message content",
    "campaigns.feed": "receivers of catalogue files: names, formats, URLs of their servers",
    "campaigns.feedrun": "runs of a feed: counts, file names, errors of the receiver's server",
    "campaigns.feedrefusal": "SKUs left out of a feed and why",
    "campaigns.feeditem": "SKUs and hashes of what a feed's receiver holds",
    "campaigns.catalogue": "print catalogues: titles, introductions, roles (not people)",
    "campaigns.cataloguerun": "runs of a catalogue: file names, SKUs printed, errors",
    "campaigns.cataloguerunpart": "parts of a catalogue run: chapters and pages",
    "campaigns.catalogueproblem": "SKUs and fields a catalogue could not show as written",
}
# Third-party apps: staff accounts, content, search and workflow machinery, none of which
# stores the hub's contacts. A new app is caught: its label is not here.
APPS_WITHOUT_CONTACTS = {
    "auth": "staff logins, not contacts",
    "axes": "staff sign-in attempts (user name, address), not contacts",
    "otp_totp": "two-factor devices of staff",
    "contenttypes": "model names",
    "sessions": "staff sessions",
    "simple_translation": "the permission to translate",
    "taggit": "tags of images and documents",
    "wagtailadmin": "editing sessions of staff",
    "wagtailcore": "pages, revisions, workflows, locales of content and campaigns",
    "wagtaildocs": "documents of products",
    "wagtailimages": "images of products",
    "wagtailsearch": "the search index of content (contacts are not indexed)",
    "wagtailusers": "staff profiles",
}


def _text_like(field) -> bool:
    return isinstance(
        field, models.CharField | models.TextField | models.JSONField | models.FileField
    )


def _holds_people(model) -> bool:
    fields = model._meta.concrete_fields
    return any(
        (field.is_relation and field.related_model is Contact) or _text_like(field)
        for field in fields
    )


def test_every_table_that_can_hold_a_person_is_covered():
    uncovered = [
        model._meta.label_lower
        for model in apps.get_models(include_auto_created=True)
        if _holds_people(model)
        and model._meta.label_lower not in ERASURE_COVERS
        and model._meta.label_lower not in NEVER_A_CONTACT
        and model._meta.app_label not in APPS_WITHOUT_CONTACTS
    ]

    assert uncovered == []


OTHER = "max.mustermann@example.com"


def _csv(*addresses: str) -> ContentFile:
    rows = "".join(f"{address};Muster\n" for address in addresses)
    return ContentFile(f"E-Mail;Nachname\n{rows}".encode(), name="kontakte.csv")


def _xlsx(*addresses: str) -> ContentFile:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["E-Mail", "Nachname"])
    for address in addresses:
        sheet.append([address, "Muster"])
    out = io.BytesIO()
    book.save(out)
    return ContentFile(out.getvalue(), name="kontakte.xlsx")


@pytest.fixture
def mail_files(settings, tmp_path):
    settings.HUB_MAIL_TRANSPORTS = {
        "default": {
            "BACKEND": "channels.newsletter.transports.FileTransport",
            "OPTIONS": {"DIRECTORY": str(tmp_path / "mail")},
        }
    }
    return tmp_path / "mail"


@pytest.fixture
def everywhere(erika, mail_files):
    """Erika in every table that can hold her (see ERASURE_COVERS), beside someone else."""
    from wagtail.log_actions import log

    from channels.base import TransactionalMessage
    from channels.registry import get_channel

    other = ContactFactory(email=OTHER)
    campaign = CampaignFactory()
    delivered = DeliveryFactory(
        campaign=campaign,
        contact=erika,
        state="bounced",
        detail=f"550 5.1.1 <{ADDRESS.title()}>: Recipient address rejected",
        opened_at=timezone.now(),
        clicked_at=timezone.now(),
    )
    TrackingHit.objects.create(
        delivery=delivered,
        kind="click",
        at=timezone.now(),
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
        url=f"https://shop.example/?email={ADDRESS}",
        classification="human",
    )
    DeliveryFactory(campaign=campaign, contact=other, detail=f"550 <{OTHER}> unknown")
    EventFactory(contact=erika, kind=EventKind.EMAIL_OPEN, campaign=campaign)
    EventFactory(
        contact=erika,
        kind=EventKind.PRODUCT_VIEW,
        source="api:1",
        idempotency_key=f"view:{ADDRESS}:SKU-1",
    )
    snapshot = SegmentSnapshot.objects.create(segment=SegmentFactory())
    SnapshotMember.objects.create(snapshot=snapshot, contact=erika)
    IgnoredFeedback.objects.create(
        notification_id="n-1",
        reason="not_sent_by_hub",
        topic_arn="arn",
        email_hash=erika.email_hash,
    )
    SyncState.objects.create(
        backend="crm", last_error=f"Salesforce refused {ADDRESS}: DUPLICATE_VALUE"
    )
    for kind, upload in (("csv", _csv(ADDRESS, OTHER)), ("xlsx", _xlsx(OTHER, ADDRESS))):
        ImportJob.objects.create(
            kind="contacts",
            file=upload,
            original_name=f"kontakte.{kind}",
            status="done",
            errors=[{"line": 2, "field": "email", "reason": f"{ADDRESS} twice", "level": "error"}],
        )
    ImportJob.objects.create(
        kind="contacts", file=_csv(OTHER), original_name="andere.csv", status="previewed"
    )
    log(instance=erika, action="wagtail.edit", user=None)
    # Mail written by the file transport, beside mail to someone else.
    for address in (ADDRESS, OTHER):
        get_channel("newsletter").send_transactional(
            TransactionalMessage(to=address, subject="Hallo", text="t", html="h")
        )
    assert len(list(mail_files.glob("*.eml"))) == 2
    return erika


def _stored_bytes(field_file) -> bytes:
    with field_file.open("rb") as stream:
        data = stream.read()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data += b"".join(archive.read(name) for name in archive.namelist())
    return data.lower()


def _what_holds(needle: str, *, contact_id: int) -> list[str]:
    """Every row of every table that still holds ``needle`` or links to the contact."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            where = f"{model._meta.label_lower}.{field.name}"
            if field.is_relation and field.related_model is Contact:
                if model._default_manager.filter(**{field.attname: contact_id}).exists():
                    found.append(where)
            elif isinstance(field, models.FileField):
                for row in model._default_manager.exclude(**{field.name: ""}):
                    if needle.encode() in _stored_bytes(getattr(row, field.name)):
                        found.append(where)
            elif (
                _text_like(field)
                and model._default_manager.filter(**{f"{field.name}__icontains": needle}).exists()
            ):
                found.append(where)
    return found


def test_erasure_leaves_the_person_in_no_table_file_or_mail(everywhere, mail_files):
    contact_id = everywhere.pk

    contact_erase(contact=everywhere, user=None, reason="Ticket 4711")

    assert _what_holds(ADDRESS, contact_id=contact_id) == []
    # The hash links to the address too: only the tombstone keeps it.
    assert _what_holds(email_hash(ADDRESS), contact_id=contact_id) == [
        "campaigns.suppression.email_hash"
    ]
    mails = [path.read_bytes().lower() for path in mail_files.glob("*.eml")]
    assert [mail for mail in mails if ADDRESS.encode() in mail] == []


def test_erasure_keeps_what_others_need(everywhere, mail_files):
    contact_erase(contact=everywhere, user=None, reason="Ticket 4711")

    assert _what_holds(OTHER, contact_id=0) != []
    [mail] = mail_files.glob("*.eml")
    assert OTHER.encode() in mail.read_bytes()
    kept = Delivery.objects.get(contact=None)
    assert kept.state == "bounced"
    assert kept.opened_at is not None and kept.clicked_at is not None
    assert kept.detail == "550 5.1.1 <[erased]>: Recipient address rejected"
    assert Delivery.objects.get(contact__email=OTHER).detail == f"550 <{OTHER}> unknown"


def test_an_import_whose_file_named_the_person_says_why_its_file_is_gone(everywhere):
    contact_erase(contact=everywhere, user=None, reason="Ticket 4711")

    erased = ImportJob.objects.filter(file="")
    assert {job.original_name for job in erased} == {"kontakte.csv", "kontakte.xlsx"}
    assert all("erased" in job.message for job in erased)
    assert erased.first().errors[0]["reason"] == "[erased] twice"
    assert ImportJob.objects.get(original_name="andere.csv").file


def test_the_export_contains_deliveries_opens_and_clicks(everywhere):
    data = contact_export_data(contact=everywhere, user=None)

    [delivery] = data["deliveries"]
    assert delivery["state"] == "bounced"
    assert delivery["opened_at"] and delivery["clicked_at"]
    assert len(data["opens"]) == 1
    assert data["clicks"][0]["url"] == f"https://shop.example/?email={ADDRESS}"
    json.dumps(data)


def test_erasing_two_people_whose_event_keys_held_their_addresses_keeps_the_keys_unique():
    people = [ContactFactory(email=ADDRESS), ContactFactory(email=OTHER)]
    for person in people:
        EventFactory(contact=person, source="api:1", idempotency_key=f"view:{person.email}:SKU-1")

    for person in people:
        contact_erase(contact=person, user=None, reason="Ticket 4711")

    keys = set(Event.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == 2
    assert not any(ADDRESS in key or OTHER in key for key in keys)
