"""The contract of channels that serve placements: the webshop.

A placement is a named slot on a channel's pages (``home.hero``, ``product.cross_sell``,
``cart.upsell``). The channel's system asks the hub what to show in a slot for one
visitor; the hub answers. Nothing is sent: the shop pulls.

The hub (``campaigns.placements``) decides what fills the slot: the webshop campaign whose
segment the visitor is in (membership computed ahead of time, never during the request),
in the variant for the visitor's language, buying-centre role, journey phase and A/B arm,
else the placement's approved default. It resolves the variant into the same frozen
blocks a newsletter is made of (``channels.base``), with product prices of the visitor's
account's price group, plus ``OffersBlock`` slots the adapter fills per visitor.

The adapter turns a ``PlacementVariant`` into a ``RenderedPlacement`` once per variant and
price group (the hub caches it, never per person): a JSON-able ``data`` answer and an HTML
``html`` fragment, whose tracked URLs hold ``channels.base.RECIPIENT_TOKEN``. Per request
``personalise_placement`` swaps in the visitor's token and fills the offers: cheap string
work and at most a few small renders, no database.

Like ``channels.base``, this module imports no app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Literal

from .base import Block, ProductCard

OfferKind = Literal["reorder", "spare_part", "accessory", "complementary", "viewed"]
OFFER_KINDS: tuple[str, ...] = ("reorder", "spare_part", "accessory", "complementary", "viewed")


@dataclass(frozen=True)
class Offer:
    """One product offered to one visitor, and why (``reason``: a sentence in the answer's
    language, e.g. "You order this about every 30 days; last ordered on 2026-10-02.")."""

    product: ProductCard
    kind: OfferKind
    reason: str
    lead_time_days: int | None = None


@dataclass(frozen=True)
class OffersBlock:
    """A slot for the visitor's own offers, filled per request by ``personalise_placement``."""

    heading: str
    kinds: tuple[OfferKind, ...]
    limit: int = 4


PlacementBlock = Block | OffersBlock


@dataclass(frozen=True)
class PlacementTracking:
    """The tracked URLs of a placement's answer; each holds ``RECIPIENT_TOKEN``.

    ``impression_url`` is a pixel the shop (or the snippet) loads when the answer is shown.
    ``click(url)`` gives the tracked form of a link. Empty / identity for the default
    content and anonymous visitors: nothing to measure against a campaign.
    """

    impression_url: str = ""
    click: Callable[[str], str] = str


@dataclass(frozen=True)
class PlacementVariant:
    """What fills one slot for every visitor of one variant and price group."""

    slot: str
    campaign_id: int | None  # None: the placement's default content
    campaign_name: str
    locale: str
    role: str
    phase: str
    arm: str
    blocks: tuple[PlacementBlock, ...]
    tracking: PlacementTracking
    # Cards carry the price group's prices when the hub had them: the list price otherwise.
    price_group: str = ""


@dataclass(frozen=True)
class RenderedPlacement:
    """What ``render_placement`` returns; cached by the hub per variant and price group.

    ``data`` is JSON-able (the API's answer) and ``html`` the fragment for server-side
    includes and the snippet; both may hold ``RECIPIENT_TOKEN`` and offer slots the
    adapter marks itself, which only ``personalise_placement`` may replace.
    """

    variant: PlacementVariant
    data: Mapping
    html: str


@dataclass(frozen=True)
class PlacementVisitor:
    """The personal part of one answer, prepared by the hub for one request."""

    token: str  # the signed tracking token; "" for an anonymous visitor or default content
    offers: tuple[Offer, ...] = ()
    prices: Mapping[str, Decimal] | None = None


class PlacementChannel:
    """Mixin for a channel that serves placements (``serves = True``)."""

    serves: ClassVar[bool] = True

    def render_placement(self, variant: PlacementVariant) -> RenderedPlacement:
        raise NotImplementedError

    def personalise_placement(
        self, rendered: RenderedPlacement, visitor: PlacementVisitor
    ) -> tuple[dict, str]:
        """The answer for one visitor: (data, html), with their token and offers filled in."""
        raise NotImplementedError
