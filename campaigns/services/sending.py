"""Sending: dispatch a scheduled campaign into delivery rows, hand them out, send each once.

The delivery row is the only truth about what was sent:

- dispatch freezes the segment and writes one row per (campaign, channel, contact): a
  unique constraint, so no broker redelivery or second dispatch can add a recipient twice;
- ``deliveries_claim`` hands due rows out in batches: each batch gets a claim id, which is
  also its Celery task id, and its rows move to ``sending`` before the task is queued;
- ``batch_send`` sends the rows of one claim and records every message the moment the
  server accepted it. A worker killed mid-batch gets the same task again (late ack,
  rejected on worker loss): its claim still holds exactly the rows not yet recorded, so
  those, and only those, are sent. The one gap SMTP leaves (the server accepted, the worker
  died before recording it) is a message in flight per connection.

Consent, suppression and declined topics are checked again when each batch is sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Sum
from django.utils import timezone

from channels.base import DeliveryResult, RenderedVariant
from channels.exceptions import TransportError
from channels.registry import get_channel

from ..models import (
    Campaign,
    CampaignStatus,
    Contact,
    Delivery,
    DeliveryState,
    Order,
    ScheduleMode,
    SnapshotMember,
    WinnerMetric,
)
from ..models.campaign import OPEN_DELIVERY_STATES
from ..personalisation import (
    VariantResolver,
    arms_of,
    contact_timezone,
    local_moment,
    parse_variant_key,
    recipients_for,
    variant_key,
    variant_skus,
)
from ..segments import reachable
from .segments import segment_snapshot

logger = logging.getLogger(__name__)

HOLDOUT = "holdout"


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- dispatch -----------------------------------------------------------------------------------


def _split(campaign: Campaign, contact_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each contact's (arm, state): holdout, an arm, or waiting for the A/B winner.

    Sizes are exact (rounded) shares of the audience; who lands where is a shuffle seeded
    by the campaign, so dispatching the same snapshot again gives the same split.
    """
    order = sorted(contact_ids)
    random.Random(campaign.pk).shuffle(order)  # noqa: S311 (a fair split, not a secret)
    total = len(order)
    plan: list[tuple[str, str, int]] = []
    if campaign.holdout_percent:
        plan.append(
            (HOLDOUT, DeliveryState.HELD_OUT, round(total * campaign.holdout_percent / 100))
        )
    arms = list(campaign.arms.all())
    for arm in arms:
        plan.append((arm.label, DeliveryState.QUEUED, round(total * arm.share / 100)))
    split: dict[int, tuple[str, str]] = {}
    position = 0
    for label, state, size in plan:
        for contact_id in order[position : position + size]:
            split[contact_id] = (label, state)
        position += size
    rest = (
        ("", DeliveryState.WAITING)
        if arms and campaign.winner_after_hours
        else ((arms[-1].label if arms else ""), DeliveryState.QUEUED)
    )
    for contact_id in order[position:]:
        split[contact_id] = rest
    return split


def _due_at(campaign: Campaign, contact: Contact, now: dt.datetime) -> dt.datetime:
    if campaign.schedule_mode == ScheduleMode.LOCAL:
        day = timezone.localtime(campaign.send_at).date()
        moment = local_moment(day, campaign.local_send_time, contact_timezone(contact))
        return max(moment, now)
    return max(campaign.send_at or now, now) if campaign.schedule_mode == ScheduleMode.AT else now


def campaign_dispatch(*, campaign_id: int, now: dt.datetime | None = None) -> int:
    """Freeze the segment and write the delivery rows of a due, scheduled campaign.

    Returns the number of rows written; 0 when the campaign is not (or no longer) due.
    """
    now = now or timezone.now()
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(skip_locked=True)
            .filter(pk=campaign_id, status=CampaignStatus.SCHEDULED)
            .first()
        )
        if campaign is None or not campaign.is_approved:
            return 0
        snapshot = segment_snapshot(segment=campaign.segment, user=campaign.scheduled_by, now=now)
        contact_ids = list(
            SnapshotMember.objects.filter(snapshot=snapshot).values_list("contact_id", flat=True)
        )
        split = _split(campaign, contact_ids)
        written = 0
        chunk = 2000
        for start in range(0, len(contact_ids), chunk):
            contacts = (
                Contact.objects.filter(pk__in=contact_ids[start : start + chunk])
                .only("pk", "language", "role", "phase", "timezone", "account__country")
                .select_related("account")
            )
            rows = []
            for contact in contacts:
                arm, state = split[contact.pk]
                for channel in campaign.channels:
                    rows.append(
                        Delivery(
                            campaign=campaign,
                            channel=channel,
                            contact=contact,
                            arm=arm,
                            state=state,
                            variant_key=variant_key(
                                contact.language,
                                contact.role,
                                contact.phase,
                                "" if arm == HOLDOUT else arm,
                            ),
                            due_at=_due_at(campaign, contact, now),
                        )
                    )
            Delivery.objects.bulk_create(rows, ignore_conflicts=True)
            written += len(rows)
        campaign.snapshot = snapshot
        campaign.status = CampaignStatus.RUNNING
        campaign.dispatched_at = now
        campaign.save(update_fields=["snapshot", "status", "dispatched_at", "updated_at"])
    logger.info(
        "campaign.dispatched campaign=%s snapshot=%s deliveries=%s",
        campaign.pk,
        snapshot.pk,
        written,
    )
    return written


# --- handing out batches -------------------------------------------------------------------------


def deliveries_claim(
    *, campaign_id: int, now: dt.datetime | None = None, limit: int | None = None
) -> list[str]:
    """Move batches of due, queued rows to ``sending``; return their claims.

    Each batch holds rows of one variant, at most ``HUB_SEND_BATCH_SIZE``; at most
    ``HUB_SEND_BATCHES_AHEAD`` batches of a campaign are out at once (and at most ``limit``
    more now). Rows another dispatcher holds are skipped (``skip_locked``), never waited for
    or taken twice.
    """
    now = now or timezone.now()
    size = _setting("HUB_SEND_BATCH_SIZE", 500)
    claims: list[str] = []
    with transaction.atomic():
        campaign = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.RUNNING).first()
        if campaign is None:
            return []
        # Keep a few batches queued per campaign, not all of them: the queue stays short,
        # and pausing or cancelling takes effect after at most those batches.
        outstanding = (
            Delivery.objects.filter(campaign_id=campaign_id, state=DeliveryState.SENDING)
            .values("claimed_by")
            .distinct()
            .count()
        )
        room = _setting("HUB_SEND_BATCHES_AHEAD", 4) - outstanding
        limit = room if limit is None else min(limit, room)
        if limit <= 0:
            return []
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(campaign_id=campaign_id, state=DeliveryState.QUEUED, due_at__lte=now)
            .order_by("variant_key", "pk")
            .values_list("pk", "variant_key")[: size * limit]
        )
        by_variant: dict[str, list[int]] = defaultdict(list)
        for pk, key in rows:
            by_variant[key].append(pk)
        batches = [
            ids[start : start + size]
            for ids in by_variant.values()
            for start in range(0, len(ids), size)
        ]
        for batch in batches[:limit]:
            claim = uuid.uuid4().hex
            Delivery.objects.filter(pk__in=batch).update(
                state=DeliveryState.SENDING,
                claimed_by=claim,
                claimed_at=now,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
            claims.append(claim)
    return claims


def deliveries_release_stale(*, now: dt.datetime | None = None) -> int:
    """Put rows whose batch vanished (its task was lost) back in the queue."""
    now = now or timezone.now()
    timeout = dt.timedelta(seconds=_setting("HUB_SEND_CLAIM_TIMEOUT", 15 * 60))
    released = Delivery.objects.filter(
        state=DeliveryState.SENDING, claimed_at__lt=now - timeout
    ).update(state=DeliveryState.QUEUED, claimed_by="", updated_at=now)
    if released:
        logger.warning("delivery.released_stale count=%s", released)
    return released


# --- sending one batch --------------------------------------------------------------------------


@dataclass
class BatchReport:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    suppressed: int = 0
    released: int = 0


_RENDERED: dict[tuple, tuple[float, RenderedVariant]] = {}
RENDER_TTL = 300.0


def _rendered(campaign: Campaign, channel, key: str) -> RenderedVariant | None:
    """The variant rendered once per process (for a few minutes, so withdrawn content goes)."""
    # The publication's moment too: ids alone can come back after a database is restored.
    cache_key = (
        campaign.pk,
        campaign.live_revision_id,
        campaign.last_published_at,
        channel.key,
        key,
    )
    cached = _RENDERED.get(cache_key)
    if cached is not None and time.monotonic() - cached[0] < RENDER_TTL:
        return cached[1]
    variant, missing = VariantResolver(campaign).resolve(key)
    if variant is None:
        return None
    if missing:
        # Optional slots without a message are simply left out; anything else is logged.
        logger.warning("campaign.variant_incomplete campaign=%s variant=%s", campaign.pk, key)
    rendered = channel.render(variant)
    if len(_RENDERED) > 256:
        _RENDERED.clear()
    _RENDERED[cache_key] = (time.monotonic(), rendered)
    return rendered


def _unreachable(campaign: Campaign, deliveries: list[Delivery]) -> set[int]:
    """Rows whose contact may not be mailed any more: erased, no consent, suppressed, declined."""
    ids = [d.contact_id for d in deliveries if d.contact_id]
    allowed = reachable(Contact.objects.filter(pk__in=ids))
    ok = {
        pk
        for pk, declined in allowed.values_list("pk", "declined_topics")
        if not (campaign.topic and campaign.topic in (declined or []))
    }
    return {d.pk for d in deliveries if d.contact_id not in ok}


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


class _Recorder:
    """Records each result as it arrives, once; retries transient failures with backoff."""

    def __init__(self, report: BatchReport, max_attempts: int):
        self.report = report
        self.max_attempts = max_attempts
        self.attempts: dict[int, int] = {}
        self.seen: set[int] = set()

    def __call__(self, result: DeliveryResult) -> None:
        if result.delivery_id in self.seen:
            return
        self.seen.add(result.delivery_id)
        now = timezone.now()
        rows = Delivery.objects.filter(pk=result.delivery_id, state=DeliveryState.SENDING)
        attempts = self.attempts.get(result.delivery_id, 1)
        if result.sent:
            rows.update(
                state=DeliveryState.SENT,
                sent_at=now,
                message_id=result.message_id[:200],
                provider_id=result.provider_id[:200],
                detail="",
                claimed_by="",
                updated_at=now,
            )
            self.report.sent += 1
        elif result.permanent or attempts >= self.max_attempts:
            rows.update(
                state=DeliveryState.FAILED,
                detail=result.detail[:500],
                claimed_by="",
                updated_at=now,
            )
            self.report.failed += 1
        else:
            rows.update(
                state=DeliveryState.QUEUED,
                detail=result.detail[:500],
                due_at=now + _backoff(attempts),
                claimed_by="",
                updated_at=now,
            )
            self.report.retried += 1


def batch_send(*, campaign_id: int, claim: str) -> BatchReport:
    """Send the rows of one claim that are still ``sending``; each recorded as it goes."""
    report = BatchReport()
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    rows = Delivery.objects.filter(
        campaign_id=campaign_id, claimed_by=claim, state=DeliveryState.SENDING
    )
    if campaign is None:
        return report
    now = timezone.now()
    if campaign.status == CampaignStatus.CANCELLED:
        report.released = rows.update(state=DeliveryState.CANCELLED, claimed_by="", updated_at=now)
        return report
    if campaign.status != CampaignStatus.RUNNING or not campaign.is_approved:
        # Paused (or withdrawn): back in the queue, sent when the campaign runs again.
        report.released = rows.update(state=DeliveryState.QUEUED, claimed_by="", updated_at=now)
        return report
    deliveries = list(rows.select_related("contact__account").order_by("pk"))
    if not deliveries:
        return report
    blocked = _unreachable(campaign, deliveries)
    if blocked:
        report.suppressed = Delivery.objects.filter(pk__in=blocked).update(
            state=DeliveryState.SUPPRESSED,
            detail="No consent, suppressed or topic declined at send time.",
            claimed_by="",
            updated_at=now,
        )
    deliveries = [d for d in deliveries if d.pk not in blocked]
    by_group: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        by_group[(delivery.channel, delivery.variant_key)].append(delivery)
    max_attempts = _setting("HUB_SEND_MAX_ATTEMPTS", 5)
    record = _Recorder(report, max_attempts)
    for (channel_key, key), group in by_group.items():
        channel = get_channel(channel_key)
        rendered = _rendered(campaign, channel, key)
        if rendered is None:
            Delivery.objects.filter(pk__in=[d.pk for d in group]).update(
                state=DeliveryState.FAILED,
                detail="No approved content for this variant.",
                claimed_by="",
                updated_at=timezone.now(),
            )
            report.failed += len(group)
            continue
        locale = parse_variant_key(key)[0]
        record.attempts.update({d.pk: d.attempts for d in group})
        recipients = recipients_for(group, locale, skus=variant_skus(rendered.variant))
        try:
            results = channel.deliver(rendered, recipients, on_result=record)
        except TransportError as exc:
            # None of the group went out: all of it is queued again after a pause.
            retry_at = timezone.now() + _backoff(max(d.attempts for d in group))
            report.released += Delivery.objects.filter(
                pk__in=[d.pk for d in group], state=DeliveryState.SENDING
            ).update(
                state=DeliveryState.QUEUED,
                detail=str(exc)[:500],
                due_at=retry_at,
                claimed_by="",
                updated_at=timezone.now(),
            )
            logger.warning(
                "campaign.batch_transport_error campaign=%s claim=%s transient=%s error=%s",
                campaign_id,
                claim,
                exc.transient,
                exc,
            )
            continue
        # Results the channel did not report one by one (e.g. held back by a failure).
        for result in results:
            record(result)
    logger.info(
        "campaign.batch_sent campaign=%s claim=%s sent=%s failed=%s retried=%s suppressed=%s",
        campaign_id,
        claim,
        report.sent,
        report.failed,
        report.retried,
        report.suppressed,
    )
    return report


# --- A/B winner and completion ------------------------------------------------------------------


def _arm_scores(campaign: Campaign) -> dict[str, float]:
    arms = [label for label in arms_of(campaign) if label]
    sent = Delivery.objects.filter(campaign=campaign, arm__in=arms, state=DeliveryState.SENT)
    if campaign.winner_metric == WinnerMetric.REVENUE:
        revenue = dict(
            Order.objects.filter(
                contact__deliveries__campaign=campaign,
                contact__deliveries__arm__in=arms,
                ordered_at__gte=campaign.dispatched_at,
            )
            .values_list("contact__deliveries__arm")
            .annotate(total=Sum("revenue"))
            .values_list("contact__deliveries__arm", "total")
        )
        return {arm: float(revenue.get(arm) or 0) for arm in arms}
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


def campaign_finish_if_done(*, campaign_id: int, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    open_rows = Delivery.objects.filter(campaign_id=campaign_id, state__in=OPEN_DELIVERY_STATES)
    updated = (
        Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.RUNNING)
        .exclude(Exists(open_rows.filter(campaign_id=OuterRef("pk"))))
        .update(status=CampaignStatus.DONE, finished_at=now, updated_at=now)
    )
    if updated:
        logger.info("campaign.done campaign=%s", campaign_id)
    return bool(updated)


# The earliest clock on Earth (UTC+14): a local-time campaign is dispatched when its hour
# arrives there, and every other zone's rows wait for their own hour.
EARLIEST_ZONE = ZoneInfo("Etc/GMT-14")


def campaigns_due(now: dt.datetime) -> list[int]:
    """Scheduled campaigns whose dispatch is due now."""
    due = []
    for pk, mode, send_at, local_time in Campaign.objects.filter(
        status=CampaignStatus.SCHEDULED
    ).values_list("pk", "schedule_mode", "send_at", "local_send_time"):
        if mode == ScheduleMode.LOCAL:
            day = timezone.localtime(send_at).date()
            start = local_moment(day, local_time, EARLIEST_ZONE)
        else:
            start = send_at or now
        if start <= now:
            due.append(pk)
    return due
