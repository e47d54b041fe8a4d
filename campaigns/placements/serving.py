"""What a shop shows in a slot for one visitor: choose, resolve, render (cached), measure.

Per request: the slot's serving campaigns (cached), the contact's language, role, phase
and precomputed segments (one query each), the campaign and arm, and the visitor's
delivery row of that campaign on this channel, written on the first answer (as dispatch
writes a mail's): from then on the existing tracking, results and attribution count the
placement like a mail. The rendered answer is shared by every visitor of the variant;
only the delivery token and the offers are the visitor's own.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from channels.placements import OffersBlock, PlacementVisitor, RenderedPlacement
from channels.registry import get_channels

from ..models import CampaignPlacement, Contact, Delivery, DeliveryState, PlacementDefault
from ..offers import offers_for
from ..personalisation import variant_key
from ..tracking import delivery_token
from .cache import content_version, render_key, rendered_cached
from .resolve import placement_tracking, placement_variant
from .selection import HOLDOUT, arm_for, campaign_for, slot_serving

logger = logging.getLogger(__name__)


class UnknownSlot(Exception):
    """No slot of that key on that channel (or the channel serves no placements)."""


@dataclass(frozen=True)
class ServedPlacement:
    """The shared rendering of one answer and what makes it one visitor's."""

    rendered: RenderedPlacement
    cache_key: str
    visitor: PlacementVisitor


@dataclass(frozen=True)
class _Person:
    contact_id: int
    language: str
    role: str
    phase: str
    # The segments of serving campaigns the contact was last found in, computed ahead.
    segment_ids: frozenset[int]


def _person(contact_id: int | None) -> _Person | None:
    """The visitor's language, role, phase and precomputed segments, in one query."""
    if contact_id is None:
        return None
    row = (
        Contact.objects.filter(pk=contact_id)
        .order_by()
        .values_list("language", "role", "phase", "placement_audience__segment_ids")
        .first()
    )
    if row is None:
        return None
    language, role, phase, segment_ids = row
    return _Person(contact_id, language, role, phase, frozenset(map(int, segment_ids or ())))


def visitor_segments(person: _Person) -> set[int]:
    """The segments a visitor is in, as served: the precomputed ones (the benchmark swaps
    this for evaluating the rules in the request, its baseline)."""
    return set(person.segment_ids)


def _delivery_id(
    *, campaign_id: int, channel: str, person: _Person, arm: str, key: str, now: dt.datetime
) -> int:
    """The contact's delivery of the campaign on ``channel``, written on the first answer:
    sent then (held out: held out), like a mail handed over."""
    rows = Delivery.objects.filter(
        campaign_id=campaign_id, channel=channel, contact_id=person.contact_id
    )
    found = rows.values_list("pk", flat=True).first()
    if found is not None:
        return found
    held_out = arm == HOLDOUT
    Delivery.objects.bulk_create(
        [
            Delivery(
                campaign_id=campaign_id,
                channel=channel,
                contact_id=person.contact_id,
                arm=arm,
                variant_key=key,
                state=DeliveryState.HELD_OUT if held_out else DeliveryState.SENT,
                sent_at=None if held_out else now,
                due_at=now,
            )
        ],
        ignore_conflicts=True,  # two first requests at once: one row, both read it
    )
    logger.info(
        "placement.delivery campaign=%s channel=%s held_out=%s", campaign_id, channel, held_out
    )
    return rows.values_list("pk", flat=True).get()


def _body(model, pk: int | None):
    if pk is None:
        return None
    return model.objects.filter(pk=pk).values_list("body", flat=True).first()


def _offers(rendered: RenderedPlacement, contact_id: int | None, locale: str, price_group: str):
    offers = []
    for block in rendered.variant.blocks:
        if isinstance(block, OffersBlock):
            offers.extend(
                offers_for(
                    contact_id=contact_id,
                    locale=locale,
                    kinds=block.kinds,
                    limit=block.limit,
                    price_group=price_group,
                )
            )
    return tuple(offers)


def placement_serve(
    *,
    channel_key: str,
    slot: str,
    contact_id: int | None,
    price_group: str = "",
    locale: str = "",
    now: dt.datetime | None = None,
) -> ServedPlacement:
    """The answer for one visitor (``contact_id`` None: anonymous) in one slot.

    A known contact in a serving campaign's segment gets the campaign's content (held out:
    the default) and a delivery row; everybody else the slot's approved default in the
    language, else an empty answer. Raises ``UnknownSlot`` for a slot the channel lacks.
    """
    now = now or timezone.now()
    channel = get_channels().get(channel_key)
    if channel is None or not getattr(channel, "serves", False):
        raise UnknownSlot(slot)
    serving = slot_serving(channel=channel_key, slot=slot)
    if serving.placement_id is None:
        raise UnknownSlot(slot)
    person = _person(contact_id)
    locale = locale or (person.language if person else "") or settings.LANGUAGE_CODE
    role, phase = (person.role, person.phase) if person else ("", "")
    chosen = None
    if person is not None and serving.campaigns:
        chosen = campaign_for(
            serving.campaigns,
            segment_ids=visitor_segments(person),
            locale=locale,
            now=now,
        )
    token = ""
    version = content_version()
    if chosen is not None:
        arm = arm_for(chosen, person.contact_id)
        served_arm = "" if arm == HOLDOUT else arm
        delivery = _delivery_id(
            campaign_id=chosen.id,
            channel=channel_key,
            person=person,
            arm=arm,
            key=variant_key(locale, role, phase, served_arm),
            now=now,
        )
        if arm != HOLDOUT:
            token = delivery_token(delivery)
            key = render_key(
                channel=channel_key,
                slot=slot,
                source=f"c{chosen.id}r{chosen.revision_id}",
                locale=locale,
                role=role,
                phase=phase,
                arm=served_arm,
                price_group=price_group,
                version=version,
            )
            content_id = chosen.content_id(locale, served_arm)
            rendered = rendered_cached(
                key,
                lambda: channel.render_placement(
                    placement_variant(
                        body=_body(CampaignPlacement, content_id),
                        slot=slot,
                        channel_key=channel_key,
                        campaign_id=chosen.id,
                        campaign_name=chosen.name,
                        locale=locale,
                        role=role,
                        phase=phase,
                        arm=served_arm,
                        price_group=price_group,
                    )[0]
                ),
                placement_tracking(chosen.id),
            )
            return ServedPlacement(
                rendered=rendered,
                cache_key=key,
                visitor=PlacementVisitor(
                    token=token,
                    offers=_offers(rendered, person.contact_id, locale, price_group),
                ),
            )
    # The default: for anonymous visitors, contacts no campaign is for, and the holdout.
    key = render_key(
        channel=channel_key,
        slot=slot,
        source=f"p{serving.placement_id}r{serving.placement_revision_id or 0}",
        locale=locale,
        role=role,
        phase=phase,
        arm="",
        price_group=price_group,
        version=version,
    )

    def render_default() -> RenderedPlacement:
        body = None
        if serving.placement_revision_id is not None:
            default = (
                PlacementDefault.objects.filter(
                    placement_id=serving.placement_id, locale__language_code=locale
                )
                .values_list("pk", flat=True)
                .first()
            )
            body = _body(PlacementDefault, default)
        variant, _missing = placement_variant(
            body=body,
            slot=slot,
            channel_key=channel_key,
            campaign_id=None,
            campaign_name="",
            locale=locale,
            role=role,
            phase=phase,
            arm="",
            price_group=price_group,
        )
        return channel.render_placement(variant)

    rendered = rendered_cached(key, render_default, placement_tracking(None))
    contact = person.contact_id if person else None
    return ServedPlacement(
        rendered=rendered,
        cache_key=key,
        visitor=PlacementVisitor(token="", offers=_offers(rendered, contact, locale, price_group)),
    )
