"""Google's product data specification as checks, and a reader of written files to apply them.

Google publishes no schema for its RSS or TSV files, only rules per attribute: names,
limits, formats, allowed values. ``validate_rss`` and ``validate_tsv`` read a written file
back on their own (they share nothing with the writer but these rules) and say, per item,
what Google would reject. They read item by item, so a catalogue of any size is checked
in flat memory.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _
from lxml import etree

from core.gtin import gtin_is_valid

G_NS = "http://base.google.com/ns/1.0"

# Google's limits, in characters (or occurrences).
MAX_ID = 50
MAX_TITLE = 150
MAX_DESCRIPTION = 5000
MAX_URL = 2000
MAX_BRAND = 70
MAX_MPN = 70
MAX_PRODUCT_TYPE = 750
MAX_ADDITIONAL_IMAGES = 10
MAX_DETAIL_VALUE = 1000
MAX_DETAILS = 1000
MAX_ERRORS = 1000  # a report beyond this says nothing more

AVAILABILITY_VALUES = ("in_stock", "out_of_stock", "preorder", "backorder")
CONDITIONS = ("new", "refurbished", "used")
REQUIRED = (
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "availability",
    "price",
    "brand",
    "condition",
)
LIMITS = {
    "id": MAX_ID,
    "title": MAX_TITLE,
    "description": MAX_DESCRIPTION,
    "link": MAX_URL,
    "image_link": MAX_URL,
    "additional_image_link": MAX_URL,
    "brand": MAX_BRAND,
    "mpn": MAX_MPN,
    "product_type": MAX_PRODUCT_TYPE,
}

# The TSV header: one column per attribute. Grouped attributes are written as their
# sub-attributes joined by colons in Google's default order; repeated ones joined by commas.
TSV_COLUMNS = (
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "additional_image_link",
    "availability",
    "availability_date",
    "price",
    "brand",
    "gtin",
    "mpn",
    "identifier_exists",
    "condition",
    "shipping",
    "product_type",
    "google_product_category",
    "product_detail",
    "unit_pricing_measure",
    "unit_pricing_base_measure",
    "certification",
)
TSV_GROUPS = {
    "shipping": ("country", "region", "service", "price"),
    "product_detail": ("section_name", "attribute_name", "attribute_value"),
    "certification": ("certification_authority", "certification_name", "certification_code"),
}
REPEATED = frozenset({"additional_image_link", "product_detail", "certification", "shipping"})

# An attribute's value: text, or a grouped attribute's (sub-attribute, text) pairs.
Value = str | tuple[tuple[str, str], ...]
# What a reader found for one item: each attribute's values, a group's as a dict.
ItemValues = dict[str, list[str | dict[str, str]]]

PRICE = re.compile(r"^\d+\.\d{2} [A-Z]{3}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(Z|[+-]\d{4})$")
UNIT_KINDS = {
    **dict.fromkeys(("oz", "lb", "mg", "g", "kg"), "weight"),
    **dict.fromkeys(("floz", "pt", "qt", "gal", "ml", "cl", "l", "cbm"), "volume"),
    **dict.fromkeys(("in", "ft", "yd", "cm", "m"), "length"),
    **dict.fromkeys(("sqft", "sqm"), "area"),
    **dict.fromkeys(("ct", "sheet", "item"), "count"),
}
MEASURE = re.compile(r"^(\d+(?:\.\d+)?) ?([a-z]+)$")
BASE_NUMBERS = ("1", "2", "4", "8", "10", "100")
BASE_EXTRA = ("75cl", "750ml", "50kg", "1000kg")


def say(message: Any, **values: Any) -> str:
    """``message`` (a lazy translation) in the active language, with ``values`` filled in."""
    return str(message) % values if values else str(message)


def _problems(values: ItemValues, seen: set[str]) -> list[str]:
    """What is wrong with one item by Google's rules; ``seen`` collects the ids so far."""
    problems: list[str] = []

    def one(name: str) -> str:
        found = values.get(name, [])
        return found[0] if found and isinstance(found[0], str) else ""

    for name in REQUIRED:
        if not one(name):
            problems.append(say(_("%(name)s is missing"), name=name))
    for name, found in values.items():
        if name not in TSV_COLUMNS:
            problems.append(say(_("%(name)s is no attribute Google knows"), name=name))
        elif name not in REPEATED and len(found) > 1:
            problems.append(say(_("%(name)s appears more than once"), name=name))
        elif name not in TSV_GROUPS and any(not isinstance(value, str) for value in found):
            problems.append(say(_("%(name)s has sub-attributes"), name=name))
        elif name in TSV_GROUPS and any(isinstance(value, str) for value in found):
            problems.append(say(_("%(name)s lacks its sub-attributes"), name=name))
    for name, limit in LIMITS.items():
        for value in values.get(name, []):
            if isinstance(value, str) and len(value) > limit:
                problems.append(
                    say(
                        _("%(name)s has %(length)d characters, more than %(max)d"),
                        name=name,
                        length=len(value),
                        max=limit,
                    )
                )
    if len(values.get("additional_image_link", [])) > MAX_ADDITIONAL_IMAGES:
        problems.append(say(_("more than 10 additional images")))
    item_id = one("id")
    if item_id in seen:
        problems.append(say(_("the id is not unique")))
    seen.add(item_id)
    if (price := one("price")) and not PRICE.match(price):
        problems.append(say(_('price "%(value)s" is not like "15.00 EUR"'), value=price))
    availability = one("availability")
    if availability and availability not in AVAILABILITY_VALUES:
        problems.append(say(_('availability "%(value)s" is unknown'), value=availability))
    date = one("availability_date")
    if availability in ("preorder", "backorder") and not date:
        problems.append(say(_("%(value)s without availability_date"), value=availability))
    if date and not DATE.match(date):
        problems.append(say(_('availability_date "%(value)s" is no ISO 8601 time'), value=date))
    if (condition := one("condition")) and condition not in CONDITIONS:
        problems.append(say(_('condition "%(value)s" is unknown'), value=condition))
    problems.extend(_identifier_problems(one("gtin"), one("mpn"), one("identifier_exists")))
    problems.extend(_group_problems(values))
    problems.extend(
        _unit_pricing_problems(one("unit_pricing_measure"), one("unit_pricing_base_measure"))
    )
    for name in ("link", "image_link", "additional_image_link"):
        for value in values.get(name, []):
            if isinstance(value, str) and not re.match(r"^https?://[^\s/]+", value):
                problems.append(say(_("%(name)s is no http(s) URL"), name=name))
    return problems


def _identifier_problems(gtin: str, mpn: str, identifier_exists: str) -> list[str]:
    problems = []
    if gtin and not gtin_is_valid(gtin):
        problems.append(say(_("gtin %(value)s has a wrong check digit or length"), value=gtin))
    if identifier_exists and identifier_exists not in ("yes", "no"):
        problems.append(say(_('identifier_exists is "yes" or "no"')))
    if not gtin and not mpn and identifier_exists != "no":
        problems.append(say(_('neither gtin nor mpn, and identifier_exists is not "no"')))
    return problems


def _group_problems(values: ItemValues) -> list[str]:
    problems = []
    for shipping in values.get("shipping", []):
        if isinstance(shipping, dict):
            if not re.match(r"^[A-Z]{2}$", shipping.get("country", "")):
                problems.append(say(_("shipping has no two-letter country")))
            if not PRICE.match(shipping.get("price", "")):
                problems.append(say(_('shipping price is not like "4.95 EUR"')))
    for detail in values.get("product_detail", []):
        if isinstance(detail, dict):
            if not detail.get("attribute_name") or not detail.get("attribute_value"):
                problems.append(say(_("product_detail without attribute name or value")))
            elif len(detail["attribute_value"]) > MAX_DETAIL_VALUE:
                problems.append(say(_("product_detail value over 1,000 characters")))
    for certification in values.get("certification", []):
        if isinstance(certification, dict) and not all(
            certification.get(sub) for sub in TSV_GROUPS["certification"]
        ):
            problems.append(say(_("certification without authority, name or code")))
    return problems


def _unit_pricing_problems(measure: str, base: str) -> list[str]:
    if not measure and not base:
        return []
    if not measure:
        return [say(_("unit_pricing_base_measure without unit_pricing_measure"))]
    found = MEASURE.match(measure)
    if not found or found.group(2) not in UNIT_KINDS or float(found.group(1)) <= 0:
        return [say(_('unit_pricing_measure "%(value)s" is no number and unit'), value=measure)]
    if not base:
        return []
    base_found = MEASURE.match(base)
    if (
        not base_found
        or base_found.group(2) not in UNIT_KINDS
        or (base_found.group(1) not in BASE_NUMBERS and base.replace(" ", "") not in BASE_EXTRA)
    ):
        return [say(_('unit_pricing_base_measure "%(value)s" is not allowed'), value=base)]
    if UNIT_KINDS[base_found.group(2)] != UNIT_KINDS[found.group(2)]:
        return [say(_("unit pricing measure and base measure are of different kinds"))]
    return []


def _label(values: ItemValues, position: int) -> str:
    found = values.get("id", [])
    if found and isinstance(found[0], str) and found[0]:
        return found[0]
    return say(_("item %(position)d"), position=position)


class _Report:
    """The errors of a file, at most ``MAX_ERRORS`` of them and then a count."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.more = 0

    def add(self, label: str, problems: list[str]) -> None:
        for problem in problems:
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(f"{label}: {problem}")
            else:
                self.more += 1

    def result(self) -> list[str]:
        if self.more:
            return [*self.errors, say(_("… and %(count)d more"), count=self.more)]
        return self.errors


def _item_values(item: etree._Element) -> tuple[ItemValues, list[str]]:
    values: ItemValues = {}
    strange = []
    for child in item:
        if not isinstance(child.tag, str):
            continue  # a comment or processing instruction
        name = etree.QName(child)
        if name.namespace != G_NS and not (
            name.namespace is None and name.localname in ("title", "link", "description")
        ):
            strange.append(say(_("<%(tag)s> is not in Google's namespace"), tag=child.tag))
            continue
        if len(child):
            value: str | dict[str, str] = {
                etree.QName(sub).localname: (sub.text or "").strip()
                for sub in child
                if isinstance(sub.tag, str)
            }
        else:
            value = (child.text or "").strip()
        values.setdefault(name.localname, []).append(value)
    return values, strange


def validate_rss(path: Path) -> list[str]:
    """What is wrong with the RSS file at ``path``; empty when Google would take it."""
    report = _Report()
    seen: set[str] = set()
    channel: dict[str, str] = {}
    depth, position = 0, 0
    try:
        for event, element in etree.iterparse(
            str(path), events=("start", "end"), resolve_entities=False, no_network=True
        ):
            if event == "start":
                depth += 1
                if depth == 1 and (element.tag != "rss" or element.get("version") != "2.0"):
                    report.add(say(_("file")), [say(_('the root is not <rss version="2.0">'))])
                elif depth == 2 and element.tag != "channel":
                    report.add(say(_("file")), [say(_("the feed has no <channel>"))])
                continue
            if depth == 3 and element.tag in ("title", "link", "description"):
                channel[element.tag] = (element.text or "").strip()
            elif depth == 3 and element.tag == "item":
                position += 1
                values, strange = _item_values(element)
                report.add(_label(values, position), strange + _problems(values, seen))
                element.clear()
                parent = element.getparent()
                while element.getprevious() is not None:
                    del parent[0]
            depth -= 1
    except etree.XMLSyntaxError as error:
        report.add(say(_("file")), [say(_("not well-formed XML: %(error)s"), error=error)])
        return report.result()
    for tag in ("title", "link", "description"):
        if not channel.get(tag):
            report.add(say(_("channel")), [say(_("%(name)s is missing"), name=tag)])
    return report.result()


def split_cell(cell: str, separator: str, *, unquote: bool) -> list[str]:
    """``cell`` split at ``separator`` outside double quotes ("" inside is one quote)."""
    if '"' not in cell:
        return cell.split(separator)
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(cell):
        char = cell[index]
        if char == '"':
            if quoted and cell[index + 1 : index + 2] == '"':
                current.append('"' if unquote else '""')
                index += 2
                continue
            quoted = not quoted
            if not unquote:
                current.append(char)
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _cell_values(column: str, cell: str) -> list[str | dict[str, str]]:
    if column not in REPEATED:
        return [cell]
    values: list[str | dict[str, str]] = []
    for part in split_cell(cell, ",", unquote=column not in TSV_GROUPS):
        if column in TSV_GROUPS:
            subs = split_cell(part, ":", unquote=True)
            values.append(dict(zip(TSV_GROUPS[column], subs, strict=False)))
        else:
            values.append(part)
    return values


def validate_tsv(path: Path) -> list[str]:
    """What is wrong with the TSV file at ``path``; empty when Google would take it."""
    report = _Report()
    seen: set[str] = set()
    try:
        with open(path, encoding="utf-8", newline="") as file:
            reader = csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None)
            if not header:
                return [say(_("file: no header row"))]
            unknown = [name for name in header if name not in TSV_COLUMNS]
            doubled = sorted({name for name in header if header.count(name) > 1})
            missing = [name for name in REQUIRED if name not in header]
            for problem, names in (
                (_("unknown columns"), unknown),
                (_("columns twice"), doubled),
                (_("required columns missing"), missing),
            ):
                if names:
                    report.add(say(_("header")), [f"{problem}: {', '.join(names)}"])
            for position, row in enumerate(reader, start=1):
                if len(row) != len(header):
                    report.add(
                        say(_("row %(row)d"), row=position + 1),
                        [
                            say(
                                _("%(found)d fields, the header has %(expected)d"),
                                found=len(row),
                                expected=len(header),
                            )
                        ],
                    )
                    continue
                values: ItemValues = {}
                for column, cell in zip(header, row, strict=True):
                    if cell:
                        values.setdefault(column, []).extend(_cell_values(column, cell))
                report.add(_label(values, position), _problems(values, seen))
    except UnicodeDecodeError:
        report.add(say(_("file")), [say(_("not UTF-8"))])
    return report.result()
