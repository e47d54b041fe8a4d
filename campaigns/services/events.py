"""Recording what contacts did: behaviour events and orders reported by other systems.

Used by the intake API, and later by tracking and the CRM/ERP syncs, so nothing here knows
about HTTP. Inputs arrive already shaped (typed dataclasses); these services resolve their
references in bulk, report per item what they could not store, and store the rest.

A batch costs a constant number of queries, whatever its size: one lookup per kind of
reference, one read of what is already stored, bulk writes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.measurement.recording import events_counted, orders_counted
from campaigns.models import (
    Account,
    Campaign,
    Contact,
    Event,
    EventKind,
    Order,
    OrderLine,
    OrderSource,
    normalise_email,
)
from campaigns.offers.refresh import offers_refresh_later
from campaigns.placements.audience import placement_audience_stale_on_commit
from campaigns.services.segment_state import (
    segment_state_note_events,
    segment_state_note_orders,
)
from content.selectors import category_ids

logger = logging.getLogger(__name__)

# Clocks of reporting systems drift; anything later than this is a bad timestamp.
FUTURE_TOLERANCE = timedelta(minutes=10)
CENT = Decimal("0.01")
# Concurrent batches with overlapping keys: retry the insert this often before giving up.
INSERT_ATTEMPTS = 3


@dataclass(frozen=True)
class ContactRef:
    """Who did it: exactly one of the three identifiers."""

    email: str = ""
    external_id: str = ""
    crm_id: str = ""

    @property
    def field(self) -> str:
        if self.email:
            return "contact.email"
        return "contact.external_id" if self.external_id else "contact.crm_id"

    def describe(self) -> str:
        return self.email or self.external_id or self.crm_id


@dataclass(frozen=True)
class EventInput:
    key: str  # the reporter's idempotency key
    kind: str
    occurred_at: datetime
    contact: ContactRef
    customer_number: str = ""
    sku: str = ""
    category: str = ""  # slug
    campaign_id: int | None = None
    value: Decimal | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderLineInput:
    sku: str
    quantity: Decimal
    unit_price: Decimal

    @property
    def line_total(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class OrderInput:
    order_number: str
    ordered_at: datetime
    currency: str
    lines: tuple[OrderLineInput, ...] = ()
    contact: ContactRef | None = None
    customer_number: str = ""
    campaign_id: int | None = None
    revenue: Decimal | None = None  # None: the sum of the lines

    @property
    def total(self) -> Decimal:
        if self.revenue is not None:
            return self.revenue.quantize(CENT, rounding=ROUND_HALF_UP)
        return sum((line.line_total for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class ItemError:
    """Why the item at ``index`` of the given sequence was not stored."""

    index: int
    key: str
    field: str | None
    detail: str


@dataclass
class EventsResult:
    accepted: int = 0
    duplicates: int = 0
    errors: list[ItemError] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)


@dataclass
class OrdersResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ItemError] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)


# --- references ---------------------------------------------------------------------------


@dataclass
class _References:
    """Everything a batch refers to, fetched with one query per kind."""

    contacts_by_email: dict[str, tuple[int, int | None]]
    contacts_by_external_id: dict[str, tuple[int, int | None]]
    contacts_by_crm_id: dict[str, tuple[int, int | None]]
    accounts: dict[str, int]
    categories: dict[str, int]
    campaigns: set[int]

    def contact(self, ref: ContactRef) -> tuple[int, int | None] | None:
        """(contact id, its account id), or None when no contact has that identifier."""
        if ref.email:
            return self.contacts_by_email.get(normalise_email(ref.email))
        if ref.external_id:
            return self.contacts_by_external_id.get(ref.external_id)
        return self.contacts_by_crm_id.get(ref.crm_id)


def _fetch_references(
    contacts: Sequence[ContactRef],
    customer_numbers: set[str],
    category_slugs: set[str],
    campaign_ids: set[int],
) -> _References:
    emails = {normalise_email(ref.email) for ref in contacts if ref.email}
    external_ids = {ref.external_id for ref in contacts if ref.external_id}
    crm_ids = {ref.crm_id for ref in contacts if ref.crm_id}
    references = _References({}, {}, {}, {}, {}, set())
    condition = Q()
    if emails:
        condition |= Q(email__in=emails)
    if external_ids:
        condition |= Q(external_id__in=external_ids)
    if crm_ids:
        condition |= Q(crm_id__in=crm_ids)
    if condition:
        rows = Contact.objects.filter(condition).values_list(
            "pk", "account_id", "email", "external_id", "crm_id"
        )
        for pk, account_id, email, external_id, crm_id in rows:
            found = (pk, account_id)
            references.contacts_by_email[email] = found
            if external_id:
                references.contacts_by_external_id[external_id] = found
            if crm_id:
                references.contacts_by_crm_id[crm_id] = found
    if customer_numbers:
        references.accounts = dict(
            Account.objects.filter(customer_number__in=customer_numbers).values_list(
                "customer_number", "pk"
            )
        )
    if category_slugs:
        references.categories = category_ids(category_slugs)
    if campaign_ids:
        references.campaigns = set(
            Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", flat=True)
        )
    return references


def _too_late(moment: datetime, now: datetime) -> bool:
    return moment > now + FUTURE_TOLERANCE


def _insert_once(events: list[Event]) -> tuple[list[Event], int]:
    """Insert the events whose (source, key) is not stored yet; return them and the rest's count.

    Duplicates are found by reading first, so they are counted exactly. A concurrent batch
    may store one of the keys between the read and the insert: the insert then fails as a
    whole (in its own savepoint) and is retried without the keys now stored.
    """
    pending = events
    for _attempt in range(INSERT_ATTEMPTS):
        stored = _stored_keys(pending)
        fresh = [event for event in pending if (event.source, event.idempotency_key) not in stored]
        try:
            with transaction.atomic():
                Event.objects.bulk_create(fresh)
                segment_state_note_events((event.occurred_at, event.contact_id) for event in fresh)
        except IntegrityError:
            continue
        return fresh, len(events) - len(fresh)
    raise IntegrityError("event.insert_conflict: concurrent batches kept storing the same keys")


def _stored_keys(events: list[Event]) -> set[tuple[str, str]]:
    by_source: dict[str, set[str]] = {}
    for event in events:
        by_source.setdefault(event.source, set()).add(event.idempotency_key)
    condition = Q()
    for source, keys in by_source.items():
        condition |= Q(source=source, idempotency_key__in=keys)
    if not condition:
        return set()
    return set(Event.objects.filter(condition).values_list("source", "idempotency_key"))


def _enqueue_journey(contact_ids: set[int]) -> list[int]:
    """After commit: the journey engine looks at these contacts, and their placement
    segments are recomputed (they may have just entered or left one)."""
    from campaigns.tasks import journey_evaluate_contacts

    ids = sorted(contact_ids)
    if ids:
        transaction.on_commit(lambda: journey_evaluate_contacts.delay(ids))
        placement_audience_stale_on_commit(ids)
    return ids


# --- events -------------------------------------------------------------------------------


def events_record(*, source: str, items: Sequence[EventInput]) -> EventsResult:
    """Store each event whose references resolve, once per (source, key).

    An event already stored under the same source and key (a retry, or a repeat within the
    batch) is a duplicate: counted, not stored again, whatever its content. An event whose
    contact, account, category or campaign is unknown, or that lies in the future, is
    reported in ``errors`` with its index; the others are stored all the same. The hub does
    not create contacts from reported behaviour. Afterwards, the journey engine looks at the
    contacts that did something new.
    """
    now = timezone.now()
    references = _fetch_references(
        [item.contact for item in items],
        {item.customer_number for item in items if item.customer_number},
        {item.category for item in items if item.category},
        {item.campaign_id for item in items if item.campaign_id is not None},
    )
    result = EventsResult()
    candidates: list[Event] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        problem = _event_problem(item, references, now)
        if problem:
            result.errors.append(ItemError(index, item.key, *problem))
            continue
        if item.key in seen:
            result.duplicates += 1
            continue
        seen.add(item.key)
        contact_id, contact_account_id = references.contact(item.contact)
        account_id = (
            references.accounts[item.customer_number]
            if item.customer_number
            else contact_account_id
        )
        candidates.append(
            Event(
                contact_id=contact_id,
                account_id=account_id,
                kind=item.kind,
                occurred_at=item.occurred_at,
                sku=item.sku,
                category_id=references.categories.get(item.category) if item.category else None,
                campaign_id=item.campaign_id,
                value=item.value,
                data=item.data,
                source=source,
                idempotency_key=item.key,
            )
        )
    with transaction.atomic():
        stored, duplicates = _insert_once(candidates)
        events_counted(stored)
        result.accepted = len(stored)
        result.duplicates += duplicates
        result.contact_ids = _enqueue_journey({event.contact_id for event in stored})
    logger.info(
        "events.recorded source=%s accepted=%s duplicates=%s errors=%s",
        source,
        result.accepted,
        result.duplicates,
        len(result.errors),
    )
    return result


def events_record_resolved(*, events: Sequence[Event]) -> EventsResult:
    """Store events whose contact, account and campaign the caller resolved, once per key.

    For the hub's own sources that know their references already (delivery feedback): an
    event may have no contact (a bounce of an erased contact's mail still counts). An event
    whose (source, key) is stored already is counted as a duplicate and not stored again.
    Afterwards, as for ``events_record``, the journey engine looks at the contacts that did
    something new.
    """
    result = EventsResult()
    with transaction.atomic():
        stored, result.duplicates = _insert_once(list(events))
        events_counted(stored)
        result.accepted = len(stored)
        result.contact_ids = _enqueue_journey(
            {event.contact_id for event in stored if event.contact_id is not None}
        )
    return result


def _event_problem(
    item: EventInput, references: _References, now: datetime
) -> tuple[str, str] | None:
    if not item.key:
        return "id", "An event needs an id (its idempotency key)."
    if item.kind not in EventKind.values:
        return "type", f"Unknown event type {item.kind!r}."
    if _too_late(item.occurred_at, now):
        return "occurred_at", "Lies in the future."
    if references.contact(item.contact) is None:
        return item.contact.field, f"No contact {item.contact.describe()!r}."
    if item.customer_number and item.customer_number not in references.accounts:
        return "customer_number", f"No account with customer number {item.customer_number!r}."
    if item.category and item.category not in references.categories:
        return "category", f"No category with slug {item.category!r}."
    if item.campaign_id is not None and item.campaign_id not in references.campaigns:
        return "campaign", f"No campaign {item.campaign_id}."
    return None


# --- orders -------------------------------------------------------------------------------


def order_event_source(order_source: str) -> str:
    """The event source of the ``order`` events mirroring orders of one order source."""
    return f"order:{order_source}"


def orders_record(
    *, source: OrderSource | str, items: Sequence[OrderInput], reported_by: str = ""
) -> OrdersResult:
    """Create or update each order by (source, order number), with its lines.

    An order sent again as stored is ``unchanged`` and not written; a changed one is
    updated and its lines replaced. Every stored order has exactly one ``order`` event
    (value: the revenue), kept in step with the order, so KPIs and journeys read orders like
    any other behaviour. Unknown contacts, accounts or campaigns, order numbers repeated in
    the batch and future dates are reported per item; the other orders are stored.
    """
    now = timezone.now()
    references = _fetch_references(
        [item.contact for item in items if item.contact is not None],
        {item.customer_number for item in items if item.customer_number},
        set(),
        {item.campaign_id for item in items if item.campaign_id is not None},
    )
    result = OrdersResult()
    resolved: dict[str, tuple[OrderInput, int | None, int | None]] = {}
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        problem = _order_problem(item, references, now, first_index.get(item.order_number))
        first_index.setdefault(item.order_number, index)
        if problem:
            result.errors.append(ItemError(index, item.order_number, *problem))
            continue
        contact_id, account_id = (
            references.contact(item.contact) if item.contact is not None else (None, None)
        )
        if item.customer_number:
            account_id = references.accounts[item.customer_number]
        resolved[item.order_number] = (item, contact_id, account_id)

    for attempt in range(INSERT_ATTEMPTS):
        try:
            with transaction.atomic():
                counts, contact_ids = _write_orders(str(source), resolved, reported_by)
        except IntegrityError:
            # A concurrent batch created one of these orders first: read again, update it.
            if attempt == INSERT_ATTEMPTS - 1:
                raise
            continue
        break
    result.created, result.updated, result.unchanged = counts
    result.contact_ids = contact_ids
    logger.info(
        "orders.recorded source=%s reported_by=%s created=%s updated=%s unchanged=%s errors=%s",
        source,
        reported_by,
        result.created,
        result.updated,
        result.unchanged,
        len(result.errors),
    )
    return result


def _order_problem(
    item: OrderInput, references: _References, now: datetime, repeated_from: int | None
) -> tuple[str, str] | None:
    if repeated_from is not None:
        return "order_number", f"Repeats the order at index {repeated_from} of this batch."
    if _too_late(item.ordered_at, now):
        return "ordered_at", "Lies in the future."
    if item.contact is None and not item.customer_number:
        return "contact", "Name the contact or the account's customer_number."
    if item.contact is not None and references.contact(item.contact) is None:
        return item.contact.field, f"No contact {item.contact.describe()!r}."
    if item.customer_number and item.customer_number not in references.accounts:
        return "customer_number", f"No account with customer number {item.customer_number!r}."
    if item.campaign_id is not None and item.campaign_id not in references.campaigns:
        return "campaign", f"No campaign {item.campaign_id}."
    return None


def _line_tuples(lines) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [
        (line.sku, Decimal(line.quantity), Decimal(line.unit_price), Decimal(line.line_total))
        for line in lines
    ]


_ORDER_FIELDS = ("account_id", "contact_id", "campaign_id", "ordered_at", "currency", "revenue")


def _write_orders(
    source: str,
    resolved: dict[str, tuple[OrderInput, int | None, int | None]],
    reported_by: str,
) -> tuple[tuple[int, int, int], list[int]]:
    existing = {
        order.external_id: order
        for order in Order.objects.filter(source=source, external_id__in=list(resolved))
    }
    stored_lines: dict[int, list[OrderLine]] = {}
    for line in OrderLine.objects.filter(order__in=existing.values()).order_by("order_id", "pk"):
        stored_lines.setdefault(line.order_id, []).append(line)

    created: list[Order] = []
    changed: list[Order] = []
    unchanged = 0
    moved_from: set[int | None] = set()
    # The days and contacts an order leaves when its date or contact changes.
    left: list[tuple[datetime, int | None]] = []
    lines_of: dict[str, tuple[OrderLineInput, ...]] = {}
    for number, (item, contact_id, account_id) in resolved.items():
        values = {
            "account_id": account_id,
            "contact_id": contact_id,
            "campaign_id": item.campaign_id,
            "ordered_at": item.ordered_at,
            "currency": item.currency,
            "revenue": item.total,
        }
        order = existing.get(number)
        if order is None:
            created.append(Order(source=source, external_id=number, **values))
            lines_of[number] = item.lines
            continue
        same_lines = _line_tuples(stored_lines.get(order.pk, [])) == _line_tuples(item.lines)
        if same_lines and all(getattr(order, name) == value for name, value in values.items()):
            unchanged += 1
            continue
        moved_from.add(order.account_id)  # an order moved to another account leaves this one
        left.append((order.ordered_at, order.contact_id))
        for name, value in values.items():
            setattr(order, name, value)
        changed.append(order)
        lines_of[number] = item.lines

    now = timezone.now()
    Order.objects.bulk_create(created)
    if changed:
        for order in changed:
            order.updated_at = now  # bulk_update skips auto_now
        Order.objects.bulk_update(changed, [*_ORDER_FIELDS, "updated_at"])
        OrderLine.objects.filter(order__in=changed).delete()
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.line_total,
        )
        for order in (*created, *changed)
        for line in lines_of[order.external_id]
    )
    segment_state_note_orders(
        [*left, *((order.ordered_at, order.contact_id) for order in (*created, *changed))]
    )
    _mirror_as_events(source, created, changed, reported_by)
    orders_counted([order.pk for order in (*created, *changed)])
    contact_ids = _enqueue_journey(
        {order.contact_id for order in (*created, *changed) if order.contact_id}
    )
    offers_refresh_later(moved_from | {order.account_id for order in (*created, *changed)})
    return (len(created), len(changed), unchanged), contact_ids


def _order_event_values(order: Order) -> dict[str, Any]:
    return {
        "contact_id": order.contact_id,
        "account_id": order.account_id,
        "campaign_id": order.campaign_id,
        "occurred_at": order.ordered_at,
        "value": order.revenue,
    }


def _mirror_as_events(
    source: str, created: list[Order], changed: list[Order], reported_by: str
) -> None:
    event_source = order_event_source(source)
    if created:
        _insert_once(
            [
                Event(
                    kind=EventKind.ORDER,
                    source=event_source,
                    idempotency_key=order.external_id,
                    data={"order_number": order.external_id, "reported_by": reported_by},
                    **_order_event_values(order),
                )
                for order in created
            ]
        )
    if changed:
        by_number = {order.external_id: order for order in changed}
        events = list(
            Event.objects.filter(
                kind=EventKind.ORDER, source=event_source, idempotency_key__in=list(by_number)
            )
        )
        moments = []  # the event's day and contact before and after
        for event in events:
            moments.append((event.occurred_at, event.contact_id))
            for name, value in _order_event_values(by_number[event.idempotency_key]).items():
                setattr(event, name, value)
            moments.append((event.occurred_at, event.contact_id))
        Event.objects.bulk_update(
            events, ["contact_id", "account_id", "campaign_id", "occurred_at", "value"]
        )
        segment_state_note_events(moments)
        missing = set(by_number) - {event.idempotency_key for event in events}
        if missing:
            _insert_once(
                [
                    Event(
                        kind=EventKind.ORDER,
                        source=event_source,
                        idempotency_key=number,
                        data={"order_number": number, "reported_by": reported_by},
                        **_order_event_values(by_number[number]),
                    )
                    for number in sorted(missing)
                ]
            )
