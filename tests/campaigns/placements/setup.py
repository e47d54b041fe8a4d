"""Building approved placements and webshop campaigns for tests."""

from __future__ import annotations

from wagtail.rich_text import RichText

from campaigns.models import (
    Campaign,
    CampaignArm,
    CampaignPlacement,
    Placement,
    PlacementAudience,
    PlacementDefault,
)
from campaigns.services.campaigns import campaign_schedule
from tests.campaigns.campaign_setup import EVERYONE
from tests.factories import (
    CampaignFactory,
    CategoryFactory,
    ProductFactory,
    SegmentFactory,
    locale,
)


def teaser(headline: str, **fields) -> tuple[str, dict]:
    return (
        "teaser",
        {
            "headline": headline,
            "text": fields.get("text", ""),
            "image": None,
            "link_url": fields.get("link_url", ""),
            "cta_label": fields.get("cta_label", ""),
        },
    )


def products(*items, heading: str = "Für Sie") -> tuple[str, dict]:
    return ("products", {"heading": heading, "products": list(items)})


def message_slot(product=None, *, required: bool = True) -> tuple[str, dict]:
    return ("message", {"product": product, "required": required})


def text(html: str) -> tuple[str, RichText]:
    return ("text", RichText(html))


def placement(
    key: str = "home.hero", *, channel: str = "webshop", defaults: dict | None = None
) -> Placement:
    """A draft placement, as the admin creates it; ``defaults``: language -> body."""
    row = Placement.objects.create(key=key, channel=channel, name=f"Slot {key}", live=False)
    for language, body in (defaults or {}).items():
        PlacementDefault.objects.create(placement=row, locale=locale(language), body=body)
    return Placement.objects.get(pk=row.pk)


def webshop_campaign(
    slots: dict, *, rules=None, arms=(), channels=("webshop",), **fields
) -> Campaign:
    """A draft campaign for the webshop; ``slots``: (placement, language[, arm]) -> body."""
    segment = SegmentFactory(rules=rules or EVERYONE)
    campaign = CampaignFactory(segment=segment, channels=list(channels), **fields)
    for target, body in slots.items():
        slot, language, *arm = target
        CampaignPlacement.objects.create(
            campaign=campaign,
            placement=slot,
            locale=locale(language),
            arm=arm[0] if arm else "",
            body=body,
        )
    for label, share in arms:
        CampaignArm.objects.create(campaign=campaign, label=label, share=share)
    return Campaign.objects.get(pk=campaign.pk)


def schedule_now(campaign: Campaign, user) -> Campaign:
    return campaign_schedule(campaign=campaign, mode="now", user=user)


def in_segments(contact, *campaigns: Campaign) -> None:
    """What the membership task would have found: the contact is in these campaigns'
    segments."""
    PlacementAudience.objects.update_or_create(
        contact=contact,
        defaults={"segment_ids": [c.segment_id for c in campaigns], "stale": False},
    )


def shop_product(sku: str, **fields):
    """A draft product complete for the webshop (image and category), to publish."""
    product = ProductFactory(sku=sku, with_image=True, **fields)
    product.categories.add(CategoryFactory())
    return product
