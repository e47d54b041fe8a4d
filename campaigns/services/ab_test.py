"""The A/B test's winner: after the test period, the rest of the audience gets the arm that
won on the campaign's metric (click rate, or revenue per recipient), judged by the same
statistics as the results page (``campaigns.measurement.stats.ab_summary``).

With ``winner_requires_significance`` (the default) an arm wins only when its lead over the
control (arm A) is statistically significant, after the Benjamini-Hochberg correction when
there are several challengers; otherwise nothing won and the rest gets the control. Without
it, the arm with the best score wins however small its lead. Either way the campaign records
whether the choice was significant.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ..measurement import stats
from ..models import Campaign, CampaignStatus, Delivery, DeliveryState, Order, WinnerMetric
from ..personalisation import arms_of, parse_variant_key, variant_key

logger = logging.getLogger(__name__)


def arm_figures(campaign: Campaign, arms: list[str]) -> dict[str, stats.ArmFigures]:
    """Each arm's recipients, human opens and clicks, and revenue per recipient so far.

    Read from the deliveries and orders at the moment of choosing (once per campaign), so
    the choice uses every click and order recorded until then. Revenue is that of the orders
    its recipients placed since dispatch, each order once however many channels reached the
    buyer.
    """
    sent = Delivery.objects.filter(
        campaign=campaign, arm__in=arms, state=DeliveryState.SENT, contact__isnull=False
    )
    counts = {
        row["arm"]: row
        for row in sent.order_by()
        .values("arm")
        .annotate(
            recipients=Count("contact", distinct=True),
            clicks=Count("contact", distinct=True, filter=Q(human_clicked_at__isnull=False)),
            opens=Count("contact", distinct=True, filter=Q(human_opened_at__isnull=False)),
        )
    }
    revenue: dict[str, list[float]] = defaultdict(list)
    for arm in arms:
        buyers = (
            Order.objects.filter(
                contact_id__in=sent.filter(arm=arm).values("contact_id"),
                ordered_at__gte=campaign.dispatched_at,
            )
            .order_by()
            .values("contact_id")
            .annotate(total=Sum("revenue"))
        )
        revenue[arm] = [float(row["total"]) for row in buyers if row["total"]]
    figures = {}
    for arm in arms:
        row = counts.get(arm, {"recipients": 0, "clicks": 0, "opens": 0})
        figures[arm] = stats.ArmFigures(
            recipients=row["recipients"],
            clicks=row["clicks"],
            opens=row["opens"],
            revenue=stats.RevenueSample(row["recipients"], revenue[arm]),
        )
    return figures


def _winner(campaign: Campaign) -> tuple[str, bool, stats.ABSummary]:
    """The arm the rest gets, and whether its lead is significant."""
    from ..measurement.results import planned_shares

    shares = {arm.label: arm.share for arm in campaign.arms.all()}
    arms = sorted(label for label in arms_of(campaign) if label)
    metric = campaign.winner_metric or WinnerMetric.CLICK_RATE
    summary = stats.ab_summary(
        arm_figures(campaign, arms), planned_shares(campaign, shares), metric
    )
    if summary.winner is not None:
        return summary.winner, True, summary
    if campaign.winner_requires_significance:
        return summary.control, False, summary

    def score(arm: str) -> float:
        result = summary.arms[arm]
        value = (
            result.click_rate.value
            if metric == WinnerMetric.CLICK_RATE
            else result.revenue_per_recipient
        )
        return value or 0.0

    # Highest score wins; a tie goes to the earlier arm.
    return max(arms, key=lambda arm: (score(arm), -arms.index(arm))), False, summary


def campaign_choose_winner(*, campaign_id: int, now: dt.datetime | None = None) -> str:
    """After the test period, give the rest of the audience the winning arm; "" if not due."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(skip_locked=True)
            .filter(
                pk=campaign_id,
                status=CampaignStatus.RUNNING,
                winner_arm="",
                winner_after_hours__isnull=False,
            )
            .first()
        )
        if campaign is None or campaign.dispatched_at is None:
            return ""
        if now < campaign.dispatched_at + dt.timedelta(hours=campaign.winner_after_hours):
            return ""
        winner, significant, summary = _winner(campaign)
        waiting = Delivery.objects.filter(campaign=campaign, state=DeliveryState.WAITING)
        for key in set(waiting.values_list("variant_key", flat=True)):
            locale, role, phase, _arm = parse_variant_key(key)
            waiting.filter(variant_key=key).update(
                arm=winner,
                variant_key=variant_key(locale, role, phase, winner),
                state=DeliveryState.QUEUED,
                due_at=now,
                updated_at=now,
            )
        campaign.winner_arm = winner
        campaign.winner_significant = significant
        campaign.winner_chosen_at = now
        campaign.save(
            update_fields=["winner_arm", "winner_significant", "winner_chosen_at", "updated_at"]
        )
    logger.info(
        "campaign.winner campaign=%s arm=%s significant=%s verdicts=%s",
        campaign_id,
        winner,
        significant,
        summary.verdicts,
    )
    return winner
