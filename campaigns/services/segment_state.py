"""Writes to the segment state: marks from intakes, the maintenance run, erasure, the sweep.

The bitmap backend (``campaigns.segments.bitmaps``) reads contact sets per day, month and
attribute (with count levels: "at least 2, 3, ... times" per day and month), order totals
and (contact, SKU) pairs of views and purchases per day and month. They are kept up to
date like this:

- **Marks.** Every intake that changes events, orders or what a contact is (role, phase,
  consent, account, suppression) calls a ``segment_state_note_*`` function in its own
  transaction: one ``SegmentChange`` row per day (or for attributes) holding the ids it
  touched. Nothing is rebuilt per event: setting one bit would rewrite a whole set.
- **Maintenance** (``segment_state_refresh``, beat, every 30 s): takes the marks, rebuilds
  the marked days' sets, totals and pairs from the events and orders (a few queries per
  day), their months (the OR of the days; levels counted from the days' levels; totals and
  pairs merged), and the touched contacts' attribute sets; then rechecks every saved
  segment for the touched contacts only, and stores its members and count. When the day
  turns, windows move, and every segment is computed again.
- **Erasure** removes a contact from every set, order total and product pair in the same
  transaction that erases it (``segment_state_forget``).
- **The nightly sweep** (``segment_state_rebuild``) builds everything again from the events,
  orders and contacts: whatever a write outside the services changed is honest again by
  morning. The first maintenance run on a new installation does the same.

Maintenance, sweep and erasure lock the one ``SegmentState`` row, so they never interleave:
a set rebuilt from events read before an erasure cannot put the erased contact back.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Subquery
from django.utils import timezone
from pyroaring import BitMap

from campaigns.models import (
    BitmapSpan,
    ChangeKind,
    ConsentState,
    Contact,
    ContactBitmap,
    Event,
    EventKind,
    Order,
    OrderLine,
    OrderTotals,
    PairKind,
    ProductPairs,
    Segment,
    SegmentChange,
    SegmentState,
    SkuCode,
    Suppression,
)
from campaigns.segments import day_start, local_day
from campaigns.segments import pairs as product_pairs
from campaigns.segments import totals as order_totals
from campaigns.segments.backends import BitmapBackend
from campaigns.segments.bitmaps import (
    ACCOUNT_ATTRIBUTES,
    ALL,
    CONTACT_ATTRIBUTES,
    LEVELS,
    ORDERED,
    REACHABLE,
    VIEWED_PRODUCT,
    attribute_key,
    count_levels,
    event_key,
    from_bytes,
    id_lists,
    level_key,
    level_keys,
    month_start,
    next_month,
    to_bytes,
    union,
)
from campaigns.services.segments import segment_counts_refresh

logger = logging.getLogger(__name__)

# Marks taken per maintenance run; the rest wait for the next one.
MARKS_PER_RUN = 10_000
CHUNK = 5_000
# Keys counted in levels ("at least 2 times that day", ...), and every key a day holds.
LEVELED = [event_key(kind) for kind in EventKind.values] + [ORDERED]
EVENT_KEYS = [key for kind in EventKind.values for key in level_keys(event_key(kind))]
EVENT_KEYS.append(VIEWED_PRODUCT)
ORDER_KEYS = level_keys(ORDERED)
# The levels above 1 ("at least 2 times", ...): a month's are counted, not ORed, from its days.
COUNTED_LEVELS = {name for key in LEVELED for name in level_keys(key)[1:]}

# --- marks ------------------------------------------------------------------------------------


def _note(kind: str, by_day: dict[dt.date | None, set[int]]) -> int:
    changes = [
        SegmentChange(kind=kind, day=day, contacts=to_bytes(BitMap(ids)))
        for day, ids in by_day.items()
        if ids
    ]
    SegmentChange.objects.bulk_create(changes)
    return len(changes)


def _by_day(pairs: Iterable[tuple[dt.datetime, int | None]]) -> dict[dt.date, set[int]]:
    by_day: dict[dt.date, set[int]] = defaultdict(set)
    for moment, contact_id in pairs:
        if contact_id is not None:
            by_day[local_day(moment)].add(contact_id)
    return by_day


def segment_state_note_events(pairs: Iterable[tuple[dt.datetime, int | None]]) -> int:
    """Mark the days of new or changed events: ``(occurred_at, contact_id)`` pairs."""
    return _note(ChangeKind.EVENTS, _by_day(pairs))


def segment_state_note_orders(pairs: Iterable[tuple[dt.datetime, int | None]]) -> int:
    """Mark the days of new or changed orders: ``(ordered_at, contact_id)`` pairs; for a
    changed order, its old day and contact too."""
    return _note(ChangeKind.ORDERS, _by_day(pairs))


def segment_state_note_contacts(contact_ids: Iterable[int | None]) -> int:
    """Mark contacts whose role, phase, language, consent, account or address changed (or
    who were created or deleted)."""
    return _note(ChangeKind.ATTRIBUTES, {None: {pk for pk in contact_ids if pk is not None}})


def segment_state_note_accounts(account_ids: Iterable[int]) -> int:
    """Mark the contacts of accounts whose industry, country, size or price group changed."""
    ids = Contact.objects.filter(account_id__in=list(account_ids)).values_list("pk", flat=True)
    return segment_state_note_contacts(ids)


def segment_state_note_addresses(email_hashes: Iterable[str]) -> int:
    """Mark the contacts of addresses suppressed or released."""
    ids = Contact.objects.filter(email_hash__in=list(email_hashes)).values_list("pk", flat=True)
    return segment_state_note_contacts(ids)


# --- building sets ----------------------------------------------------------------------------


def _replace(span: str, period: dt.date | None, sets: dict[str, BitMap], keys: Iterable[str]):
    """Store ``sets`` for these keys of one span and period; keys without contacts go."""
    keys = list(keys)
    ContactBitmap.objects.filter(span=span, period=period, key__in=keys).delete()
    ContactBitmap.objects.bulk_create(
        ContactBitmap(span=span, period=period, key=key, bits=to_bytes(bits), size=len(bits))
        for key, bits in sets.items()
        if bits and key in keys
    )


def _add_levels(sets: dict[str, BitMap], key: str, contact_id: int, times: int) -> None:
    for level in range(1, min(times, LEVELS) + 1):
        sets[level_key(key, level)].add(contact_id)


def _replace_block(model, codec, block, **where) -> None:
    """Store one packed block of order totals or product pairs (``codec``: the module that
    packs it); an empty one goes."""
    model.objects.filter(**where).delete()
    if codec.count(block):
        model.objects.create(data=codec.pack(block), size=codec.count(block), **where)


def _replace_pairs(kind: str, span: str, period: dt.date, keys) -> None:
    _replace_block(ProductPairs, product_pairs, keys, kind=kind, span=span, period=period)


def _with_codes(rows, sku: str = "sku"):
    """``(contact id, SKU, SKU code)`` from ``(contact id, SKU)`` rows (a ``values_list``):
    the codes looked up in the same query, new SKUs numbered after it."""
    code = SkuCode.objects.filter(sku=OuterRef(sku)).values("pk")[:1]
    found = list(rows.annotate(code=Subquery(code)))
    new = product_pairs.sku_codes({row[1] for row in found if row[2] is None})
    return [(contact, name, new[name] if code is None else code) for contact, name, code in found]


def _pairs_block(rows: list[tuple[int, str, int]]):
    """A pairs block from ``(contact id, SKU, SKU code)`` rows."""
    return product_pairs.block((contact, code) for contact, _sku, code in rows)


def _build_event_day(day: dt.date) -> None:
    events = Event.objects.filter(
        occurred_at__gte=day_start(day),
        occurred_at__lt=day_start(day + dt.timedelta(days=1)),
        contact__isnull=False,
    ).order_by()
    sets: dict[str, BitMap] = defaultdict(BitMap)
    counted = events.values("kind", "contact_id").annotate(n=Count("*"))
    for kind, contact_id, times in counted.values_list("kind", "contact_id", "n"):
        _add_levels(sets, event_key(kind), contact_id, times)
    named = events.filter(kind=EventKind.PRODUCT_VIEW).exclude(sku="")
    viewed = _with_codes(named.values_list("contact_id", "sku").distinct())
    sets[VIEWED_PRODUCT] = BitMap(contact_id for contact_id, _sku, _code in viewed)
    _replace(BitmapSpan.DAY, day, sets, EVENT_KEYS)
    _replace_pairs(PairKind.VIEWED, BitmapSpan.DAY, day, _pairs_block(viewed))


def _build_order_day(day: dt.date) -> None:
    orders = Order.objects.filter(
        ordered_at__gte=day_start(day),
        ordered_at__lt=day_start(day + dt.timedelta(days=1)),
        contact__isnull=False,
    ).order_by()
    totals: dict[int, list] = {}
    # Summed here in Decimal, not in SQL: SQLite would add the amounts as floats.
    for contact_id, revenue in orders.values_list("contact_id", "revenue"):
        entry = totals.setdefault(contact_id, [0, Decimal(0)])
        entry[0] += 1
        entry[1] += revenue
    day_totals = order_totals.block(
        (pk, count, int(revenue * 100)) for pk, (count, revenue) in totals.items()
    )
    _replace_totals(BitmapSpan.DAY, day, day_totals)
    sets: dict[str, BitMap] = defaultdict(BitMap)
    for contact_id, (count, _revenue) in totals.items():
        _add_levels(sets, ORDERED, contact_id, count)
    _replace(BitmapSpan.DAY, day, sets, ORDER_KEYS)
    lines = OrderLine.objects.filter(order__in=orders).order_by()
    bought = _with_codes(lines.values_list("order__contact_id", "sku").distinct())
    _replace_pairs(PairKind.BOUGHT, BitmapSpan.DAY, day, _pairs_block(bought))


def _replace_totals(span: str, period: dt.date, block) -> None:
    _replace_block(OrderTotals, order_totals, block, span=span, period=period)


def _build_total_months(months: Iterable[dt.date]) -> None:
    for month in sorted(set(months)):
        days = OrderTotals.objects.filter(
            span=BitmapSpan.DAY, period__gte=month, period__lt=next_month(month)
        ).values_list("data", flat=True)
        merged = order_totals.merge(order_totals.unpack(data) for data in days)
        _replace_totals(BitmapSpan.MONTH, month, merged)


def _month_sets(days: list[tuple[str, BitMap]], keys: list[str]) -> dict[str, BitMap]:
    """A month's sets from its days': the OR of each key's days; for a counted key, the
    contacts in at least 2, 3, ... of its days' sets of all levels (a count capped at
    ``LEVELS`` per day adds up to the month's, capped)."""
    grouped: dict[str, list[BitMap]] = defaultdict(list)
    for key, bits in days:
        grouped[key].append(bits)
    sets = {}
    for key in keys:
        if key in LEVELED:
            levels = [bits for name in level_keys(key) for bits in grouped.get(name, [])]
            sets.update(zip(level_keys(key), count_levels(levels, LEVELS), strict=True))
        elif key not in COUNTED_LEVELS:
            sets[key] = union(grouped.get(key, []))
    return sets


def _build_months(months: Iterable[dt.date], keys: list[str]) -> None:
    for month in sorted(set(months)):
        days = ContactBitmap.objects.filter(
            span=BitmapSpan.DAY, key__in=keys, period__gte=month, period__lt=next_month(month)
        ).values_list("key", "bits")
        sets = _month_sets([(key, from_bytes(bits)) for key, bits in days], keys)
        _replace(BitmapSpan.MONTH, month, sets, keys)


def _build_pair_months(months: Iterable[dt.date], kind: str) -> None:
    for month in sorted(set(months)):
        days = ProductPairs.objects.filter(
            kind=kind, span=BitmapSpan.DAY, period__gte=month, period__lt=next_month(month)
        ).values_list("data", flat=True)
        merged = product_pairs.merge(product_pairs.unpack(data) for data in days)
        _replace_pairs(kind, BitmapSpan.MONTH, month, merged)


def _contact_attributes(contacts) -> dict[str, BitMap]:
    """The attribute sets of these contacts: role, phase, language, consent, account fields,
    "reachable" and "all"."""
    sets: dict[str, BitMap] = defaultdict(BitMap)
    columns = [f"account__{name}" for name in ACCOUNT_ATTRIBUTES]
    names = [*CONTACT_ATTRIBUTES, *(f"account.{name}" for name in ACCOUNT_ATTRIBUTES)]
    consent = CONTACT_ATTRIBUTES.index("consent")
    suppressed = Exists(Suppression.objects.filter(email_hash=OuterRef("email_hash")))
    rows = (
        contacts.order_by()
        .annotate(suppressed=suppressed)
        .values_list("pk", "suppressed", *CONTACT_ATTRIBUTES, *columns)
    )
    for pk, is_suppressed, *values in rows.iterator(chunk_size=CHUNK):
        sets[ALL].add(pk)
        for name, value in zip(names, values, strict=True):
            if value:
                sets[attribute_key(name, value)].add(pk)
        if values[consent] == ConsentState.CONFIRMED and not is_suppressed:
            sets[REACHABLE].add(pk)
    return sets


def _build_attributes(touched: BitMap | None) -> None:
    """Rebuild every attribute set (``touched`` is None) or only these contacts' places."""
    if touched is None:
        fresh = _contact_attributes(Contact.objects.all())
        ContactBitmap.objects.filter(span=BitmapSpan.ATTRIBUTE).delete()
        _replace(BitmapSpan.ATTRIBUTE, None, fresh, fresh)
        return
    fresh: dict[str, BitMap] = defaultdict(BitMap)
    for ids in id_lists(touched):
        for key, bits in _contact_attributes(Contact.objects.filter(pk__in=ids)).items():
            fresh[key] |= bits
    stored = {
        key: from_bytes(bits)
        for key, bits in ContactBitmap.objects.filter(span=BitmapSpan.ATTRIBUTE).values_list(
            "key", "bits"
        )
    }
    changed = {}
    for key in set(stored) | set(fresh):
        bits = (stored.get(key, BitMap()) - touched) | fresh.get(key, BitMap())
        if bits != stored.get(key):
            changed[key] = bits
    _replace(BitmapSpan.ATTRIBUTE, None, changed, changed)


def _forget(ids: BitMap) -> None:
    """Take these contacts out of every set, order day, pending mark and stored segment
    membership."""
    if not ids:
        return
    changed = []
    for row in ContactBitmap.objects.only("pk", "bits").iterator(chunk_size=500):
        bits = from_bytes(row.bits)
        if bits.intersect(ids):
            bits -= ids
            row.bits, row.size = to_bytes(bits), len(bits)
            changed.append(row)
    ContactBitmap.objects.bulk_update(changed, ["bits", "size"], batch_size=500)
    gone = np.array(list(ids), dtype=np.int64)
    for model, codec in ((OrderTotals, order_totals), (ProductPairs, product_pairs)):
        for row in model.objects.only("pk", "data").iterator(chunk_size=100):
            block = codec.unpack(row.data)
            kept = codec.without(block, gone)
            if codec.count(kept) == codec.count(block):
                continue
            if codec.count(kept):
                row.data, row.size = codec.pack(kept), codec.count(kept)
                row.save(update_fields=["data", "size"])
            else:
                row.delete()
    for change in SegmentChange.objects.only("pk", "contacts"):
        marked = from_bytes(change.contacts)
        if marked.intersect(ids):
            SegmentChange.objects.filter(pk=change.pk).update(contacts=to_bytes(marked - ids))
    for segment in Segment.objects.exclude(member_bits=None).only("pk", "member_bits"):
        members = from_bytes(segment.member_bits)
        if members.intersect(ids):
            members -= ids
            Segment.objects.filter(pk=segment.pk).update(
                member_bits=to_bytes(members), member_count=len(members)
            )


def _lock(*, wait: bool = True) -> SegmentState | None:
    """The state row, locked for this transaction; ``None`` when another run holds it and
    ``wait`` is false."""
    state, _created = SegmentState.objects.get_or_create(pk=1)
    return SegmentState.objects.select_for_update(skip_locked=not wait).filter(pk=state.pk).first()


# --- the runs ---------------------------------------------------------------------------------


def _activity_days() -> tuple[set[dt.date], set[dt.date]]:
    def days(queryset, field: str) -> set[dt.date]:
        bounds = queryset.aggregate(first=Min(field), last=Max(field))
        if bounds["first"] is None:
            return set()
        first, last = local_day(bounds["first"]), local_day(bounds["last"])
        return {first + dt.timedelta(days=n) for n in range((last - first).days + 1)}

    return (
        days(Event.objects.filter(contact__isnull=False), "occurred_at"),
        days(Order.objects.filter(contact__isnull=False), "ordered_at"),
    )


def _build_days(event_days: set[dt.date], order_days: set[dt.date]) -> None:
    """The sets and order totals of these days, and of their months."""
    for day in sorted(event_days):
        _build_event_day(day)
    for day in sorted(order_days):
        _build_order_day(day)
    _build_months({month_start(day) for day in event_days}, EVENT_KEYS)
    _build_months({month_start(day) for day in order_days}, ORDER_KEYS)
    _build_total_months(month_start(day) for day in order_days)
    _build_pair_months({month_start(day) for day in event_days}, PairKind.VIEWED)
    _build_pair_months({month_start(day) for day in order_days}, PairKind.BOUGHT)


def _build_everything() -> dict[str, int]:
    event_days, order_days = _activity_days()
    ContactBitmap.objects.filter(span__in=[BitmapSpan.DAY, BitmapSpan.MONTH]).delete()
    OrderTotals.objects.all().delete()
    ProductPairs.objects.all().delete()
    _build_days(event_days, order_days)
    _build_attributes(None)
    return {"event_days": len(event_days), "order_days": len(order_days)}


def segment_state_rebuild(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Build every set, order day and segment membership again (nightly; first run)."""
    now = now or timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        state = _lock()
        marks = list(SegmentChange.objects.values_list("pk", flat=True))
        built = _build_everything()
        segments = segment_counts_refresh(now=now, backend=BitmapBackend(shared=True))
        SegmentChange.objects.filter(pk__in=marks).delete()
        state.built_at = state.refreshed_at = now
        state.segments_day = local_day(now)
        state.save()
    _fresh_statistics()
    built.update(segments=segments, marks=len(marks))
    logger.info(
        "segment_state.rebuilt %s seconds=%.1f",
        " ".join(f"{key}={value}" for key, value in built.items()),
        time.perf_counter() - started,
    )
    return built


def _fresh_statistics() -> None:
    """PostgreSQL: statistics (and, outside a transaction, the visibility map) for the tables
    the sweep rewrote, so the planner sizes its reads of them for what they hold now."""
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in (ContactBitmap, OrderTotals, ProductPairs):
            cursor.execute(f"{command} {model._meta.db_table}")


def segment_state_refresh(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Apply the marks left since the last run (beat, every 30 s)."""
    now = now or timezone.now()
    if not SegmentState.objects.filter(built_at__isnull=False).exists():
        return segment_state_rebuild(now=now)
    with transaction.atomic():
        state = _lock(wait=False)
        if state is None:
            # A run still busy (a slow one, or the nightly rebuild): it or the next takes
            # the marks; this worker does not queue up behind it.
            logger.info("segment_state.busy")
            return {"busy": 1}
        marks = list(
            SegmentChange.objects.order_by("pk").values_list("pk", "kind", "day", "contacts")[
                :MARKS_PER_RUN
            ]
        )
        event_days, order_days = set(), set()
        touched = BitMap()
        for _pk, kind, day, contacts in marks:
            ids = from_bytes(contacts)
            touched |= ids
            if kind == ChangeKind.EVENTS:
                event_days.add(day)
            elif kind == ChangeKind.ORDERS:
                order_days.add(day)
        _build_days(event_days, order_days)
        # Every touched contact's attributes are read again, not only those marked for
        # them: a contact first seen through an event is counted even if its creation
        # left no mark.
        if touched:
            _build_attributes(touched)
        today = local_day(now)
        if state.segments_day != today:
            segment_counts_refresh(now=now, backend=BitmapBackend(shared=True))
        else:
            # The touched contacts (none: only segments whose windows are in hours).
            segment_counts_refresh(now=now, touched=touched, backend=BitmapBackend(shared=True))
        SegmentChange.objects.filter(pk__in=[mark[0] for mark in marks]).delete()
        state.refreshed_at, state.segments_day = now, today
        state.save(update_fields=["refreshed_at", "segments_day"])
    counts = {
        "marks": len(marks),
        "event_days": len(event_days),
        "order_days": len(order_days),
        "touched": len(touched),
    }
    if marks:
        logger.info("segment_state.refreshed %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


def segment_state_forget(contact_ids: Iterable[int]) -> None:
    """Take contacts out of every set and order day now, in the caller's transaction (the
    erasure's): waits for a running maintenance, which then cannot put them back."""
    ids = BitMap(pk for pk in contact_ids if pk is not None)
    if not ids:
        return
    with transaction.atomic():
        _lock()
        _forget(ids)
