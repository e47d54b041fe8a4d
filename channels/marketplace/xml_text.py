"""XML written as text, byte for byte as lxml (libxml2) serialises it.

The feed writers stream their files with ``lxml.etree.xmlfile`` but write the elements of
each item or product as text in one piece: a file of 100,000 products has millions of
elements, and a Python call into lxml for each was most of the cost of writing it. The
escaping here is libxml2's, so the bytes stay the ones lxml wrote element by element:

- in text: ``&``, ``<``, ``>`` and the carriage return (``&#13;``);
- in an attribute value: those and ``"``, the line feed and the tab.

What XML 1.0 cannot carry at all (most C0 control characters, lone surrogates, U+FFFE
and U+FFFF), lxml refuses; ``xml_bytes`` finds it in a whole item at once.
"""

from __future__ import annotations

import re

# Characters XML 1.0 cannot carry at all.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The control characters of ``NOT_XML`` as UTF-8 bytes (each is one byte).
_CONTROL_BYTES = bytes(code for code in range(0x20) if code not in (0x09, 0x0A, 0x0D))


def without_not_xml(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry."""
    return NOT_XML.sub("", value)


def escape_text(value: str) -> str:
    """``value`` as element content, escaped as libxml2 escapes it."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


def escape_attribute(value: str) -> str:
    """``value`` as an attribute value in double quotes, escaped as libxml2 escapes it."""
    value = escape_text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\t" in value:
        value = value.replace("\t", "&#9;")
    return value


def xml_bytes(text: str) -> bytes | None:
    """``text`` in UTF-8; None when it holds a character XML 1.0 cannot carry.

    Cheaper than ``NOT_XML.search`` on a long text: C-level scans of the bytes.
    """
    if "\ufffe" in text or "\uffff" in text:
        return None
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return None
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        return None
    return data
