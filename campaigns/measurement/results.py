"""A campaign's results, read from the kept figures: KPIs per channel, variant, arm, role and
phase; the daily series; the funnel; top links; the A/B and holdout verdicts; the programme.

Every read here is a grouped query over ``CampaignDayStats``, ``DeliveryStateCount`` and
``OrderCredit`` (a campaign has a few rows per variant and day, and one credit per order),
never over raw events or deliveries, so a results page costs the same for a campaign of a
thousand recipients as for one of a million. Top links and the holdout's buyers are the
exception that stays small: the clicks of one campaign, and the orders in its window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import get_language

from ..models import (
    Campaign,
    CampaignDayStats,
    CampaignFigures,
    CampaignLinkStats,
    CampaignStatus,
    CreditKind,
    DeliveryState,
    DeliveryStateCount,
    OrderCredit,
)
from ..personalisation import parse_variant_key
from ..selectors import segment_members
from ..services.dispatch import HOLDOUT
from . import stats
from .intake import COUNTERS, RECEIVED

# What a results table can be grouped by: stored columns, and parts of the variant key.
DIMENSIONS = ("channel", "arm", "locale", "role", "phase", "variant_key")
DAY_COUNTERS = ("sent", *COUNTERS)


def _ratio(part, whole) -> float | None:
    return float(part) / float(whole) if whole else None


@dataclass
class Kpis:
    """The figures of one group of deliveries, and the rates made from them."""

    group: dict[str, str] = field(default_factory=dict)
    # Delivery states, as last recounted.
    assigned: int = 0  # every delivery but held-out ones
    received: int = 0  # handed over: sent, bounced, or in doubt
    bounced: int = 0
    in_doubt: int = 0
    failed: int = 0
    not_sent: int = 0  # no consent, suppressed, cancelled
    held_out: int = 0
    # Kept figures.
    sent: int = 0
    opens: int = 0
    unique_opens: int = 0
    human_opens: int = 0
    machine_opens: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    bot_clicks: int = 0
    unsubscribes: int = 0
    complaints: int = 0
    conversions: Decimal = Decimal("0")
    revenue: Decimal = Decimal("0.00")
    cost: Decimal | None = None  # only for a whole campaign

    def add_day(self, row: dict) -> None:
        for name in DAY_COUNTERS:
            setattr(self, name, getattr(self, name) + (row[name] or 0))
        # SQLite sums decimals as floats: back to cents and the credit's precision.
        self.revenue = Decimal(self.revenue).quantize(Decimal("0.01"))
        self.conversions = Decimal(self.conversions).quantize(Decimal("0.0001"))

    def add_state(self, state: str, count: int) -> None:
        if state == DeliveryState.HELD_OUT:
            self.held_out += count
            return
        self.assigned += count
        if state in RECEIVED:
            self.received += count
        if state == DeliveryState.BOUNCED:
            self.bounced += count
        elif state == DeliveryState.IN_DOUBT:
            self.in_doubt += count
        elif state == DeliveryState.FAILED:
            self.failed += count
        elif state in (DeliveryState.SUPPRESSED, DeliveryState.CANCELLED):
            self.not_sent += count

    # --- rates -------------------------------------------------------------------------

    @property
    def delivered(self) -> int:
        """Handed over and not bounced (messages in doubt count: most of them arrived)."""
        return self.received - self.bounced

    @property
    def bounce_rate(self) -> float | None:
        return _ratio(self.bounced, self.received)

    @property
    def open_rate(self) -> float | None:
        """Unique human opens over delivered messages."""
        return _ratio(self.human_opens, self.delivered)

    @property
    def machine_open_share(self) -> float | None:
        return _ratio(self.machine_opens, self.opens)

    @property
    def click_rate(self) -> float | None:
        return _ratio(self.unique_clicks, self.delivered)

    @property
    def click_to_open(self) -> float | None:
        return _ratio(self.unique_clicks, self.human_opens)

    @property
    def unsubscribe_rate(self) -> float | None:
        return _ratio(self.unsubscribes, self.delivered)

    @property
    def complaint_rate(self) -> float | None:
        return _ratio(self.complaints, self.delivered)

    @property
    def conversion_rate(self) -> float | None:
        return _ratio(self.conversions, self.delivered)

    @property
    def revenue_per_recipient(self) -> Decimal | None:
        return (self.revenue / self.delivered).quantize(Decimal("0.01")) if self.delivered else None

    @property
    def roi(self) -> float | None:
        """(revenue - cost) / cost x 100; empty without a cost."""
        if not self.cost:
            return None
        return float((self.revenue - self.cost) / self.cost * 100)

    @property
    def cost_per_conversion(self) -> Decimal | None:
        if self.cost is None or not self.conversions:
            return None
        return (self.cost / self.conversions).quantize(Decimal("0.01"))


def _group_of(dimensions: Sequence[str], channel: str, variant: str, arm: str) -> tuple:
    locale, role, phase, _arm = parse_variant_key(variant) if variant else ("", "", "", "")
    parts = {
        "channel": channel,
        "arm": arm,
        "locale": locale,
        "role": role,
        "phase": phase,
        "variant_key": variant,
    }
    return tuple((name, parts[name]) for name in dimensions)


@dataclass
class ResultsTable:
    dimensions: tuple[str, ...]
    total: Kpis
    rows: list[Kpis]


def campaign_kpis(
    campaign: Campaign,
    by: Sequence[str] = ("channel", "arm"),
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> ResultsTable:
    """The campaign's KPIs in total and per group (``by``: names from ``DIMENSIONS``).

    ``since``/``until`` limit the kept figures to those days; delivery states are the
    campaign's as a whole.
    """
    unknown = set(by) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"Cannot group by {', '.join(sorted(unknown))}.")
    dimensions = tuple(by)
    total = Kpis(cost=campaign.cost)
    groups: dict[tuple, Kpis] = {}

    def group(channel: str, variant: str, arm: str) -> Kpis:
        key = _group_of(dimensions, channel, variant, arm)
        if key not in groups:
            groups[key] = Kpis(group=dict(key))
        return groups[key]

    days = CampaignDayStats.objects.filter(campaign=campaign)
    if since:
        days = days.filter(day__gte=since)
    if until:
        days = days.filter(day__lte=until)
    sums = {name: Sum(name) for name in DAY_COUNTERS}
    for row in days.order_by().values("channel", "variant_key", "arm").annotate(**sums):
        total.add_day(row)
        group(row["channel"], row["variant_key"], row["arm"]).add_day(row)
    states = DeliveryStateCount.objects.filter(campaign=campaign).values_list(
        "channel", "variant_key", "arm", "state", "count"
    )
    for channel, variant, arm, state, count in states:
        total.add_state(state, count)
        group(channel, variant, arm).add_state(state, count)
    rows = sorted(groups.values(), key=lambda kpis: tuple(kpis.group.values()))
    return ResultsTable(dimensions, total, rows)


def campaigns_totals(campaigns: Sequence[Campaign]) -> dict[int, Kpis]:
    """``campaign_kpis(...).total`` of several campaigns in two queries (the home dashboard)."""
    totals = {campaign.pk: Kpis(cost=campaign.cost) for campaign in campaigns}
    sums = {name: Sum(name) for name in DAY_COUNTERS}
    days = CampaignDayStats.objects.filter(campaign_id__in=totals).order_by().values("campaign_id")
    for row in days.annotate(**sums):
        totals[row["campaign_id"]].add_day(row)
    states = DeliveryStateCount.objects.filter(campaign_id__in=totals).values_list(
        "campaign_id", "state", "count"
    )
    for campaign_id, state, count in states:
        totals[campaign_id].add_state(state, count)
    return totals


@dataclass(frozen=True)
class DayPoint:
    day: dt.date
    sent: int
    human_opens: int
    unique_clicks: int
    conversions: Decimal
    revenue: Decimal


def campaign_series(campaign: Campaign) -> list[DayPoint]:
    """Per day: messages sent, first human opens, first human clicks, orders, revenue."""
    rows = (
        CampaignDayStats.objects.filter(campaign=campaign)
        .order_by("day")
        .values("day")
        .annotate(
            sent=Sum("sent"),
            human_opens=Sum("human_opens"),
            unique_clicks=Sum("unique_clicks"),
            conversions=Sum("conversions"),
            revenue=Sum("revenue"),
        )
    )
    return [DayPoint(**row) for row in rows]


def campaign_funnel(kpis: Kpis) -> list[tuple[str, float]]:
    """Delivered -> opened -> clicked -> ordered, as (step, count) for the funnel chart."""
    return [
        ("delivered", kpis.delivered),
        ("opened", kpis.human_opens),
        ("clicked", kpis.unique_clicks),
        ("ordered", float(kpis.conversions)),
    ]


def campaign_top_links(campaign: Campaign, limit: int = 10) -> list[tuple[str, int, int]]:
    """The most clicked links: (URL, clicks, people who clicked), bot clicks left out."""
    return list(
        CampaignLinkStats.objects.filter(campaign=campaign)
        .order_by("-clicks", "url")
        .values_list("url", "clicks", "people")[:limit]
    )


@dataclass(frozen=True)
class Repurchase:
    """Recipients who had ordered before the dispatch (customers), and of them those who
    ordered again within the measurement window (buyers), as last recounted."""

    customers: int
    buyers: int

    @property
    def rate(self) -> float | None:
        return _ratio(self.buyers, self.customers)


def campaign_repurchase(campaign: Campaign) -> Repurchase | None:
    """The repurchase figures kept by ``results_refresh``; None before the first recount."""
    figures = CampaignFigures.objects.filter(campaign=campaign).first()
    if figures is None:
        return None
    return Repurchase(figures.repeat_customers, figures.repeat_buyers)


# --- comparisons ------------------------------------------------------------------------------


def _revenue_values(campaign: Campaign) -> dict[str, list[float]]:
    """Non-zero revenue per recipient (and held-out contact) in the window, by arm."""
    per_delivery = (
        OrderCredit.objects.filter(campaign=campaign, kind=CreditKind.EXPOSED)
        .order_by()
        .values("arm", "delivery_id")
        .annotate(revenue=Sum("revenue"))
    )
    values: dict[str, list[float]] = defaultdict(list)
    for row in per_delivery:
        if row["revenue"]:
            values[row["arm"]].append(float(row["revenue"]))
    for arm_values in values.values():
        arm_values.sort()  # the bootstrap's resamples depend on the order
    return values


def _state_counts_by_arm(campaign: Campaign) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for arm, state, count in DeliveryStateCount.objects.filter(campaign=campaign).values_list(
        "arm", "state", "count"
    ):
        counts[arm][state] += count
    return counts


def _received(counts: dict[str, int]) -> int:
    return sum(counts.get(state, 0) for state in RECEIVED)


# Statistics of the same figures are the same: kept in the cache, keyed by their inputs.
STATS_CACHE_SECONDS = 24 * 3600


def _credits_fingerprint(campaign: Campaign) -> tuple:
    """What the comparisons' revenue depends on, in one aggregate: an order's credits are
    rewritten (new ids) whenever it changes, so a changed, added or removed credit changes
    the count, the last id or the total."""
    found = OrderCredit.objects.filter(campaign=campaign, kind=CreditKind.EXPOSED).aggregate(
        n=Count("pk"), last=Max("pk"), total=Sum("revenue")
    )
    return (found["n"], found["last"], str(found["total"]))


def _cached_stats(kind: str, campaign: Campaign, inputs: tuple, compute):
    """``compute()``, or its cached result for these inputs: a bootstrap of a few thousand
    contacts takes seconds, and reading every buyer's revenue of a large campaign a good part
    of a page view, while the figures change only as things happen."""
    # Verdicts are sentences in the reader's language.
    digest = hashlib.sha256(repr((get_language(), inputs)).encode()).hexdigest()[:32]
    key = f"campaign-results:{kind}:{campaign.pk}:{digest}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, STATS_CACHE_SECONDS)
    return found


def campaign_holdout(campaign: Campaign) -> stats.Uplift | None:
    """Revenue per contact of recipients against the holdout, over the campaign's window."""
    if not campaign.holdout_percent:
        return None
    counts = _state_counts_by_arm(campaign)
    held_out = counts.get(HOLDOUT, {}).get(DeliveryState.HELD_OUT, 0)
    treated_n = sum(_received(by_state) for arm, by_state in counts.items() if arm != HOLDOUT)
    if not held_out or not treated_n:
        return None

    def compute() -> stats.Uplift:
        values = _revenue_values(campaign)
        treated = [
            value for arm, arm_values in values.items() if arm != HOLDOUT for value in arm_values
        ]
        return stats.holdout_uplift(
            stats.RevenueSample(treated_n, treated),
            stats.RevenueSample(held_out, values[HOLDOUT]),
        )

    inputs = (treated_n, held_out, _credits_fingerprint(campaign))
    return _cached_stats("holdout", campaign, inputs, compute)


def campaign_ab(campaign: Campaign, table: ResultsTable | None = None) -> stats.ABSummary | None:
    """The A/B comparison of the campaign's arms, or None without arms."""
    arms = {arm.label: arm.share for arm in campaign.arms.all()}
    if len(arms) < 2:
        return None
    table = table or campaign_kpis(campaign, by=("arm",))
    by_arm = {kpis.group.get("arm", ""): kpis for kpis in table.rows}
    empty = Kpis()
    counts = {
        label: (
            by_arm.get(label, empty).delivered,
            by_arm.get(label, empty).unique_clicks,
            by_arm.get(label, empty).human_opens,
            by_arm.get(label, empty).received,
        )
        for label in sorted(arms)
    }
    metric = campaign.winner_metric or "click_rate"
    shares = planned_shares(campaign, arms)

    def compute() -> stats.ABSummary:
        values = _revenue_values(campaign)
        figures = {
            label: stats.ArmFigures(
                recipients=delivered,
                clicks=clicks,
                opens=opens,
                revenue=stats.RevenueSample(received, values.get(label, [])),
            )
            for label, (delivered, clicks, opens, received) in counts.items()
        }
        return stats.ab_summary(figures, shares, metric)

    inputs = (metric, tuple(sorted(shares.items())), tuple(counts.items()))
    return _cached_stats("ab", campaign, (*inputs, _credits_fingerprint(campaign)), compute)


def planned_shares(campaign: Campaign, arms: dict[str, int]) -> dict[str, float]:
    """Each arm's planned share of the audience, counting the part it was given later.

    Dispatch gives each arm its share; the rest of the audience (without the holdout) goes
    to the last arm, or, with a test period, waits and then goes to the winner.
    """
    shares = {label: float(share) for label, share in arms.items()}
    rest = 100 - campaign.holdout_percent - sum(arms.values())
    if rest > 0:
        if not campaign.winner_after_hours:
            shares[list(arms)[-1]] += rest
        elif campaign.winner_arm in shares:
            shares[campaign.winner_arm] += rest
    return shares


# --- planning a test -------------------------------------------------------------------------

# The click rate a test is planned against when no campaign finished lately has figures.
DEFAULT_BASELINE_CLICK_RATE = 0.03
# Campaigns finished this long ago or later give the baseline click rate.
BASELINE_DAYS = 180
# The messages that arrived: delivered in ``Kpis`` terms (received, not bounced).
DELIVERED = (DeliveryState.SENT, DeliveryState.IN_DOUBT)


@dataclass(frozen=True)
class BaselineClickRate:
    rate: float
    campaigns: int  # finished campaigns it comes from; 0: the default rate
    delivered: int

    @property
    def is_default(self) -> bool:
        return not self.campaigns


def baseline_click_rate(
    now: dt.datetime | None = None, *, exclude: Campaign | None = None
) -> BaselineClickRate:
    """The click rate of the campaigns finished in the last ``BASELINE_DAYS`` days: their
    unique clicks over their delivered messages, all together (so a large campaign weighs
    as much as its recipients). ``DEFAULT_BASELINE_CLICK_RATE`` without any such campaign,
    or when none of them got a click.
    """
    now = now or timezone.now()
    finished = Campaign.objects.filter(
        status=CampaignStatus.DONE, finished_at__gte=now - dt.timedelta(days=BASELINE_DAYS)
    )
    if exclude is not None:
        finished = finished.exclude(pk=exclude.pk)
    delivered = dict(
        DeliveryStateCount.objects.filter(campaign__in=finished, state__in=DELIVERED)
        .order_by()
        .values("campaign_id")
        .annotate(n=Sum("count"))
        .values_list("campaign_id", "n")
    )
    delivered = {pk: n for pk, n in delivered.items() if n}
    clicks = (
        CampaignDayStats.objects.filter(campaign_id__in=list(delivered)).aggregate(
            n=Sum("unique_clicks")
        )["n"]
        or 0
    )
    total = sum(delivered.values())
    if not clicks or clicks >= total:
        return BaselineClickRate(DEFAULT_BASELINE_CLICK_RATE, 0, 0)
    return BaselineClickRate(clicks / total, len(delivered), total)


@dataclass(frozen=True)
class PlannedTestPower:
    """What a planned A/B test can find: its audience and the smallest difference in click
    rate it detects (80 % power, 5 % significance); ``difference`` is None when the
    audience is too small to split."""

    audience: int  # the segment's reachable contacts now
    tested: int  # of them, those the arms get (no holdout, no rest waiting for the winner)
    shares: dict[str, float]
    baseline: BaselineClickRate
    difference: float | None


def planned_test_power(
    campaign: Campaign, now: dt.datetime | None = None
) -> PlannedTestPower | None:
    """The minimum detectable effect of the campaign's A/B test on the click rate, before it
    is sent; None without two arms or a segment."""
    arms = {arm.label: arm.share for arm in campaign.arms.all()}
    if len(arms) < 2 or not campaign.segment_id:
        return None
    audience = len(segment_members(campaign.segment, now=now))
    shares = planned_shares(campaign, arms)
    tested = round(audience * sum(shares.values()) / 100)
    baseline = baseline_click_rate(now, exclude=campaign)
    try:
        difference = stats.minimum_detectable_effect(tested, list(shares.values()), baseline.rate)
    except ValueError:  # too few contacts for a control arm
        difference = None
    return PlannedTestPower(audience, tested, shares, baseline, difference)


# --- the programme ----------------------------------------------------------------------------


@dataclass
class ProgrammeRow:
    campaign_id: int
    name: str
    channel: str
    revenue: Decimal
    conversions: Decimal
    cost: Decimal | None
    delivered: int = 0

    @property
    def roi(self) -> float | None:
        if not self.cost:
            return None
        return float((self.revenue - self.cost) / self.cost * 100)


def programme(since: dt.date, until: dt.date, campaigns: Iterable[Campaign] | None = None):
    """Revenue and ROI per campaign (and per campaign x channel) over a period of days.

    Returns (per campaign, per campaign and channel). A campaign's cost is counted in full
    for the period (cost is planned per campaign, not per day or channel).
    """
    days = CampaignDayStats.objects.filter(day__gte=since, day__lte=until)
    if campaigns is not None:
        days = days.filter(campaign__in=list(campaigns))
    rows = (
        days.order_by()
        .values("campaign_id", "campaign__name", "campaign__cost", "channel")
        .annotate(revenue=Sum("revenue"), conversions=Sum("conversions"))
    )
    by_campaign: dict[int, ProgrammeRow] = {}
    by_channel: list[ProgrammeRow] = []
    for row in rows:
        entry = ProgrammeRow(
            row["campaign_id"],
            row["campaign__name"],
            row["channel"],
            row["revenue"] or Decimal("0.00"),
            row["conversions"] or Decimal("0"),
            None,
        )
        by_channel.append(entry)
        whole = by_campaign.setdefault(
            row["campaign_id"],
            ProgrammeRow(
                row["campaign_id"],
                row["campaign__name"],
                "",
                Decimal("0.00"),
                Decimal("0"),
                row["campaign__cost"],
            ),
        )
        whole.revenue += entry.revenue
        whole.conversions += entry.conversions
    ordered = sorted(by_campaign.values(), key=lambda row: (-row.revenue, row.name))
    by_channel.sort(key=lambda row: (row.name, row.channel))
    return ordered, by_channel


KPI_FIELDS = tuple(f.name for f in fields(Kpis) if f.name != "group")
