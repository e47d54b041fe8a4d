"""Which device colour spaces a PDF page paints with (for ``pdf_rules``).

A small lexer over the decoded content streams, not a renderer: it follows the colour
operators (``rg``/``RG``, ``k``/``K``, ``g``/``G``), the colour spaces set by ``cs``/``CS``,
the shadings painted by ``sh``, inline images, and the XObjects drawn by ``Do`` (images,
and form XObjects with their own content, resources and transparency group), and the
patterns offered by the resources (a tiling pattern's content, a shading pattern's shading).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

DEVICE = {"/DeviceRGB": "DeviceRGB", "/DeviceCMYK": "DeviceCMYK", "/DeviceGray": "DeviceGray"}
OPERATORS = {
    b"rg": "DeviceRGB",
    b"RG": "DeviceRGB",
    b"k": "DeviceCMYK",
    b"K": "DeviceCMYK",
    b"g": "DeviceGray",
    b"G": "DeviceGray",
}
# Abbreviations allowed in inline images (ISO 32000-1, table 94).
INLINE = {b"/RGB": "DeviceRGB", b"/CMYK": "DeviceCMYK", b"/G": "DeviceGray"} | {
    name.encode(): space for name, space in DEVICE.items()
}

_TOKEN = re.compile(
    rb"""
    (?P<comment>%[^\r\n]*)
    |(?P<string>\((?:\\.|[^\\()]|\((?:\\.|[^\\()])*\))*\))
    |(?P<dict><<|>>)
    |(?P<hex><[0-9A-Fa-f\s]*>)
    |(?P<name>/[^\s/\[\]()<>{}%]*)
    |(?P<number>[+-]?(?:\d+\.?\d*|\.\d+))
    |(?P<array>[\[\]{}])
    |(?P<op>[A-Za-z'"*][A-Za-z0-9'"*]*)
    """,
    re.VERBOSE | re.DOTALL,
)
_END_OF_INLINE_IMAGE = re.compile(rb"\sEI(?=\s|$)")


def device_colours(page: DictionaryObject, seen: set) -> Iterator[tuple[str, str]]:
    """(where, colour space) for each device colour space a page uses, where is "" for
    the page's own content, else the path to it (", pattern /p0, XObject /x0"). Each
    XObject and pattern is looked at once per file
    (``seen``)."""
    resources = _resolve(page.get("/Resources"))
    contents = page.get("/Contents")
    data = b""
    if contents is not None:
        contents = contents.get_object()
        streams = contents if isinstance(contents, ArrayObject) else [contents]
        data = b"\n".join(stream.get_object().get_data() for stream in streams)
    yield from _content(data, resources, "", seen)


def _content(data: bytes, resources: Any, where: str, seen: set) -> Iterator[tuple[str, str]]:
    found: set[str] = set()
    for space, xobject in _scan(data, resources):
        if space:
            found.add(space)
        if xobject is not None:
            name, reference = xobject
            yield from _xobject(name, reference, resources, seen, where)
    for space in sorted(found):
        yield where, space
    yield from _patterns(resources, seen, where)


def _patterns(resources: Any, seen: set, outer: str) -> Iterator[tuple[str, str]]:
    """The colours of the patterns a resource dictionary offers: a tiling pattern's
    content, a shading pattern's shading (each looked at once per file)."""
    resources = _resolve(resources)
    if not isinstance(resources, DictionaryObject):
        return
    patterns = _resolve(resources.get("/Pattern"))
    if not isinstance(patterns, DictionaryObject):
        return
    for name, reference in patterns.items():
        key = reference.idnum if isinstance(reference, IndirectObject) else id(reference)
        if ("colour", key) in seen:
            continue
        seen.add(("colour", key))
        pattern = reference.get_object()
        where = f"{outer}, pattern {name}"
        if pattern.get("/PatternType") == 1:
            inner = _resolve(pattern.get("/Resources")) or resources
            yield from _content(pattern.get_data(), inner, where, seen)
        else:
            shading = _resolve(pattern.get("/Shading"))
            if isinstance(shading, DictionaryObject):
                space = _family(shading.get("/ColorSpace"), resources)
                if space:
                    yield where, space


def _scan(data: bytes, resources: Any) -> Iterator[tuple[str | None, Any]]:
    """(device colour space or None, (name, XObject reference) or None) per operator."""
    names: list[bytes] = []
    position = 0
    while (match := _TOKEN.search(data, position)) is not None:
        position = match.end()
        kind = match.lastgroup
        token = match.group()
        if kind == "name":
            names.append(token)
            continue
        if kind != "op":
            continue
        if token in OPERATORS:
            yield OPERATORS[token], None
        elif token in (b"cs", b"CS") and names:
            yield _family(names[-1].decode("latin-1"), resources), None
        elif token == b"sh" and names:
            shading = _resolve(_lookup(resources, "/Shading", names[-1]))
            if isinstance(shading, DictionaryObject):
                yield _family(shading.get("/ColorSpace"), resources), None
        elif token == b"Do" and names:
            reference = _lookup(resources, "/XObject", names[-1], raw=True)
            if reference is not None:
                yield None, (names[-1].decode("latin-1"), reference)
        elif token == b"ID":
            for key, value in itertools.pairwise(names):
                if key in (b"/CS", b"/ColorSpace") and value in INLINE:
                    yield INLINE[value], None
            end = _END_OF_INLINE_IMAGE.search(data, position)
            position = end.end() if end else len(data)
        names = []


def _xobject(
    name: str, reference: Any, resources: Any, seen: set, outer: str
) -> Iterator[tuple[str, str]]:
    key = reference.idnum if isinstance(reference, IndirectObject) else id(reference)
    if ("colour", key) in seen:
        return
    seen.add(("colour", key))
    xobject = reference.get_object()
    where = f"{outer}, XObject {name}"
    if xobject.get("/Subtype") == "/Image":
        space = _family(xobject.get("/ColorSpace"), resources)
        if space:
            yield where, space
        return
    if xobject.get("/Subtype") != "/Form":
        return
    group = _resolve(xobject.get("/Group"))
    if isinstance(group, DictionaryObject) and (space := _family(group.get("/CS"), resources)):
        yield where, space
    inner = _resolve(xobject.get("/Resources")) or resources
    yield from _content(xobject.get_data(), inner, where, seen)


def _lookup(resources: Any, category: str, name: bytes, *, raw: bool = False) -> Any:
    resources = _resolve(resources)
    if not isinstance(resources, DictionaryObject):
        return None
    table = _resolve(resources.get(category))
    if not isinstance(table, DictionaryObject):
        return None
    key = name.decode("latin-1")
    if key not in table:
        return None
    return table.raw_get(key) if raw else table.get(key)


def _family(space: Any, resources: Any, depth: int = 0) -> str | None:
    """The device colour space ``space`` stands for (through Indexed bases, Separation and
    DeviceN alternates, named resources), or None for a device-independent one."""
    space = _resolve(space)
    if space is None or depth > 5:
        return None
    if isinstance(space, ArrayObject):
        if not space:
            return None
        family = space[0]
        if family == "/Indexed" and len(space) > 1:
            return _family(space[1], resources, depth + 1)
        if family in ("/Separation", "/DeviceN") and len(space) > 2:
            return _family(space[2], resources, depth + 1)
        if family == "/Pattern" and len(space) > 1:
            return _family(space[1], resources, depth + 1)
        return None
    space = str(space)
    if space in DEVICE:
        return DEVICE[space]
    named = _lookup(resources, "/ColorSpace", space.encode("latin-1"))
    return _family(named, resources, depth + 1) if named is not None else None


def _resolve(value: Any) -> Any:
    return value.get_object() if isinstance(value, PdfObject) else value


def shading_components(shading: DictionaryObject) -> tuple[int | None, int | None]:
    """How many colour components a shading's colour space has, and how many its function
    gives (None where unknown). They must be equal (ISO 32000-1, 8.7.4.5)."""
    return _components(shading.get("/ColorSpace")), _outputs(shading.get("/Function"))


def _components(space: Any, depth: int = 0) -> int | None:
    space = _resolve(space)
    if space is None or depth > 5:
        return None
    if isinstance(space, ArrayObject) and space:
        family = space[0]
        if family == "/ICCBased" and len(space) > 1:
            number = _resolve(space[1]).get("/N")
            return int(number) if number is not None else None
        if family in ("/Indexed", "/Separation") or family == "/Pattern":
            return 1
        if family == "/DeviceN" and len(space) > 1:
            return len(_resolve(space[1]))
        if family in ("/CalRGB", "/Lab"):
            return 3
        if family == "/CalGray":
            return 1
        return None
    return {"/DeviceRGB": 3, "/DeviceCMYK": 4, "/DeviceGray": 1}.get(str(space))


def _outputs(function: Any) -> int | None:
    function = _resolve(function)
    if isinstance(function, ArrayObject):
        return len(function)  # one function per component
    if not isinstance(function, DictionaryObject):
        return None
    kind = function.get("/FunctionType")
    if kind == 2:
        values = _resolve(function.get("/C0")) or _resolve(function.get("/C1"))
        return len(values) if values is not None else 1
    if kind == 3:
        functions = _resolve(function.get("/Functions")) or []
        return _outputs(functions[0]) if functions else None
    ranges = _resolve(function.get("/Range"))
    return len(ranges) // 2 if ranges else None
