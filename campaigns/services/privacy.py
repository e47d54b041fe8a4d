"""GDPR: export one contact's personal data (Art. 15, 20) and erase one contact (Art. 17).

Both are audited in Wagtail's log ("campaigns.contact.export", "campaigns.contact.erase")
under the title "Contact #<id>" and without the address, so the audit outlives the erasure.
A user of None is the system (the management commands).

Erasure keeps what the hub must keep and nothing else:

- the address's suppression, as a hash (the existing one, or a new "suppressed by hand" one
  with source "erasure"), so the address is never mailed again, even if it is imported anew;
- the contact's events (opens and clicks included) and orders without the person
  (``contact`` is cleared; account and campaign stay, so campaign figures stay true; event
  data is cut to non-personal keys);
- its deliveries without the person (``contact`` cleared, the address scrubbed from the
  server's reply in ``detail``), so a campaign's sent, open and click counts stay true;
- the tracking hits of those deliveries (each open and click) with their time and
  classification, without the network address and user agent, the address scrubbed from
  clicked URLs;
- audit log entries, their titles rewritten to "Contact #<id>".

The contact leaves the segment state (every contact set, its order days, saved segments'
members) in the erasure's own transaction, so no count includes it afterwards.

Consent records, phase history, list memberships, ignored bounces of the address (kept by
hash) and the contact row are deleted. Import files that name the address are deleted (the
job row stays, with its counts, and says why its file is gone); the address is scrubbed
from the imports' error rows and messages and from sync errors. Each channel deletes what
it kept itself (the file mail transport its ``.eml`` copies).
"""

from __future__ import annotations

import datetime
import io
import logging
import re
import zipfile
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from campaigns.models import (
    ConsentRecord,
    Contact,
    Delivery,
    Event,
    EventKind,
    IgnoredFeedback,
    ImportJob,
    ImportStatus,
    Order,
    PhaseChange,
    SegmentMember,
    SnapshotMember,
    Suppression,
    SuppressionReason,
    SyncState,
    TrackingHit,
)
from campaigns.services.segment_state import segment_state_forget
from channels.registry import get_channels

logger = logging.getLogger(__name__)

EXPORT_ACTION = "campaigns.contact.export"
ERASE_ACTION = "campaigns.contact.erase"
ERASURE_SOURCE = "erasure"
# Event data keys that never identify a person; everything else is dropped on erasure.
EVENT_DATA_KEPT_ON_ERASURE = frozenset({"order_number", "variant", "arm", "classification", "bot"})
# What stands where an erased address was in a text the hub keeps (a server's reply, an error).
ERASED = "[erased]"
FILE_ERASED_MESSAGE = (
    "The stored file was deleted when a contact it named was erased (GDPR). "
    "Upload the file again without them to import it."
)


def audit_title(contact_id: int) -> str:
    return f"Contact #{contact_id}"


# A contact's own fields, in the order the export writes them and the admin's inspect page
# shows them.
CONTACT_FIELDS = (
    "email",
    "salutation",
    "first_name",
    "last_name",
    "language",
    "role",
    "phase",
    "phase_changed_at",
    "consent",
    "consent_changed_at",
    "timezone",
    "crm_id",
    "external_id",
    "created_at",
    "updated_at",
)


def _value(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj, fields: list[str]) -> dict[str, Any]:
    return {name: _value(getattr(obj, name)) for name in fields}


def contact_export_data(*, contact: Contact, user=None) -> dict[str, Any]:
    """Everything the hub holds about one contact, JSON-serialisable, and audit it."""
    contact = Contact.objects.select_related("account").get(pk=contact.pk)
    suppression = Suppression.objects.filter(email_hash=contact.email_hash).first()
    orders = Order.objects.filter(contact=contact).prefetch_related("lines").order_by("ordered_at")
    data = {
        "exported_at": timezone.now().isoformat(),
        "contact": _row(contact, ["id", *CONTACT_FIELDS]),
        "account": (
            _row(contact.account, ["id", "name", "customer_number", "country"])
            if contact.account
            else None
        ),
        "suppression": (
            _row(suppression, ["reason", "source", "created_at"]) if suppression else None
        ),
        "consent_records": [
            _row(record, ["kind", "at", "ip_address", "user_agent", "source", "text_version"])
            for record in ConsentRecord.objects.filter(contact=contact).order_by("at", "pk")
        ],
        "phase_changes": [
            _row(change, ["from_phase", "to_phase", "changed_at", "reason"])
            for change in PhaseChange.objects.filter(contact=contact).order_by("changed_at", "pk")
        ],
        "events": [
            {
                **_row(event, ["kind", "occurred_at", "sku", "campaign_id", "value", "source"]),
                "data": event.data,
            }
            for event in Event.objects.filter(contact=contact).order_by("occurred_at", "pk")
        ],
        "orders": [
            {
                **_row(
                    order,
                    ["source", "external_id", "ordered_at", "currency", "revenue", "campaign_id"],
                ),
                "lines": [
                    _row(line, ["sku", "quantity", "unit_price", "line_total"])
                    for line in order.lines.all()
                ],
            }
            for order in orders
        ],
        "deliveries": [
            {
                "campaign": delivery.campaign.name,
                **_row(
                    delivery,
                    ["campaign_id", "channel", "state", "sent_at", "opened_at", "clicked_at"],
                ),
            }
            for delivery in Delivery.objects.filter(contact=contact)
            .select_related("campaign")
            .order_by("created_at", "pk")
        ],
        "opens": [
            _row(event, ["occurred_at", "campaign_id"])
            for event in Event.objects.filter(contact=contact, kind=EventKind.EMAIL_OPEN).order_by(
                "occurred_at", "pk"
            )
        ],
        "clicks": [
            {**_row(event, ["occurred_at", "campaign_id"]), "url": event.data.get("url", "")}
            for event in Event.objects.filter(contact=contact, kind=EventKind.EMAIL_CLICK).order_by(
                "occurred_at", "pk"
            )
        ],
        "tracking": [
            _row(hit, ["kind", "at", "ip", "user_agent", "url", "classification"])
            for hit in TrackingHit.objects.filter(delivery__contact=contact).order_by("at", "pk")
        ],
        "segments": [
            {"segment": member.segment.name, "added_at": _value(member.added_at)}
            for member in SegmentMember.objects.filter(contact=contact)
            .select_related("segment")
            .order_by("added_at", "pk")
        ],
    }
    log(
        instance=contact,
        action=EXPORT_ACTION,
        user=user,
        title=audit_title(contact.pk),
        data={"contact_id": contact.pk},
    )
    logger.info(
        "privacy.exported contact=%s user=%s", contact.pk, getattr(user, "pk", None) or "system"
    )
    return data


def _anonymised(data: dict) -> dict:
    return {key: value for key, value in data.items() if key in EVENT_DATA_KEPT_ON_ERASURE}


def _scrub(value: Any, pattern: re.Pattern) -> Any:
    """``value`` (text, or JSON of lists and dicts) with every match of ``pattern`` erased."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, pattern) for key, item in value.items()}
    return value


def _scrub_rows(queryset, fields: list[str], pattern: re.Pattern, address: str) -> int:
    """Erase the address from ``fields`` of the rows that hold it; how many rows changed."""
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": address})
    rows = list(queryset.filter(condition))
    for row in rows:
        for name in fields:
            setattr(row, name, _scrub(getattr(row, name), pattern))
    if rows:
        type(rows[0]).objects.bulk_update(rows, fields, batch_size=500)
    return len(rows)


def _file_mentions(field_file, needle: bytes) -> bool:
    """Whether a stored CSV or XLSX file holds ``needle`` (lower case), in any cell."""
    with field_file.open("rb") as stream:
        data = stream.read()
    if needle in data.lower():
        return True
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return False
    # An .xlsx is a zip of XML parts: the cells' texts are readable only once unpacked.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(needle in archive.read(name).lower() for name in archive.namelist())


def _erase_import_files(address: str, pattern: re.Pattern) -> dict[str, int]:
    """Delete stored import files naming the address; scrub it from the jobs' texts."""
    needle = address.encode()
    files_deleted = 0
    for job in ImportJob.objects.select_for_update().exclude(file=""):
        if not job.file.storage.exists(job.file.name) or not _file_mentions(job.file, needle):
            continue
        job.file.delete(save=False)
        job.message = FILE_ERASED_MESSAGE
        if job.status not in (ImportStatus.DONE, ImportStatus.FAILED):
            # Its file is gone: it can never run, and must not bring the person back.
            job.status = ImportStatus.FAILED
            job.finished_at = timezone.now()
        job.save(update_fields=["file", "message", "status", "finished_at"])
        files_deleted += 1
    jobs_scrubbed = _scrub_rows(
        ImportJob.objects.all(), ["original_name", "errors", "message"], pattern, address
    )
    return {"import_files_deleted": files_deleted, "import_jobs_scrubbed": jobs_scrubbed}


@transaction.atomic
def contact_erase(*, contact: Contact, user=None, reason: str) -> dict[str, Any]:
    """Erase a contact's personal data for good, keeping its suppression as a hashed tombstone.

    Returns what was done (counts), which is also the audit entry's data.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("An erasure needs a reason (the request it answers).")
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    contact_id = contact.pk
    # Out of every segment set and order day now, in this transaction: a maintenance run
    # holding the state's lock finishes first, and cannot put the contact back.
    segment_state_forget([contact_id])

    suppression, created = Suppression.objects.get_or_create(
        email_hash=contact.email_hash,
        defaults={"reason": SuppressionReason.MANUAL, "source": ERASURE_SOURCE},
    )
    address = contact.email
    pattern = re.compile(re.escape(address), re.IGNORECASE)
    events = Event.objects.filter(contact=contact)
    with_data = [event for event in events.exclude(data={}).only("pk", "data")]
    for event in with_data:
        event.data = _anonymised(event.data)
    Event.objects.bulk_update(with_data, ["data"], batch_size=500)
    # A channel system may have built its idempotency key from the address. The key stays
    # unique per source, so each one gets its own stand-in, not a shared "[erased]".
    keyed = list(events.filter(idempotency_key__icontains=address).only("pk", "idempotency_key"))
    for event in keyed:
        event.idempotency_key = pattern.sub(f"{ERASED}#{event.pk}", event.idempotency_key)[:100]
    Event.objects.bulk_update(keyed, ["idempotency_key"], batch_size=500)
    events_count = events.update(contact=None)
    orders_count = Order.objects.filter(contact=contact).update(contact=None)
    deliveries = Delivery.objects.filter(contact=contact)
    _scrub_rows(deliveries, ["detail"], pattern, address)
    hits = TrackingHit.objects.filter(delivery__contact=contact)
    _scrub_rows(hits, ["url"], pattern, address)
    hits_count = hits.update(ip=None, user_agent="")
    deliveries_count = deliveries.update(contact=None)
    deleted = {
        "consent_records": ConsentRecord.objects.filter(contact=contact).delete()[0],
        "phase_changes": PhaseChange.objects.filter(contact=contact).delete()[0],
        "segment_memberships": SegmentMember.objects.filter(contact=contact).delete()[0],
        "snapshot_memberships": SnapshotMember.objects.filter(contact=contact).delete()[0],
        "ignored_feedback": IgnoredFeedback.objects.filter(email_hash=contact.email_hash).delete()[
            0
        ],
    }
    scrubbed = {
        "sync_errors_scrubbed": _scrub_rows(
            SyncState.objects.all(), ["last_error", "cursor", "stats"], pattern, address
        ),
        **_erase_import_files(address, pattern),
    }
    # Last, once every row is done: a file deleted cannot come back if the commit failed,
    # but then the person is still there to be erased again.
    channel_items = {
        key: count
        for key, channel in get_channels().items()
        if (count := channel.forget_recipient(email=address))
    }
    summary = {
        "contact_id": contact_id,
        "reason": reason,
        "suppression": suppression.reason,
        "suppression_created": created,
        "events_anonymised": events_count,
        "orders_anonymised": orders_count,
        "deliveries_anonymised": deliveries_count,
        "tracking_hits_anonymised": hits_count,
        **deleted,
        **scrubbed,
        "channel_items_deleted": channel_items,
    }
    # Earlier entries (created, edited) carry the name and address in their title.
    ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Contact), object_id=str(contact_id)
    ).update(label=audit_title(contact_id))
    log(
        instance=contact,
        action=ERASE_ACTION,
        user=user,
        title=audit_title(contact_id),
        data=summary,
        deleted=True,
    )
    contact.delete()
    logger.info(
        "privacy.erased contact=%s user=%s events=%s orders=%s",
        contact_id,
        getattr(user, "pk", None) or "system",
        events_count,
        orders_count,
    )
    return summary


def tracking_hits_anonymise_old(*, now: datetime.datetime | None = None) -> int:
    """Blank the address and user agent of hits older than HUB_TRACKING_HIT_RETENTION_DAYS.

    They served to classify the hit, which is kept with its time for the figures. Returns
    how many hits were blanked.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.HUB_TRACKING_HIT_RETENTION_DAYS)
    count = (
        TrackingHit.objects.filter(at__lt=cutoff)
        .filter(Q(ip__isnull=False) | ~Q(user_agent=""))
        .update(ip=None, user_agent="")
    )
    if count:
        logger.info("privacy.tracking_hits_anonymised count=%s before=%s", count, cutoff.date())
    return count
