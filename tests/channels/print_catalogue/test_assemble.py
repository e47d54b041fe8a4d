"""Joining the front matter, the body parts and the back matter into one PDF."""

import gc
import io
import weakref
from datetime import UTC, datetime

import pytest
import time_machine
from lxml import etree
from PIL import ImageCms
from pypdf import PdfReader
from pypdf.generic import StreamObject

from channels.print_catalogue import assemble
from channels.print_catalogue.assemble import assemble_pdf
from channels.print_catalogue.pdf_rules import check_pdf
from tests.channels.print_catalogue.pdf_samples import (
    ICC,
    png_data_url,
    print_part,
    screen_part,
)

X4 = "ISO 15930-7 (PDF/X-4)"
NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
CHAPTERS = [["Cover", "Contents"], ["Drills", "Saws"], ["Sanders"], ["Index"]]


def _parts(tmp_path, make, **options):
    return [
        make(tmp_path / f"part{index}.pdf", chapters, anchor=f"p{index}", **options)
        for index, chapters in enumerate(CHAPTERS)
    ]


@pytest.fixture(scope="module")
def print_parts(tmp_path_factory):
    return _parts(tmp_path_factory.mktemp("print"), print_part)


@pytest.fixture(scope="module")
def screen_parts(tmp_path_factory):
    return _parts(tmp_path_factory.mktemp("screen"), screen_part)


@pytest.fixture(scope="module")
def print_merged(print_parts, tmp_path_factory):
    path = tmp_path_factory.mktemp("merged") / "catalogue.pdf"
    with time_machine.travel(NOW, tick=False), path.open("wb") as out:
        pages = assemble_pdf(
            print_parts,
            out,
            front_pages=2,
            title="Tools 2027",
            language="de",
            author="ACME Tools",
        )
    return path, pages


def _assemble(files, tmp_path, **options):
    path = tmp_path / "catalogue.pdf"
    arguments = {"front_pages": 2, "title": "Tools 2027", "language": "de"} | options
    with path.open("wb") as out:
        assemble_pdf(files, out, **arguments)
    return path


def _xmp(reader):
    return etree.fromstring(reader.root_object["/Metadata"].get_data())


def _xmp_text(reader, path):
    namespaces = {
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "dc": "http://purl.org/dc/elements/1.1/",
        "xmp": "http://ns.adobe.com/xap/1.0/",
        "pdf": "http://ns.adobe.com/pdf/1.3/",
    }
    return [element.text for element in _xmp(reader).xpath(path, namespaces=namespaces)]


def test_all_pages_are_joined_in_order(print_merged):
    path, pages = print_merged

    reader = PdfReader(path)

    assert pages == 6
    assert len(reader.pages) == 6
    texts = [page.extract_text() for page in reader.pages]
    assert [text.split("\n")[0] for text in texts] == [
        "Cover",
        "Contents",
        "Drills",
        "Saws",
        "Sanders",
        "Index",
    ]


def test_front_matter_is_numbered_in_roman_the_rest_from_one(print_merged):
    reader = PdfReader(print_merged[0])

    assert reader.page_labels == ["i", "ii", "1", "2", "3", "4"]


def test_every_parts_bookmarks_point_at_their_pages(print_merged):
    reader = PdfReader(print_merged[0])

    bookmarks = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]

    assert bookmarks == [
        ("Cover", 0),
        ("Contents", 1),
        ("Drills", 2),
        ("Saws", 3),
        ("Sanders", 4),
        ("Index", 5),
    ]
    assert reader.root_object["/PageMode"] == "/UseOutlines"


def test_links_are_kept(print_merged):
    reader = PdfReader(print_merged[0])

    drills = [annot.get_object() for annot in reader.pages[2]["/Annots"]]
    internal = next(annot for annot in drills if "/Dest" in annot)

    web = [annot["/A"]["/URI"] for annot in drills if "/A" in annot]
    assert web == ["https://shop.example/drill"]
    assert _link_target(reader, internal) == 3  # "Saws", the part's last chapter


def _link_target(reader, annotation):
    """The 0-based page an internal link leads to."""
    dest = annotation["/Dest"]
    if isinstance(dest, str):
        return reader.get_destination_page_number(reader.named_destinations[dest])
    return reader.get_page_number(dest[0].get_object())


def test_links_to_an_anchor_id_two_parts_use_stay_in_their_part(tmp_path):
    parts = [
        print_part(tmp_path / f"part{index}.pdf", chapters, anchor="same")
        for index, chapters in enumerate(CHAPTERS[1:3])
    ]  # "Drills", "Saws" | "Sanders"

    reader = PdfReader(_assemble(parts, tmp_path, front_pages=0))

    targets = [
        _link_target(reader, annotation.get_object())
        for page in reader.pages
        for annotation in page.get("/Annots", ())
        if "/Dest" in annotation.get_object()
    ]
    assert targets == [1, 2]


def test_the_output_intent_keeps_the_embedded_icc_profile(print_merged):
    reader = PdfReader(print_merged[0])

    [intent] = reader.root_object["/OutputIntents"]

    embedded = ImageCms.ImageCmsProfile(io.BytesIO(intent["/DestOutputProfile"].get_data()))
    fogra = ImageCms.ImageCmsProfile(str(ICC))
    assert intent["/S"] == "/GTS_PDFX"
    assert embedded.profile.profile_description == fogra.profile.profile_description
    assert embedded.profile.xcolor_space == "CMYK"
    assert embedded.profile.device_class == "prtr"


def test_the_icc_profile_is_stored_once(print_merged, print_parts):
    data = print_merged[0].read_bytes()

    reader = PdfReader(print_merged[0])
    profiles = [
        number
        for number in range(1, len(reader.xref[0]) + 1)
        if number in reader.xref[0]
        and (obj := reader.get_object(number)) is not None
        and hasattr(obj, "get_data")
        and obj.get_data()[36:40] == b"acsp"
        and obj.get_data()[16:20] == b"CMYK"
    ]

    assert len(profiles) == 1
    assert len(data) < sum(part.stat().st_size for part in print_parts) / 2


def test_info_and_xmp_say_the_catalogues_title_author_and_dates(print_merged):
    reader = PdfReader(print_merged[0])

    info = reader.metadata

    assert info["/Title"] == "Tools 2027"
    assert info["/Author"] == "ACME Tools"
    assert info["/CreationDate"] == info["/ModDate"] == "D:20270301093000+00'00'"
    assert info["/Trapped"] == "/False"
    assert _xmp_text(reader, "//dc:title/rdf:Alt/rdf:li") == ["Tools 2027"]
    assert _xmp_text(reader, "//dc:creator/rdf:Seq/rdf:li") == ["ACME Tools"]
    assert _xmp_text(reader, "//xmp:CreateDate") == ["2027-03-01T09:30:00+00:00"]
    assert _xmp_text(reader, "//xmp:ModifyDate") == ["2027-03-01T09:30:00+00:00"]
    assert _xmp_text(reader, "//pdf:Producer") == [info["/Producer"]]


def test_the_catalog_keeps_the_standards_entries(print_merged):
    reader = PdfReader(print_merged[0])

    assert reader.root_object["/Lang"] == "de"
    assert b"<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in (
        reader.root_object["/Metadata"].get_data()
    )
    assert len(reader.trailer["/ID"]) == 2
    assert reader.pdf_header == "%PDF-1.6"


def test_the_joined_print_file_passes_the_print_rules(print_merged):
    assert check_pdf(print_merged[0], "print") == []


def test_the_joined_screen_file_passes_the_screen_rules(screen_parts, tmp_path):
    path = _assemble(screen_parts, tmp_path, author="ACME Tools")

    reader = PdfReader(path)

    assert check_pdf(path, "screen") == []
    assert reader.root_object["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    assert b'pdfaid:part="2"' in reader.root_object["/Metadata"].get_data()
    assert reader.pdf_header == "%PDF-1.7"


@pytest.fixture(scope="module")
def rgb_parts(tmp_path_factory):
    # WeasyPrint 70 writes crop marks in RGB black, CSS colours in sRGB as `rg` and
    # PNG images as DeviceRGB, which a CMYK PDF/X-4 file must not contain.
    directory = tmp_path_factory.mktemp("rgb")
    return [
        print_part(
            directory / f"part{index}.pdf",
            chapters,
            marks=True,
            css="p { color: #333 } h1 { color: #c00 }",
            extra=f"<img src='{png_data_url()}'>",
        )
        for index, chapters in enumerate(CHAPTERS)
    ]


def test_weasyprints_rgb_parts_fail_the_print_rules(rgb_parts):
    messages = check_pdf(rgb_parts[1], "print")

    assert f"{X4} colour: page 1, XObject /x0: DeviceRGB with a CMYK output intent" in messages
    assert f"{X4} colour: page 1: DeviceRGB with a CMYK output intent" in messages


def test_crop_marks_rgb_colours_and_images_are_made_cmyk_safe(rgb_parts, tmp_path):
    path = _assemble(rgb_parts, tmp_path)

    assert check_pdf(path, "print") == []
    page = PdfReader(path).pages[2]
    content = page.get_contents().get_data()
    assert b"0 0 0 0.8 k" in content  # the grey #333 as black ink only
    assert b"/HubSRGB cs 0.8 0 0 sc" in content  # #c00 as sRGB
    assert page["/Resources"]["/ColorSpace"]["/HubSRGB"][0] == "/ICCBased"
    marks = page["/Resources"]["/XObject"]["/x0"].get_data()
    assert b"0 0 0 1 K" in marks
    assert b" rg" not in marks
    assert b" RG" not in marks


def test_every_stream_but_the_xmp_metadata_is_compressed(rgb_parts, tmp_path):
    path = _assemble(rgb_parts, tmp_path)

    reader = PdfReader(path)
    uncompressed = [
        obj.get("/Type")
        for number in reader.xref[0]
        if isinstance(obj := reader.get_object(number), StreamObject) and "/Filter" not in obj
    ]

    assert uncompressed == ["/Metadata"]


def test_a_screen_file_keeps_its_rgb_colours(screen_parts, tmp_path):
    path = _assemble(screen_parts, tmp_path)

    content = PdfReader(path).pages[2].get_contents().get_data()

    assert b"0 0.313725 0.627451 rg" in content  # h1 #0050a0, untouched


def test_a_single_file_is_body_only(print_parts, tmp_path):
    path = _assemble(print_parts[1:2], tmp_path, front_pages=0)

    reader = PdfReader(path)

    assert reader.page_labels == ["1", "2"]
    assert check_pdf(path, "print") == []


def test_no_files_is_an_error():
    with pytest.raises(ValueError, match="at least one file"):
        assemble_pdf([], io.BytesIO(), front_pages=0, title="T", language="de")


def test_parts_are_read_one_at_a_time(print_parts, tmp_path, monkeypatch):
    readers = []
    alive_when_opening = []

    class CountingReader(assemble.PdfReader):
        def __init__(self, *args, **kwargs):
            gc.collect()
            alive_when_opening.append(sum(ref() is not None for ref in readers))
            super().__init__(*args, **kwargs)
            readers.append(weakref.ref(self))

    monkeypatch.setattr(assemble, "PdfReader", CountingReader)

    _assemble(print_parts, tmp_path)

    assert alive_when_opening == [0, 0, 0, 0]


def test_rgb_inside_a_tiling_pattern_is_made_cmyk_safe(tmp_path):
    svg = (
        "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='10' height='10'%3E"
        "%3Crect width='5' height='5' fill='%2300a'/%3E%3C/svg%3E"
    )
    part = print_part(tmp_path / "pattern.pdf", ["Drills"], css=f'p {{ background: url("{svg}") }}')

    path = _assemble([part], tmp_path, front_pages=0)

    assert check_pdf(path, "print") == []


def test_a_css_gradient_is_made_srgb(tmp_path):
    css = "p { background: linear-gradient(#c00, #00c) }"
    part = print_part(tmp_path / "gradient.pdf", ["Drills"], css=css)

    path = _assemble([part], tmp_path, front_pages=0)

    assert check_pdf(path, "print") == []
