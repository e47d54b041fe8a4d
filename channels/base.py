"""The contract every channel adapter implements.

A channel is configured in ``settings.HUB_CHANNELS`` by dotted path, like Django's e-mail
backends. This part of the contract is what content needs: who the channel is and which
product fields it requires per locale (this drives completeness). Rendering and delivery
are added with each channel's own implementation; an adapter never pretends to send.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

# The product fields a channel may require. Each name is checked by
# content.selectors.product_completeness; an unknown name is a configuration error.
PRODUCT_FIELDS: tuple[str, ...] = (
    "sku",
    "gtin",
    "brand",
    "manufacturer_part_number",
    "name",
    "short_text",
    "long_text",
    "etim_class",
    "features",
    "categories",
    "images",
    "documents",
    "price",
    "availability",
    "lead_time_days",
)


class BaseChannel:
    """A channel the hub publishes to.

    ``required_fields`` maps a locale code to the product fields that locale's content
    needs before the channel can use it; the key ``"*"`` applies to every locale.
    """

    identifier: ClassVar[str] = ""
    name: ClassVar[str] = ""
    required_fields: ClassVar[Mapping[str, Sequence[str]]] = {}
    # True when the channel addresses each recipient (newsletter); False when it produces
    # one artifact for everybody (a print catalogue, a marketplace feed).
    per_recipient: ClassVar[bool] = False

    def __init__(self, key: str, options: Mapping[str, Any] | None = None) -> None:
        self.key = key
        self.options = dict(options or {})

    def required_fields_for(self, locale: str) -> tuple[str, ...]:
        """The product fields this channel requires for content in ``locale``."""
        fields = [*self.required_fields.get("*", ()), *self.required_fields.get(locale, ())]
        return tuple(dict.fromkeys(fields))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key!r}>"
