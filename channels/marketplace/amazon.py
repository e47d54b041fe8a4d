"""Amazon's ``JSON_LISTINGS_FEED`` (version 2.0): the catalogue as Selling Partner listings.

One JSON document per part: a header naming the seller, then one message per product::

    {"header": {"sellerId": "A2EUQ1WTGCTBG2", "version": "2.0", "issueLocale": "de_DE"},
     "messages": [{"messageId": 1, "sku": "BS-18", "operationType": "UPDATE",
                   "productType": "DRILL", "attributes": {...}}, ...]}

The operation follows what changed (``FeedProduct.changes``):

- ``UPDATE`` with the product type and every attribute: each product of a full file, and
  in a delta each product whose content changed (or that names no change);
- ``PATCH`` when only price and stock changed: the offer's two attributes are replaced
  (``purchasable_offer`` and ``fulfillment_availability``, both, so one missed patch heals
  with the next);
- ``DELETE`` for a withdrawn product.

Attributes are Amazon's listings attribute JSON: arrays of objects with ``value``,
``marketplace_id`` and, for text, ``language_tag`` ("de_DE"). Which attribute holds which
fact is the receiver's data (``amazon_rules``); the offer and the images are written here.
The price is gross, with the receiver's VAT rate. The hub keeps no stock figure: the
quantity comes from the availability (``default_quantity``).

Amazon takes at most 10,000 messages and 10 MiB per feed document, so a large catalogue is
written as ``listings-0001.json``, ``listings-0002.json``, ... each a valid document.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from channels.feeds import (
    FeedChannel,
    FeedOption,
    FeedPart,
    FeedProduct,
    FeedSink,
    FeedSpec,
    FeedText,
    PartFile,
)
from core.gtin import gtin_is_valid

from .amazon_rules import AmazonOptions, Rule, Source, parse_options
from .text import EV_CODE, MARKUP

SCHEMA_PATH = Path(__file__).parent / "schemas" / "amazon_listings_feed_v2.json"
MAX_MESSAGES = 10_000
MAX_BYTES = 10 * 1024 * 1024
MAX_TITLE = 200  # characters of item_name
MAX_BULLETS = 5  # Amazon shows five bullet points
MAX_LEAD_TIME = 30  # days, lead_time_to_ship_max_days
MAX_IMAGES = 9  # the main image and other_product_image_locator_1..8
PATCHABLE = frozenset({"price", "stock"})


class AmazonListingsChannel(FeedChannel):
    """Amazon Selling Partner listings, as a ``JSON_LISTINGS_FEED`` for the Feeds API."""

    identifier = "amazon"
    name = "Amazon (Selling Partner listings)"
    required_fields = {
        "*": ("sku", "gtin", "brand", "name", "long_text", "images", "price", "availability"),
    }
    media_type = "application/json"
    file_name = "listings-0001.json"
    supports_deltas = True
    options_schema = (
        FeedOption(
            "seller_id",
            gettext_lazy("Seller ID"),
            gettext_lazy("The merchant token from Seller Central, e.g. A2EUQ1WTGCTBG2."),
            required=True,
        ),
        FeedOption(
            "marketplace_id",
            gettext_lazy("Marketplace ID"),
            gettext_lazy("Amazon's marketplace, e.g. A1PA6795UKMFR9 for amazon.de."),
            required=True,
        ),
        FeedOption(
            "issue_locale",
            gettext_lazy("Issue locale"),
            gettext_lazy(
                "The language of Amazon's processing report, and the country of "
                "the language tags, e.g. de_DE."
            ),
            default="de_DE",
        ),
        FeedOption(
            "product_types",
            gettext_lazy("Product types"),
            gettext_lazy(
                'A JSON list of rules: {"categories": [slugs], "product_type": "DRILL", '
                '"attributes": {"item_name": "name", ...}}; one rule without categories is '
                "the default. Sources: name, short_text, long_text, features, brand, "
                "manufacturer_name, manufacturer_part_number, sku, gtin; a constant is "
                '{"value": ...}; a source ending in "?" is optional.'
            ),
            required=True,
            default=[],
        ),
        FeedOption(
            "default_quantity",
            gettext_lazy("Quantity per availability"),
            gettext_lazy(
                "The quantity Amazon is told per availability, as JSON, e.g. "
                '{"in_stock": 10, "low_stock": 3}; the rest are 0.'
            ),
            default={},
        ),
    )

    def clean_options(self, options: Mapping[str, Any]) -> dict[str, list[str]]:
        return parse_options({**self.options, **options})[1]

    def refusals(self, product: FeedProduct, spec: FeedSpec) -> tuple[str, ...]:
        if product.withdrawn:
            return ()  # a DELETE needs nothing but the SKU
        config = self._config(spec)
        reasons: list[str] = []
        rule = config.rule_for(product.category_slugs)
        if rule is None:
            reasons.append(
                _("No product type rule matches its categories (%(categories)s).")
                % {"categories": ", ".join(product.category_slugs) or _("none")}
            )
        reasons += _offer_refusals(product, spec, config)
        if product.gtin and not gtin_is_valid(product.gtin):
            # Refused whether or not a rule sends it: a broken barcode is broken data.
            reasons.append(
                _("GTIN %(gtin)s is not valid (length or check digit).") % {"gtin": product.gtin}
            )
        if rule is not None and _operation(product, spec) == "UPDATE":
            reasons += _content_refusals(product, spec, rule)
        return tuple(reasons)

    def write(self, spec: FeedSpec, products: Iterable[FeedProduct], sink: FeedSink) -> None:
        """One message per product, into parts of at most 10,000 messages and 10 MiB,
        each written as its messages come (the products are read lazily)."""
        config = self._config(spec)
        header = {
            "sellerId": config.seller_id,
            "version": "2.0",
            "issueLocale": config.issue_locale,
        }
        prefix = b'{"header":' + orjson.dumps(header) + b',"messages":['
        suffix = b"]}"
        empty = len(prefix) + len(suffix)
        with ExitStack() as parts:
            part: PartFile | None = None
            size = number = 0
            for product in products:
                body = _message(product, spec, config)
                encoded = orjson.dumps({"messageId": (part.products if part else 0) + 1, **body})
                if part is not None and (
                    part.products == MAX_MESSAGES or size + 1 + len(encoded) > MAX_BYTES
                ):
                    part.write(suffix)
                    parts.close()
                    part = None
                    encoded = orjson.dumps({"messageId": 1, **body})
                if empty + len(encoded) > MAX_BYTES:
                    raise ValueError(f"amazon: the message of {product.sku} alone exceeds 10 MiB")
                if part is None:
                    number += 1
                    part = parts.enter_context(sink.open_part(f"listings-{number:04d}.json"))
                    part.write(prefix)
                    size = empty
                else:
                    part.write(b",")
                    size += 1
                part.write(encoded)
                part.products += 1
                size += len(encoded)
            if part is not None:
                part.write(suffix)

    def validate(self, spec: FeedSpec, part: FeedPart) -> list[str]:
        data = part.path.read_bytes()
        errors = []
        if len(data) > MAX_BYTES:
            errors.append(
                _("%(name)s has %(size)s bytes; Amazon takes at most %(max)s.")
                % {"name": part.name, "size": len(data), "max": MAX_BYTES}
            )
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            return [
                *errors,
                _("%(name)s is not JSON: %(error)s") % {"name": part.name, "error": error},
            ]
        for error in _validator().iter_errors(document):
            errors.append(_schema_error(error))
        messages = document.get("messages") if isinstance(document, dict) else None
        if isinstance(messages, list):
            if len(messages) > MAX_MESSAGES:
                errors.append(
                    _("%(name)s has %(count)s messages; Amazon takes at most %(max)s.")
                    % {"name": part.name, "count": len(messages), "max": MAX_MESSAGES}
                )
            seen: set = set()
            for index, message in enumerate(messages):
                message_id = message.get("messageId") if isinstance(message, dict) else None
                if message_id in seen:
                    errors.append(
                        _("$.messages[%(index)s].messageId: %(id)s is used twice.")
                        % {"index": index, "id": message_id}
                    )
                seen.add(message_id)
        return errors

    def _config(self, spec: FeedSpec) -> AmazonOptions:
        """The receiver's options read once per run (``spec.options`` is the same object)."""
        cached = getattr(self, "_cached_config", None)
        if cached is not None and cached[0] is spec.options:
            return cached[1]
        config, errors = parse_options({**self.options, **spec.options})
        if config is None:
            problems = "; ".join(f"{name}: {' '.join(found)}" for name, found in errors.items())
            raise ImproperlyConfigured(f"Amazon feed {spec.feed_key!r}: {problems}")
        self._cached_config = (spec.options, config)
        return config


def _operation(product: FeedProduct, spec: FeedSpec) -> str:
    if product.withdrawn:
        return "DELETE"
    if not spec.full and product.changes and product.changes <= PATCHABLE:
        return "PATCH"
    return "UPDATE"


def _message(product: FeedProduct, spec: FeedSpec, config: AmazonOptions) -> dict[str, Any]:
    """The message for ``product`` without its messageId (numbered per part)."""
    operation = _operation(product, spec)
    message: dict[str, Any] = {"sku": product.sku, "operationType": operation}
    if operation == "DELETE":
        return message
    rule = config.rule_for(product.category_slugs)
    if rule is None:  # refusals() keeps such a product out
        raise ValueError(f"amazon: no product type rule for {product.sku}")
    message["productType"] = rule.product_type
    offer = _offer(product, spec, config)
    if operation == "PATCH":
        message["patches"] = [
            {"op": "replace", "path": f"/attributes/{name}", "value": value}
            for name, value in offer.items()
            if name != "condition_type"
        ]
        return message
    message["attributes"] = {
        **_content(product, spec, config, rule),
        **_images(product, config),
        **offer,
    }
    return message


def _offer(product: FeedProduct, spec: FeedSpec, config: AmazonOptions) -> dict[str, list]:
    net = spec.net_price(product)
    if net is None:
        raise ValueError(f"amazon: no price for {product.sku}")
    availability: dict[str, Any] = {
        "fulfillment_channel_code": "DEFAULT",
        "quantity": config.quantities[product.availability],
    }
    if product.lead_time_days is not None:
        availability["lead_time_to_ship_max_days"] = product.lead_time_days
    return {
        "condition_type": [{"value": "new_new", "marketplace_id": config.marketplace_id}],
        "purchasable_offer": [
            {
                "currency": product.currency,
                "marketplace_id": config.marketplace_id,
                "our_price": [{"schedule": [{"value_with_tax": _number(spec.gross(net))}]}],
            }
        ],
        "fulfillment_availability": [availability],
    }


def _number(value: Decimal) -> int | float:
    """A JSON number for a price: Amazon's schemas type it as a number, not a string."""
    return int(value) if value == value.to_integral_value() else float(value)


def _images(product: FeedProduct, config: AmazonOptions) -> dict[str, list]:
    images = [image for image in product.images if image.mime_type.startswith("image/")]
    names = ["main_product_image_locator"] + [
        f"other_product_image_locator_{n}" for n in range(1, MAX_IMAGES)
    ]
    return {
        name: [{"media_location": image.url, "marketplace_id": config.marketplace_id}]
        for name, image in zip(names, images, strict=False)
    }


def _content(
    product: FeedProduct, spec: FeedSpec, config: AmazonOptions, rule: Rule
) -> dict[str, list]:
    text = product.text(spec.language)
    tag = config.language_tag(spec.language)
    attributes = {}
    for attribute, source in rule.attributes:
        values = _values(product, text, source)
        if not values:
            continue
        entries = []
        for value in values:
            entry: dict[str, Any] = {}
            if source.kind == "identifier":
                entry["type"] = _gtin_type(value)
            entry["value"] = value
            if source.kind in ("text", "bullets") or source.localized:
                entry["language_tag"] = tag
            entry["marketplace_id"] = config.marketplace_id
            entries.append(entry)
        attributes[attribute] = entries
    return attributes


def _values(product: FeedProduct, text: FeedText | None, source: Source) -> list[Any]:
    """What ``source`` says of ``product``: [] when the product lacks that fact."""
    if not source.fact:
        return [source.value]
    if source.fact in ("name", "short_text", "long_text"):
        value = getattr(text, source.fact, "") if text else ""
    elif source.fact == "features":
        return _bullets(text)
    else:
        value = getattr(product, source.fact)
    return [value.strip()] if value and value.strip() else []


def _bullets(text: FeedText | None) -> list[str]:
    """Features as bullet points: "Spannung: 18 V"; a "yes" feature is its name alone.

    An ETIM value code (EV000080) says nothing to a buyer and a "no" feature little, so
    those are left out.
    """
    bullets = []
    for feature in text.features if text else ():
        if feature.etim_type == "L" or feature.value.lower() in ("true", "false"):
            if feature.value.lower() == "true":
                bullets.append(feature.name)
            continue
        if feature.etim_type == "A" and EV_CODE.fullmatch(feature.value):
            continue
        bullets.append(f"{feature.name}: {feature.value} {feature.unit}".strip())
    return bullets[:MAX_BULLETS]


def _gtin_type(value: str) -> str:
    """Amazon's barcode types: "upc" for GTIN-12, "gtin" for GTIN-14, else "ean"."""
    return {12: "upc", 14: "gtin"}.get(len(value), "ean")


def _offer_refusals(product: FeedProduct, spec: FeedSpec, config: AmazonOptions) -> list[str]:
    reasons = []
    if spec.net_price(product) is None:
        if spec.price_group:
            reasons.append(_("No price for price group %(group)s.") % {"group": spec.price_group})
        else:
            reasons.append(_("No list price."))
    elif product.currency != spec.currency:
        reasons.append(
            _("Its price is in %(currency)s, the receiver takes %(wanted)s.")
            % {"currency": product.currency, "wanted": spec.currency}
        )
    if not product.availability:
        reasons.append(_("No availability, so no quantity to offer."))
    elif product.availability not in config.quantities:
        reasons.append(
            _("Availability “%(value)s” has no quantity for Amazon.")
            % {"value": product.availability}
        )
    if product.lead_time_days is not None and not 0 <= product.lead_time_days <= MAX_LEAD_TIME:
        reasons.append(
            _("Lead time of %(days)s days; Amazon takes 0 to %(max)s.")
            % {"days": product.lead_time_days, "max": MAX_LEAD_TIME}
        )
    return reasons


def _content_refusals(product: FeedProduct, spec: FeedSpec, rule: Rule) -> list[str]:
    text = product.text(spec.language)
    if text is None:
        return [_("No text in %(language)s.") % {"language": spec.language}]
    reasons = []
    for attribute, source in rule.attributes:
        values = _values(product, text, source)
        if not values:
            if not source.optional:
                reasons.append(
                    _("No %(fact)s for Amazon's %(attribute)s.")
                    % {"fact": source.fact, "attribute": attribute}
                )
            continue
        if source.kind in ("text", "bullets"):
            reasons += _text_refusals(attribute, values)
        if attribute == "item_name" and len(values[0]) > MAX_TITLE:
            reasons.append(
                _("Its title has %(count)s characters; Amazon takes at most %(max)s.")
                % {"count": len(values[0]), "max": MAX_TITLE}
            )
    if not any(image.mime_type.startswith("image/") for image in product.images):
        reasons.append(_("No image: Amazon lists no product without a main image."))
    size = sum(len(value.encode()) for value in (text.name, text.short_text, text.long_text))
    if size > MAX_BYTES - 64 * 1024:
        reasons.append(_("Its texts are too large for one Amazon feed document (10 MiB)."))
    return reasons


def _text_refusals(attribute: str, values: list[str]) -> list[str]:
    reasons = []
    if any(MARKUP.search(value) for value in values):
        reasons.append(
            _("Its %(attribute)s contains HTML, which Amazon does not show.")
            % {"attribute": attribute}
        )
    line_breaks = "\n" if attribute != "item_name" else ""
    if any(
        unicodedata.category(char) == "Cc" and char not in line_breaks
        for value in values
        for char in value
    ):
        reasons.append(
            _("Its %(attribute)s contains control characters.") % {"attribute": attribute}
        )
    return reasons


@cache
def _validator() -> Draft7Validator:
    return Draft7Validator(orjson.loads(SCHEMA_PATH.read_bytes()))


def _schema_error(error: ValidationError) -> str:
    """E.g. ``$.messages[3].attributes: not allowed with operationType DELETE``.

    A message fails the schema's ``oneOf`` (one form per operation) as a whole; the errors
    of the form its own operationType names are the useful ones, so those are reported.
    """
    instance = error.instance
    if error.validator == "oneOf" and isinstance(instance, dict):
        operation = instance.get("operationType")
        forms = [
            form.get("properties", {}).get("operationType", {}).get("const")
            for form in error.validator_value
        ]
        if operation in forms:
            index = forms.index(operation)
            # jsonschema reports a field a ``false`` schema forbids without its name
            forbidden = [
                f"{error.json_path}.{name}: "
                + _("not allowed with operationType %(operation)s") % {"operation": operation}
                for name, schema in error.validator_value[index].get("properties", {}).items()
                if schema is False and name in instance
            ]
            causes = [
                f"{cause.json_path}: {_describe(cause)}"
                for cause in error.context
                if cause.relative_schema_path[0] == index and cause.validator is not None
            ]
            return "; ".join(forbidden + causes)
    return f"{error.json_path}: {_describe(error)}"


def _describe(error: ValidationError) -> str:
    """jsonschema's message without the instance it quotes, which can be a whole message."""
    message = error.message
    quoted = repr(error.instance)
    if len(quoted) > 60 and message.startswith(quoted):
        message = _("the value") + message[len(quoted) :]
    return message if len(message) <= 200 else message[:199] + "…"
