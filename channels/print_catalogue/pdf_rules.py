"""The receiver's rules for the catalogue's PDF (``DocumentChannel.validate``).

This is not veraPDF (the PDF/A validator, a Java program that cannot be installed here)
nor a print shop's preflight: it checks, with pypdf, the rules of the two standards that
those tools flag most often for files like ours, and says for each problem the rule and
where it is (page number, font, XObject).

"print" checks PDF/X-4 (ISO 15930-7:2010). The text of that standard is not at hand, so
its rules are named by subject rather than by clause number:

- file header: PDF 1.6 or lower; no encryption; a file identifier (/ID) in the trailer;
- metadata: an XMP stream with pdfxid:GTS_PDFXVersion "PDF/X-4"; Info /Trapped True or
  False;
- output intent: a /GTS_PDFX output intent with an embedded ICC output profile (device
  class 'prtr') for CMYK;
- page boxes: every page has a TrimBox or an ArtBox (not both), the BleedBox lies within
  the MediaBox and the TrimBox within the BleedBox (or the MediaBox);
- colour: with a CMYK output intent, no DeviceRGB in page content, form XObjects, images,
  shadings or transparency groups (the ``rg``/``RG`` operators, /DeviceRGB colour
  spaces);
- fonts: every font embedded (Type3 fonts are their own programs);
- actions: no JavaScript, Launch or other actions that change or leave the document;
- embedded files: none.

"screen" checks PDF/A-2b (ISO 19005-2:2011), with its clauses:

- 6.1.2 header (PDF 1.7 or lower, a binary comment); 6.1.3 trailer (/ID, no /Encrypt);
- 6.1.7.2 no LZWDecode filter;
- 6.2.3 output intent /GTS_PDFA1 with an embedded ICC profile ('prtr' or 'mntr', Gray,
  RGB or CMYK), all output intents with the same profile;
- 6.2.4.3 device colour spaces only as the output intent's (DeviceRGB with an RGB
  intent, DeviceCMYK with a CMYK one);
- 6.2.11.4.1 every font embedded;
- 6.3.1 no 3D, Sound, Screen or Movie annotations; 6.3.2 annotations have the Print flag
  and not the Hidden, Invisible, NoView or ToggleNoView flags;
- 6.5.1 no JavaScript, Launch, Sound, Movie, ResetForm, ImportData, Hide, SetOCGState,
  Rendition, Trans or GoTo3DView actions, named actions only NextPage, PrevPage,
  FirstPage, LastPage; 6.5.2 no additional actions (/AA) on the catalog or pages;
- 6.6.2.1 an XMP metadata stream, and the Info dictionary's Title, Author and Producer
  equal to its dc:title, dc:creator and pdf:Producer; 6.6.4 pdfaid:part 2 with a
  conformance level (B, or the stricter U or A);
- 6.8 embedded files only when they are PDF/A files themselves.

Both: a shading's function gives as many colour components as its colour space has
(ISO 32000-1 8.7.4.5; WeasyPrint 70 breaks it with CSS gradients in a CMYK print file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from lxml import etree
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from .pdf_colour import device_colours, shading_components

Profile = Literal["print", "screen"]

X4 = "ISO 15930-7 (PDF/X-4)"
A2 = "ISO 19005-2 (PDF/A-2b)"

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfxid": "http://www.npes.org/pdfx/ns/id/",
}
FORBIDDEN_ACTIONS = {
    "/Launch",
    "/Sound",
    "/Movie",
    "/ResetForm",
    "/ImportData",
    "/Hide",
    "/SetOCGState",
    "/Rendition",
    "/Trans",
    "/GoTo3DView",
    "/JavaScript",
}
ALLOWED_NAMED_ACTIONS = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
FORBIDDEN_ANNOTATIONS = {"/3D", "/Sound", "/Screen", "/Movie"}
# Annotation flags (ISO 32000-1, 12.5.3).
INVISIBLE, HIDDEN, PRINT, NO_VIEW, TOGGLE_NO_VIEW = 1, 2, 4, 32, 256
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def check_pdf(path: Path, profile: Profile) -> list[str]:
    """What is wrong with the PDF at ``path`` by the profile's standard; [] if nothing.

    Each message starts with the rule (the standard and its clause or subject), then
    where (the page, the font), then what.
    """
    rule = X4 if profile == "print" else A2
    with path.open("rb") as file:
        head = file.read(1024)
    try:
        reader = PdfReader(path, strict=False)
        encrypted = reader.is_encrypted
    except (PdfReadError, ValueError, OSError) as error:
        return [f"{rule} file structure: not a readable PDF ({error})"]
    if encrypted:
        clause = f"{rule} 6.1.3" if profile == "screen" else f"{rule} encryption"
        return [f"{clause}: the file is encrypted (/Encrypt in the trailer)"]
    return list(_Checker(reader, profile, head).run())


class _Checker:
    def __init__(self, reader: PdfReader, profile: Profile, head: bytes) -> None:
        self.reader = reader
        self.print = profile == "print"
        self.head = head
        self.root = reader.root_object
        self.intent_space = ""  # the output intent's ICC colour space: "RGB ", "CMYK"

    def rule(self, clause: str, subject: str) -> str:
        """The rule's name: the clause for PDF/A, the subject for PDF/X (see above)."""
        return f"{X4} {subject}" if self.print else f"{A2} {clause}"

    def run(self) -> Iterator[str]:
        yield from self.header()
        yield from self.trailer()
        xmp = yield from self.metadata()
        yield from self.info(xmp)
        yield from self.output_intent()
        yield from self.pages()
        yield from self.actions()
        yield from self.embedded_files()
        yield from self.objects()

    # File structure.

    def header(self) -> Iterator[str]:
        rule = self.rule("6.1.2", "file header")
        match = re.match(rb"%PDF-(\d)\.(\d)", self.head)
        if match is None:
            yield f"{rule}: the file does not start with %PDF-n.n"
            return
        version = (int(match[1]), int(match[2]))
        highest = (1, 6) if self.print else (1, 7)
        if version > highest:
            yield (
                f"{rule}: header says PDF {version[0]}.{version[1]}, "
                f"at most {highest[0]}.{highest[1]} is allowed"
            )
        if not self.print:
            lines = self.head.split(b"\n", 2)
            comment = lines[1] if len(lines) > 1 else b""
            if not (comment.startswith(b"%") and sum(byte > 127 for byte in comment[1:5]) == 4):
                yield f"{rule}: the header is not followed by a comment of four binary bytes"

    def trailer(self) -> Iterator[str]:
        identifier = _get(self.reader.trailer, "/ID")
        if not isinstance(identifier, ArrayObject) or len(identifier) != 2:
            yield f"{self.rule('6.1.3', 'file identifier')}: no /ID in the trailer"

    # Metadata.

    def metadata(self) -> Iterator[str]:
        """Checks the XMP packet, and returns it (parsed) or None."""
        rule = self.rule("6.6.2.1", "metadata")
        stream = _get(self.root, "/Metadata")
        if stream is None:
            yield f"{rule}: the catalog has no XMP /Metadata stream"
            return None
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            xmp = etree.fromstring(stream.get_object().get_data(), parser)
        except (etree.XMLSyntaxError, ValueError) as error:
            yield f"{rule}: the XMP metadata is not well-formed XML ({error})"
            return None
        if self.print:
            version = _xmp_value(xmp, "pdfxid", "GTS_PDFXVersion")
            if version != "PDF/X-4":
                yield f"{rule}: XMP pdfxid:GTS_PDFXVersion is {version!r}, not 'PDF/X-4'"
        else:
            part = _xmp_value(xmp, "pdfaid", "part")
            conformance = _xmp_value(xmp, "pdfaid", "conformance")
            if part != "2" or conformance not in {"A", "B", "U"}:
                yield (
                    f"{A2} 6.6.4: XMP pdfaid:part is {part!r} and pdfaid:conformance "
                    f"{conformance!r}, not part 2 with level B"
                )
        return xmp

    def info(self, xmp: Any) -> Iterator[str]:
        info = _get(self.reader.trailer, "/Info")
        info = info.get_object() if info is not None else DictionaryObject()
        if self.print:
            if _get(info, "/Trapped") not in ("/True", "/False"):
                yield (
                    f"{X4} metadata: Info /Trapped is {_get(info, '/Trapped')!r}, not True or False"
                )
            return
        if xmp is None:
            return
        for key, prefix, name in (
            ("/Title", "dc", "title"),
            ("/Author", "dc", "creator"),
            ("/Producer", "pdf", "Producer"),
        ):
            in_info = _get(info, key)
            in_xmp = _xmp_value(xmp, prefix, name)
            if in_info is not None and str(in_info) != (in_xmp or ""):
                yield (
                    f"{A2} 6.6.2.1: Info {key} {str(in_info)!r} differs from "
                    f"XMP {prefix}:{name} {in_xmp!r}"
                )

    # Colour.

    def output_intent(self) -> Iterator[str]:
        rule = self.rule("6.2.3", "output intent")
        wanted = "/GTS_PDFX" if self.print else "/GTS_PDFA1"
        intents = _get(self.root, "/OutputIntents")
        intents = [item.get_object() for item in intents.get_object()] if intents else []
        ours = [intent for intent in intents if _get(intent, "/S") == wanted]
        if not ours:
            yield f"{rule}: no output intent with /S {wanted}"
            return
        if not self.print:
            profiles = {
                intent.raw_get("/DestOutputProfile").idnum
                for intent in intents
                if isinstance(intent.get("/DestOutputProfile"), IndirectObject)
            }
            if len(profiles) > 1:
                yield f"{rule}: the output intents have different DestOutputProfiles"
        profile = _get(ours[0], "/DestOutputProfile")
        if not isinstance(profile, StreamObject):
            yield f"{rule}: the {wanted} output intent has no embedded DestOutputProfile"
            return
        icc = profile.get_data()
        device_class, space = icc[12:16].decode("latin-1"), icc[16:20].decode("latin-1")
        if len(icc) < 128 or icc[36:40] != b"acsp":
            yield f"{rule}: the DestOutputProfile is not an ICC profile"
            return
        self.intent_space = space
        if self.print and (device_class, space) != ("prtr", "CMYK"):
            yield (
                f"{rule}: the ICC output profile is class {device_class!r} for {space!r}, "
                "not an output ('prtr') profile for CMYK"
            )
        if not self.print and (
            device_class not in ("prtr", "mntr") or space not in ("GRAY", "RGB ", "CMYK")
        ):
            yield (
                f"{rule}: the ICC output profile is class {device_class!r} for {space!r}, "
                "not a 'prtr' or 'mntr' profile for Gray, RGB or CMYK"
            )

    # Pages: boxes, colour, fonts, annotations.

    def pages(self) -> Iterator[str]:
        seen: set = set()
        # Device colour is allowed as the output intent's colour space, and gray with any.
        allowed = {
            "CMYK": {"DeviceGray", "DeviceCMYK"},
            "RGB ": {"DeviceGray", "DeviceRGB"},
            "GRAY": {"DeviceGray"},
        }.get(self.intent_space)
        for number, page in enumerate(self.reader.pages, start=1):
            if self.print:
                yield from self.boxes(number, page)
            for where, space in device_colours(page, seen) if allowed else ():
                if space not in allowed:
                    yield (
                        f"{self.rule('6.2.4.3', 'colour')}: page {number}{where}: "
                        f"{space} with a {self.intent_space.strip()} output intent"
                    )
            yield from self.fonts(number, _get(page, "/Resources"), seen)
            yield from self.annotations(number, page)
            if "/AA" in page:
                yield f"{self.rule('6.5.2', 'actions')}: page {number}: additional actions /AA"

    def boxes(self, number: int, page: DictionaryObject) -> Iterator[str]:
        rule = f"{X4} page boxes"
        media = _box(_get(page, "/MediaBox") or page.mediabox)
        trim, art, bleed = (_box(_get(page, key)) for key in ("/TrimBox", "/ArtBox", "/BleedBox"))
        if trim is None and art is None:
            yield f"{rule}: page {number}: neither TrimBox nor ArtBox"
        if trim is not None and art is not None:
            yield f"{rule}: page {number}: both TrimBox and ArtBox"
        if bleed is not None and not _within(bleed, media):
            yield f"{rule}: page {number}: BleedBox {bleed} is not within MediaBox {media}"
        outer, outer_name = (bleed, "BleedBox") if bleed is not None else (media, "MediaBox")
        for inner, name in ((trim, "TrimBox"), (art, "ArtBox")):
            if inner is not None and not _within(inner, outer):
                yield f"{rule}: page {number}: {name} {inner} is not within {outer_name}"

    def fonts(self, number: int, resources: Any, seen: set[int]) -> Iterator[str]:
        rule = self.rule("6.2.11.4.1", "fonts")
        for font, where in _fonts(resources, seen):
            if _get(font, "/Subtype") == "/Type3":
                continue
            descriptor = _get(font, "/FontDescriptor")
            if _get(font, "/Subtype") == "/Type0":
                descendants = _get(font, "/DescendantFonts") or [{}]
                descriptor = _get(descendants[0].get_object(), "/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(key in descriptor for key in FONT_FILES):
                name = str(_get(font, "/BaseFont", "?")).lstrip("/")
                yield f"{rule}: page {number}{where}: font {name} is not embedded"

    def annotations(self, number: int, page: DictionaryObject) -> Iterator[str]:
        for annotation in _get(page, "/Annots") or []:
            annotation = annotation.get_object()
            subtype = _get(annotation, "/Subtype")
            yield from self.action(_get(annotation, "/A"), f"page {number}: {subtype} annotation")
            if "/AA" in annotation and not self.print:
                yield f"{A2} 6.5.2: page {number}: {subtype} annotation has additional actions"
            if self.print:
                if subtype == "/FileAttachment":
                    yield f"{X4} embedded files: page {number}: a file attachment annotation"
                continue
            if subtype in FORBIDDEN_ANNOTATIONS:
                yield f"{A2} 6.3.1: page {number}: {subtype} annotation is not allowed"
            if subtype == "/Popup":
                continue
            flags = int(_get(annotation, "/F", 0))
            if not flags & PRINT:
                yield f"{A2} 6.3.2: page {number}: {subtype} annotation lacks the Print flag"
            if flags & (INVISIBLE | HIDDEN | NO_VIEW | TOGGLE_NO_VIEW):
                yield (f"{A2} 6.3.2: page {number}: {subtype} annotation is hidden (flags {flags})")

    # Document-wide.

    def action(self, action: Any, where: str) -> Iterator[str]:
        rule = self.rule("6.5.1", "actions")
        seen = 0
        while action is not None and seen < 50:
            seen += 1
            action = action.get_object()
            if not isinstance(action, DictionaryObject):
                return
            kind = _get(action, "/S")
            if kind in FORBIDDEN_ACTIONS:
                yield f"{rule}: {where}: {str(kind).lstrip('/')} action"
            if kind == "/Named" and _get(action, "/N") not in ALLOWED_NAMED_ACTIONS:
                yield f"{rule}: {where}: named action {_get(action, '/N')}"
            following = _get(action, "/Next")
            if isinstance(following, ArrayObject):
                for item in following:
                    yield from self.action(item, where)
                return
            action = following

    def actions(self) -> Iterator[str]:
        yield from self.action(_get(self.root, "/OpenAction"), "catalog /OpenAction")
        if "/AA" in self.root:
            yield f"{self.rule('6.5.2', 'actions')}: catalog: additional actions /AA"
        names = _get(self.root, "/Names")
        if names is not None and "/JavaScript" in names.get_object():
            yield f"{self.rule('6.5.1', 'actions')}: catalog /Names: document JavaScript"
        outline = _get(self.root, "/Outlines")
        item = _get(outline.get_object(), "/First") if outline is not None else None
        stack, visited = [item], set()
        while stack:
            item = stack.pop()
            if item is None or id(item.get_object()) in visited or len(visited) > 100_000:
                continue
            item = item.get_object()
            visited.add(id(item))
            title = _get(item, "/Title", "")
            yield from self.action(_get(item, "/A"), f"bookmark {title!r}")
            stack.extend((_get(item, "/Next"), _get(item, "/First")))

    def embedded_files(self) -> Iterator[str]:
        names = _get(self.root, "/Names")
        tree = _get(names.get_object(), "/EmbeddedFiles") if names is not None else None
        if tree is None:
            return
        for name, spec in _name_tree(tree.get_object()):
            if self.print:
                yield f"{X4} embedded files: embedded file {name!r}"
                continue
            stream = _get(_get(spec.get_object(), "/EF"), "/F")
            if stream is None:
                continue
            if not _is_pdfa(stream.get_object().get_data()):
                yield f"{A2} 6.8: embedded file {name!r} is not a PDF/A file"

    def objects(self) -> Iterator[str]:
        """Rules on single objects: shadings (both profiles), LZW streams (PDF/A)."""
        for number, obj in _objects(self.reader):
            if not isinstance(obj, DictionaryObject):
                continue
            shading = obj if "/ShadingType" in obj else None
            if shading is None and _get(obj, "/PatternType") == 2:
                shading = _get(obj, "/Shading")
            if isinstance(shading, DictionaryObject):
                space, outputs = shading_components(shading)
                if space is not None and outputs is not None and space != outputs:
                    yield (
                        f"ISO 32000-1 8.7.4.5 (shadings): object {number}: the shading's "
                        f"function gives {outputs} colour components, its colour space "
                        f"has {space}"
                    )
            if self.print or not isinstance(obj, StreamObject):
                continue
            filters = _get(obj, "/Filter")
            filters = filters if isinstance(filters, ArrayObject) else [filters]
            if "/LZWDecode" in filters or "/LZW" in filters:
                yield f"{A2} 6.1.7.2: object {number}: LZWDecode filter"


def _get(dictionary: Any, key: str, default: Any = None) -> Any:
    """``dictionary[key]`` resolved (pypdf's ``get`` leaves indirect references), or
    ``default``."""
    if not isinstance(dictionary, DictionaryObject) or key not in dictionary:
        return default
    return dictionary[key]


def _xmp_value(xmp: Any, prefix: str, name: str) -> str | None:
    """A property of the XMP, as an attribute or element of an rdf:Description (for a
    language alternative or a sequence, its first item)."""
    qualified = f"{{{NS[prefix]}}}{name}"
    for description in xmp.iter(f"{{{NS['rdf']}}}Description"):
        if qualified in description.attrib:
            return description.attrib[qualified]
        element = description.find(qualified)
        if element is not None:
            item = element.find(f".//{{{NS['rdf']}}}li")
            return (item.text if item is not None else element.text) or ""
    return None


def _box(value: Any) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    left, bottom, right, top = (float(number) for number in value)
    return (min(left, right), min(bottom, top), max(left, right), max(bottom, top))


def _within(inner: tuple[float, ...], outer: tuple[float, ...], slack: float = 0.01) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _fonts(resources: Any, seen: set[int], where: str = "") -> Iterator[tuple[Any, str]]:
    """The fonts of ``resources`` and of its form XObjects, each once per file."""
    if resources is None:
        return
    resources = resources.get_object()
    for reference in (_get(resources, "/Font") or DictionaryObject()).values():
        key = reference.idnum if isinstance(reference, IndirectObject) else id(reference)
        if ("font", key) in seen:
            continue
        seen.add(("font", key))  # type: ignore[arg-type]
        yield reference.get_object(), where
    for name, reference in (_get(resources, "/XObject") or DictionaryObject()).items():
        key = reference.idnum if isinstance(reference, IndirectObject) else id(reference)
        if ("font-xobject", key) in seen:
            continue
        seen.add(("font-xobject", key))  # type: ignore[arg-type]
        xobject = reference.get_object()
        if _get(xobject, "/Subtype") == "/Form":
            yield from _fonts(_get(xobject, "/Resources"), seen, f", XObject {name}")


def _name_tree(node: DictionaryObject) -> Iterator[tuple[str, Any]]:
    names = _get(node, "/Names") or []
    for index in range(0, len(names) - 1, 2):
        yield str(names[index]), names[index + 1]
    for kid in _get(node, "/Kids") or []:
        yield from _name_tree(kid.get_object())


def _objects(reader: PdfReader) -> Iterator[tuple[int, Any]]:
    numbers = {
        (number, generation) for generation, table in reader.xref.items() for number in table
    }
    numbers |= {(number, 0) for number in reader.xref_objStm}
    for number, generation in sorted(numbers):
        try:
            yield number, reader.get_object(IndirectObject(number, generation, reader))
        except (PdfReadError, ValueError):
            continue


def _is_pdfa(data: bytes) -> bool:
    import io

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        metadata = _get(reader.root_object, "/Metadata")
        return metadata is not None and b"pdfaid" in metadata.get_object().get_data()
    except (PdfReadError, ValueError, OSError):
        return False
