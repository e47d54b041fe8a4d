"""Dispatch: when a scheduled campaign is due, freeze its segment and write its delivery
rows (one per campaign, channel and contact), split into holdout, A/B arms and the rest.

``sending`` then hands the rows out in batches and sends each once.
"""

from __future__ import annotations

import datetime as dt
import logging
import random

from django.db import transaction
from django.utils import timezone

from channels.registry import get_channels

from ..models import (
    Campaign,
    CampaignStatus,
    Contact,
    Delivery,
    DeliveryState,
    ScheduleMode,
    SnapshotMember,
)
from ..personalisation import contact_timezone, local_moment, variant_key
from .segments import segment_snapshot

logger = logging.getLogger(__name__)

HOLDOUT = "holdout"


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
        # Serving channels (the webshop's placements) write a contact's row when they first
        # show it the campaign (campaigns.placements.serving), not here.
        configured = get_channels()
        sending = [
            key for key in campaign.channels if not getattr(configured.get(key), "serves", False)
        ]
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
                for channel in sending:
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
