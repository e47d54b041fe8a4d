"""The manufacturer's own webshop: it pulls content over the API, gets webhooks, and serves
placements (``channels.placements``) chosen by the hub for each logged-in customer.

``render`` holds the once-per-variant rendering and the per-request personalisation;
``client`` is the reference server-side client for shops that include fragments; the
browser snippet is ``static/webshop/hub-placements.js``.
"""

from channels.base import BaseChannel
from channels.placements import (
    PlacementChannel,
    PlacementVariant,
    PlacementVisitor,
    RenderedPlacement,
)

from .render import WebshopRendering, personalise_placement, render_placement

__all__ = ["WebshopChannel", "WebshopRendering"]


class WebshopChannel(PlacementChannel, BaseChannel):
    """The manufacturer's own webshop: pulls content over the API, gets webhooks, and serves
    placements (``channels.placements``) chosen by the hub for each logged-in customer."""

    identifier = "webshop"
    name = "Webshop"
    required_fields = {
        "*": ("sku", "name", "short_text", "long_text", "images", "categories", "price"),
    }

    def render_placement(self, variant: PlacementVariant) -> WebshopRendering:
        return render_placement(variant)

    def personalise_placement(
        self, rendered: RenderedPlacement, visitor: PlacementVisitor
    ) -> tuple[dict, str]:
        return personalise_placement(rendered, visitor)
