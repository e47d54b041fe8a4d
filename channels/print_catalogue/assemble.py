"""Joining the catalogue's rendered parts into one PDF (``DocumentChannel.assemble``).

The parts are WeasyPrint files of one PDF standard (PDF/X-4 for print, PDF/A-2b for the
screen): the front matter, the body parts and the back matter. The joined file keeps what
that standard needs from the first body part's catalog (output intent with its ICC
profile, XMP metadata, MarkInfo), each part's bookmarks and links, and gets one document
Info that agrees with its XMP, a file identifier and page labels (i, ii, ... then 1, 2,
...), so that a viewer shows the printed page numbers.

For a CMYK print file it also repairs what WeasyPrint writes in device RGB although the
output intent is CMYK (the crop marks and any colour given in CSS as sRGB, RGB images): a
neutral grey becomes black ink only (K), as prepress does for text and marks, any other RGB
colour, every RGB image and every CSS gradient (which WeasyPrint paints with sRGB values in
the CMYK profile's colour space) is tagged as sRGB (ICC-based), which PDF/X-4 allows and
the print shop's RIP converts to the printing condition.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from lxml import etree
from PIL import ImageCms
from pypdf import PdfReader, PdfWriter
from pypdf import __version__ as pypdf_version
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from .pdf_colour import shading_components

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
}
# What the joined file says anew; the parts' values of these are dropped from the XMP.
_REPLACED = (
    ("dc", "title"),
    ("dc", "creator"),
    ("xmp", "CreateDate"),
    ("xmp", "ModifyDate"),
    ("xmp", "MetadataDate"),
    ("pdf", "Producer"),
)
_CATALOG_KEYS = ("/OutputIntents", "/Metadata", "/MarkInfo")


def assemble_pdf(
    files: Sequence[Path],
    out: BinaryIO,
    *,
    front_pages: int,
    title: str,
    language: str,
    author: str = "",
) -> int:
    """Write ``files`` (front matter, body parts, back matter) to ``out`` as one PDF.

    The front matter (the first file) has ``front_pages`` pages, labelled i, ii, ...; the
    pages after it are labelled 1, 2, ... Parts are read one at a time. Returns the
    number of pages written.
    """
    if not files:
        raise ValueError("assemble_pdf needs at least one file")
    writer = PdfWriter()
    body_index = 1 if len(files) > 1 else 0
    body_catalog: dict[str, object] = {}
    body_info: dict[str, object] = {}
    header = "%PDF-1.7"
    for index, path in enumerate(files):
        reader = PdfReader(path)
        first_page = len(writer.pages)
        _explicit_destinations(reader)
        writer.append(reader, import_outline=True)
        if index == body_index:
            header = reader.pdf_header
            body_catalog = {
                key: reader.root_object[key].clone(writer)
                for key in _CATALOG_KEYS
                if key in reader.root_object
            }
            body_info = dict(reader.metadata or {})
        _release(writer, reader, first_page)
        del reader

    pages = len(writer.pages)
    writer.pdf_header = header
    _label_pages(writer, front_pages=front_pages, pages=pages)
    root = writer.root_object
    for key, value in body_catalog.items():
        if key != "/Metadata":
            root[NameObject(key)] = value
    root[NameObject("/Lang")] = TextStringObject(language)
    if "/Outlines" in root:
        root[NameObject("/PageMode")] = NameObject("/UseOutlines")

    now = datetime.now(UTC).replace(microsecond=0)
    producer = f"{body_info.get('/Producer') or 'WeasyPrint'}; pypdf {pypdf_version}"
    metadata = body_catalog.get("/Metadata")
    if metadata is not None:
        xmp = _updated_xmp(
            metadata.get_object().get_data(),
            title=title,
            author=author,
            producer=producer,
            now=now,
        )
        stream = DecodedStreamObject()
        stream.set_data(xmp)
        stream[NameObject("/Type")] = NameObject("/Metadata")
        stream[NameObject("/Subtype")] = NameObject("/XML")
        root[NameObject("/Metadata")] = writer._add_object(stream)
    info = {
        "/Title": title,
        "/Producer": producer,
        "/CreationDate": _pdf_date(now),
        "/ModDate": _pdf_date(now),
    }
    if author:
        info["/Author"] = author
    writer.metadata = None
    writer.add_metadata(info)
    if "/Trapped" in body_info:
        writer._info[NameObject("/Trapped")] = NameObject(body_info["/Trapped"])

    if _has_cmyk_print_intent(body_catalog.get("/OutputIntents")):
        _cmyk_safe(writer)
    _compress(writer)
    # Two passes: pypdf 7.1.1 removes an object as unreferenced when every reference to it
    # was to one of its duplicates (it marks the duplicate as referenced, not the object).
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=False)
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    writer.generate_file_identifiers()
    writer.write(out)
    return pages


def _explicit_destinations(reader: PdfReader) -> None:
    """Make the part's links to its named destinations (WeasyPrint's internal links) point
    at the page itself: the joined file keeps one destination per name, so a name that
    two parts use (an anchor id) would send one part's links to the other part's page."""
    named = reader.named_destinations
    if not named:
        return
    for page in reader.pages:
        annotations = page.get("/Annots")
        for annotation in annotations.get_object() if annotations is not None else ():
            annotation = annotation.get_object()
            dest = annotation.get("/Dest")
            if isinstance(dest, str | bytes) and str(dest) in named:
                annotation[NameObject("/Dest")] = named[str(dest)].dest_array
            action = annotation.get("/A")
            action = action.get_object() if action is not None else None
            if isinstance(action, DictionaryObject) and action.get("/S") == "/GoTo":
                target = action.get("/D")
                if isinstance(target, str | bytes) and str(target) in named:
                    action[NameObject("/D")] = named[str(target)].dest_array


def _release(writer: PdfWriter, reader: PdfReader, first_page: int) -> None:
    """Let the part's reader (the whole part, read into memory) go once it is appended.

    pypdf's writer keeps every appended reader alive: through each merged page
    (``original_page``), its map of the reader's pages to the merged ones (for links between
    files, which our parts do not have: each part's links are translated by ``append``)
    and its map of the reader's objects to their clones (kept so that an object is not
    cloned twice from the same reader, which we never read again).
    """
    for page in writer.pages[first_page:]:
        page.__dict__.pop("original_page", None)
    writer._merged_in_pages = {
        source: merged
        for source, merged in writer._merged_in_pages.items()
        if getattr(source, "pdf", None) is not reader
    }
    writer._id_translated.pop(id(reader), None)


def _label_pages(writer: PdfWriter, *, front_pages: int, pages: int) -> None:
    front_pages = min(front_pages, pages)
    if front_pages:
        writer.set_page_label(0, front_pages - 1, style="/r", start=1)
    if pages > front_pages:
        writer.set_page_label(front_pages, pages - 1, style="/D", start=1)


def _pdf_date(moment: datetime) -> str:
    return moment.strftime("D:%Y%m%d%H%M%S+00'00'")


def _updated_xmp(data: bytes, *, title: str, author: str, producer: str, now: datetime) -> bytes:
    """The part's XMP packet with the joined file's title, author, producer and dates.

    PDF/A requires the Info dictionary and the XMP to agree, so both say the same.
    """
    parser = etree.XMLParser(remove_blank_text=False, resolve_entities=False, no_network=True)
    packet = etree.fromstring(data, parser)
    rdf = packet.find(".//rdf:RDF", NS)
    if rdf is None:
        raise ValueError("the part's XMP metadata has no rdf:RDF")
    for description in rdf.findall("rdf:Description", NS):
        for prefix, name in _REPLACED:
            qualified = f"{{{NS[prefix]}}}{name}"
            description.attrib.pop(qualified, None)
            for element in description.findall(qualified):
                description.remove(element)
        if len(description) == 0 and set(description.attrib) <= {f"{{{NS['rdf']}}}about"}:
            rdf.remove(description)
    stamp = now.isoformat()
    description = etree.SubElement(rdf, f"{{{NS['rdf']}}}Description", nsmap=NS)
    description.set(f"{{{NS['rdf']}}}about", "")
    alt = etree.SubElement(
        etree.SubElement(description, f"{{{NS['dc']}}}title"), f"{{{NS['rdf']}}}Alt"
    )
    item = etree.SubElement(alt, f"{{{NS['rdf']}}}li")
    item.set("{http://www.w3.org/XML/1998/namespace}lang", "x-default")
    item.text = title
    if author:
        seq = etree.SubElement(
            etree.SubElement(description, f"{{{NS['dc']}}}creator"), f"{{{NS['rdf']}}}Seq"
        )
        etree.SubElement(seq, f"{{{NS['rdf']}}}li").text = author
    for name in ("CreateDate", "ModifyDate", "MetadataDate"):
        etree.SubElement(description, f"{{{NS['xmp']}}}{name}").text = stamp
    etree.SubElement(description, f"{{{NS['pdf']}}}Producer").text = producer
    body = etree.tostring(packet, encoding="utf-8")
    return (
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        + body
        + b'\n<?xpacket end="r"?>'
    )


def _has_cmyk_print_intent(intents: object) -> bool:
    for intent in intents.get_object() if intents is not None else ():
        intent = intent.get_object()
        profile = intent.get("/DestOutputProfile")
        if (
            intent.get("/S") == "/GTS_PDFX"
            and profile is not None
            and profile.get_object().get_data()[16:20] == b"CMYK"
        ):
            return True
    return False


def _compress(writer: PdfWriter) -> None:
    """Flate-compress every stream the parts left uncompressed, except XMP metadata
    (kept readable for tools that search the file for it)."""
    for number, obj in enumerate(writer._objects, start=1):
        if not isinstance(obj, StreamObject) or "/Filter" in obj:
            continue
        if obj.get("/Type") == "/Metadata":
            continue
        encoded = obj.flate_encode()
        writer._objects[number - 1] = encoded
        encoded.indirect_reference = IndirectObject(number, 0, writer)


# An RGB colour operator with its three operands, in a decoded content stream.
_RGB_OPERATOR = re.compile(
    rb"(?<![\w.+-])([+-]?(?:\d+\.?\d*|\.\d+))\s+([+-]?(?:\d+\.?\d*|\.\d+))\s+"
    rb"([+-]?(?:\d+\.?\d*|\.\d+))\s+(rg|RG)(?![\w])"
)
_SRGB = "/HubSRGB"


def _cmyk_safe(writer: PdfWriter) -> None:
    """Replace device RGB in the pages, form XObjects and tiling patterns of a CMYK print
    file (see the module's docstring)."""
    profile = StreamObject()
    profile.set_data(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[NameObject("/N")] = NumberObject(3)
    srgb_space = ArrayObject([NameObject("/ICCBased"), writer._add_object(profile)])
    done: set[int] = set()
    for page in writer.pages:
        contents = page.get("/Contents")
        streams = contents.get_object() if contents is not None else ()
        if isinstance(streams, StreamObject):
            streams = [streams]
        for stream in streams:
            stream = stream.get_object()
            data, changed, used = _rewrite_rgb(stream.get_data())
            if changed:
                stream.set_data(data)
            if used:
                _with_srgb(page, srgb_space)
        resources = page.get("/Resources")
        if resources is not None:
            _repair_resources(resources.get_object(), srgb_space, done)
    # WeasyPrint paints CSS gradients with sRGB values in the CMYK output profile's colour
    # space: three components where it has four. They are sRGB colours: say so.
    for obj in writer._objects:
        if not isinstance(obj, DictionaryObject):
            continue
        shading = obj if "/ShadingType" in obj else None
        if shading is None and obj.get("/PatternType") == 2:
            shading = obj.get("/Shading")
            shading = shading.get_object() if shading is not None else None
        if isinstance(shading, DictionaryObject) and shading_components(shading) == (4, 3):
            shading[NameObject("/ColorSpace")] = srgb_space


def _with_srgb(holder: DictionaryObject, srgb_space: ArrayObject) -> None:
    """The resources of ``holder`` (a page or form), with the sRGB colour space named."""
    resources = holder.get("/Resources")
    resources = resources.get_object() if resources is not None else DictionaryObject()
    spaces = resources.get("/ColorSpace")
    spaces = spaces.get_object() if spaces is not None else DictionaryObject()
    spaces[NameObject(_SRGB)] = srgb_space
    if "/ColorSpace" not in resources or not isinstance(
        resources.raw_get("/ColorSpace"), IndirectObject
    ):
        resources[NameObject("/ColorSpace")] = spaces
    if "/Resources" not in holder:
        holder[NameObject("/Resources")] = resources


def _rewrite_rgb(data: bytes) -> tuple[bytes, bool, bool]:
    """``data`` with neutral RGB greys as black ink and other RGB colours in sRGB; whether
    anything changed, and whether the sRGB colour space is used."""
    changed = used = False

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal changed, used
        changed = True
        red, green, blue, operator = match.groups()
        stroke = operator == b"RG"
        if float(red) == float(green) == float(blue):
            black = _format(1 - float(red))
            return b"0 0 0 " + black + (b" K" if stroke else b" k")
        used = True
        space, colour = (b"CS", b"SC") if stroke else (b"cs", b"sc")
        return b" ".join((_SRGB.encode(), space, red, green, blue, colour))

    if b"rg" not in data.lower():
        return data, False, False
    return _RGB_OPERATOR.sub(replace, data), changed, used


def _format(value: float) -> bytes:
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".") or b"0"


def _repair_resources(resources: DictionaryObject, srgb_space: ArrayObject, done: set[int]) -> None:
    patterns = resources.get("/Pattern")
    for reference in patterns.get_object().values() if patterns is not None else ():
        if not isinstance(reference, IndirectObject) or reference.idnum in done:
            continue
        done.add(reference.idnum)
        pattern = reference.get_object()
        if pattern.get("/PatternType") != 1:
            continue
        data, changed, used = _rewrite_rgb(pattern.get_data())
        if changed:
            pattern.set_data(data)
        if used:
            _with_srgb(pattern, srgb_space)
        inner = pattern.get("/Resources")
        if inner is not None:
            _repair_resources(inner.get_object(), srgb_space, done)
    xobjects = resources.get("/XObject")
    if xobjects is None:
        return
    for reference in xobjects.get_object().values():
        if not isinstance(reference, IndirectObject) or reference.idnum in done:
            continue
        done.add(reference.idnum)
        xobject = reference.get_object()
        if xobject.get("/Subtype") == "/Image":
            if xobject.get("/ColorSpace") == "/DeviceRGB":
                xobject[NameObject("/ColorSpace")] = srgb_space
            continue
        if xobject.get("/Subtype") != "/Form":
            continue
        group = xobject.get("/Group")
        if group is not None and group.get_object().get("/CS") == "/DeviceRGB":
            group.get_object()[NameObject("/CS")] = srgb_space
        data, changed, used = _rewrite_rgb(xobject.get_data())
        if changed:
            xobject.set_data(data)
        if used:
            _with_srgb(xobject, srgb_space)
        inner = xobject.get("/Resources")
        if inner is not None:
            _repair_resources(inner.get_object(), srgb_space, done)
