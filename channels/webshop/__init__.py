from channels.base import BaseChannel
from channels.placements import PlacementChannel


class WebshopChannel(PlacementChannel, BaseChannel):
    """The manufacturer's own webshop: pulls content over the API, gets webhooks, and serves
    placements (``channels.placements``) chosen by the hub for each logged-in customer."""

    identifier = "webshop"
    name = "Webshop"
    required_fields = {
        "*": ("sku", "name", "short_text", "long_text", "images", "categories", "price"),
    }
