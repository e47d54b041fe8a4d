"""GDPR: export one contact's personal data (Art. 15, 20) and erase one contact (Art. 17).

Both are audited in Wagtail's log ("campaigns.contact.export", "campaigns.contact.erase")
under the title "Contact #<id>" and without the address, so the audit outlives the erasure.
A user of None is the system (the management commands).

Erasure keeps what the hub must keep and nothing else:

- the address's suppression, as a hash (the existing one, or a new "suppressed by hand" one
  with source "erasure"), so the address is never mailed again, even if it is imported anew;
- the contact's events and orders without the person (``contact`` is cleared; account and
  campaign stay, so campaign figures stay true; event data is cut to non-personal keys);
- audit log entries, their titles rewritten to "Contact #<id>".

Consent records, phase history, list memberships and the contact row are deleted.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from campaigns.models import (
    ConsentRecord,
    Contact,
    Event,
    Order,
    PhaseChange,
    SegmentMember,
    SnapshotMember,
    Suppression,
    SuppressionReason,
)

logger = logging.getLogger(__name__)

EXPORT_ACTION = "campaigns.contact.export"
ERASE_ACTION = "campaigns.contact.erase"
ERASURE_SOURCE = "erasure"
# Event data keys that never identify a person; everything else is dropped on erasure.
EVENT_DATA_KEPT_ON_ERASURE = frozenset({"order_number", "variant", "arm"})


def audit_title(contact_id: int) -> str:
    return f"Contact #{contact_id}"


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
        "contact": _row(
            contact,
            [
                "id",
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
            ],
        ),
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

    suppression, created = Suppression.objects.get_or_create(
        email_hash=contact.email_hash,
        defaults={"reason": SuppressionReason.MANUAL, "source": ERASURE_SOURCE},
    )
    events = Event.objects.filter(contact=contact)
    with_data = [event for event in events.exclude(data={}).only("pk", "data")]
    for event in with_data:
        event.data = _anonymised(event.data)
    Event.objects.bulk_update(with_data, ["data"], batch_size=500)
    events_count = events.update(contact=None)
    orders_count = Order.objects.filter(contact=contact).update(contact=None)
    deleted = {
        "consent_records": ConsentRecord.objects.filter(contact=contact).delete()[0],
        "phase_changes": PhaseChange.objects.filter(contact=contact).delete()[0],
        "segment_memberships": SegmentMember.objects.filter(contact=contact).delete()[0],
        "snapshot_memberships": SnapshotMember.objects.filter(contact=contact).delete()[0],
    }
    summary = {
        "contact_id": contact_id,
        "reason": reason,
        "suppression": suppression.reason,
        "suppression_created": created,
        "events_anonymised": events_count,
        "orders_anonymised": orders_count,
        **deleted,
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
