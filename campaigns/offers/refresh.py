"""Keeping each account's offers up to date: the work done away from the shop's request.

After an account's orders change (``orders_record``, whatever system reported them) its
offers are recomputed by a task once the transaction commits, in batches of accounts; a
nightly run recomputes every account with orders, so habits that lapsed, lead times and
the catalogue's relations and categories move on with the calendar. A batch costs a fixed
number of queries however many accounts and orders it holds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from campaigns.models import AccountOffer, OfferKind, Order, OrderLine
from content.offer_source import (
    category_names,
    live_product_facts,
    live_relations,
    live_skus_in_categories,
)

logger = logging.getLogger(__name__)

HISTORY_DAYS = 730  # orders older than two years say nothing about today's habits
REORDER_MIN_ORDERS = 3  # a product ordered on three days or more is ordered regularly
LEAD_SHARE = 0.1  # a re-order is due this share of its interval early ...
LAPSED_INTERVALS = 3  # ... and no longer offered once three intervals passed without one
RECENT_DAYS = 180  # a spare part or accessory bought this recently is not offered again
TOP_CATEGORIES = 3  # complementary products come from the account's top categories
PER_KIND = 20  # rows kept per account and kind (more than any slot shows)
BATCH_SIZE = 200  # accounts per refresh task


@dataclass
class _History:
    """One account's orders: per SKU the days it was ordered and on which orders."""

    days: dict[str, set[dt.date]] = field(default_factory=lambda: defaultdict(set))
    orders: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    recent: set[str] = field(default_factory=set)
    skus_of_order: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))


def _histories(account_ids: Sequence[int], now: dt.datetime) -> dict[int, _History]:
    histories: dict[int, _History] = defaultdict(_History)
    recent_since = now - dt.timedelta(days=RECENT_DAYS)
    for account_id, order_id, ordered_at, sku in OrderLine.objects.filter(
        order__account_id__in=account_ids,
        order__ordered_at__gte=now - dt.timedelta(days=HISTORY_DAYS),
    ).values_list("order__account_id", "order_id", "order__ordered_at", "sku"):
        history = histories[account_id]
        history.days[sku].add(timezone.localdate(ordered_at))
        history.orders[sku].add(order_id)
        history.skus_of_order[order_id].add(sku)
        if ordered_at >= recent_since:
            history.recent.add(sku)
    return histories


def _reorders(history: _History, facts, today: dt.date) -> list[tuple[str, float, dict, dt.date]]:
    found = []
    for sku, days in history.days.items():
        if len(days) < REORDER_MIN_ORDERS or sku not in facts:
            continue
        ordered = sorted(days)
        gaps = [(later - earlier).days for earlier, later in itertools.pairwise(ordered)]
        interval = max(1, round(statistics.median(gaps)))
        last = ordered[-1]
        if (today - last).days > LAPSED_INTERVALS * interval:
            continue
        # Early by a tenth of the interval, or by the delivery time if that is longer; but
        # never sooner than half an interval after the last order.
        lead = max(math.ceil(interval * LEAD_SHARE), facts[sku].lead_time_days or 0)
        lead = min(lead, interval // 2)
        params = {"interval_days": interval, "last_ordered_on": last.isoformat()}
        found.append((sku, float(len(days)), params, last + dt.timedelta(days=interval - lead)))
    return found


def _best(candidates: Iterable[tuple[str, float, dict]]) -> list[tuple[str, float, dict]]:
    """Each SKU once, with its highest score; the best ``PER_KIND``."""
    best: dict[str, tuple[str, float, dict]] = {}
    for candidate in candidates:
        if candidate[0] not in best or candidate[1] > best[candidate[0]][1]:
            best[candidate[0]] = candidate
    return sorted(best.values(), key=lambda c: (-c[1], c[0]))[:PER_KIND]


def offers_refresh(*, account_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """Recompute the stored offers of these accounts from their orders and the live
    catalogue; returns how many rows they now have. Safe to run twice: each account's rows
    are replaced as a whole, in one transaction."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = sorted(set(account_ids))
    if not ids:
        return 0
    histories = _histories(ids, now)
    bought = {sku for history in histories.values() for sku in history.days}
    facts = live_product_facts(bought)
    relations: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for source, kind, related in live_relations(
        bought, kinds=[OfferKind.SPARE_PART, OfferKind.ACCESSORY]
    ):
        relations[source].append((kind, related))
    category_counts: dict[int, Counter] = {}
    for account_id, history in histories.items():
        counts: Counter = Counter()
        for skus in history.skus_of_order.values():
            counts.update({c for sku in skus if sku in facts for c in facts[sku].category_ids})
        category_counts[account_id] = counts
    top = {
        account_id: sorted(counts, key=lambda c: (-counts[c], c))[:TOP_CATEGORIES]
        for account_id, counts in category_counts.items()
    }
    wanted_categories = {c for categories in top.values() for c in categories}
    in_category: dict[int, list[str]] = defaultdict(list)
    for category_id, sku in live_skus_in_categories(wanted_categories):
        in_category[category_id].append(sku)
    names = category_names(wanted_categories)

    rows: list[AccountOffer] = []
    for account_id, history in histories.items():

        def add(kind: str, chosen, due_on=None, account_id=account_id) -> None:
            rows.extend(
                AccountOffer(
                    account_id=account_id,
                    kind=kind,
                    sku=sku,
                    score=score,
                    params=params,
                    due_on=due_on(sku) if due_on else None,
                    computed_at=now,
                )
                for sku, score, params in chosen
            )

        reorders = _reorders(history, facts, today)
        due = {sku: due_on for sku, _score, _params, due_on in reorders}
        add(OfferKind.REORDER, _best(r[:3] for r in reorders), due_on=due.get)
        for kind in (OfferKind.SPARE_PART, OfferKind.ACCESSORY):
            add(
                kind,
                _best(
                    (related, float(len(history.orders[source])), {"bought": source})
                    for source in history.days
                    for relation_kind, related in relations.get(source, ())
                    if relation_kind == kind and related not in history.recent and related != source
                ),
            )
        counts = category_counts[account_id]
        add(
            OfferKind.COMPLEMENTARY,
            _best(
                (sku, float(counts[category]), {"category": category, "names": names[category]})
                for category in top[account_id]
                if category in names
                for sku in in_category.get(category, ())
                if sku not in history.days
            ),
        )
    with transaction.atomic():
        AccountOffer.objects.filter(account_id__in=ids).delete()
        AccountOffer.objects.bulk_create(rows)
    logger.info("offers.refreshed accounts=%s rows=%s", len(ids), len(rows))
    return len(rows)


def offers_refresh_later(account_ids: Iterable[int]) -> None:
    """Recompute these accounts' offers in tasks of ``BATCH_SIZE`` once the current
    transaction commits (orders just written), never within a shop's request."""
    from campaigns.tasks import offers_refresh_accounts

    ids = sorted({pk for pk in account_ids if pk is not None})
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        transaction.on_commit(lambda batch=batch: offers_refresh_accounts.delay(batch))


def offers_refresh_all() -> int:
    """The nightly run: every account with orders in the history window or stored offers,
    queued in batches. Returns how many accounts."""
    since = timezone.now() - dt.timedelta(days=HISTORY_DAYS)
    ids = set(
        Order.objects.filter(ordered_at__gte=since, account__isnull=False)
        .order_by()
        .values_list("account_id", flat=True)
        .distinct()
    ) | set(AccountOffer.objects.order_by().values_list("account_id", flat=True).distinct())
    offers_refresh_later(ids)
    return len(ids)
