"""The body's parts as PDFs: texts, page numbers, the plan kept, the profiles' rules."""

import io
import re

import pytest

from channels.documents import Chapter, PartPlan
from channels.print_catalogue import PrintCatalogueChannel
from tests.channels.print_catalogue.builders import (
    catalogue,
    doc_spec,
    footer_number,
    media_root,
    outlines,
    page_text,
    read_pdf,
    save_image,
)
from tests.channels.print_catalogue.builders import (
    product as make_product,
)
from tests.factories import png_bytes

pytestmark = pytest.mark.usefixtures("english")

CHANNEL = PrintCatalogueChannel("print")
MM = 72 / 25.4
LAYOUTS = [(profile, layout) for profile in ("screen", "print") for layout in ("pages", "grid")]


@pytest.fixture(scope="module")
def image_url(tmp_path_factory):
    with media_root(tmp_path_factory.mktemp("media")):
        yield save_image("images/drill.png", png_bytes(1200, 900))


@pytest.fixture(scope="module")
def chapters(image_url):
    return catalogue(image_url, sizes=(3, 1, 2))


def render(spec, part, chapters):
    out = io.BytesIO()
    rendered = CHANNEL.render_part(spec, part, chapters, out)
    return rendered, out.getvalue()


def render_plan(spec, chapters, *, part_pages):
    plan = CHANNEL.plan(spec, outlines(chapters), part_pages=part_pages)
    by_key = {chapter.key: chapter for chapter in chapters}
    parts = [render(spec, part, [by_key[k] for k in part.chapter_keys]) for part in plan.parts]
    return plan, parts


@pytest.fixture(scope="module")
def bodies(chapters):
    """The catalogue rendered as one part in each profile and layout."""
    results = {}
    for profile, layout in LAYOUTS:
        spec = doc_spec(profile=profile, options={"layout": layout})
        results[profile, layout] = (spec, *render_plan(spec, chapters, part_pages=1000))
    return results


def single(bodies, profile="screen", layout="pages"):
    spec, plan, [(rendered, pdf)] = bodies[profile, layout]
    return spec, plan, rendered, read_pdf(pdf)


def test_the_part_shows_the_approved_texts_and_the_chapter_titles(bodies, chapters):
    *_, reader = single(bodies)

    text = " ".join(page_text(page) for page in reader.pages)

    for chapter in chapters:
        assert chapter.title in text
        for product in chapter.products:
            de = product.text("de")
            for value in (de.name, de.short_text, de.long_text, f"Art.-Nr. {product.sku}"):
                assert value in text


def test_prices_are_net_in_the_catalogues_language_with_the_lead_time(bodies):
    *_, reader = single(bodies)

    text = page_text(reader.pages[1])

    assert "1.299,50 EUR net" in text
    assert "Lieferzeit: 3 Arbeitstage" in text
    assert "Spannung 18 V" in text


def test_without_a_price_basis_no_price_is_printed(chapters):
    spec = doc_spec(price_basis="none", show_lead_time=False)

    _rendered, pdf = render(spec, PartPlan(0, ("kapitel-2",), 1, 2), [chapters[1]])

    text = page_text(read_pdf(pdf).pages[1])
    assert "EUR" not in text
    assert "Lead time" not in text


def test_the_footer_numbers_the_pages_on_from_the_parts_first_page(chapters):
    spec = doc_spec(profile="screen")
    part = PartPlan(3, tuple(c.key for c in chapters), 41, 9)

    rendered, pdf = render(spec, part, chapters)

    numbers = [footer_number(page) for page in read_pdf(pdf).pages]
    assert numbers == [str(41 + i) for i in range(rendered.pages)]


@pytest.mark.parametrize(("profile", "layout"), LAYOUTS)
def test_chapter_and_product_pages_point_at_the_pages_that_carry_them(
    bodies, chapters, profile, layout
):
    _spec, _plan, rendered, reader = single(bodies, profile, layout)

    assert set(rendered.chapter_pages) == {chapter.key for chapter in chapters}
    for chapter in chapters:
        page = reader.pages[rendered.chapter_pages[chapter.key] - 1]
        assert chapter.title in page_text(page)
        for product in chapter.products:
            page = reader.pages[rendered.product_pages[product.sku] - 1]
            assert f"Art.-Nr. {product.sku}" in page_text(page)
            assert footer_number(page) == str(rendered.product_pages[product.sku])


@pytest.mark.parametrize(("profile", "layout"), LAYOUTS)
def test_the_planned_page_count_is_the_rendered_one(bodies, profile, layout):
    _spec, plan, rendered, reader = single(bodies, profile, layout)

    assert rendered.pages == len(reader.pages) == plan.body_pages
    assert rendered.problems == ()


def test_in_print_every_chapter_opens_on_a_right_hand_page(bodies):
    _spec, _plan, rendered, _reader = single(bodies, "print", "grid")

    assert sorted(rendered.chapter_pages.values()) == [1, 5, 7]


def test_rendering_in_parts_gives_the_same_pages_as_one_rendering(bodies, chapters):
    spec, _plan, [(whole, _)] = bodies["print", "pages"]

    plan, parts = render_plan(spec, chapters, part_pages=4)

    assert len(plan.parts) == 3
    assert [rendered.pages for rendered, _ in parts] == [part.pages for part in plan.parts]
    assert sum(rendered.pages for rendered, _ in parts) == whole.pages
    assert {k: v for rendered, _ in parts for k, v in rendered.chapter_pages.items()} == dict(
        whole.chapter_pages
    )
    assert {k: v for rendered, _ in parts for k, v in rendered.product_pages.items()} == dict(
        whole.product_pages
    )
    for part, (_rendered, pdf) in zip(plan.parts, parts, strict=True):
        assert footer_number(read_pdf(pdf).pages[0]) == str(part.first_page)


def test_the_print_profile_is_a4_with_3_mm_bleed(bodies):
    *_, reader = single(bodies, "print")

    for page in reader.pages:
        trim, bleed, media = page.trimbox, page.bleedbox, page.mediabox
        assert round(float(trim.width) / MM, 1) == 210.0
        assert round(float(trim.height) / MM, 1) == 297.0
        assert round(float(media.width) / MM, 1) == 216.0
        assert round(float(media.height) / MM, 1) == 303.0
        assert round((float(trim.left) - float(media.left)) / MM, 1) == 3.0
        assert float(media.left) <= float(bleed.left) < float(trim.left)
        assert float(trim.right) < float(bleed.right) <= float(media.right)


def test_the_print_profile_is_pdf_x_4_with_a_cmyk_output_intent(bodies):
    *_, reader = single(bodies, "print")

    [intent] = reader.trailer["/Root"]["/OutputIntents"]
    profile = intent["/DestOutputProfile"].get_object()

    assert intent["/S"] == "/GTS_PDFX"
    assert profile["/N"] == 4
    assert profile.get_data()[16:20] == b"CMYK"
    assert b"pdfxid:GTS_PDFXVersion" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()


def images_of(reader):
    """Every image XObject of the file, once (pages may share their resources)."""
    images = {}
    for page in reader.pages:
        for reference in page["/Resources"]["/XObject"].values():
            obj = reference.get_object()
            if obj["/Subtype"] == "/Image":
                images[reference.idnum] = obj
    return list(images.values())


def test_print_embeds_the_product_images_as_cmyk(bodies):
    *_, reader = single(bodies, "print")

    spaces = {image["/ColorSpace"] for image in images_of(reader)}

    assert spaces == {"/DeviceCMYK"}


def test_print_scales_images_down_to_300_dpi_at_their_printed_size(tmp_path):
    with media_root(tmp_path):
        huge = save_image("images/huge.png", png_bytes(6000, 3000))
        spec = doc_spec(profile="print")

        rendered, pdf = render(
            spec, PartPlan(0, ("a",), 1, 2), [Chapter("a", "A", (make_product("H-1", huge),))]
        )

    [image] = images_of(read_pdf(pdf))
    assert (image["/Width"], image["/Height"]) == (2126, 1063)  # 180 mm wide at 300 dpi
    assert rendered.problems == ()


def test_print_colours_are_process_colours_only(bodies):
    *_, reader = single(bodies, "print")
    streams = [page.get_contents().get_data() for page in reader.pages]
    for page in reader.pages:
        for obj in page["/Resources"]["/XObject"].values():
            if obj.get_object()["/Subtype"] == "/Form":  # the crop marks, the QR codes
                streams.append(obj.get_object().get_data())

    operators = set(re.findall(rb"\b(rg|RG|k|K|cs|CS)\b", b"\n".join(streams)))

    assert {b"cs", b"K"} <= operators  # CMYK text and fills; black ink for the crop marks
    assert not {b"rg", b"RG"} & operators  # no DeviceRGB, forbidden beside a CMYK intent


def test_the_screen_profile_is_a4_without_bleed_and_pdf_a(bodies):
    *_, reader = single(bodies, "screen")

    [intent] = reader.trailer["/Root"]["/OutputIntents"]
    assert intent["/S"] == "/GTS_PDFA1"
    for page in reader.pages:
        assert page.mediabox == page.trimbox
        assert round(float(page.mediabox.width) / MM, 1) == 210.0
        assert round(float(page.mediabox.height) / MM, 1) == 297.0


def test_on_screen_the_name_and_the_qr_code_link_to_the_shop(bodies):
    *_, rendered, reader = single(bodies, "screen")
    page = reader.pages[rendered.product_pages["K1-1"] - 1]

    uris = [
        annotation.get_object()["/A"]["/URI"]
        for annotation in page.get("/Annots", [])
        if annotation.get_object()["/Subtype"] == "/Link"
    ]

    assert set(uris) == {"https://shop.example.com/de/p/K1-1"}
    assert len(uris) >= 2  # the name and the QR code


def test_the_qr_code_is_vector_graphics(bodies):
    *_, rendered, reader = single(bodies, "print")
    page = reader.pages[rendered.product_pages["K1-1"] - 1]

    forms = [
        obj.get_object()
        for obj in page["/Resources"]["/XObject"].values()
        if obj.get_object()["/Subtype"] == "/Form"
    ]

    assert forms  # the SVG is drawn as a form of paths, not an image


def test_bookmarks_mirror_the_chapters(bodies, chapters):
    *_, reader = single(bodies, "print")

    titles = [item.title for item in reader.outline]

    assert titles == [chapter.title for chapter in chapters]


def test_every_font_is_embedded(bodies):
    *_, reader = single(bodies, "print")
    fonts = {}
    for page in reader.pages:
        for name, font in page["/Resources"]["/Font"].items():
            fonts[name] = font.get_object()

    assert fonts
    for font in fonts.values():
        if "/DescendantFonts" in font:
            font = font["/DescendantFonts"][0].get_object()
        descriptor = font["/FontDescriptor"].get_object()
        assert {"/FontFile2", "/FontFile3", "/FontFile"} & set(descriptor)


def test_a_chapter_without_products_takes_no_page_and_is_reported(chapters):
    empty = Chapter("leer", "Leeres Kapitel", ())
    part = PartPlan(0, ("leer", "kapitel-2"), 1, 2)

    rendered, _pdf = render(doc_spec(), part, [empty, chapters[1]])

    assert rendered.pages == 2
    assert "leer" not in rendered.chapter_pages
    assert [(p.sku, p.field) for p in rendered.problems] == [("", "chapter")]
    assert "Leeres Kapitel" in rendered.problems[0].message


def test_a_title_with_quotes_and_markup_is_printed_as_written_in_the_footer(chapters):
    title = 'Katalog "Herbst" \\ </style><p>2026'
    spec = doc_spec(title=title)

    _rendered, pdf = render(spec, PartPlan(0, ("kapitel-2",), 1, 2), [chapters[1]])

    assert title in page_text(read_pdf(pdf).pages[1])
