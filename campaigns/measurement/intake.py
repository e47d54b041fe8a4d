"""Keep the campaign figures up to date: add to the per-day figures, recount delivery states.

``stats_add`` is called by whatever records a fact (tracking, the event and order intake),
inside the transaction that records it, so a figure and its fact are written together or
not at all. Delivery states are recounted per campaign (``results_refresh``) instead,
because the send path changes them one row at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import (
    Campaign,
    CampaignDayStats,
    CampaignFigures,
    CampaignStatus,
    Contact,
    Delivery,
    DeliveryState,
    DeliveryStateCount,
    Order,
)

logger = logging.getLogger(__name__)

# Deliveries in these states were handed over to the receiving system.
HANDED_OVER = (DeliveryState.SENT, DeliveryState.BOUNCED)
# The campaign's recipients: their delivery was handed over (or may have been).
RECEIVED = (DeliveryState.SENT, DeliveryState.BOUNCED, DeliveryState.IN_DOUBT)
# Campaigns are recounted every minute while sending, and every quarter of an hour for this
# long after they finished: bounces arrive late, a message in doubt counts as sent once it
# is opened, and the repurchase count covers the longest attribution window (90 days).
RECOUNT_AFTER_FINISH = dt.timedelta(days=91)
RECOUNT_FINISHED_EVERY = dt.timedelta(minutes=15)

# The figures added to as things happen (``sent`` is recounted from the deliveries instead).
COUNTERS = (
    "opens",
    "unique_opens",
    "human_opens",
    "machine_opens",
    "clicks",
    "unique_clicks",
    "bot_clicks",
    "unsubscribes",
    "complaints",
    "conversions",
    "revenue",
)


@dataclass(frozen=True)
class StatsKey:
    campaign_id: int
    channel: str
    variant_key: str
    arm: str
    day: dt.date

    @classmethod
    def of(cls, delivery: Delivery, at: dt.datetime) -> StatsKey:
        return cls(
            delivery.campaign_id,
            delivery.channel,
            delivery.variant_key,
            delivery.arm,
            timezone.localdate(at),
        )

    @classmethod
    def of_channel(cls, campaign_id: int, channel: str, at: dt.datetime) -> StatsKey:
        return cls(campaign_id, channel, "", "", timezone.localdate(at))


@dataclass
class StatsDelta:
    """Additions to the figures of several keys, merged so each key is written once."""

    counts: dict[StatsKey, dict[str, int | Decimal]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    def add(self, key: StatsKey, **increments: int | Decimal) -> None:
        unknown = set(increments) - set(COUNTERS)
        if unknown:
            raise ValueError(f"Not a campaign figure: {', '.join(sorted(unknown))}.")
        row = self.counts[key]
        for name, value in increments.items():
            row[name] = row.get(name, 0) + value

    def __bool__(self) -> bool:
        return any(any(row.values()) for row in self.counts.values())


def stats_add(delta: StatsDelta) -> None:
    """Add ``delta`` to the stored figures, creating a day's row on its first figure.

    Safe against concurrent writers: the increment is one UPDATE (``F() + n``); when the
    row does not exist yet, the creation runs in a savepoint and a writer that lost the race
    to create it adds to the row the winner created.
    """
    for key, increments in delta.counts.items():
        values = {name: value for name, value in increments.items() if value}
        if not values:
            continue
        rows = CampaignDayStats.objects.filter(
            campaign_id=key.campaign_id,
            channel=key.channel,
            variant_key=key.variant_key,
            arm=key.arm,
            day=key.day,
        )
        updates = {name: F(name) + value for name, value in values.items()}
        if rows.update(**updates):
            continue
        try:
            with transaction.atomic():
                CampaignDayStats.objects.create(
                    campaign_id=key.campaign_id,
                    channel=key.channel,
                    variant_key=key.variant_key,
                    arm=key.arm,
                    day=key.day,
                    **values,
                )
        except IntegrityError:
            rows.update(**updates)


# --- delivery states -----------------------------------------------------------------------


def results_refresh(*, campaign_id: int, now: dt.datetime | None = None) -> int:
    """Recount the delivery states of one campaign, its messages sent per day, and its
    recipients who bought again (``CampaignFigures``).

    Returns the number of deliveries counted. Runs in one transaction: a results page reads
    either the old or the new counts, never half of each.
    """
    now = now or timezone.now()
    deliveries = Delivery.objects.filter(campaign_id=campaign_id).order_by()
    states = list(
        deliveries.values("channel", "variant_key", "arm", "state").annotate(n=Count("*"))
    )
    sent = list(
        deliveries.filter(state__in=HANDED_OVER, sent_at__isnull=False)
        .annotate(day=TruncDate("sent_at", tzinfo=timezone.get_current_timezone()))
        .values("channel", "variant_key", "arm", "day")
        .annotate(n=Count("*"))
    )
    repeat_customers, repeat_buyers = _repurchase_counts(campaign_id)
    with transaction.atomic():
        DeliveryStateCount.objects.filter(campaign_id=campaign_id).delete()
        DeliveryStateCount.objects.bulk_create(
            DeliveryStateCount(
                campaign_id=campaign_id,
                channel=row["channel"],
                variant_key=row["variant_key"],
                arm=row["arm"],
                state=row["state"],
                count=row["n"],
                counted_at=now,
            )
            for row in states
        )
        _set_sent_per_day(campaign_id, sent)
        CampaignFigures.objects.update_or_create(
            campaign_id=campaign_id,
            defaults={
                "repeat_customers": repeat_customers,
                "repeat_buyers": repeat_buyers,
                "counted_at": now,
            },
        )
    return sum(row["n"] for row in states)


def _repurchase_counts(campaign_id: int) -> tuple[int, int]:
    """(recipients who had ordered before the dispatch, those of them who ordered again
    within the measurement window): one counting query, the orders found by their (contact,
    ordered_at) index."""
    campaign = Campaign.objects.only("dispatched_at", "attribution_window_days").get(pk=campaign_id)
    start = campaign.dispatched_at
    if start is None:
        return 0, 0
    end = start + dt.timedelta(days=campaign.attribution_window_days)
    recipients = Delivery.objects.filter(campaign_id=campaign_id, state__in=RECEIVED)
    orders = Order.objects.filter(contact=OuterRef("pk"))
    counts = (
        Contact.objects.filter(pk__in=recipients.values("contact_id"))
        .filter(Exists(orders.filter(ordered_at__lt=start)))
        .annotate(again=Exists(orders.filter(ordered_at__gte=start, ordered_at__lte=end)))
        .aggregate(customers=Count("pk"), buyers=Count("pk", filter=Q(again=True)))
    )
    return counts["customers"], counts["buyers"]


def _set_sent_per_day(campaign_id: int, sent: list[dict]) -> None:
    stored = {
        (row.channel, row.variant_key, row.arm, row.day): row
        for row in CampaignDayStats.objects.select_for_update().filter(campaign_id=campaign_id)
    }
    counted = {
        (row["channel"], row["variant_key"], row["arm"], row["day"]): row["n"] for row in sent
    }
    changed = []
    for key, row in stored.items():
        value = counted.get(key, 0)
        if row.sent != value:
            row.sent = value
            changed.append(row)
    CampaignDayStats.objects.bulk_update(changed, ["sent"])
    CampaignDayStats.objects.bulk_create(
        CampaignDayStats(
            campaign_id=campaign_id,
            channel=channel,
            variant_key=variant,
            arm=arm,
            day=day,
            sent=value,
        )
        for (channel, variant, arm, day), value in counted.items()
        if (channel, variant, arm, day) not in stored
    )


def campaigns_to_recount(now: dt.datetime | None = None) -> list[int]:
    """The campaigns whose delivery counts may be stale: sending now, or finished lately."""
    now = now or timezone.now()
    sending = Campaign.objects.filter(
        status__in=(CampaignStatus.RUNNING, CampaignStatus.PAUSED)
    ).values_list("pk", flat=True)
    finished = Campaign.objects.filter(
        status=CampaignStatus.DONE, finished_at__gte=now - RECOUNT_AFTER_FINISH
    ).exclude(state_counts__counted_at__gte=now - RECOUNT_FINISHED_EVERY)
    return sorted({*sending, *finished.values_list("pk", flat=True)})


def results_refresh_due(now: dt.datetime | None = None) -> list[int]:
    """Recount every campaign whose counts may be stale; returns their ids."""
    ids = campaigns_to_recount(now)
    for campaign_id in ids:
        results_refresh(campaign_id=campaign_id, now=now)
    if ids:
        logger.info("results.recounted campaigns=%s", ids)
    return ids


def deliveries_by_contact(
    campaign_ids: Iterable[int], contact_ids: Iterable[int]
) -> dict[tuple[int, int], Delivery]:
    """Each (campaign, contact)'s delivery, for tying events of a campaign to its variant.

    A contact reached on several channels of one campaign gets the first channel's delivery.
    """
    found: dict[tuple[int, int], Delivery] = {}
    rows = (
        Delivery.objects.filter(campaign_id__in=set(campaign_ids), contact_id__in=set(contact_ids))
        .only("pk", "campaign_id", "contact_id", "channel", "variant_key", "arm")
        .order_by("channel", "pk")
    )
    for delivery in rows:
        found.setdefault((delivery.campaign_id, delivery.contact_id), delivery)
    return found
