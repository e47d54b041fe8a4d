"""Recompute every kept figure of a campaign from the raw rows it was added up from.

The figures (``CampaignDayStats``, ``CampaignLinkStats``, ``DeliveryStateCount``,
``OrderCredit``) are kept incrementally as things happen. After importing historical data,
or after a fix to how something is counted, an operator rebuilds them from what they come
from:

- opens and clicks from the deliveries' ``TrackingHit`` rows, counted as tracking counts
  them (every open; the first hit of a delivery is its first open, a click when the pixel
  was not loaded; the first human hit its first human open; the first human click);
- unsubscribes, complaints and other channels' clicks from the campaign's events, under the
  contact's delivery (or the channel the event names), as the event intake counts them;
- conversions and revenue from the orders: every order that is credited to the campaign, or
  that falls after its dispatch within its window of a touch, is credited anew
  (``orders_credit``, which also corrects the other campaigns that order is credited to),
  then the campaign's per-day conversions and revenue are summed from its credits;
- messages sent per day and the delivery states by ``results_refresh``;
- link figures from the human clicks (events) carrying a URL.

What raw rows cannot tell is kept or reported: hits beyond ``HITS_KEPT_PER_KIND`` per
delivery and kind were counted but never kept (reported); orders of contacts erased since
keep the credits they had (erasure took the person off order and delivery alike); events
of an erased contact count under their channel without variant, as the intake would count
them now.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from ..models import (
    AttributionScope,
    Campaign,
    CampaignDayStats,
    CampaignLinkStats,
    CreditKind,
    Delivery,
    Event,
    Order,
    OrderCredit,
    TrackingHit,
    is_human,
)
from ..models.tracking import HITS_KEPT_PER_KIND
from .attribution import COMPARED, TOUCH_KINDS, orders_credit
from .intake import StatsKey, deliveries_by_contact, results_refresh
from .recording import FIGURES

logger = logging.getLogger(__name__)

# Orders credited anew per call of ``orders_credit``: bounds the size of its queries.
ORDERS_PER_BATCH = 500

_Figures = dict[StatsKey, dict[str, int | Decimal]]


@dataclass(frozen=True)
class RebuildReport:
    campaign_id: int
    day_rows: int
    link_rows: int
    orders_credited: int
    # Deliveries with as many hits of a kind as are kept: more may have been counted live.
    deliveries_at_hit_limit: int


def campaign_results_rebuild(campaign_id: int) -> RebuildReport:
    """Recompute all kept figures of one campaign from its raw rows, in one transaction.

    Afterwards every figure equals what the incremental intake would have kept had it seen
    the same rows. Raises Campaign.DoesNotExist for an unknown id.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        # Writers that add to the campaign's rows now wait for the rebuild, and add their
        # increment to the recount afterwards (their fact is not in it yet).
        list(
            CampaignDayStats.objects.select_for_update()
            .filter(campaign_id=campaign_id)
            .values_list("pk", flat=True)
        )
        order_ids = _orders_to_credit(campaign)
        for start in range(0, len(order_ids), ORDERS_PER_BATCH):
            orders_credit(order_ids[start : start + ORDERS_PER_BATCH])

        figures: _Figures = defaultdict(dict)
        at_limit = _tracking_figures(campaign_id, figures)
        _event_figures(campaign_id, figures)
        _credit_figures(campaign_id, figures)
        CampaignDayStats.objects.filter(campaign_id=campaign_id).delete()
        rows = [
            CampaignDayStats(
                campaign_id=key.campaign_id,
                channel=key.channel,
                variant_key=key.variant_key,
                arm=key.arm,
                day=key.day,
                **values,
            )
            for key, values in figures.items()
            if any(values.values())
        ]
        CampaignDayStats.objects.bulk_create(rows)
        results_refresh(campaign_id=campaign_id)
        links = _link_figures(campaign_id)
        CampaignLinkStats.objects.filter(campaign_id=campaign_id).delete()
        CampaignLinkStats.objects.bulk_create(links)
    report = RebuildReport(
        campaign_id=campaign_id,
        day_rows=CampaignDayStats.objects.filter(campaign_id=campaign_id).count(),
        link_rows=len(links),
        orders_credited=len(order_ids),
        deliveries_at_hit_limit=at_limit,
    )
    logger.info(
        "results.rebuilt campaign=%s day_rows=%s link_rows=%s orders=%s at_hit_limit=%s",
        campaign_id,
        report.day_rows,
        report.link_rows,
        report.orders_credited,
        report.deliveries_at_hit_limit,
    )
    return report


def _add(figures: _Figures, key: StatsKey, **values: int | Decimal) -> None:
    row = figures[key]
    for name, value in values.items():
        row[name] = row.get(name, 0) + value


# --- orders ---------------------------------------------------------------------------------


def _orders_to_credit(campaign: Campaign) -> list[int]:
    """The orders credited to the campaign, and those it may earn from its touches."""
    ids = set(
        OrderCredit.objects.filter(campaign_id=campaign.pk).values_list("order_id", flat=True)
    )
    if campaign.dispatched_at is None:  # attribution considers dispatched campaigns only
        return sorted(ids - _erased(ids))
    deliveries = Delivery.objects.filter(campaign_id=campaign.pk, state__in=COMPARED).order_by()
    span = deliveries.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    last_click = Event.objects.filter(campaign_id=campaign.pk, kind__in=TOUCH_KINDS).aggregate(
        at=Max("occurred_at")
    )["at"]
    start = min(at for at in (campaign.dispatched_at, span["first"]) if at is not None)
    last = max(at for at in (campaign.dispatched_at, span["last"], last_click) if at is not None)
    end = last + dt.timedelta(days=campaign.attribution_window_days)
    contacts = deliveries.filter(contact__isnull=False).values("contact_id")
    whose = Q(contact_id__in=contacts)
    if campaign.attribution_scope == AttributionScope.ACCOUNT:
        accounts = deliveries.filter(contact__account__isnull=False).values("contact__account_id")
        whose |= Q(account_id__in=accounts) | Q(contact__account_id__in=accounts)
    ids.update(
        Order.objects.filter(whose, ordered_at__gte=start, ordered_at__lte=end).values_list(
            "pk", flat=True
        )
    )
    return sorted(ids - _erased(ids))


def _erased(order_ids: set[int]) -> set[int]:
    """Orders credited through a contact who was erased since: their credits are kept.

    Erasure took the person off the order and the delivery, so crediting anew would find
    no touch; the credits written while the person was known stay what they were.
    """
    return set(
        OrderCredit.objects.filter(
            order_id__in=order_ids, order__contact__isnull=True, delivery__contact__isnull=True
        ).values_list("order_id", flat=True)
    )


def _credit_figures(campaign_id: int, figures: _Figures) -> None:
    credits = OrderCredit.objects.filter(
        campaign_id=campaign_id, kind=CreditKind.ATTRIBUTED
    ).values_list("channel", "variant_key", "arm", "ordered_at", "weight", "revenue")
    for channel, variant_key, arm, ordered_at, weight, revenue in credits.iterator():
        key = StatsKey(campaign_id, channel, variant_key, arm, timezone.localdate(ordered_at))
        _add(figures, key, conversions=weight, revenue=revenue)


# --- tracking -------------------------------------------------------------------------------


def _tracking_figures(campaign_id: int, figures: _Figures) -> int:
    """Add the opens and e-mail clicks the hits show; returns deliveries at the hit limit."""
    hits = (
        TrackingHit.objects.filter(delivery__campaign_id=campaign_id)
        .order_by("delivery_id", "at", "pk")
        .values_list(
            "delivery_id",
            "delivery__channel",
            "delivery__variant_key",
            "delivery__arm",
            "kind",
            "at",
            "classification",
        )
    )
    current = None
    delivery_hits: list[tuple] = []
    for row in hits.iterator(chunk_size=2000):
        if row[0] != current:
            _delivery_figures(campaign_id, delivery_hits, figures)
            current, delivery_hits = row[0], []
        delivery_hits.append(row)
    _delivery_figures(campaign_id, delivery_hits, figures)
    return (
        TrackingHit.objects.filter(delivery__campaign_id=campaign_id)
        .values("delivery_id", "kind")
        .annotate(n=Count("*"))
        .filter(n__gte=HITS_KEPT_PER_KIND)
        .values("delivery_id")
        .distinct()
        .count()
    )


def _delivery_figures(campaign_id: int, hits: list[tuple], figures: _Figures) -> None:
    """One delivery's hits (in order of time) as tracking counted them."""
    if not hits:
        return

    def key(hit: tuple) -> StatsKey:
        return StatsKey(campaign_id, hit[1], hit[2], hit[3], timezone.localdate(hit[5]))

    for hit in hits:
        human = is_human(hit[6])
        if hit[4] == "open":
            _add(figures, key(hit), opens=1, machine_opens=int(not human))
        else:
            _add(figures, key(hit), clicks=int(human), bot_clicks=int(not human))
    first = hits[0]
    _add(figures, key(first), unique_opens=1)
    if first[4] == "click":  # the pixel was not loaded: the click was the first open
        _add(figures, key(first), opens=1, machine_opens=int(not is_human(first[6])))
    human_hits = [hit for hit in hits if is_human(hit[6])]
    if human_hits:
        _add(figures, key(human_hits[0]), human_opens=1)
    human_clicks = [hit for hit in human_hits if hit[4] == "click"]
    if human_clicks:
        _add(figures, key(human_clicks[0]), unique_clicks=1)


# --- events ---------------------------------------------------------------------------------


def _bot(data: object) -> bool:
    return isinstance(data, dict) and bool(data.get("bot"))


def _event_figures(campaign_id: int, figures: _Figures) -> None:
    """Add unsubscribes, complaints and other channels' clicks, as the event intake does."""
    events = [
        row
        for row in Event.objects.filter(campaign_id=campaign_id, kind__in=list(FIGURES))
        .order_by()
        .values_list("kind", "contact_id", "occurred_at", "data")
        if not _bot(row[3])
    ]
    deliveries = deliveries_by_contact(
        [campaign_id], {contact_id for _, contact_id, _, _ in events if contact_id}
    )
    for kind, contact_id, occurred_at, data in events:
        delivery = deliveries.get((campaign_id, contact_id))
        if delivery is not None:
            key = StatsKey.of(delivery, occurred_at)
        else:
            channel = data.get("channel", "") if isinstance(data, dict) else ""
            key = StatsKey.of_channel(campaign_id, str(channel)[:50], occurred_at)
        _add(figures, key, **{FIGURES[kind]: 1})


def _link_figures(campaign_id: int) -> list[CampaignLinkStats]:
    """Human clicks per link, and the people who clicked it."""
    clicks: dict[str, int] = defaultdict(int)
    people: dict[str, set[int]] = defaultdict(set)
    rows = Event.objects.filter(campaign_id=campaign_id, kind__in=TOUCH_KINDS).values_list(
        "contact_id", "data"
    )
    for contact_id, data in rows.iterator(chunk_size=2000):
        url = data.get("url") if isinstance(data, dict) else None
        if not isinstance(url, str) or not url or _bot(data):
            continue
        url = url[:2000]
        clicks[url] += 1
        if contact_id is not None:
            people[url].add(contact_id)
    return [
        CampaignLinkStats(
            campaign_id=campaign_id,
            url=url,
            url_hash=hashlib.sha256(url.encode()).hexdigest(),
            clicks=count,
            people=len(people[url]),
        )
        for url, count in clicks.items()
    ]


def campaigns_results_rebuild(campaign_ids: Iterable[int]) -> list[RebuildReport]:
    """Rebuild several campaigns, each in its own transaction."""
    return [campaign_results_rebuild(campaign_id) for campaign_id in campaign_ids]
