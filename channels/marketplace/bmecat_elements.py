"""The elements of BMEcat 2005 documents, written one product at a time.

``bmecat.BMEcatChannel`` decides what goes into which document; this module knows how
BMEcat spells it: the schema (kept next to this module, ``schemas/bmecat_2005.xsd``), its
namespace, language codes and lengths, and a ``Document`` that streams one BMECAT into a
part of the sink: its HEADER through ``lxml.etree.xmlfile``, then each PRODUCT as text in
one piece (``xml_text``: the bytes lxml wrote element by element, at a fraction of the
cost of a Python call per element).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from channels.feeds import FeedFeature, FeedProduct, FeedSink, FeedSpec, FeedText, PartFile

from .etim import typed_values
from .xml_text import escape_attribute, escape_text, xml_bytes

NAMESPACE = "http://www.bmecat.org/bmecat/2005fd"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "bmecat_2005.xsd"
_XSD = "{http://www.w3.org/2001/XMLSchema}"


# ISO 639-1 (the hub's language codes) to the ISO 639-2/T codes BMEcat 2005 writes.
LANGUAGES = {
    "ar": "ara", "bg": "bul", "bs": "bos", "ca": "cat", "cs": "ces", "cy": "cym", "da": "dan",
    "de": "deu", "el": "ell", "en": "eng", "es": "spa", "et": "est", "eu": "eus", "fa": "fas",
    "fi": "fin", "fr": "fra", "ga": "gle", "gl": "glg", "he": "heb", "hi": "hin", "hr": "hrv",
    "hu": "hun", "id": "ind", "is": "isl", "it": "ita", "ja": "jpn", "ko": "kor", "lb": "ltz",
    "lt": "lit", "lv": "lav", "mk": "mkd", "ms": "msa", "mt": "mlt", "nb": "nob", "nl": "nld",
    "nn": "nno", "no": "nor", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus", "sk": "slk",
    "sl": "slv", "sq": "sqi", "sr": "srp", "sv": "swe", "th": "tha", "tr": "tur", "uk": "ukr",
    "vi": "vie", "zh": "zho",
}  # fmt: skip

# How the hub's net content units are written as BMEcat (UN/ECE Rec. 20) CONTENT_UNITs.
CONTENT_UNITS = {"m": "MTR", "kg": "KGM", "g": "GRM", "l": "LTR", "m2": "MTK", "m3": "MTQ"}

# Characters XML 1.0 cannot carry (and DEL): a text with one is refused, not mangled.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")

# Lengths the schema allows.
MAX_SUPPLIER_PID = 32
MAX_DESCRIPTION_SHORT = 150
MAX_DESCRIPTION_LONG = 64000
MAX_MANUFACTURER = 50
MAX_MIME_SOURCE = 255
MAX_MIME_DESCR = 250


@functools.cache
def bmecat_schema() -> etree.XMLSchema:
    """The official BMEcat 2005 schema, loaded once per process."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


@functools.cache
def _schema_type(name: str) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """The enumeration values and patterns of a simple type or element of the schema."""
    root = etree.parse(str(SCHEMA_PATH)).getroot()
    node = root.find(f"{_XSD}simpleType[@name='{name}']")
    if node is None:
        node = root.find(f"{_XSD}element[@name='{name}']")
    values = frozenset(e.get("value") for e in node.iter(f"{_XSD}enumeration"))
    patterns = tuple(re.compile(p.get("value")) for p in node.iter(f"{_XSD}pattern"))
    return values, patterns


def forget(element: etree._Element) -> None:
    """Free a parsed element and the siblings before it: what streaming needs no more."""
    element.clear(keep_tail=True)
    while element.getprevious() is not None:
        del element.getparent()[0]


def errors_by_product(path: Path, limit: int = 20) -> list[tuple[int, str]]:
    """Schema errors of ``path`` with their lines, found by checking each PRODUCT with the
    HEADER in a document of its own (a tree holds its lines; a parsing validator does not).

    Only for a file already found invalid; stops after ``limit`` errors.
    """
    schema = bmecat_schema()
    found: dict[tuple[int, str], None] = {}
    header = transaction = None
    try:
        for event, element in etree.iterparse(str(path), events=("start", "end"), no_network=True):
            tag = etree.QName(element).localname
            if event == "start":
                if tag.startswith("T_"):
                    transaction = (element.tag, dict(element.attrib))
                continue
            if tag == "HEADER":
                header = copy.deepcopy(element)
            elif tag == "PRODUCT" and header is not None and transaction is not None:
                document = etree.Element(_q("BMECAT"), nsmap={None: NAMESPACE}, version="2005")
                document.append(copy.deepcopy(header))
                etree.SubElement(document, *transaction).append(copy.deepcopy(element))
                if not schema.validate(document):
                    found.update(dict.fromkeys((e.line, e.message) for e in schema.error_log))
                if len(found) >= limit:
                    break
            if tag == "PRODUCT":
                forget(element)
    except etree.XMLSyntaxError:
        pass
    return list(found)[:limit]


def schema_allows(type_name: str, value: str) -> bool:
    """Whether ``value`` is one of the schema type's values or matches one of its patterns."""
    values, patterns = _schema_type(type_name)
    return value in values or any(p.fullmatch(value) for p in patterns)


def bmecat_language(code: str) -> str:
    """The ISO 639-2 code of a hub language ("de", "de-AT"), "" when there is none."""
    return LANGUAGES.get(re.split(r"[-_]", code.lower())[0], "")


def group_price_type(group: str) -> str:
    """The user-defined price type of a buyer price group: ``udp_`` and the group."""
    return "udp_" + re.sub(r"\W", "_", group)[:16]


def long_text(text: FeedText) -> str:
    """DESCRIPTION_LONG: the short text, then the description, as plain text."""
    return "\n\n".join(part for part in (text.short_text, text.long_text) if part.strip())


def etim_features(product: FeedProduct, spec: FeedSpec) -> list[FeedFeature]:
    """The main language's features with an ETIM code: ETIM values are language-free."""
    text = product.text(spec.language)
    return [f for f in (text.features if text else ()) if f.etim_feature]


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def _open(xf, tag: str, attributes: Mapping[str, str] | None = None, **kwargs: Any):
    """``tag``'s element, on a line of its own: a schema error's line then points at it.

    The line break stands between elements, where the schema allows white space, never
    inside a value.
    """
    xf.write("\n")
    return xf.element(_q(tag), attributes or {}, **kwargs)


def _amount(value: Decimal) -> str:
    return format(value, "f")


class Document:
    """One BMECAT document, streamed into a part of the sink from its first product on."""

    def __init__(
        self,
        writer: ElementWriter,
        transaction: str,
        attributes: dict[str, str],
        sink: FeedSink,
        name: str,
        stack: ExitStack,
    ) -> None:
        self.writer = writer
        self.transaction = transaction
        self.attributes = attributes
        self.sink = sink
        self.name = name
        self.part: PartFile | None = None
        # The part and its open elements; closed by ``finish``, or with the exception by
        # the run's stack, which discards the part.
        self.elements = stack.enter_context(ExitStack())

    def open(self) -> PartFile:
        if self.part is None:
            self.part = self.elements.enter_context(self.sink.open_part(self.name))
            xf = self.elements.enter_context(etree.xmlfile(self.part, encoding="utf-8"))
            xf.write_declaration()
            self.elements.enter_context(
                xf.element(_q("BMECAT"), nsmap={None: NAMESPACE}, version="2005")
            )
            self.writer.header(xf)
            self.elements.enter_context(_open(xf, self.transaction, self.attributes))
            # The products go straight into the part, behind what the xmlfile has written;
            # it writes again only to close the transaction and the document.
            xf.flush()
        return self.part

    def add(self, build, product: FeedProduct, **kwargs) -> None:
        """``build(product, **kwargs)``'s PRODUCT into the document."""
        data = build(product, **kwargs)
        part = self.open()
        part.write(data)
        part.products += 1

    def finish(self) -> None:
        """Close the document and its part; nothing if it was never begun."""
        if self.part is not None:
            self.elements.close()


class ElementWriter:
    """The elements of one run's documents: the HEADER written into an ``xmlfile``, each
    PRODUCT made as the bytes of the file (``xml_text``), line breaks and all."""

    def __init__(self, spec: FeedSpec, settings: Mapping[str, Any]) -> None:
        self.spec = spec
        self.settings = settings
        # What every product of the run shares, worked out (and escaped) once.
        self.languages = [
            (language, f' lang="{escape_attribute(bmecat_language(language))}"')
            for language in spec.languages
        ]
        self.text_units = settings["funit"] == "text"
        self.feature_system = _leaf("REFERENCE_FEATURE_SYSTEM_NAME", f"ETIM-{spec.etim_release}")
        self.order_unit = _leaf("ORDER_UNIT", str(settings["order_unit"]))
        self.quantities = _leaf("PRICE_QUANTITY", str(settings["price_quantity"])) + _leaf(
            "QUANTITY_MIN", str(settings["quantity_min"])
        )
        self.tax = _leaf("TAX", _amount((spec.vat_rate / 100).normalize()))
        self.price_groups = [
            (group, f'\n<PRODUCT_PRICE price_type="{escape_attribute(group_price_type(group))}">')
            for group in spec.buyer_price_groups
        ]
        self.mime_types: dict[str, str] = {}

    def leaf(self, xf, tag: str, text: str, **attributes: str) -> None:
        with _open(xf, tag, attributes):
            xf.write(text)

    def header(self, xf) -> None:
        spec, settings = self.spec, self.settings
        with _open(xf, "HEADER"):
            self.leaf(xf, "GENERATOR_INFO", "hub BMEcat 2005 export")
            with _open(xf, "CATALOG"):
                for index, language in enumerate(spec.languages):
                    default = {"default": "true"} if index == 0 else {}
                    self.leaf(xf, "LANGUAGE", bmecat_language(language), **default)
                self.leaf(xf, "CATALOG_ID", str(settings["catalog_id"]))
                self.leaf(xf, "CATALOG_VERSION", str(settings["catalog_version"]))
                self.leaf(xf, "CATALOG_NAME", str(settings.get("catalog_name") or spec.name)[:100])
                self.datetime(xf, spec.generated_at)
                self.leaf(xf, "TERRITORY", str(settings["territory"]))
                self.leaf(xf, "CURRENCY", spec.currency)
            if settings.get("buyer_name"):
                with _open(xf, "BUYER"):
                    if settings.get("buyer_id"):
                        self.leaf(
                            xf,
                            "BUYER_ID",
                            str(settings["buyer_id"]),
                            type=settings["buyer_id_type"],
                        )
                    self.leaf(xf, "BUYER_NAME", str(settings["buyer_name"]))
            with _open(xf, "SUPPLIER"):
                if settings.get("supplier_id"):
                    self.leaf(
                        xf,
                        "SUPPLIER_ID",
                        str(settings["supplier_id"]),
                        type=settings["supplier_id_type"],
                    )
                self.leaf(xf, "SUPPLIER_NAME", str(settings["supplier_name"]))

    def datetime(self, xf, moment: datetime) -> None:
        with _open(xf, "DATETIME", type="generation_date"):
            self.leaf(xf, "DATE", moment.date().isoformat())
            self.leaf(xf, "TIME", moment.strftime("%H:%M:%S"))
            offset = moment.utcoffset()
            if offset is not None:
                minutes = int(offset.total_seconds()) // 60
                sign = "-" if minutes < 0 else "+"
                hours, minutes = divmod(abs(minutes), 60)
                self.leaf(xf, "TIMEZONE", f"{sign}{hours:02d}:{minutes:02d}")

    def product(self, product: FeedProduct, mode: str = "") -> bytes:
        """A whole PRODUCT: details, ETIM features, order and price details, media."""
        parts = [f'\n<PRODUCT mode="{escape_attribute(mode)}">' if mode else "\n<PRODUCT>"]
        parts.append(_leaf("SUPPLIER_PID", product.sku, SUPPLIER_SPECIFIC))
        self.details(parts, product)
        self.features(parts, product)
        self.order_details(parts, product)
        self.price_details(parts, product)
        self.mime_info(parts, product)
        parts.append("</PRODUCT>")
        return _encoded(parts)

    def deleted_product(self, product: FeedProduct) -> bytes:
        """A PRODUCT to delete: the schema still requires details, order and price details,
        which the receiver ignores; only the SUPPLIER_PID counts."""
        text = product.text(self.spec.language) or next(iter(product.texts.values()), None)
        name = CONTROL.sub("", text.name).strip()[:MAX_DESCRIPTION_SHORT] if text else ""
        return _encoded(
            [
                '\n<PRODUCT mode="delete">',
                _leaf("SUPPLIER_PID", product.sku, SUPPLIER_SPECIFIC),
                "\n<PRODUCT_DETAILS>",
                _leaf("DESCRIPTION_SHORT", name or product.sku),
                "</PRODUCT_DETAILS>\n<PRODUCT_ORDER_DETAILS>",
                self.order_unit,
                "</PRODUCT_ORDER_DETAILS>\n<PRODUCT_PRICE_DETAILS>",
                '\n<PRODUCT_PRICE price_type="net_list"></PRODUCT_PRICE>',
                "</PRODUCT_PRICE_DETAILS></PRODUCT>",
            ]
        )

    def price_product(self, product: FeedProduct) -> bytes:
        parts = ['\n<PRODUCT mode="update">', _leaf("SUPPLIER_PID", product.sku, SUPPLIER_SPECIFIC)]
        self.price_details(parts, product)
        parts.append("</PRODUCT>")
        return _encoded(parts)

    def details(self, parts: list[str], product: FeedProduct) -> None:
        texts = [(lang, product.text(language)) for language, lang in self.languages]
        parts.append("\n<PRODUCT_DETAILS>")
        for lang, text in texts:
            parts.append(_leaf("DESCRIPTION_SHORT", text.name, lang))
        for lang, text in texts:
            description = long_text(text)
            if description:
                parts.append(_leaf("DESCRIPTION_LONG", description, lang))
        if product.gtin:
            parts.append(_leaf("INTERNATIONAL_PID", product.gtin, ' type="gtin"'))
        if product.manufacturer_part_number:
            parts.append(_leaf("MANUFACTURER_PID", product.manufacturer_part_number))
        if product.manufacturer_name or product.brand:
            parts.append(_leaf("MANUFACTURER_NAME", product.manufacturer_name or product.brand))
        if product.lead_time_days is not None:
            parts.append(_leaf("DELIVERY_TIME", str(product.lead_time_days)))
        parts.append("</PRODUCT_DETAILS>")

    def features(self, parts: list[str], product: FeedProduct) -> None:
        """The product's ETIM class in the receiver's release, and its ETIM features.

        A feature without an ETIM code is left out: an ETIM receiver reads features by
        their EF codes only.
        """
        ec_class = product.etim_classes.get(self.spec.etim_release)
        if not ec_class:
            return
        text_units = self.text_units
        append = parts.append
        append("\n<PRODUCT_FEATURES>")
        append(self.feature_system)
        append(_leaf("REFERENCE_FEATURE_GROUP_ID", ec_class))
        for feature in etim_features(product, self.spec):
            append("\n<FEATURE>")
            append(_leaf("FNAME", feature.etim_feature))
            for value in typed_values(feature):
                append(_leaf("FVALUE", value))
            unit = feature.unit if text_units else feature.etim_unit
            if unit and feature.etim_type in ("N", "R"):
                append(_leaf("FUNIT", unit))
            append("</FEATURE>")
        append("</PRODUCT_FEATURES>")

    def order_details(self, parts: list[str], product: FeedProduct) -> None:
        """ORDER_UNIT from the settings; the CONTENT_UNIT and how many of it an order unit
        holds from the product's net content (a 50 m cable drum: C62 of 50 MTR)."""
        content_unit = self.settings.get("content_unit") or CONTENT_UNITS.get(
            product.net_content_unit, ""
        )
        parts.append("\n<PRODUCT_ORDER_DETAILS>")
        parts.append(self.order_unit)
        if content_unit:
            parts.append(_leaf("CONTENT_UNIT", str(content_unit)))
            if product.net_content:
                parts.append(_leaf("NO_CU_PER_OU", _amount(product.net_content)))
        parts.append(self.quantities)
        parts.append("</PRODUCT_ORDER_DETAILS>")

    def price_details(self, parts: list[str], product: FeedProduct) -> None:
        """The receiver's net list price and each buyer price group's price (module doc)."""
        currency = _leaf("PRICE_CURRENCY", product.currency) + self.tax + "</PRODUCT_PRICE>"
        parts.append('\n<PRODUCT_PRICE_DETAILS>\n<PRODUCT_PRICE price_type="net_list">')
        amount = self.spec.net_price(product)
        if amount is not None:
            parts.append(_leaf("PRICE_AMOUNT", _amount(amount)))
        parts.append(currency)
        group_prices = product.group_prices
        for group, start in self.price_groups:
            if group in group_prices:
                parts.append(start)
                if (amount := group_prices[group]) is not None:
                    parts.append(_leaf("PRICE_AMOUNT", _amount(amount)))
                parts.append(currency)
        parts.append("</PRODUCT_PRICE_DETAILS>")

    def mime_info(self, parts: list[str], product: FeedProduct) -> None:
        """Images and documents by URL; MIME_TYPE only where the schema knows the type
        (it allows no "image/png"): the receiver then goes by the file's extension."""
        assets = (*product.images, *product.documents)
        if not assets:
            return
        append = parts.append
        append("\n<MIME_INFO>")
        for order, asset in enumerate(assets, start=1):
            append("\n<MIME>")
            append(self.mime_type(asset.mime_type))
            append(_leaf("MIME_SOURCE", asset.url))
            if asset.description.strip():
                append(_leaf("MIME_DESCR", asset.description[:MAX_MIME_DESCR]))
            append(_leaf("MIME_PURPOSE", asset.purpose))
            append(_leaf("MIME_ORDER", str(order)))
            append("</MIME>")
        append("</MIME_INFO>")

    def mime_type(self, mime_type: str) -> str:
        """The MIME_TYPE element of ``mime_type``, "" where the schema does not know it."""
        element = self.mime_types.get(mime_type)
        if element is None:
            allowed = schema_allows("MIME_TYPE", mime_type)
            element = self.mime_types[mime_type] = _leaf("MIME_TYPE", mime_type) if allowed else ""
        return element


SUPPLIER_SPECIFIC = ' type="supplier_specific"'


def _leaf(tag: str, text: str, attributes: str = "") -> str:
    """``tag``'s element with ``text``, on a line of its own as ``_open`` writes it;
    ``attributes`` are written as given (already escaped)."""
    return f"\n<{tag}{attributes}>{escape_text(text)}</{tag}>"


def _encoded(parts: list[str]) -> bytes:
    data = xml_bytes("".join(parts))
    if data is None:
        # What lxml said of such a value; refusals() keeps such products out.
        raise ValueError("All strings must be XML compatible: no NULL bytes or control characters")
    return data
