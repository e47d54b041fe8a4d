from channels.base import BaseChannel


class WebshopChannel(BaseChannel):
    """The manufacturer's own webshop: pulls content over the API, gets webhooks."""

    identifier = "webshop"
    name = "Webshop"
    required_fields = {
        "*": ("sku", "name", "short_text", "long_text", "images", "categories", "price"),
    }
