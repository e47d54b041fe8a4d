"""The receiver's rules: WeasyPrint's PDF/X-4 and PDF/A-2b pass, each broken rule is named."""

import pytest
from PIL import ImageCms
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from channels.print_catalogue.pdf_rules import check_pdf
from tests.channels.print_catalogue.pdf_samples import (
    png_data_url,
    print_part,
    screen_part,
    spoiled,
)

X4 = "ISO 15930-7 (PDF/X-4)"
A2 = "ISO 19005-2 (PDF/A-2b)"


@pytest.fixture(scope="module")
def good_print(tmp_path_factory):
    return print_part(
        tmp_path_factory.mktemp("print") / "x4.pdf", ["Drills", "Saws"], anchor="saws"
    )


@pytest.fixture(scope="module")
def good_screen(tmp_path_factory):
    return screen_part(
        tmp_path_factory.mktemp("screen") / "a2b.pdf", ["Drills", "Saws"], anchor="saws"
    )


@pytest.fixture
def bad(tmp_path):
    def make(source, change):
        return spoiled(source, tmp_path / "bad.pdf", change)

    return make


def _root(writer, key, value):
    writer.root_object[NameObject(key)] = value


def _srgb_stream(writer):
    stream = StreamObject()
    stream.set_data(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    stream[NameObject("/N")] = NumberObject(3)
    return writer._add_object(stream)


def _helvetica_page(writer):
    """A page showing text in the standard Helvetica, which is never embedded."""
    page = writer.add_blank_page(595, 842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    content = StreamObject()
    content.set_data(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(content)
    page[NameObject("/TrimBox")] = ArrayObject(NumberObject(v) for v in (0, 0, 595, 842))


# WeasyPrint's own files.


def test_weasyprint_pdf_x4_passes_the_print_rules(good_print):
    assert check_pdf(good_print, "print") == []


def test_weasyprint_pdf_a2b_passes_the_screen_rules(good_screen):
    assert check_pdf(good_screen, "screen") == []


def test_a_screen_file_fails_the_print_rules(good_screen):
    messages = check_pdf(good_screen, "print")

    assert f"{X4} output intent: no output intent with /S /GTS_PDFX" in messages
    assert f"{X4} file header: header says PDF 1.7, at most 1.6 is allowed" in messages


def test_weasyprint_crop_marks_are_device_rgb_in_a_cmyk_print_file(tmp_path):
    # WeasyPrint 70 draws `marks: crop` as an SVG with stroke="black": DeviceRGB.
    part = print_part(tmp_path / "marks.pdf", ["Drills"], marks=True)

    assert check_pdf(part, "print") == [
        f"{X4} colour: page 1, XObject /x0: DeviceRGB with a CMYK output intent"
    ]


def test_an_rgb_css_colour_is_an_rg_operator_in_a_cmyk_print_file(tmp_path):
    part = print_part(tmp_path / "rgb.pdf", ["Drills"], css="p { color: #336699 }")

    assert check_pdf(part, "print") == [f"{X4} colour: page 1: DeviceRGB with a CMYK output intent"]


def test_an_rgb_image_is_device_rgb_in_a_cmyk_print_file(tmp_path):
    image = f"<img src='{png_data_url()}'>"
    part = print_part(tmp_path / "image.pdf", ["Drills"], extra=image)

    [message] = check_pdf(part, "print")

    assert message.startswith(f"{X4} colour: page 1, XObject /i")
    assert message.endswith(": DeviceRGB with a CMYK output intent")


def test_device_cmyk_in_a_screen_file_with_an_srgb_intent_fails(tmp_path):
    part = screen_part(tmp_path / "cmyk.pdf", ["Drills"], css="p { color: device-cmyk(0 0 0 1) }")

    assert check_pdf(part, "screen") == [
        f"{A2} 6.2.4.3: page 1: DeviceCMYK with a RGB output intent"
    ]


# File structure.


def test_a_print_file_above_pdf_1_6_fails(good_print, bad):
    def newer(writer):
        writer.pdf_header = "%PDF-1.7"

    assert check_pdf(bad(good_print, newer), "print") == [
        f"{X4} file header: header says PDF 1.7, at most 1.6 is allowed"
    ]


def test_a_screen_file_without_the_binary_comment_fails(good_screen, tmp_path):
    data = good_screen.read_bytes()
    first_line = data.index(b"\n") + 1
    comment_end = data.index(b"\n", first_line)
    # Same length, so that the cross-reference offsets still hold.
    plain = b"%" + b"a" * (comment_end - first_line - 1)
    path = tmp_path / "plain.pdf"
    path.write_bytes(data[:first_line] + plain + data[comment_end:])

    assert check_pdf(path, "screen") == [
        f"{A2} 6.1.2: the header is not followed by a comment of four binary bytes"
    ]


def test_an_encrypted_file_fails(good_print, bad):
    def encrypt(writer):
        writer.encrypt(user_password="", owner_password="secret", algorithm="AES-128")

    assert check_pdf(bad(good_print, encrypt), "print") == [
        f"{X4} encryption: the file is encrypted (/Encrypt in the trailer)"
    ]


def test_a_file_without_identifier_fails(good_screen, bad):
    def no_id(writer):
        writer._ID = None

    assert check_pdf(bad(good_screen, no_id), "screen") == [f"{A2} 6.1.3: no /ID in the trailer"]


def test_lzw_compression_fails_pdf_a(good_screen, bad):
    def lzw(writer):
        stream = StreamObject()
        stream._data = b"\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01"
        stream[NameObject("/Filter")] = NameObject("/LZWDecode")
        writer._add_object(stream)

    [message] = check_pdf(bad(good_screen, lzw), "screen")

    assert message.startswith(f"{A2} 6.1.7.2: object ")
    assert message.endswith(": LZWDecode filter")


# Metadata.


def test_a_file_without_xmp_metadata_fails(good_print, bad):
    def no_xmp(writer):
        del writer.root_object["/Metadata"]

    assert check_pdf(bad(good_print, no_xmp), "print") == [
        f"{X4} metadata: the catalog has no XMP /Metadata stream"
    ]


def test_a_pdf_a_1_claim_fails_the_pdf_a_2_rules(good_screen, bad):
    def part_one(writer):
        xmp = writer.root_object["/Metadata"]
        xmp.set_data(xmp.get_data().replace(b'pdfaid:part="2"', b'pdfaid:part="1"'))

    assert check_pdf(bad(good_screen, part_one), "screen") == [
        f"{A2} 6.6.4: XMP pdfaid:part is '1' and pdfaid:conformance 'B', not part 2 with level B"
    ]


def test_an_unknown_trapping_state_fails_pdf_x(good_print, bad):
    def untrapped(writer):
        del writer._info.get_object()["/Trapped"]

    assert check_pdf(bad(good_print, untrapped), "print") == [
        f"{X4} metadata: Info /Trapped is None, not True or False"
    ]


def test_an_info_title_other_than_the_xmp_title_fails_pdf_a(good_screen, bad):
    def retitled(writer):
        writer.add_metadata({"/Title": "Other"})

    assert check_pdf(bad(good_screen, retitled), "screen") == [
        f"{A2} 6.6.2.1: Info /Title 'Other' differs from XMP dc:title 'Part'"
    ]


# Output intent.


def test_a_file_without_output_intent_fails(good_print, bad):
    def no_intent(writer):
        del writer.root_object["/OutputIntents"]

    assert check_pdf(bad(good_print, no_intent), "print") == [
        f"{X4} output intent: no output intent with /S /GTS_PDFX"
    ]


def test_an_output_intent_without_embedded_profile_fails(good_screen, bad):
    def external(writer):
        del writer.root_object["/OutputIntents"][0].get_object()["/DestOutputProfile"]

    assert check_pdf(bad(good_screen, external), "screen") == [
        f"{A2} 6.2.3: the /GTS_PDFA1 output intent has no embedded DestOutputProfile"
    ]


def test_an_rgb_monitor_profile_as_print_intent_fails(good_print, bad):
    def monitor(writer):
        intent = writer.root_object["/OutputIntents"][0].get_object()
        intent[NameObject("/DestOutputProfile")] = _srgb_stream(writer)

    assert (
        f"{X4} output intent: the ICC output profile is class 'mntr' for 'RGB ', "
        "not an output ('prtr') profile for CMYK"
    ) in check_pdf(bad(good_print, monitor), "print")


def test_two_output_intents_with_different_profiles_fail_pdf_a(good_screen, bad):
    def two(writer):
        intents = writer.root_object["/OutputIntents"]
        second = DictionaryObject(intents[0].get_object())
        second[NameObject("/S")] = NameObject("/GTS_PDFX")
        second[NameObject("/DestOutputProfile")] = _srgb_stream(writer)
        intents.append(writer._add_object(second))

    assert check_pdf(bad(good_screen, two), "screen") == [
        f"{A2} 6.2.3: the output intents have different DestOutputProfiles"
    ]


# Page boxes.


def test_a_page_without_trim_box_fails_pdf_x(good_print, bad):
    def untrimmed(writer):
        del writer.pages[1][NameObject("/TrimBox")]

    assert check_pdf(bad(good_print, untrimmed), "print") == [
        f"{X4} page boxes: page 2: neither TrimBox nor ArtBox"
    ]


def test_a_page_with_trim_and_art_box_fails_pdf_x(good_print, bad):
    def both(writer):
        writer.pages[0][NameObject("/ArtBox")] = writer.pages[0]["/TrimBox"]

    assert check_pdf(bad(good_print, both), "print") == [
        f"{X4} page boxes: page 1: both TrimBox and ArtBox"
    ]


def test_a_bleed_box_beyond_the_media_box_fails_pdf_x(good_print, bad):
    def wide(writer):
        writer.pages[0][NameObject("/BleedBox")] = ArrayObject(
            NumberObject(v) for v in (-20, -20, 620, 870)
        )

    [message] = check_pdf(bad(good_print, wide), "print")

    assert message.startswith(f"{X4} page boxes: page 1: BleedBox (-20.0, -20.0, 620.0, 870.0)")
    assert message.endswith("is not within MediaBox (-8.503937, -8.503937, 603.779528, 850.393701)")


def test_a_trim_box_beyond_the_bleed_box_fails_pdf_x(good_print, bad):
    def narrow(writer):
        writer.pages[0][NameObject("/BleedBox")] = ArrayObject(
            NumberObject(v) for v in (10, 10, 500, 800)
        )

    [message] = check_pdf(bad(good_print, narrow), "print")

    assert message.startswith(f"{X4} page boxes: page 1: TrimBox (0.0, 0.0, 595.275591,")
    assert message.endswith("is not within BleedBox")


# Fonts.


def test_a_standard_helvetica_not_embedded_fails(good_print, bad):
    assert check_pdf(bad(good_print, _helvetica_page), "print") == [
        f"{X4} fonts: page 3: font Helvetica is not embedded"
    ]


def test_a_type0_font_whose_descendant_is_not_embedded_fails(good_screen, bad):
    names = []

    def unembed(writer):
        fonts = writer.pages[0]["/Resources"]["/Font"]
        font = next(iter(fonts.values()))
        font = font.get_object()
        names.append(str(font["/BaseFont"]).lstrip("/"))
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        del descriptor["/FontFile2"]

    path = bad(good_screen, unembed)

    assert check_pdf(path, "screen") == [
        f"{A2} 6.2.11.4.1: page 1: font {names[0]} is not embedded"
    ]


def test_a_type3_font_needs_no_font_file(good_print, bad):
    def type3(writer):
        _helvetica_page(writer)
        font = writer.pages[2]["/Resources"]["/Font"]["/F1"]
        font[NameObject("/Subtype")] = NameObject("/Type3")

    assert check_pdf(bad(good_print, type3), "print") == []


# Actions and embedded files.


def test_javascript_run_on_opening_fails(good_print, bad):
    def script(writer):
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert(1)"),
            }
        )
        _root(writer, "/OpenAction", writer._add_object(action))

    assert check_pdf(bad(good_print, script), "print") == [
        f"{X4} actions: catalog /OpenAction: JavaScript action"
    ]


def test_a_link_launching_a_program_fails(good_screen, bad):
    def launch(writer):
        link = writer.pages[0]["/Annots"][0].get_object()
        link[NameObject("/A")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("calc.exe"),
            }
        )

    assert check_pdf(bad(good_screen, launch), "screen") == [
        f"{A2} 6.5.1: page 1: /Link annotation: Launch action"
    ]


def test_document_javascript_in_the_name_tree_fails(good_screen, bad):
    def names(writer):
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert(1)"),
            }
        )
        tree = DictionaryObject(
            {NameObject("/Names"): ArrayObject([TextStringObject("hello"), action])}
        )
        _root(writer, "/Names", DictionaryObject({NameObject("/JavaScript"): tree}))

    assert check_pdf(bad(good_screen, names), "screen") == [
        f"{A2} 6.5.1: catalog /Names: document JavaScript"
    ]


def test_additional_actions_on_the_catalog_fail_pdf_a(good_screen, bad):
    def additional(writer):
        _root(writer, "/AA", DictionaryObject())

    assert check_pdf(bad(good_screen, additional), "screen") == [
        f"{A2} 6.5.2: catalog: additional actions /AA"
    ]


def test_an_embedded_file_fails_pdf_x(good_print, bad):
    def attach(writer):
        writer.add_attachment("prices.csv", b"sku;price\n")

    assert check_pdf(bad(good_print, attach), "print") == [
        f"{X4} embedded files: embedded file 'prices.csv'"
    ]


def test_pdf_a_allows_only_pdf_a_embedded_files(good_screen, good_print, bad):
    def attach(writer):
        writer.add_attachment("screen.pdf", good_screen.read_bytes())
        writer.add_attachment("print.pdf", good_print.read_bytes())

    assert check_pdf(bad(good_screen, attach), "screen") == [
        f"{A2} 6.8: embedded file 'print.pdf' is not a PDF/A file"
    ]


# Annotations.


def test_a_link_without_the_print_flag_fails_pdf_a(good_screen, bad):
    def unprinted(writer):
        del writer.pages[0]["/Annots"][0].get_object()["/F"]

    assert check_pdf(bad(good_screen, unprinted), "screen") == [
        f"{A2} 6.3.2: page 1: /Link annotation lacks the Print flag"
    ]


def test_a_hidden_link_fails_pdf_a(good_screen, bad):
    def hidden(writer):
        writer.pages[0]["/Annots"][0].get_object()[NameObject("/F")] = NumberObject(4 | 2)

    assert check_pdf(bad(good_screen, hidden), "screen") == [
        f"{A2} 6.3.2: page 1: /Link annotation is hidden (flags 6)"
    ]


def test_a_sound_annotation_fails_pdf_a(good_screen, bad):
    def sound(writer):
        link = writer.pages[0]["/Annots"][0].get_object()
        link[NameObject("/Subtype")] = NameObject("/Sound")

    assert check_pdf(bad(good_screen, sound), "screen") == [
        f"{A2} 6.3.1: page 1: /Sound annotation is not allowed"
    ]


def test_an_unreadable_file_is_reported(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"not a pdf at all")

    [message] = check_pdf(path, "print")

    assert message.startswith(f"{X4} file structure: not a readable PDF")


def test_a_bookmark_with_a_named_action_other_than_page_turning_fails_pdf_a(good_screen, bad):
    def named(writer):
        bookmark = writer.root_object["/Outlines"]["/First"].get_object()
        bookmark[NameObject("/A")] = DictionaryObject(
            {NameObject("/S"): NameObject("/Named"), NameObject("/N"): NameObject("/Print")}
        )

    assert check_pdf(bad(good_screen, named), "screen") == [
        f"{A2} 6.5.1: bookmark 'Drills': named action /Print"
    ]


def test_additional_actions_on_a_page_fail(good_print, bad):
    def additional(writer):
        writer.pages[1][NameObject("/AA")] = DictionaryObject()

    assert check_pdf(bad(good_print, additional), "print") == [
        f"{X4} actions: page 2: additional actions /AA"
    ]


def test_rgb_inside_a_tiling_pattern_fails_pdf_x(tmp_path):
    svg = (
        "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='10' height='10'%3E"
        "%3Crect width='5' height='5' fill='%2300a'/%3E%3C/svg%3E"
    )
    part = print_part(tmp_path / "pattern.pdf", ["Drills"], css=f'p {{ background: url("{svg}") }}')

    assert check_pdf(part, "print") == [
        f"{X4} colour: page 1, pattern /p0, XObject /x0: DeviceRGB with a CMYK output intent",
        f"{X4} colour: page 1, pattern /p1, XObject /x0: DeviceRGB with a CMYK output intent",
    ]


def test_weasyprints_css_gradient_in_a_cmyk_print_file_has_too_few_components(tmp_path):
    # WeasyPrint 70 paints a gradient's sRGB values in the CMYK output profile's space.
    css = "p { background: linear-gradient(#c00, #00c) }"
    part = print_part(tmp_path / "gradient.pdf", ["Drills"], css=css)

    messages = check_pdf(part, "print")

    assert len(messages) == 2  # one gradient per paragraph
    for message in messages:
        assert message.startswith("ISO 32000-1 8.7.4.5 (shadings): object ")
        assert message.endswith(
            ": the shading's function gives 3 colour components, its colour space has 4"
        )
