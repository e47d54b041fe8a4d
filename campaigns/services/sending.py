"""Sending: dispatch a scheduled campaign into delivery rows, hand them out, send each once.

The delivery row is the only truth about what was sent:

- dispatch (``dispatch``) freezes the segment and writes one row per (campaign, channel,
  contact): a unique constraint, so no broker redelivery or second dispatch can add a
  recipient twice;
- ``deliveries_claim`` hands due rows out in batches: each batch gets a claim id, which is
  also its Celery task id, and a lease; its rows move to ``sending`` before the task is
  queued;
- ``batch_send`` takes the rows of one claim under a lease of its own (renewed as it runs,
  see ``leases``) and records every message the moment the server accepted it, before
  that connection starts the next one. A worker killed mid-batch leaves exactly the rows
  not yet recorded under its lapsing lease; once it lapsed, they are queued again and
  those, and only those, are sent. The one gap SMTP leaves (the server accepted, the
  worker died before recording it) is at most one message per connection;
- a batch that stalls past its lease loses its rows to another batch
  (``deliveries_release_stale``) and sends nothing more; results are recorded only under
  the lease that owns the rows; the same task run twice sends once;
- a connection lost after a message's content went out leaves that message in doubt: it
  is not sent again unless ``HUB_SEND_IN_DOUBT = "retry"``;
- every failure ends: permanent errors and render errors fail their rows with the reason,
  transient ones are tried ``HUB_SEND_MAX_ATTEMPTS`` times, so each campaign reaches done;
- the loop: ``campaigns_advance`` is what beat runs every 30 s (dispatch, A/B winners,
  hand out, finish), ``batch_send_and_continue`` what each send task runs; the tasks in
  ``campaigns/tasks.py`` only call them.

Consent, suppression and declined topics are checked again when each batch is sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from channels.base import DeliveryResult, RenderedVariant
from channels.exceptions import TransportError
from channels.registry import get_channel, get_channels

from ..models import (
    Campaign,
    CampaignStatus,
    Contact,
    Delivery,
    DeliveryState,
)
from ..models.campaign import OPEN_DELIVERY_STATES
from ..personalisation import (
    VariantResolver,
    parse_variant_key,
    variant_skus,
)
from ..selectors import reachable, recipients_for
from .leases import BatchLease, lease_end

logger = logging.getLogger(__name__)


# --- handing out batches -------------------------------------------------------------------------


def deliveries_claim(
    *, campaign_id: int, now: dt.datetime | None = None, limit: int | None = None
) -> list[str]:
    """Move batches of due, queued rows to ``sending``; return their claims.

    Each batch holds rows of one variant, at most ``HUB_SEND_BATCH_SIZE``, under a claim id
    and a lease (see ``leases``); at most ``HUB_SEND_BATCHES_AHEAD`` batches of a campaign
    are out at once (and at most ``limit`` more now). Rows another dispatcher holds are
    skipped (``skip_locked``), never waited for or taken twice.
    """
    now = now or timezone.now()
    size = settings.HUB_SEND_BATCH_SIZE
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
        room = settings.HUB_SEND_BATCHES_AHEAD - outstanding
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
                lease_until=lease_end(now),
                attempts=F("attempts") + 1,
                updated_at=now,
            )
            claims.append(claim)
    return claims


def deliveries_release_stale(*, now: dt.datetime | None = None) -> int:
    """Queue again the rows of batches whose lease lapsed (their worker died or stalled).

    A row that was handed out ``HUB_SEND_MAX_ATTEMPTS`` times without an outcome fails for
    good instead, so a batch that kills its worker every time cannot keep a campaign open.
    """
    now = now or timezone.now()
    lapsed = Delivery.objects.filter(state=DeliveryState.SENDING, lease_until__lt=now)
    max_attempts = settings.HUB_SEND_MAX_ATTEMPTS
    failed = lapsed.filter(attempts__gte=max_attempts).update(
        state=DeliveryState.FAILED,
        detail=f"Given up after {max_attempts} attempts: no worker finished its batch.",
        claimed_by="",
        lease_until=None,
        updated_at=now,
    )
    released = lapsed.update(
        state=DeliveryState.QUEUED, claimed_by="", lease_until=None, updated_at=now
    )
    if released or failed:
        logger.warning("delivery.released_stale count=%s failed=%s", released, failed)
    return released + failed


# --- sending one batch --------------------------------------------------------------------------


@dataclass
class BatchReport:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    suppressed: int = 0
    released: int = 0
    in_doubt: int = 0
    lease_lost: bool = False


_RENDERED: dict[tuple, tuple[float, RenderedVariant]] = {}
RENDER_TTL = 300.0


class RenderFailed(Exception):
    """A variant could not be rendered; the message says why, fit for the progress page."""


def variant_rendering(campaign: Campaign, channel, key: str) -> RenderedVariant:
    """The variant rendered once per process (for a few minutes, so withdrawn content goes).

    What the sender sends, and what a recipient's web version shows.

    Raises ``RenderFailed`` when it has no approved content or the channel cannot render
    it; a database error propagates (the batch is tried again later).
    """
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
    try:
        variant, missing = VariantResolver(campaign).resolve(key)
        if variant is None:
            raise RenderFailed("No approved content for this variant.")
        if missing:
            # Optional slots without a message are simply left out; anything else is logged.
            logger.warning("campaign.variant_incomplete campaign=%s variant=%s", campaign.pk, key)
        rendered = channel.render(variant)
    except (RenderFailed, DatabaseError):
        raise
    except Exception as exc:
        # A template or content the channel cannot render fails the same way every time.
        logger.exception(
            "campaign.render_failed campaign=%s channel=%s variant=%s",
            campaign.pk,
            channel.key,
            key,
        )
        raise RenderFailed(
            f"Could not render this variant for {channel.name or channel.key}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
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


def _in_doubt_policy() -> str:
    return settings.HUB_SEND_IN_DOUBT


IN_DOUBT_HOLD = "hold"
IN_DOUBT_RETRY = "retry"


class _Recorder:
    """Records each result as it arrives, once, under the batch's claim only.

    Transient failures are queued again with backoff until ``HUB_SEND_MAX_ATTEMPTS``; an
    in-doubt message is kept as such (``HUB_SEND_IN_DOUBT = "hold"``, the default) or
    treated as a transient failure (``"retry"``). A row the claim no longer owns (its lease
    lapsed and another batch took it) is not written: the lease is lost and the batch stops.
    """

    def __init__(self, report: BatchReport, lease: BatchLease, max_attempts: int):
        self.report = report
        self.lease = lease
        self.max_attempts = max_attempts
        self.hold_in_doubt = _in_doubt_policy() == IN_DOUBT_HOLD
        self.attempts: dict[int, int] = {}
        self.seen: set[int] = set()

    def __call__(self, result: DeliveryResult) -> None:
        if result.delivery_id in self.seen:
            return
        self.seen.add(result.delivery_id)
        if not (result.sent or result.in_doubt or result.permanent) and not self.lease.held():
            # Held back because the lease ran out: never tried, so the row stays as it is
            # and goes back to the queue with the batch's other unsent rows.
            return
        now = timezone.now()
        rows = Delivery.objects.filter(
            pk=result.delivery_id, claimed_by=self.lease.token, state=DeliveryState.SENDING
        )
        attempts = self.attempts.get(result.delivery_id, 1)
        if result.sent:
            written = rows.update(
                state=DeliveryState.SENT,
                sent_at=now,
                message_id=result.message_id[:200],
                provider_id=result.provider_id[:200],
                detail="",
                claimed_by="",
                lease_until=None,
                updated_at=now,
            )
            counter = "sent"
        elif result.in_doubt and self.hold_in_doubt:
            written = rows.update(
                state=DeliveryState.IN_DOUBT,
                message_id=result.message_id[:200],
                detail=result.detail[:500],
                claimed_by="",
                lease_until=None,
                updated_at=now,
            )
            counter = "in_doubt"
        elif result.permanent or attempts >= self.max_attempts:
            written = rows.update(
                state=DeliveryState.FAILED,
                detail=result.detail[:500],
                claimed_by="",
                lease_until=None,
                updated_at=now,
            )
            counter = "failed"
        else:
            written = rows.update(
                state=DeliveryState.QUEUED,
                detail=result.detail[:500],
                due_at=now + _backoff(attempts),
                claimed_by="",
                lease_until=None,
                updated_at=now,
            )
            counter = "retried"
        if written:
            setattr(self.report, counter, getattr(self.report, counter) + 1)
            return
        # Another batch owns the row now: whatever this one learnt is not its to write.
        self.lease.lose()
        self.report.lease_lost = True
        logger.warning(
            "delivery.result_after_takeover delivery=%s token=%s sent=%s in_doubt=%s",
            result.delivery_id,
            self.lease.token,
            result.sent,
            result.in_doubt,
        )


def _fail_variant(
    campaign: Campaign, lease: BatchLease, channel_key: str, key: str, detail: str
) -> int:
    """Fail this batch's rows of a variant, and the variant's rows still queued."""
    now = timezone.now()
    variant_rows = Delivery.objects.filter(campaign=campaign, channel=channel_key, variant_key=key)
    failed = variant_rows.filter(
        Q(state=DeliveryState.SENDING, claimed_by=lease.token) | Q(state=DeliveryState.QUEUED)
    ).update(
        state=DeliveryState.FAILED,
        detail=detail[:500],
        claimed_by="",
        lease_until=None,
        updated_at=now,
    )
    logger.warning(
        "campaign.variant_failed campaign=%s channel=%s variant=%s rows=%s detail=%s",
        campaign.pk,
        channel_key,
        key,
        failed,
        detail,
    )
    return failed


def _transport_failed(
    group: list[Delivery], lease: BatchLease, exc: TransportError, max_attempts: int
) -> tuple[int, int]:
    """None of the group went out: fail it when it cannot succeed, else queue it later.

    Returns (failed, queued again).
    """
    now = timezone.now()
    mine = Delivery.objects.filter(
        pk__in=[d.pk for d in group], claimed_by=lease.token, state=DeliveryState.SENDING
    )
    detail = str(exc)[:500]
    ended = dict(state=DeliveryState.FAILED, detail=detail, claimed_by="", lease_until=None)
    if not exc.transient:
        return mine.update(**ended, updated_at=now), 0
    failed = mine.filter(attempts__gte=max_attempts).update(**ended, updated_at=now)
    retry_at = now + _backoff(max(d.attempts for d in group))
    queued = mine.update(
        state=DeliveryState.QUEUED,
        detail=detail,
        due_at=retry_at,
        claimed_by="",
        lease_until=None,
        updated_at=now,
    )
    return failed, queued


def batch_send(*, campaign_id: int, claim: str) -> BatchReport:
    """Send the rows of one claim that are still ``sending``; each recorded as it goes.

    The first run of a claim takes its rows under a lease (``BatchLease.take``); any other
    run of the same claim sends nothing. A run whose lease lapsed (its rows handed to
    another worker) sends and records nothing more. Every row ends in a state: sent, in
    doubt, failed with its reason, suppressed, or queued again for a later attempt.
    """
    report = BatchReport()
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return report
    lease = BatchLease.take(claim)
    if lease.lost:
        # Run already or running elsewhere (a redelivered task), or queued again since.
        logger.info("campaign.batch_not_taken campaign=%s claim=%s", campaign_id, claim)
        return report
    mine = Delivery.objects.filter(
        campaign_id=campaign_id, claimed_by=lease.token, state=DeliveryState.SENDING
    )
    now = timezone.now()
    if campaign.status == CampaignStatus.CANCELLED:
        report.released = mine.update(
            state=DeliveryState.CANCELLED, claimed_by="", lease_until=None, updated_at=now
        )
        return report
    if campaign.status != CampaignStatus.RUNNING or not campaign.is_approved:
        # Paused (or withdrawn): back in the queue, sent when the campaign runs again; this
        # hand-out does not count as an attempt.
        report.released = mine.update(
            state=DeliveryState.QUEUED,
            claimed_by="",
            lease_until=None,
            attempts=Greatest(F("attempts") - 1, 0),
            updated_at=now,
        )
        return report
    deliveries = list(mine.select_related("contact__account").order_by("pk"))
    blocked = _unreachable(campaign, deliveries)
    if blocked:
        report.suppressed = mine.filter(pk__in=blocked).update(
            state=DeliveryState.SUPPRESSED,
            detail="No consent, suppressed or topic declined at send time.",
            claimed_by="",
            lease_until=None,
            updated_at=now,
        )
    deliveries = [d for d in deliveries if d.pk not in blocked]
    by_group: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        by_group[(delivery.channel, delivery.variant_key)].append(delivery)
    max_attempts = settings.HUB_SEND_MAX_ATTEMPTS
    record = _Recorder(report, lease, max_attempts)
    with lease.kept():
        for (channel_key, key), group in by_group.items():
            if not lease.held():
                break
            channel = get_channel(channel_key)
            try:
                rendered = variant_rendering(campaign, channel, key)
            except RenderFailed as exc:
                report.failed += _fail_variant(campaign, lease, channel_key, key, str(exc))
                continue
            locale = parse_variant_key(key)[0]
            record.attempts.update({d.pk: d.attempts for d in group})
            recipients = recipients_for(group, locale, skus=variant_skus(rendered.variant))
            try:
                results = channel.deliver(
                    rendered, recipients, on_result=record, may_send=lease.held
                )
            except TransportError as exc:
                failed, queued = _transport_failed(group, lease, exc, max_attempts)
                report.failed += failed
                report.released += queued
                logger.warning(
                    "campaign.batch_transport_error campaign=%s claim=%s transient=%s "
                    "failed=%s queued=%s error=%s",
                    campaign_id,
                    claim,
                    exc.transient,
                    failed,
                    queued,
                    exc,
                )
                continue
            # Results the channel did not report one by one (e.g. held back by a failure).
            for result in results:
                record(result)
    if not lease.lost:
        # Anything still ours and unsent (the lease lapsed here before it was sent) goes
        # back to the queue at once: it was never tried.
        report.released += mine.update(
            state=DeliveryState.QUEUED,
            claimed_by="",
            lease_until=None,
            attempts=Greatest(F("attempts") - 1, 0),
            updated_at=timezone.now(),
        )
    else:
        report.lease_lost = True
    logger.info(
        "campaign.batch_sent campaign=%s claim=%s sent=%s in_doubt=%s failed=%s retried=%s "
        "suppressed=%s released=%s lease_lost=%s",
        campaign_id,
        claim,
        report.sent,
        report.in_doubt,
        report.failed,
        report.retried,
        report.suppressed,
        report.released,
        report.lease_lost,
    )
    return report


# --- completion ---------------------------------------------------------------------------------


def _still_serving(campaign_id: int, now: dt.datetime) -> bool:
    """Whether the campaign's placements still show: it has a serving channel (the
    webshop) and ``placements_until`` is empty or ahead. Such a campaign runs on (it can
    be paused or cancelled, its results recounted) until then."""
    row = Campaign.objects.filter(pk=campaign_id).values_list("channels", "placements_until")
    channels, until = row.first() or ((), None)
    serving = any(getattr(get_channels().get(key), "serves", False) for key in channels or ())
    return serving and (until is None or until > now)


def campaign_finish_if_done(*, campaign_id: int, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    if _still_serving(campaign_id, now):
        return False
    open_rows = Delivery.objects.filter(campaign_id=campaign_id, state__in=OPEN_DELIVERY_STATES)
    updated = (
        Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.RUNNING)
        .exclude(Exists(open_rows.filter(campaign_id=OuterRef("pk"))))
        .update(status=CampaignStatus.DONE, finished_at=now, updated_at=now)
    )
    if updated:
        logger.info("campaign.done campaign=%s", campaign_id)
    return bool(updated)


# --- the send loop ------------------------------------------------------------------------------


def batches_hand_out(*, campaign_id: int, limit: int | None = None) -> int:
    """Claim due batches of a running campaign and queue one send task per batch; how many.

    The claim id is the task id. Its first run takes the rows under a lease; a run of the
    same task again (redelivered by the broker) finds nothing to take and sends nothing.
    Rows a dead worker left behind are queued again once their lease lapsed.
    """
    # The task module imports this one when a task runs; importing it here, at call time,
    # keeps the services importable without Celery's task registry.
    from campaigns.tasks import send_campaign_batch

    claims = deliveries_claim(campaign_id=campaign_id, limit=limit)
    for claim in claims:
        send_campaign_batch.apply_async((campaign_id, claim), task_id=claim)
    return len(claims)


def campaigns_advance(*, now: dt.datetime | None = None) -> None:
    """One beat of the send loop: dispatch due campaigns, release stale batches, and for
    each running campaign pick the A/B winner when due, hand out batches, finish it once
    nothing is open."""
    from campaigns.selectors import campaigns_due

    from .ab_test import campaign_choose_winner
    from .dispatch import campaign_dispatch

    now = now or timezone.now()
    for campaign_id in campaigns_due(now):
        campaign_dispatch(campaign_id=campaign_id, now=now)
    deliveries_release_stale(now=now)
    running = Campaign.objects.filter(status=CampaignStatus.RUNNING).values_list("pk", flat=True)
    for campaign_id in list(running):
        campaign_choose_winner(campaign_id=campaign_id, now=now)
        batches_hand_out(campaign_id=campaign_id)
        campaign_finish_if_done(campaign_id=campaign_id, now=now)


def batch_send_and_continue(*, campaign_id: int, claim: str) -> None:
    """Send one claimed batch, then claim the campaign's next one; finish the campaign when
    none is due and nothing is open."""
    batch_send(campaign_id=campaign_id, claim=claim)
    if not batches_hand_out(campaign_id=campaign_id, limit=1):
        campaign_finish_if_done(campaign_id=campaign_id)
