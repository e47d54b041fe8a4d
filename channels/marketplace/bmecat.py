"""BMEcat 2005 with ETIM features: the catalogue format of German e-procurement.

Buyers' procurement systems and wholesalers read a supplier's catalogue as one BMEcat
document: a HEADER (catalogue, languages, supplier, buyer) and a transaction. A full file is
a ``T_NEW_CATALOG`` with every product; a delta is up to two documents, each a complete
BMECAT of its own, as the receiver imports them one after the other:

- ``bmecat-update-products.xml``: ``T_UPDATE_PRODUCTS`` with the products whose content
  changed (``mode="update"``, the whole product again) and those withdrawn
  (``mode="delete"``);
- ``bmecat-update-prices.xml``: ``T_UPDATE_PRICES`` with the products whose price alone
  changed.

The schema requires at least one PRODUCT in either update transaction, so a kind with
nothing to say is not written at all (a delta with only stock changes writes no part: BMEcat
carries no stock). ``T_NEW_CATALOG`` may be empty, so a full file always exists.

Only the BMEcat 2005 names are written (PRODUCT, SUPPLIER_PID, PRODUCT_DETAILS ...), never
the 1.2 names (ARTICLE, SUPPLIER_AID ...) the 2005 schema still accepts. The official
schema is kept next to this module (``schemas/bmecat_2005.xsd``, see its README); its
target namespace ``http://www.bmecat.org/bmecat/2005fd`` is the one written.

Prices. ``net_list`` is the receiver's net price (``FeedSpec.net_price``) with the VAT
rate as ``TAX`` (a fraction: 0.19). BMEcat 2005 has no element naming a customer group: a
``net_customer`` price is the price of the one buyer in the HEADER, and ``PRICE_FLAG``
says which costs a price includes (freight, packing), not whom it is for. The schema's
own extension point for further prices is the user-defined price type ``udp_<name>``
(``typePRICE_TYPE``: ``udp_\\w{1,16}``), so each buyer price group in
``FeedSpec.buyer_price_groups`` is a ``PRODUCT_PRICE price_type="udp_<group>"`` in the
same ``PRODUCT_PRICE_DETAILS`` (characters outside ``\\w`` become "_"; the name is cut to
16). A product without a price for a group gets no such price, as in the ERP the list price
then applies.

The file is written as a stream (``lxml.etree.xmlfile``), one product at a time, into a
temporary file: the sink wants the number of products when a part is opened, and an
update part must not be opened before it is known to hold a product.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree

from channels.feeds import FeedChannel, FeedOption, FeedPart, FeedProduct, FeedSink, FeedSpec
from core.gtin import gtin_is_valid

from .bmecat_elements import (
    CONTROL,
    MAX_DESCRIPTION_LONG,
    MAX_DESCRIPTION_SHORT,
    MAX_MANUFACTURER,
    MAX_MIME_SOURCE,
    MAX_SUPPLIER_PID,
    Document,
    ElementWriter,
    bmecat_language,
    bmecat_schema,
    errors_by_product,
    etim_features,
    forget,
    long_text,
    schema_allows,
)
from .etim import TYPE_NAMES, EtimValueError, typed_values
from .text import MARKUP

FULL_NAME = "bmecat.xml"
PRODUCTS_NAME = "bmecat-update-products.xml"
PRICES_NAME = "bmecat-update-prices.xml"


class BMEcatChannel(FeedChannel):
    """BMEcat 2005 catalogues with ETIM features for e-procurement systems."""

    identifier = "bmecat"
    name = "BMEcat 2005 (e-procurement)"
    required_fields = {
        "*": (
            "sku",
            "gtin",
            "manufacturer_part_number",
            "brand",
            "name",
            "short_text",
            "long_text",
            "etim_class",
            "features",
            "images",
            "price",
        )
    }
    media_type = "application/xml; charset=utf-8"
    file_name = FULL_NAME
    supports_deltas = True
    options_schema = (
        FeedOption("supplier_name", gettext_lazy("Supplier name"), required=True),
        FeedOption("supplier_id", gettext_lazy("Supplier ID")),
        FeedOption(
            "supplier_id_type",
            gettext_lazy("Supplier ID type"),
            gettext_lazy("gln, duns, iln, supplier_specific ..."),
            default="supplier_specific",
        ),
        FeedOption("buyer_name", gettext_lazy("Buyer name")),
        FeedOption("buyer_id", gettext_lazy("Buyer ID")),
        FeedOption("buyer_id_type", gettext_lazy("Buyer ID type"), default="buyer_specific"),
        FeedOption("catalog_id", gettext_lazy("Catalogue ID"), required=True),
        FeedOption(
            "catalog_version",
            gettext_lazy("Catalogue version"),
            gettext_lazy("Major.minor, e.g. 1.0"),
            default="1.0",
        ),
        FeedOption("catalog_name", gettext_lazy("Catalogue name")),
        FeedOption(
            "territory", gettext_lazy("Territory"), gettext_lazy("ISO 3166 code"), default="DE"
        ),
        FeedOption(
            "funit",
            gettext_lazy("Feature units"),
            gettext_lazy("etim: the ETIM unit code (EU…); text: the unit as written"),
            default="etim",
        ),
        FeedOption(
            "order_unit",
            gettext_lazy("Order unit"),
            gettext_lazy("UN/ECE Rec. 20 code; C62 = piece"),
            default="C62",
        ),
        FeedOption(
            "content_unit",
            gettext_lazy("Content unit"),
            gettext_lazy("UN/ECE Rec. 20 code; empty: the product's net content unit"),
        ),
        FeedOption("price_quantity", gettext_lazy("Price quantity"), default="1"),
        FeedOption("quantity_min", gettext_lazy("Minimum order quantity"), default="1"),
    )

    # -- settings ---------------------------------------------------------------------

    def settings_for(self, spec: FeedSpec) -> dict[str, Any]:
        """The options of ``spec``'s file: defaults, then the channel's, then the receiver's."""
        merged = {option.name: option.default for option in self.options_schema}
        merged.update({k: v for k, v in self.options.items() if v not in (None, "")})
        merged.update({k: v for k, v in spec.options.items() if v not in (None, "")})
        return merged

    def clean_options(self, options: Mapping[str, Any]) -> dict[str, list[str]]:
        """What is wrong with a receiver's ``options`` by name, read with the channel's own
        (``HUB_CHANNELS`` OPTIONS may set the supplier for every receiver)."""
        errors: dict[str, list[str]] = {}
        values = self.settings_for(FeedSpec("", "", ("de",), datetime.now(UTC), options=options))

        def error(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        for option in self.options_schema:
            if option.required and not values.get(option.name):
                error(option.name, _("%(label)s is required.") % {"label": option.label})

        for name, limit in (("supplier_name", 50), ("buyer_name", 50), ("catalog_id", 20)):
            if len(str(values.get(name, ""))) > limit:
                error(name, _("At most %(limit)d characters.") % {"limit": limit})
        if len(str(values.get("catalog_name", ""))) > 100:
            error("catalog_name", _("At most %(limit)d characters.") % {"limit": 100})
        if not re.fullmatch(r"[0-9]{1,3}\.[0-9]{1,3}", str(values["catalog_version"])):
            error("catalog_version", _("Write the version as major.minor, e.g. 1.0."))
        if not schema_allows("dtCOUNTRIES", str(values["territory"])):
            error("territory", _("Not an ISO 3166 country code, e.g. DE or AT."))
        if values["funit"] not in ("etim", "text"):
            error("funit", _("Choose etim or text."))
        for name in ("supplier_id_type", "buyer_id_type"):
            if not re.fullmatch(r"\w{1,250}", str(values[name])):
                error(name, _("One word, e.g. gln, duns or supplier_specific."))
        for name in ("order_unit", "content_unit"):
            value = str(values.get(name, ""))
            if value and not schema_allows("dtPUNIT", value):
                error(name, _("“%(unit)s” is not a BMEcat unit code.") % {"unit": value})
        for name in ("price_quantity", "quantity_min"):
            try:
                if Decimal(str(values[name])) <= 0:
                    raise ValueError
            except (ArithmeticError, ValueError):
                error(name, _("A number above zero."))
        return errors

    def file_name_for(self, spec: FeedSpec) -> str:
        return FULL_NAME if spec.full else PRODUCTS_NAME

    # -- refusals ---------------------------------------------------------------------

    def refusals(self, product: FeedProduct, spec: FeedSpec) -> tuple[str, ...]:
        """Why ``product`` cannot be in ``spec``'s file, in sentences for the report.

        A withdrawn product is refused only when it cannot be named at all: its deletion
        must reach the receiver whatever else is wrong with it. A delta's price-only change
        is checked only for what ``T_UPDATE_PRICES`` carries.
        """
        reasons = self._identity_refusals(product)
        if product.withdrawn and not spec.full:
            return tuple(reasons)
        reasons += self._price_refusals(product, spec)
        if not spec.full and "content" not in product.changes:
            return tuple(reasons)
        reasons += self._text_refusals(product, spec)
        reasons += self._etim_refusals(product, spec)
        if product.gtin and not gtin_is_valid(product.gtin):
            reasons.append(_("The GTIN %(gtin)s has a wrong check digit.") % {"gtin": product.gtin})
        for label, value in (
            (_("manufacturer part number"), product.manufacturer_part_number),
            (_("manufacturer"), product.manufacturer_name or product.brand),
        ):
            if len(value) > MAX_MANUFACTURER:
                reasons.append(
                    _("The %(field)s is longer than %(limit)d characters.")
                    % {"field": label, "limit": MAX_MANUFACTURER}
                )
        for asset in (*product.images, *product.documents):
            if len(asset.url) > MAX_MIME_SOURCE:
                reasons.append(
                    _("The URL of %(file)s is longer than %(limit)d characters.")
                    % {"file": asset.filename, "limit": MAX_MIME_SOURCE}
                )
        for label, value in self._strings(product):
            if CONTROL.search(value):
                reasons.append(_("The %(field)s contains a control character.") % {"field": label})
        for language, text in product.texts.items():
            for label, value in (
                (_("name in %(language)s"), text.name),
                (_("short text in %(language)s"), text.short_text),
            ):
                if MARKUP.search(value):
                    reasons.append(
                        _("The %(field)s contains HTML markup; BMEcat's texts are plain text.")
                        % {"field": label % {"language": language}}
                    )
        return tuple(reasons)

    def _identity_refusals(self, product: FeedProduct) -> list[str]:
        if not 0 < len(product.sku) <= MAX_SUPPLIER_PID or CONTROL.search(product.sku):
            return [
                _("The SKU must be 1 to %(limit)d characters without control characters.")
                % {"limit": MAX_SUPPLIER_PID}
            ]
        return []

    def _price_refusals(self, product: FeedProduct, spec: FeedSpec) -> list[str]:
        if spec.net_price(product) is None:
            if spec.price_group:
                return [
                    _("No price in price group %(group)s, which the receiver gets.")
                    % {"group": spec.price_group}
                ]
            return [_("No list price.")]
        if product.currency != spec.currency:
            return [
                _("Priced in %(currency)s, the receiver wants %(wanted)s.")
                % {"currency": product.currency, "wanted": spec.currency}
            ]
        return []

    def _text_refusals(self, product: FeedProduct, spec: FeedSpec) -> list[str]:
        reasons = []
        for language in spec.languages:
            if not bmecat_language(language):
                reasons.append(
                    _("BMEcat has no language code for “%(language)s”.") % {"language": language}
                )
            text = product.text(language)
            if text is None or not text.name.strip():
                reasons.append(_("No text in %(language)s.") % {"language": language})
                continue
            if len(text.name) > MAX_DESCRIPTION_SHORT:
                reasons.append(
                    _("The name in %(language)s is longer than %(limit)d characters.")
                    % {"language": language, "limit": MAX_DESCRIPTION_SHORT}
                )
            if len(long_text(text)) > MAX_DESCRIPTION_LONG:
                reasons.append(
                    _("The description in %(language)s is longer than %(limit)d characters.")
                    % {"language": language, "limit": MAX_DESCRIPTION_LONG}
                )
        return reasons

    def _etim_refusals(self, product: FeedProduct, spec: FeedSpec) -> list[str]:
        release = spec.etim_release
        reasons = []
        if release not in product.etim_classes:
            if product.etim_classes:
                reasons.append(
                    _("Classified in %(releases)s only, the receiver wants ETIM-%(release)s.")
                    % {
                        "releases": ", ".join(f"ETIM-{r}" for r in sorted(product.etim_classes)),
                        "release": release,
                    }
                )
            else:
                reasons.append(_("No ETIM class."))
        text_units = self.settings_for(spec)["funit"] == "text"
        for feature in etim_features(product, spec):
            label = f"{feature.name} ({feature.etim_feature})"
            if not feature.etim_type:
                reasons.append(
                    _("The feature %(feature)s has no known ETIM type.") % {"feature": label}
                )
                continue
            try:
                typed_values(feature)
            except EtimValueError as error:
                reasons.append(
                    _("The feature %(feature)s expects %(type)s value: %(reason)s.")
                    % {"feature": label, "type": TYPE_NAMES[feature.etim_type], "reason": error}
                )
            if feature.etim_type in ("N", "R") and feature.unit:
                if text_units and len(feature.unit) > 20:
                    reasons.append(
                        _("The unit of %(feature)s is longer than 20 characters.")
                        % {"feature": label}
                    )
                if not text_units and not feature.etim_unit:
                    reasons.append(
                        _("The unit “%(unit)s” of %(feature)s has no ETIM unit code.")
                        % {"unit": feature.unit, "feature": label}
                    )
        return reasons

    def _strings(self, product: FeedProduct) -> Iterable[tuple[str, str]]:
        """Every text of ``product`` the file carries, with a label for a refusal."""
        yield _("manufacturer part number"), product.manufacturer_part_number
        yield _("manufacturer"), product.manufacturer_name or product.brand
        for language, text in product.texts.items():
            yield _("name in %(language)s") % {"language": language}, text.name
            yield _("short text in %(language)s") % {"language": language}, text.short_text
            yield _("description in %(language)s") % {"language": language}, text.long_text
            for feature in text.features:
                yield _("feature %(feature)s") % {"feature": feature.name}, feature.value
                yield _("unit of %(feature)s") % {"feature": feature.name}, feature.unit
        for asset in (*product.images, *product.documents):
            yield _("file %(file)s") % {"file": asset.filename}, asset.url + asset.description

    # -- writing ----------------------------------------------------------------------

    def write(self, spec: FeedSpec, products: Iterable[FeedProduct], sink: FeedSink) -> None:
        """Stream ``products`` as a new catalogue (full) or as update documents (delta)."""
        writer = ElementWriter(spec, self.settings_for(spec))
        with ExitStack() as stack:
            if spec.full:
                catalogue = Document(writer, "T_NEW_CATALOG", {}, sink, FULL_NAME, stack)
                catalogue.open()
                for product in products:
                    if not product.withdrawn:
                        catalogue.add(writer.product, product)
                catalogue.finish()
                return
            previous = {"prev_version": str(int(spec.since.timestamp()))}
            updates = Document(writer, "T_UPDATE_PRODUCTS", previous, sink, PRODUCTS_NAME, stack)
            prices = Document(writer, "T_UPDATE_PRICES", previous, sink, PRICES_NAME, stack)
            for product in products:
                if product.withdrawn:
                    updates.add(writer.deleted_product, product)
                elif "content" in product.changes:
                    updates.add(writer.product, product, mode="update")
                elif "price" in product.changes:
                    prices.add(writer.price_product, product)
            updates.finish()
            prices.finish()

    # -- validation -------------------------------------------------------------------

    def validate(self, spec: FeedSpec, part: FeedPart) -> list[str]:
        """``part`` checked against the official schema while it is read.

        The elements are cleared as the parser leaves them, so a catalogue of 100,000
        products is validated without its tree in memory. The parse stops at the first error;
        libxml2 gives no line for an error of the schema checked while parsing, so then the
        products are read once more, each checked in a document of its own, to say on which
        lines the errors are.
        """
        try:
            for _event, element in etree.iterparse(
                str(part.path),
                events=("end",),
                schema=bmecat_schema(),
                no_network=True,
            ):
                forget(element)
        except etree.XMLSyntaxError as error:
            # Only the exception's own message: its error_log also holds errors of earlier
            # parses with a schema (lxml 6.2), which would blame this file for another's.
            if error.lineno:
                message = re.sub(r"^line \d+: ", "", error.msg)
                return [f"{part.name}, line {error.lineno}: {message}"]
            located = errors_by_product(part.path)
            return [f"{part.name}, line {n}: {m}" for n, m in located] or [
                f"{part.name}: {error.msg}"
            ]
        return []
