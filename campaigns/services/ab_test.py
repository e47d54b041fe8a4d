"""The A/B test's winner: after the test period, the rest of the audience gets the arm
that scored best (click rate, or revenue per recipient)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from ..models import Campaign, CampaignStatus, Delivery, DeliveryState, Order, WinnerMetric
from ..personalisation import arms_of, parse_variant_key, variant_key

logger = logging.getLogger(__name__)


def _arm_scores(campaign: Campaign) -> dict[str, float]:
    """Each arm's score: click rate of its sent messages, or revenue per recipient.

    Revenue per recipient is the revenue of the orders its recipients placed since dispatch
    (each order once, however many channels reached its buyer) over the number of
    recipients, so arms of different sizes compare fairly.
    """
    arms = [label for label in arms_of(campaign) if label]
    sent = Delivery.objects.filter(campaign=campaign, arm__in=arms, state=DeliveryState.SENT)
    if campaign.winner_metric == WinnerMetric.REVENUE:
        scores = {}
        for arm in arms:
            recipients = sent.filter(arm=arm, contact__isnull=False).values("contact_id")
            count = recipients.distinct().count()
            revenue = Order.objects.filter(
                contact_id__in=recipients, ordered_at__gte=campaign.dispatched_at
            ).aggregate(total=Sum("revenue"))["total"]
            scores[arm] = float(revenue or 0) / count if count else 0.0
        return scores
    totals = dict(sent.order_by().values_list("arm").annotate(n=Count("*")).values_list("arm", "n"))
    clicks = dict(
        sent.filter(clicked_at__isnull=False)
        .order_by()
        .values_list("arm")
        .annotate(n=Count("*"))
        .values_list("arm", "n")
    )
    return {arm: (clicks.get(arm, 0) / totals[arm]) if totals.get(arm) else 0.0 for arm in arms}


def campaign_choose_winner(*, campaign_id: int, now: dt.datetime | None = None) -> str:
    """After the test period, give the rest of the audience the arm that won; "" if not due."""
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
        scores = _arm_scores(campaign)
        # Highest score wins; a tie goes to the earlier arm.
        winner = max(sorted(scores), key=lambda arm: scores[arm])
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
        campaign.winner_chosen_at = now
        campaign.save(update_fields=["winner_arm", "winner_chosen_at", "updated_at"])
    logger.info("campaign.winner campaign=%s arm=%s scores=%s", campaign_id, winner, scores)
    return winner
