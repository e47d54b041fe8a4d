"""The Amazon receiver's options: seller, marketplace and the product type rules, as data.

Which Amazon product type a product is listed as, and which of its attributes carry which
hub fact, differs per category and is Amazon's vocabulary, not the hub's. An integrator
keeps it in the receiver's ``product_types`` option (JSON in the admin), a list of rules::

    [
      {"categories": ["akkuwerkzeuge"], "product_type": "DRILL",
       "attributes": {"item_name": "name", "brand": "brand",
                      "product_description": "long_text", "bullet_point": "features",
                      "externally_assigned_product_identifier": "gtin",
                      "part_number": "manufacturer_part_number?",
                      "manufacturer": "manufacturer_name?",
                      "supplier_declared_dg_hz_regulation": {"value": "not_applicable"}}},
      {"product_type": "PRODUCT", "attributes": {"item_name": "name", "brand": "brand"}}
    ]

A product gets the first rule naming one of its categories, else the rule without
categories (the default; at most one). On the left stand Amazon's attribute names (from
the product type's definition in Seller Central or the Product Type Definitions API); on
the right one of ``SOURCES``, or a constant ``{"value": ...}`` (add ``"localized": true``
for an attribute Amazon wants with a ``language_tag``). A source ending in ``?`` is
optional: a product without that fact leaves the attribute out; any other source the
product lacks is a refusal, since Amazon rejects a listing without its required attributes.

The offer (``purchasable_offer``, ``fulfillment_availability``, ``condition_type``) and
the images (``main_product_image_locator``, ``other_product_image_locator_1``..``8``) have
the same shape in every product type: the adapter always writes them, no rule maps them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

# How a source's value is shaped: "text" with the language_tag, "code" a plain value,
# "identifier" Amazon's {type, value} barcode, "bullets" one text entry per feature.
SOURCES: dict[str, str] = {
    "name": "text",  # the product name in the feed's language
    "short_text": "text",
    "long_text": "text",  # the description as plain text, paragraphs kept
    "features": "bullets",  # technical features as "Name: value unit", at most five
    "brand": "text",
    "manufacturer_name": "text",
    "manufacturer_part_number": "code",
    "sku": "code",
    "gtin": "identifier",  # type "ean" (8, 13 digits), "upc" (12) or "gtin" (14)
}

# The hub's availability values (content.taxonomy.Availability) and the quantity Amazon is
# told for each: the hub keeps no stock figure, so a product "in stock" is offered with a
# nominal quantity the seller is sure to have. ``default_quantity`` overrides any of them.
DEFAULT_QUANTITIES: dict[str, int] = {
    "in_stock": 10,
    "low_stock": 3,
    "out_of_stock": 0,
    "on_request": 0,
    "discontinued": 0,
}

SELLER_ID = re.compile(r"[A-Z0-9]{10,20}")  # Seller Central's merchant token
MARKETPLACE_ID = re.compile(r"A[A-Z0-9]{9,15}")  # e.g. A1PA6795UKMFR9 (amazon.de)
LOCALE = re.compile(r"[a-z]{2}_[A-Z]{2}")  # e.g. de_DE
PRODUCT_TYPE = re.compile(r"[A-Z][A-Z_]*")  # e.g. DRILL, HOME_IMPROVEMENT
ATTRIBUTE = re.compile(r"[a-z][a-z0-9_]*")  # e.g. item_name
RULE_KEYS = {"categories", "product_type", "attributes"}


@dataclass(frozen=True)
class Source:
    """Where one attribute's value comes from: a hub fact, or a constant."""

    fact: str = ""  # one of SOURCES; "" for a constant
    optional: bool = False
    value: Any = None  # the constant
    localized: bool = False  # the constant carries a language_tag

    @property
    def kind(self) -> str:
        return SOURCES[self.fact] if self.fact else "constant"


@dataclass(frozen=True)
class Rule:
    product_type: str
    attributes: tuple[tuple[str, Source], ...]
    categories: frozenset[str] = frozenset()

    def source_of(self, attribute: str) -> Source | None:
        return dict(self.attributes).get(attribute)


@dataclass(frozen=True)
class AmazonOptions:
    seller_id: str
    marketplace_id: str
    issue_locale: str
    rules: tuple[Rule, ...]
    quantities: Mapping[str, int]

    def rule_for(self, categories: tuple[str, ...]) -> Rule | None:
        """The first rule naming one of ``categories``, else the default rule, else None."""
        default = None
        for rule in self.rules:
            if not rule.categories:
                default = default or rule
            elif rule.categories.intersection(categories):
                return rule
        return default

    def language_tag(self, language: str) -> str:
        """Amazon's tag for text in ``language``: "de" on amazon.de (de_DE) is "de_DE".

        A language with a region ("de-AT") keeps it; a bare one takes the country of the
        issue locale.
        """
        if "-" in language or "_" in language:
            base, region = re.split(r"[-_]", language, maxsplit=1)
            return f"{base.lower()}_{region.upper()}"
        return f"{language.lower()}_{self.issue_locale.split('_')[1]}"


def parse_options(options: Mapping[str, Any]) -> tuple[AmazonOptions | None, dict[str, list]]:
    """The receiver's options read, or None and what is wrong, by option name."""
    errors: dict[str, list] = {}

    def wrong(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    seller_id = str(options.get("seller_id") or "").strip()
    if not seller_id:
        wrong("seller_id", _("Seller ID is required."))
    elif not SELLER_ID.fullmatch(seller_id):
        wrong(
            "seller_id",
            _(
                "“%(value)s” is not a seller ID: 10 to 20 capital letters and digits, as "
                "Seller Central shows it (e.g. A2EUQ1WTGCTBG2)."
            )
            % {"value": seller_id},
        )
    marketplace_id = str(options.get("marketplace_id") or "").strip()
    if not marketplace_id:
        wrong("marketplace_id", _("Marketplace ID is required."))
    elif not MARKETPLACE_ID.fullmatch(marketplace_id):
        wrong(
            "marketplace_id",
            _("“%(value)s” is not an Amazon marketplace ID (e.g. A1PA6795UKMFR9 for amazon.de).")
            % {"value": marketplace_id},
        )
    issue_locale = str(options.get("issue_locale") or "de_DE").strip()
    if not LOCALE.fullmatch(issue_locale):
        wrong(
            "issue_locale",
            _("“%(value)s” is not a locale like de_DE.") % {"value": issue_locale},
        )
    rules = _parse_rules(options.get("product_types"), lambda m: wrong("product_types", m))
    quantities = _parse_quantities(
        options.get("default_quantity"), lambda m: wrong("default_quantity", m)
    )
    if errors:
        return None, errors
    return AmazonOptions(seller_id, marketplace_id, issue_locale, rules, quantities), {}


def _parse_rules(raw: Any, wrong) -> tuple[Rule, ...]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else None
        except ValueError as error:
            wrong(_("Product types are not valid JSON: %(error)s.") % {"error": error})
            return ()
    if not raw:
        wrong(_("Product types are required: at least one rule, e.g. a default rule."))
        return ()
    if not isinstance(raw, list):
        wrong(_("Product types must be a list of rules."))
        return ()
    rules = []
    defaults = 0
    for number, item in enumerate(raw, start=1):
        rule = _parse_rule(
            item, lambda m, n=number: wrong(_("Rule %(n)s: %(m)s") % {"n": n, "m": m})
        )
        if rule is not None:
            rules.append(rule)
            defaults += not rule.categories
    if defaults > 1:
        wrong(_("Only one rule may be without categories (the default rule)."))
    return tuple(rules)


def _parse_rule(item: Any, wrong) -> Rule | None:
    if not isinstance(item, dict):
        wrong(_("a rule is an object with product_type, attributes and categories."))
        return None
    ok = True
    for key in sorted(set(item) - RULE_KEYS):
        wrong(_("unknown key “%(key)s”.") % {"key": key})
        ok = False
    categories = item.get("categories") or []
    if not isinstance(categories, list) or not all(
        isinstance(slug, str) and slug for slug in categories
    ):
        wrong(_("categories must be a list of category slugs."))
        ok = False
    product_type = item.get("product_type")
    if not isinstance(product_type, str) or not PRODUCT_TYPE.fullmatch(product_type):
        wrong(
            _("product_type %(value)s is not an Amazon product type (capital letters and _).")
            % {"value": json.dumps(product_type)}
        )
        ok = False
    attributes = item.get("attributes")
    if not isinstance(attributes, dict) or not attributes:
        wrong(_("the rule has no attributes."))
        return None
    parsed = []
    for attribute, spec in attributes.items():
        source = _parse_source(attribute, spec, wrong)
        if source is None:
            ok = False
        else:
            parsed.append((attribute, source))
    if not ok:
        return None
    return Rule(product_type, tuple(parsed), frozenset(categories))


def _parse_source(attribute: str, spec: Any, wrong) -> Source | None:
    if not ATTRIBUTE.fullmatch(attribute):
        wrong(
            _("“%(attribute)s” is not an Amazon attribute name (lower case, digits and _).")
            % {"attribute": attribute}
        )
        return None
    if isinstance(spec, dict):
        unknown = set(spec) - {"value", "localized"}
        value = spec.get("value")
        if unknown or not isinstance(value, str | int | float | bool) or value == "":
            wrong(
                _('%(attribute)s: a constant is {"value": ...}, optionally "localized": true.')
                % {"attribute": attribute}
            )
            return None
        return Source(value=value, localized=bool(spec.get("localized")))
    if isinstance(spec, str):
        fact = spec.removesuffix("?")
        if fact in SOURCES:
            return Source(fact=fact, optional=spec.endswith("?"))
    wrong(
        _("%(attribute)s: unknown source %(source)s; known: %(known)s.")
        % {"attribute": attribute, "source": json.dumps(spec), "known": ", ".join(SOURCES)}
    )
    return None


def _parse_quantities(raw: Any, wrong) -> dict[str, int]:
    quantities = dict(DEFAULT_QUANTITIES)
    if raw in (None, "", {}):
        return quantities
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as error:
            wrong(_("Quantities are not valid JSON: %(error)s.") % {"error": error})
            return quantities
    if not isinstance(raw, dict):
        wrong(_('Quantities map an availability to a quantity, e.g. {"in_stock": 10}.'))
        return quantities
    for availability, quantity in raw.items():
        if availability not in DEFAULT_QUANTITIES:
            wrong(
                _("Unknown availability “%(value)s”; known: %(known)s.")
                % {"value": availability, "known": ", ".join(DEFAULT_QUANTITIES)}
            )
        elif isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            wrong(
                _("The quantity for %(value)s must be a whole number, 0 or more.")
                % {"value": availability}
            )
        else:
            quantities[availability] = quantity
    return quantities
