"""Which campaign fills a slot for a visitor, and in which A/B arm.

The serving campaigns of a slot are read in one query and cached under the content
version (every approval, status change or withdrawal bumps it); what depends on the
clock (a scheduled start, ``placements_until``) is checked per request against the cached
rows. A visitor's segments are the precomputed ``PlacementAudience`` row, never evaluated
during a request. The arm is a hash of (campaign, contact): the same visitor sees the same
arm on every page and every server, without storing anything first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

from ..models import (
    CampaignArm,
    CampaignPlacement,
    CampaignStatus,
    Placement,
    PlacementAudience,
    ScheduleMode,
)
from .cache import SERVING_SECONDS, content_version, serving_key

HOLDOUT = "holdout"  # the arm of a held-out contact, as dispatch writes it
SERVING_STATES = (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.DONE)


@dataclass(frozen=True)
class ServingCampaign:
    """A campaign that fills a slot, as cached: enough to choose it and its content."""

    id: int
    name: str
    revision_id: int
    segment_id: int | None
    priority: int
    status: str
    schedule_mode: str
    send_at: dt.datetime | None
    until: dt.datetime | None
    holdout_percent: int
    arms: tuple[tuple[str, int], ...]  # (label, share) in order
    winner_arm: str
    contents: tuple[tuple[str, str, int], ...]  # (language code, arm, CampaignPlacement id)

    def serving_at(self, now: dt.datetime) -> bool:
        if self.until is not None and self.until <= now:
            return False
        if self.status == CampaignStatus.SCHEDULED:
            return self.schedule_mode == ScheduleMode.NOW or (
                self.send_at is not None and self.send_at <= now
            )
        return True

    def content_id(self, locale: str, arm: str) -> int | None:
        """The CampaignPlacement for ``locale`` and ``arm`` (else for every arm), or None."""
        by_arm = {row_arm: pk for language, row_arm, pk in self.contents if language == locale}
        return by_arm.get(arm) or by_arm.get("")


@dataclass(frozen=True)
class SlotServing:
    """A slot's placement (None: the channel has no slot of that key), its live revision
    (None: not approved, so it shows nothing) and the campaigns that fill it, by priority
    then newest."""

    placement_id: int | None
    placement_revision_id: int | None
    campaigns: tuple[ServingCampaign, ...]


def _load(channel: str, slot: str) -> SlotServing:
    placement = (
        Placement.objects.filter(channel=channel, key=slot)
        .values_list("pk", "live", "live_revision_id")
        .first()
    )
    if placement is None:
        return SlotServing(None, None, ())
    if not (placement[1] and placement[2]):  # never approved, or withdrawn: nothing to show
        return SlotServing(placement[0], None, ())
    placement = (placement[0], placement[2])
    rows = (
        CampaignPlacement.objects.filter(
            placement_id=placement[0],
            campaign__live=True,
            campaign__live_revision__isnull=False,
            campaign__status__in=SERVING_STATES,
        )
        .select_related("campaign", "locale")
        .order_by("campaign__placement_priority", "-campaign__created_at", "-campaign_id", "pk")
    )
    found: dict[int, tuple] = {}
    contents: dict[int, list] = {}
    for row in rows:
        campaign = row.campaign
        # The channels are a JSON list: checked here, as SQLite cannot query inside one.
        if channel not in (campaign.channels or ()):
            continue
        found.setdefault(campaign.pk, campaign)
        contents.setdefault(campaign.pk, []).append((row.locale.language_code, row.arm, row.pk))
    arms: dict[int, list[tuple[str, int]]] = {}
    for campaign_id, label, share in (
        CampaignArm.objects.filter(campaign_id__in=found)
        .order_by("campaign_id", "sort_order", "pk")
        .values_list("campaign_id", "label", "share")
    ):
        arms.setdefault(campaign_id, []).append((label, share))
    return SlotServing(
        placement_id=placement[0],
        placement_revision_id=placement[1],
        campaigns=tuple(
            ServingCampaign(
                id=campaign.pk,
                name=campaign.name,
                revision_id=campaign.live_revision_id,
                segment_id=campaign.segment_id,
                priority=campaign.placement_priority,
                status=campaign.status,
                schedule_mode=campaign.schedule_mode,
                send_at=campaign.send_at,
                until=campaign.placements_until,
                holdout_percent=campaign.holdout_percent,
                arms=tuple(arms.get(campaign.pk, ())),
                winner_arm=campaign.winner_arm,
                contents=tuple(contents[campaign.pk]),
            )
            for campaign in found.values()
        ),
    )


def slot_serving(*, channel: str, slot: str) -> SlotServing:
    """The slot's placement and serving campaigns, cached under the content version."""
    key = serving_key(channel=channel, slot=slot, version=content_version())
    serving = cache.get(key)
    if serving is None:
        serving = _load(channel, slot)
        cache.set(key, serving, SERVING_SECONDS)
    return serving


def contact_segments(contact_id: int) -> set[int]:
    """The segments of serving campaigns the contact was last found in (none: no row)."""
    row = (
        PlacementAudience.objects.filter(contact_id=contact_id)
        .values_list("segment_ids", flat=True)
        .first()
    )
    return {int(pk) for pk in row or ()}


def campaign_for(
    campaigns: Iterable[ServingCampaign],
    *,
    segment_ids: set[int],
    locale: str,
    now: dt.datetime | None = None,
) -> ServingCampaign | None:
    """The first serving campaign (by priority, then newest) whose segment the contact is
    in and which has content for the slot in ``locale``."""
    now = now or timezone.now()
    for campaign in campaigns:
        if (
            campaign.segment_id in segment_ids
            and campaign.serving_at(now)
            and any(language == locale for language, _arm, _pk in campaign.contents)
        ):
            return campaign
    return None


def _bucket(campaign_id: int, contact_id: int) -> int:
    """0-99, the same for a (campaign, contact) pair everywhere and always."""
    digest = hashlib.sha256(f"{campaign_id}:{contact_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def arm_for(campaign: ServingCampaign, contact_id: int) -> str:
    """``HOLDOUT``, an arm's label, or "" for a campaign without arms.

    The holdout takes the first ``holdout_percent`` buckets, each arm its share after it;
    what is left (a winner rule keeps part of the audience back) sees the winner once
    chosen, else the first arm.
    """
    bucket = _bucket(campaign.id, contact_id)
    if bucket < campaign.holdout_percent:
        return HOLDOUT
    edge = campaign.holdout_percent
    for label, share in campaign.arms:
        edge += share
        if bucket < edge:
            return label
    if not campaign.arms:
        return ""
    return campaign.winner_arm or campaign.arms[0][0]
