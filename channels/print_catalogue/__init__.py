from channels.base import BaseChannel


class PrintCatalogueChannel(BaseChannel):
    """The printed catalogue: one PDF per variant."""

    identifier = "print"
    name = "Print catalogue"
    required_fields = {
        "*": ("sku", "name", "long_text", "features", "images"),
        "de": ("documents",),
    }
