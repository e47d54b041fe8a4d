"""Google's RSS items as the bytes of the file: escaped text, not an element per call.

``google.GoogleMerchantChannel`` streams the file's channel through
``lxml.etree.xmlfile`` and each item as text in one piece: a file of 100,000 products has
millions of elements, and a Python call into lxml for each (an lxml ``SubElement`` in the
g: namespace costs more still) was most of the cost of writing it. The values are escaped
as libxml2 escapes them (``xml_text``), so the bytes are the ones lxml wrote.
"""

from __future__ import annotations

from .google_rules import Value
from .xml_text import escape_text, without_not_xml, xml_bytes


def rss_item(attributes: list[tuple[str, Value]]) -> bytes:
    """One item on a line of its own, as the bytes of the file (``xml_text``).

    A value with a character XML cannot carry is rare: the whole item is then written
    again with such characters dropped.
    """
    data = xml_bytes(_item_text(attributes))
    if data is None:
        clean = [
            (name, without_not_xml(value))
            if isinstance(value, str)
            else (name, tuple((sub, without_not_xml(sub_value)) for sub, sub_value in value))
            for name, value in attributes
        ]
        data = _item_text(clean).encode()
    return data


def _item_text(attributes: list[tuple[str, Value]]) -> str:
    """The item's XML; a value is escaped only if it holds what must be (most hold none)."""
    parts = ["\n<item>"]
    append = parts.append
    for name, value in attributes:
        start, end = _TAGS.get(name) or _tags(name)
        if isinstance(value, str):
            if "&" in value or "<" in value or ">" in value or "\r" in value:
                value = escape_text(value)
            append(start)
            append(value)
            append(end)
        else:
            append(start)
            for sub_name, sub_value in value:
                sub_start, sub_end = _TAGS.get(sub_name) or _tags(sub_name)
                if "&" in sub_value or "<" in sub_value or ">" in sub_value or "\r" in sub_value:
                    sub_value = escape_text(sub_value)
                append(sub_start)
                append(sub_value)
                append(sub_end)
            append(end)
    append("</item>")
    return "".join(parts)


# Each attribute's start and end tag, made once.
_TAGS: dict[str, tuple[str, str]] = {}


def _tags(name: str) -> tuple[str, str]:
    return _TAGS.setdefault(name, (f"<g:{name}>", f"</g:{name}>"))
