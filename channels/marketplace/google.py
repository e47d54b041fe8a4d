"""Google Merchant Center: the catalogue as a product data file Google fetches, RSS or TSV.

Google takes one file per data source, in RSS 2.0 with its ``g:`` namespace or as
tab-separated text, and replaces the account's products with it (no deltas). It publishes
no schema, only its product data specification (attribute names, limits and formats, at
support.google.com/merchants/answer/7052112). This module follows it:

- ``refusals`` keeps out what Google would disapprove anyway (a title over 150 characters,
  HTML in a description, a GTIN with a wrong check digit, an on-request product without a
  lead time), so the report says why in the editor's words instead of Google's;
- ``write`` streams one part, item by item (each item's XML written as text between the
  ``lxml.etree.xmlfile``'s channel elements, or ``csv``): the products arrive as an
  iterator and are never held together;
- ``validate`` reads the written file back with a reader of its own and checks it against
  the published rules, independently of the writer that produced it.

Prices are gross (the public net list price plus the receiver's VAT rate): Google shows
consumers what they pay and disapproves prices that differ from the shop's page. A price
group is never used here, even when a receiver names one: Google's listing is public.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlsplit

from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from lxml import etree

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

from .google_rss import rss_item
from .google_rules import (
    CONDITIONS,
    G_NS,
    MAX_ADDITIONAL_IMAGES,
    MAX_BRAND,
    MAX_DESCRIPTION,
    MAX_DETAIL_VALUE,
    MAX_DETAILS,
    MAX_ID,
    MAX_MPN,
    MAX_PRODUCT_TYPE,
    MAX_TITLE,
    MAX_URL,
    REPEATED,
    TSV_COLUMNS,
    TSV_GROUPS,
    Value,
    say,
    validate_rss,
    validate_tsv,
)
from .text import EV_CODE, MARKUP
from .xml_text import without_not_xml

VARIANTS = ("rss", "tsv")
# The hub's availability (content.taxonomy.Availability) as Google's; on request means the
# product is ordered from the supplier for the buyer: a backorder with a date.
AVAILABILITY = {
    "in_stock": "in_stock",
    "low_stock": "in_stock",
    "out_of_stock": "out_of_stock",
    "discontinued": "out_of_stock",
    "on_request": "backorder",
}
# Google allows an availability date at most a year ahead.
MAX_LEAD_TIME_DAYS = 365

# Hub units of net content as Google's, converted to the unit the German price indication
# ordinance (PAngV, since 2022) prices by: 1 kg, 1 l, 1 m, 1 m², 1 m³. Measure and base
# then share one unit, as Google requires, and the unit price shown is the lawful one.
UNITS: dict[str, tuple[str, Decimal]] = {
    "mg": ("kg", Decimal("0.000001")),
    "g": ("kg", Decimal("0.001")),
    "kg": ("kg", Decimal(1)),
    "ml": ("l", Decimal("0.001")),
    "cl": ("l", Decimal("0.01")),
    "l": ("l", Decimal(1)),
    "mm": ("m", Decimal("0.001")),
    "cm": ("m", Decimal("0.01")),
    "m": ("m", Decimal(1)),
    "m2": ("sqm", Decimal(1)),
    "m²": ("sqm", Decimal(1)),
    "sqm": ("sqm", Decimal(1)),
    "m3": ("cbm", Decimal(1)),
    "m³": ("cbm", Decimal(1)),
    "cbm": ("cbm", Decimal(1)),
}

# The product_detail section the technical features go into, per language.
SECTION_NAMES = {
    "de": "Technische Daten",
    "en": "Technical data",
    "fr": "Caractéristiques techniques",
    "it": "Dati tecnici",
    "es": "Datos técnicos",
    "nl": "Technische gegevens",
    "pl": "Dane techniczne",
}
YES_NO = {
    "de": ("ja", "nein"),
    "en": ("yes", "no"),
    "fr": ("oui", "non"),
    "it": ("sì", "no"),
    "es": ("sí", "no"),
    "nl": ("ja", "nee"),
    "pl": ("tak", "nie"),
}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
LINE_BREAKS = re.compile(r"\s*[\r\n\t\v\f\x85\u2028\u2029]+\s*")


class GoogleMerchantChannel(FeedChannel):
    """Google Merchant Center's scheduled file fetch: one RSS 2.0 or TSV file."""

    identifier = "google_merchant"
    name = "Google Merchant Center"
    # No GTIN: a manufacturer part number, or identifier_exists "no", stands in for it.
    required_fields: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "*": ("sku", "name", "long_text", "images", "price", "availability", "brand"),
    }
    media_type = "application/rss+xml; charset=utf-8"
    file_name = "google.xml"
    supports_deltas = False
    options_schema = (
        FeedOption(
            "variant",
            _("File format"),
            _('"rss" (RSS 2.0, the default) or "tsv" (tab-separated text).'),
            default="rss",
        ),
        FeedOption(
            "condition",
            _("Condition"),
            _('The condition of every product: "new", "refurbished" or "used".'),
            default="new",
        ),
        FeedOption(
            "shipping_country",
            _("Shipping country"),
            _("The country the shipping cost applies to, as an ISO 3166 code."),
            default="DE",
        ),
        FeedOption(
            "shipping_price",
            _("Shipping price"),
            _("The shipping cost per order in the feed's currency, e.g. 4.95."),
            required=True,
        ),
        FeedOption("shipping_service", _("Shipping service"), _("E.g. Standard; optional.")),
        FeedOption(
            "google_product_category",
            _("Google product category"),
            _("A category ID or path of Google's product taxonomy for every product; optional."),
        ),
        FeedOption(
            "shop_url",
            _("Shop URL"),
            _("The shop's home page, the file's channel link; default: the first product's."),
        ),
    )

    def media_type_for(self, spec: FeedSpec) -> str:
        if _option(spec, "variant") == "tsv":
            return "text/tab-separated-values; charset=utf-8"
        return self.media_type

    def file_name_for(self, spec: FeedSpec) -> str:
        return "google.tsv" if _option(spec, "variant") == "tsv" else self.file_name

    def clean_options(self, options: Mapping[str, Any]) -> dict[str, list[str]]:
        errors = super().clean_options(options)
        options = self.receiver_options(options)

        def add(name: str, message: Any) -> None:
            errors.setdefault(name, []).append(str(message))

        if options.get("variant", "rss") not in VARIANTS:
            add("variant", _('The file format is "rss" or "tsv".'))
        if options.get("condition", "new") not in CONDITIONS:
            add("condition", _('The condition is "new", "refurbished" or "used".'))
        country = options.get("shipping_country", "DE")
        if not (isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country)):
            add("shipping_country", _("The shipping country is a two-letter code, e.g. DE."))
        price = options.get("shipping_price")
        if price not in (None, ""):
            amount = _decimal(price)
            if amount is None or amount < 0 or amount != amount.quantize(Decimal("0.01")):
                add("shipping_price", _("The shipping price is an amount of 0 or more, e.g. 4.95."))
        return errors

    def refusals(self, product: FeedProduct, spec: FeedSpec) -> tuple[str, ...]:
        reasons: list[str] = []

        def refuse(message: Any, **values: Any) -> None:
            reasons.append(say(message, **values))

        if not product.sku.strip():
            refuse(_("No SKU: Google needs an id."))
        elif len(product.sku) > MAX_ID:
            refuse(
                _("The SKU has %(length)d characters; Google's id allows %(max)d."),
                length=len(product.sku),
                max=MAX_ID,
            )
        text = product.text(spec.language)
        if text is None:
            refuse(_("No %(language)s text."), language=_language_name(spec.language))
        else:
            reasons.extend(_text_refusals(text))
        if product.price is None:
            refuse(_("No price."))
        elif product.price <= 0:
            refuse(_("The price is not above zero."))
        elif product.currency != spec.currency:
            refuse(
                _("The price is in %(currency)s; the feed is in %(feed_currency)s."),
                currency=product.currency,
                feed_currency=spec.currency,
            )
        if not product.images:
            refuse(_("No image."))
        elif not _is_web_url(product.images[0].url):
            refuse(_("The first image has no absolute http(s) URL of at most 2,000 characters."))
        if not product.brand.strip():
            refuse(_("No brand."))
        elif len(product.brand) > MAX_BRAND:
            refuse(_("The brand has more than %(max)d characters."), max=MAX_BRAND)
        if product.gtin and not gtin_is_valid(product.gtin):
            refuse(_("The GTIN %(gtin)s has a wrong check digit or length."), gtin=product.gtin)
        if len(product.manufacturer_part_number) > MAX_MPN:
            refuse(_("The manufacturer part number has more than %(max)d characters."), max=MAX_MPN)
        if product.availability not in AVAILABILITY:
            refuse(_("No availability."))
        elif AVAILABILITY[product.availability] == "backorder":
            lead = product.lead_time_days
            if lead is None or not 0 <= lead <= MAX_LEAD_TIME_DAYS:
                refuse(
                    _(
                        "On request needs a lead time of 0 to %(max)d days: Google wants the "
                        "date a backordered product ships."
                    ),
                    max=MAX_LEAD_TIME_DAYS,
                )
        return tuple(reasons)

    def write(self, spec: FeedSpec, products: Iterable[FeedProduct], sink: FeedSink) -> None:
        with sink.open_part(self.file_name_for(spec)) as out:
            if _option(spec, "variant") == "tsv":
                _write_tsv(spec, products, out)
            else:
                _write_rss(spec, products, out)

    def validate(self, spec: FeedSpec, part: FeedPart) -> list[str]:
        if _option(spec, "variant") == "tsv":
            return validate_tsv(part.path)
        return validate_rss(part.path)


def _option(spec: FeedSpec, name: str) -> Any:
    value = spec.options.get(name)
    if value in (None, ""):
        option = next(o for o in GoogleMerchantChannel.options_schema if o.name == name)
        return option.default
    return value


def _decimal(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(url) <= MAX_URL


def _description(text: FeedText) -> str:
    return (text.long_text or text.short_text).strip()


def _text_refusals(text: FeedText) -> list[str]:
    reasons = []
    title, description = text.name.strip(), _description(text)
    if not title:
        reasons.append(say(_("No title.")))
    elif len(title) > MAX_TITLE:
        reasons.append(
            say(
                _("The title has %(length)d characters; Google allows %(max)d."),
                length=len(title),
                max=MAX_TITLE,
            )
        )
    if not description:
        reasons.append(say(_("No description.")))
    elif len(description) > MAX_DESCRIPTION:
        reasons.append(
            say(
                _("The description has %(length)d characters; Google allows %(max)d."),
                length=len(description),
                max=MAX_DESCRIPTION,
            )
        )
    for label, value in ((_("title"), title), (_("description"), description)):
        if MARKUP.search(value):
            reasons.append(
                say(_("The %(field)s holds HTML; Google wants plain text."), field=label)
            )
        # Line breaks (\n, or \r\n from a Windows editor) and tabs are text; the rest is not.
        if CONTROL.search(value.replace("\r\n", "").replace("\n", "").replace("\t", "")):
            reasons.append(say(_("The %(field)s holds control characters."), field=label))
    if not text.url:
        reasons.append(say(_("No link to the product's page.")))
    elif not _is_web_url(text.url):
        reasons.append(say(_("The link is no absolute http(s) URL of at most 2,000 characters.")))
    return reasons


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _availability_date(spec: FeedSpec, product: FeedProduct) -> str:
    at = spec.generated_at
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at + timedelta(days=product.lead_time_days or 0)).strftime("%Y-%m-%dT%H:%M%z")


class _Run(NamedTuple):
    """What is the same for every product of a run, worked out once."""

    condition: str
    shipping: Value | None
    google_product_category: str
    section: str
    yes: str
    no: str


def _run(spec: FeedSpec) -> _Run:
    shipping = None
    shipping_price = _decimal(spec.options.get("shipping_price", ""))
    if shipping_price is not None:
        service = spec.options.get("shipping_service", "")
        shipping = (
            ("country", _option(spec, "shipping_country")),
            *((("service", service),) if service else ()),
            ("price", _money(shipping_price, spec.currency)),
        )
    category = _option(spec, "google_product_category")
    yes, no = YES_NO.get(spec.language, YES_NO["en"])
    return _Run(
        condition=_option(spec, "condition"),
        shipping=shipping,
        google_product_category=str(category) if category else "",
        section=SECTION_NAMES.get(spec.language, SECTION_NAMES["en"]),
        yes=yes,
        no=no,
    )


def _details(run: _Run, text: FeedText) -> Iterator[Value]:
    section, yes, no = run.section, run.yes, run.no
    for feature in text.features[:MAX_DETAILS]:
        value = feature.value.strip()
        # An ETIM value code says nothing to a shopper; such features stay out until the
        # hub hands over the value's text.
        if not value or (value[:2] == "EV" and EV_CODE.fullmatch(value)):
            continue
        name = feature.name.strip()
        if not name:
            continue
        if feature.etim_type == "L" and value.lower() in ("true", "false"):
            value = yes if value.lower() == "true" else no
        elif feature.unit:
            value = f"{value} {feature.unit}"
        if len(value) <= MAX_DETAIL_VALUE:
            yield (
                ("section_name", section),
                ("attribute_name", name),
                ("attribute_value", value),
            )


def _unit_pricing(product: FeedProduct) -> tuple[str, str] | None:
    unit = UNITS.get(product.net_content_unit.strip().lower())
    if unit is None or product.net_content is None or product.net_content <= 0:
        return None
    google_unit, factor = unit
    return f"{_number(product.net_content * factor)}{google_unit}", f"1{google_unit}"


def _attributes(
    spec: FeedSpec, product: FeedProduct, run: _Run | None = None
) -> Iterator[tuple[str, Value]]:
    """One product's attributes in Google's names, in file order; a name may repeat.

    ``run`` is ``_run(spec)``, which a writer works out once for all its products.
    """
    run = run or _run(spec)
    text = product.text(spec.language)
    if text is None or product.price is None:
        raise ValueError(f"{product.sku} has no text or price: write() takes accepted products")
    yield "id", product.sku
    yield "title", text.name.strip()
    yield "description", _description(text)
    yield "link", text.url
    yield "image_link", product.images[0].url
    for image in product.images[1 : 1 + MAX_ADDITIONAL_IMAGES]:
        yield "additional_image_link", image.url
    availability = AVAILABILITY[product.availability]
    yield "availability", availability
    if availability == "backorder":
        yield "availability_date", _availability_date(spec, product)
    # The public list price, never spec.net_price(): a price group is not for the public.
    yield "price", _money(spec.gross(product.price), spec.currency)
    yield "brand", product.brand.strip()
    has_gtin = gtin_is_valid(product.gtin)
    if has_gtin:
        yield "gtin", product.gtin
    if product.manufacturer_part_number:
        yield "mpn", product.manufacturer_part_number
    if not has_gtin and not product.manufacturer_part_number:
        yield "identifier_exists", "no"
    yield "condition", run.condition
    if run.shipping is not None:
        yield "shipping", run.shipping
    product_type = " > ".join(text.category_path)
    if product_type and len(product_type) <= MAX_PRODUCT_TYPE:
        yield "product_type", product_type
    if run.google_product_category:
        yield "google_product_category", run.google_product_category
    for detail in _details(run, text):
        yield "product_detail", detail
    if unit_pricing := _unit_pricing(product):
        yield "unit_pricing_measure", unit_pricing[0]
        yield "unit_pricing_base_measure", unit_pricing[1]
    for certification in product.certifications:
        yield (
            "certification",
            (
                ("certification_authority", certification.authority),
                ("certification_name", certification.name),
                ("certification_code", certification.code),
            ),
        )


def _shop_url(spec: FeedSpec, first: FeedProduct | None) -> str:
    if url := _option(spec, "shop_url"):
        return str(url)
    text = first.text(spec.language) if first is not None else None
    if text is not None and text.url:
        parts = urlsplit(text.url)
        return f"{parts.scheme}://{parts.netloc}/"
    return ""


def _xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry: dropped from all written."""
    return without_not_xml(value)


def _leaf(xf: Any, tag: str, value: str) -> None:
    with xf.element(tag):
        xf.write(_xml_text(value))


def _prepended(box: list[FeedProduct], rest: Iterator[FeedProduct]) -> Iterator[FeedProduct]:
    """The one product in ``box``, then ``rest``; the box lets go of it once it is out."""
    yield box.pop()
    yield from rest


def _write_rss(spec: FeedSpec, products: Iterable[FeedProduct], out: PartFile) -> None:
    products = iter(products)
    first = next(products, None)  # the channel's link comes from it: read one ahead
    run = _run(spec)
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with (
            xf.element("rss", {"version": "2.0"}, nsmap={"g": G_NS}),
            xf.element("channel"),
        ):
            _leaf(xf, "title", spec.name)
            _leaf(xf, "link", _shop_url(spec, first))
            _leaf(xf, "description", say(_("Products for Google Merchant Center")))
            remaining = _prepended([first], products) if first is not None else ()
            del first  # held no longer than the others
            # The items go straight into the part, behind what the xmlfile has written.
            xf.flush()
            for product in remaining:
                out.write(rss_item(list(_attributes(spec, product, run))))
                out.products += 1
            xf.write("\n")


def _cell(value: str) -> str:
    """``value`` on one line, without what XML cannot carry (as the RSS file)."""
    if value.isprintable():  # no line break, tab or control character: the common case
        return value.strip()
    return LINE_BREAKS.sub(" ", _xml_text(value)).strip()


def _quote(value: str, specials: str) -> str:
    """A value inside a TSV cell's list, quoted as Google's examples do when it must be."""
    if any(map(value.__contains__, specials)):
        return '"' + value.replace('"', '""') + '"'
    return value


def _tsv_value(name: str, value: Value) -> str:
    if isinstance(value, str):
        return _quote(value, ',"') if name in REPEATED else value
    by_name = dict(value)
    return ":".join(_quote(by_name.get(sub, ""), ':,"') for sub in TSV_GROUPS[name])


def _write_tsv(spec: FeedSpec, products: Iterable[FeedProduct], out: PartFile) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        # No quoting: Google's examples show quotes inside cells as data, and a cell never
        # holds a tab or a line break (replaced by spaces).
        writer = csv.writer(
            text, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, quotechar=None
        )
        writer.writerow(TSV_COLUMNS)
        run = _run(spec)
        for product in products:
            cells: dict[str, list[str]] = {}
            for name, value in _attributes(spec, product, run):
                cells.setdefault(name, []).append(_tsv_value(name, value))
            writer.writerow([_cell(",".join(cells.get(column, ()))) for column in TSV_COLUMNS])
            out.products += 1
    finally:
        text.flush()
        text.detach()  # the sink closes its file, not the wrapper
