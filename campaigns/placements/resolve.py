"""A placement's content (a campaign's or the slot's default) as the blocks a channel renders.

The same conversion as a newsletter's (``campaigns.personalisation.ContentResolver``):
only live, approved products and messages, each product complete for the placement's
channel in the language, the most specific message for the visitor's role and phase, and
product cards at the visitor's account's price-group price.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext

from channels.placements import PlacementTracking, PlacementVariant

from ..models import GroupPrice
from ..personalisation import ContentResolver, Missing, Prices, variant_key, variant_label
from ..tracking import tracking_for


class PlacementResolver(ContentResolver):
    """Resolves one placement body in one language for one channel."""

    def __init__(self, *, body, locale: str, channel_key: str, campaign_id: int | None):
        super().__init__(channel_keys=[channel_key], campaign_id=campaign_id)
        self.body = body
        self.locale = locale

    def bodies(self, locale: str) -> Iterable:
        return [self.body] if locale == self.locale else []


def group_prices(price_group: str, skus: Iterable[str]) -> Prices:
    """SKU -> (price, currency) of ``price_group`` for these SKUs; empty without a group."""
    skus = list(skus)
    if not price_group or not skus:
        return {}
    return {
        sku: (price, currency)
        for sku, price, currency in GroupPrice.objects.filter(
            price_group=price_group, sku__in=skus
        ).values_list("sku", "price", "currency")
    }


def placement_tracking(campaign_id: int | None) -> PlacementTracking:
    """The tracked URLs of a campaign's placement answers (the pixel, tracked links); none
    for default content."""
    if campaign_id is None:
        return PlacementTracking()
    campaign_tracking = tracking_for(campaign_id)
    return PlacementTracking(
        impression_url=campaign_tracking.open_url, click=campaign_tracking.click
    )


def placement_variant(
    *,
    body,
    slot: str,
    channel_key: str,
    campaign_id: int | None,
    campaign_name: str,
    locale: str,
    role: str,
    phase: str,
    arm: str,
    price_group: str,
) -> tuple[PlacementVariant, list[Missing]]:
    """The variant of ``body`` (None: no content, an empty answer) for one language, role,
    phase, arm and price group, and what it lacks (left out of it)."""
    blocks: list = []
    missing: list[Missing] = []
    if body is not None:
        resolver = PlacementResolver(
            body=body, locale=locale, channel_key=channel_key, campaign_id=campaign_id
        )
        prices = group_prices(price_group, resolver.live_skus(locale))
        label = f"{slot} / {locale} / {role or 'no role'} / {phase or 'no phase'}"
        if arm:
            label += f" / arm {arm}"
        blocks, missing = resolver.blocks(
            body, locale=locale, role=role, phase=phase, label=label, prices=prices
        )
    tracking = placement_tracking(campaign_id)
    variant = PlacementVariant(
        slot=slot,
        campaign_id=campaign_id,
        campaign_name=campaign_name,
        locale=locale,
        role=role,
        phase=phase,
        arm=arm,
        blocks=tuple(blocks),
        tracking=tracking,
        price_group=price_group,
    )
    return variant, missing


def campaign_missing_placements(
    campaign, serving_keys: Iterable[str], combos: Iterable[tuple[str, str, str]]
) -> list[Missing]:
    """What keeps the campaign's placements on ``serving_keys`` from being served as
    approved: a serving channel without content for any of its slots, a slot that is not
    approved, and per slot and audience (language, role, phase) a required message without
    an approved one, or a product not live or incomplete."""
    serving_keys = list(serving_keys)
    if not serving_keys:
        return []
    rows = [
        row
        for row in campaign.placements.select_related("placement", "locale")
        if row.placement.channel in serving_keys
    ]
    missing: list[Missing] = []
    for key in serving_keys:
        if not any(row.placement.channel == key for row in rows):
            missing.append(Missing(key, gettext("no content for any of its placements")))
    missing.extend(_arms_without_content(campaign, rows))
    combos = sorted(set(combos))
    for row in rows:
        slot = row.placement.key
        if not row.placement.is_approved:
            missing.append(Missing(slot, gettext("the placement is not approved")))
            continue
        language = row.locale.language_code
        resolver = PlacementResolver(
            body=row.body,
            locale=language,
            channel_key=row.placement.channel,
            campaign_id=campaign.pk,
        )
        for combo_language, role, phase in combos:
            if combo_language != language:
                continue
            label = f"{slot} / {variant_label(variant_key(language, role, phase, row.arm))}"
            _blocks, lacking = resolver.blocks(
                row.body, locale=language, role=role, phase=phase, label=label
            )
            missing.extend(item for item in lacking if item not in missing)
    return missing


def _arms_without_content(campaign, rows) -> list[Missing]:
    """Per slot and language with versions for some arms only (none for every arm): the
    arms that would get an empty answer."""
    arms = [arm.label for arm in campaign.arms.all()] or [""]
    found: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        found.setdefault((row.placement.key, row.locale.language_code), set()).add(row.arm)
    missing = []
    for (slot, language), versions in sorted(found.items()):
        if "" in versions:
            continue
        for arm in arms:
            if arm not in versions:
                reason = (
                    gettext("no version for arm %(arm)s") % {"arm": arm}
                    if arm
                    else gettext("no version for every arm")
                )
                missing.append(Missing(f"{slot} / {language}", reason))
    return missing
