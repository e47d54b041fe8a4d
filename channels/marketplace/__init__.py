from channels.base import BaseChannel


class MarketplaceChannel(BaseChannel):
    """Online marketplaces: one product feed per marketplace."""

    identifier = "marketplace"
    name = "Marketplace"
    required_fields = {
        "*": (
            "sku",
            "gtin",
            "brand",
            "manufacturer_part_number",
            "name",
            "long_text",
            "images",
            "price",
            "availability",
        ),
    }
