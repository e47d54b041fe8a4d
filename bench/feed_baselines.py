"""The baselines of ``bench.feeds``: the same feed documents built with ElementTree.

What a competent engineer writes without a streaming writer: the whole document as an
``xml.etree.ElementTree`` tree in memory (``SubElement`` and ``.text``, both in C), then
``ElementTree.write``. It computes every value with the adapters' own helpers, so only the
building and writing of XML differs from ours; ``bench.feeds`` checks that both give the
same document (canonical XML) before it times them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from channels.feeds import FeedProduct, FeedSpec
from channels.marketplace.bmecat import BMEcatChannel
from channels.marketplace.bmecat_elements import (
    CONTENT_UNITS,
    MAX_MIME_DESCR,
    NAMESPACE,
    bmecat_language,
    etim_features,
    group_price_type,
    long_text,
    schema_allows,
)
from channels.marketplace.etim import typed_values
from channels.marketplace.google import _attributes, _run, _shop_url, _xml_text
from channels.marketplace.google_rules import G_NS, say

SubElement = ET.SubElement


def google_rss(spec: FeedSpec, products: Iterable[FeedProduct], path: Path) -> int:
    """Google's RSS file; the number of items."""
    ET.register_namespace("g", G_NS)
    g = f"{{{G_NS}}}"
    products = iter(products)
    first = next(products, None)
    rss = ET.Element("rss", version="2.0")
    channel = SubElement(rss, "channel")
    SubElement(channel, "title").text = _xml_text(spec.name)
    SubElement(channel, "link").text = _xml_text(_shop_url(spec, first))
    last = SubElement(channel, "description")
    last.text = _xml_text(say(_("Products for Google Merchant Center")))
    run = _run(spec)  # what every product shares, worked out once as ours does
    count = 0
    for product in _chain(first, products):
        last.tail = "\n"
        last = item = SubElement(channel, "item")
        for name, value in _attributes(spec, product, run):
            element = SubElement(item, g + name)
            if isinstance(value, str):
                element.text = _xml_text(value)
            else:
                for sub_name, sub_value in value:
                    SubElement(element, g + sub_name).text = _xml_text(sub_value)
        count += 1
    last.tail = "\n"
    ET.ElementTree(rss).write(path, encoding="utf-8", xml_declaration=True)
    return count


def _chain(first: FeedProduct | None, rest: Iterable[FeedProduct]) -> Iterable[FeedProduct]:
    if first is not None:
        yield first
        yield from rest


class _BMEcat:
    """A BMEcat 2005 T_NEW_CATALOG as the adapter writes it, element for element.

    The adapter puts each element on a line of its own (a line break before it); so does
    ``add`` here, as the text of the parent or the tail of the sibling before.
    """

    def __init__(self, spec: FeedSpec, settings: dict) -> None:
        self.spec = spec
        self.settings = settings
        # What every product shares, worked out once, as ours does.
        self.tax = format((spec.vat_rate / 100).normalize(), "f")
        self.languages = [(language, bmecat_language(language)) for language in spec.languages]
        self.price_types = [(group, group_price_type(group)) for group in spec.buyer_price_groups]
        self.mime_types: dict[str, bool] = {}

    @staticmethod
    def add(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
        if len(parent):
            parent[-1].tail = "\n"
        else:
            parent.text = "\n"
        element = SubElement(parent, tag, attrib)
        if text is not None:
            element.text = text
        return element

    def document(self, products: Iterable[FeedProduct], path: Path) -> int:
        # ElementTree's default_namespace refuses unqualified attributes: the
        # declaration is written as an attribute, the usual way round it.
        root = ET.Element("BMECAT", {"xmlns": NAMESPACE, "version": "2005"})
        self.header(root)
        catalogue = self.add(root, "T_NEW_CATALOG")
        count = 0
        for product in products:
            if not product.withdrawn:
                self.product(catalogue, product)
                count += 1
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
        return count

    def header(self, root: ET.Element) -> None:
        spec, settings, add = self.spec, self.settings, self.add
        header = add(root, "HEADER")
        add(header, "GENERATOR_INFO", "hub BMEcat 2005 export")
        catalog = add(header, "CATALOG")
        for index, language in enumerate(spec.languages):
            default = {"default": "true"} if index == 0 else {}
            add(catalog, "LANGUAGE", bmecat_language(language), **default)
        add(catalog, "CATALOG_ID", str(settings["catalog_id"]))
        add(catalog, "CATALOG_VERSION", str(settings["catalog_version"]))
        add(catalog, "CATALOG_NAME", str(settings.get("catalog_name") or spec.name)[:100])
        moment = spec.generated_at
        when = add(catalog, "DATETIME", type="generation_date")
        add(when, "DATE", moment.date().isoformat())
        add(when, "TIME", moment.strftime("%H:%M:%S"))
        offset = moment.utcoffset()
        if offset is not None:
            minutes = int(offset.total_seconds()) // 60
            sign = "-" if minutes < 0 else "+"
            hours, minutes = divmod(abs(minutes), 60)
            add(when, "TIMEZONE", f"{sign}{hours:02d}:{minutes:02d}")
        add(catalog, "TERRITORY", str(settings["territory"]))
        add(catalog, "CURRENCY", spec.currency)
        if settings.get("buyer_name"):
            buyer = add(header, "BUYER")
            if settings.get("buyer_id"):
                add(buyer, "BUYER_ID", str(settings["buyer_id"]), type=settings["buyer_id_type"])
            add(buyer, "BUYER_NAME", str(settings["buyer_name"]))
        supplier = add(header, "SUPPLIER")
        if settings.get("supplier_id"):
            add(
                supplier,
                "SUPPLIER_ID",
                str(settings["supplier_id"]),
                type=settings["supplier_id_type"],
            )
        add(supplier, "SUPPLIER_NAME", str(settings["supplier_name"]))

    def product(self, parent: ET.Element, product: FeedProduct) -> None:
        spec, settings, add = self.spec, self.settings, self.add
        element = add(parent, "PRODUCT")
        add(element, "SUPPLIER_PID", product.sku, type="supplier_specific")

        texts = [(lang, product.text(language)) for language, lang in self.languages]
        details = add(element, "PRODUCT_DETAILS")
        for lang, text in texts:
            add(details, "DESCRIPTION_SHORT", text.name, lang=lang)
        for lang, text in texts:
            if description := long_text(text):
                add(details, "DESCRIPTION_LONG", description, lang=lang)
        if product.gtin:
            add(details, "INTERNATIONAL_PID", product.gtin, type="gtin")
        if product.manufacturer_part_number:
            add(details, "MANUFACTURER_PID", product.manufacturer_part_number)
        if product.manufacturer_name or product.brand:
            add(details, "MANUFACTURER_NAME", product.manufacturer_name or product.brand)
        if product.lead_time_days is not None:
            add(details, "DELIVERY_TIME", str(product.lead_time_days))

        release = spec.etim_release
        if ec_class := product.etim_classes.get(release):
            text_units = settings["funit"] == "text"
            features = add(element, "PRODUCT_FEATURES")
            add(features, "REFERENCE_FEATURE_SYSTEM_NAME", f"ETIM-{release}")
            add(features, "REFERENCE_FEATURE_GROUP_ID", ec_class)
            for feature in etim_features(product, spec):
                node = add(features, "FEATURE")
                add(node, "FNAME", feature.etim_feature)
                for value in typed_values(feature):
                    add(node, "FVALUE", value)
                unit = feature.unit if text_units else feature.etim_unit
                if unit and feature.etim_type in ("N", "R"):
                    add(node, "FUNIT", unit)

        order = add(element, "PRODUCT_ORDER_DETAILS")
        add(order, "ORDER_UNIT", str(settings["order_unit"]))
        content_unit = settings.get("content_unit") or CONTENT_UNITS.get(
            product.net_content_unit, ""
        )
        if content_unit:
            add(order, "CONTENT_UNIT", str(content_unit))
            if product.net_content:
                add(order, "NO_CU_PER_OU", format(product.net_content, "f"))
        add(order, "PRICE_QUANTITY", str(settings["price_quantity"]))
        add(order, "QUANTITY_MIN", str(settings["quantity_min"]))

        prices = [("net_list", spec.net_price(product))]
        prices += [
            (price_type, product.group_prices[group])
            for group, price_type in self.price_types
            if group in product.group_prices
        ]
        price_details = add(element, "PRODUCT_PRICE_DETAILS")
        for price_type, amount in prices:
            price = add(price_details, "PRODUCT_PRICE", price_type=price_type)
            if amount is not None:
                add(price, "PRICE_AMOUNT", format(amount, "f"))
            add(price, "PRICE_CURRENCY", product.currency)
            add(price, "TAX", self.tax)

        assets = (*product.images, *product.documents)
        if assets:
            mime_info = add(element, "MIME_INFO")
            for number, asset in enumerate(assets, start=1):
                mime = add(mime_info, "MIME")
                allowed = self.mime_types.get(asset.mime_type)
                if allowed is None:
                    allowed = self.mime_types[asset.mime_type] = schema_allows(
                        "MIME_TYPE", asset.mime_type
                    )
                if allowed:
                    add(mime, "MIME_TYPE", asset.mime_type)
                add(mime, "MIME_SOURCE", asset.url)
                if asset.description.strip():
                    add(mime, "MIME_DESCR", asset.description[:MAX_MIME_DESCR])
                add(mime, "MIME_PURPOSE", asset.purpose)
                add(mime, "MIME_ORDER", str(number))


def bmecat(
    channel: BMEcatChannel, spec: FeedSpec, products: Iterable[FeedProduct], path: Path
) -> int:
    """A full BMEcat catalogue; the number of products."""
    return _BMEcat(spec, channel.settings_for(spec)).document(products, path)
