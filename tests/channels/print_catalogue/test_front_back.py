"""The front matter (cover, introduction, contents) and the index of SKUs."""

import io

import pypdfium2
import pytest

from channels.documents import DocumentIntro, IndexEntry, TocEntry
from channels.print_catalogue import PrintCatalogueChannel
from tests.channels.print_catalogue.builders import (
    doc_spec,
    footer_number,
    media_root,
    page_text,
    read_pdf,
    save_image,
)
from tests.factories import png_bytes

pytestmark = pytest.mark.usefixtures("english")

CHANNEL = PrintCatalogueChannel("print")
TOC = [
    TocEntry("kapitel-1", "Akkuwerkzeuge", 1),
    TocEntry("kapitel-2", "Messtechnik", 5),
    TocEntry("kapitel-3", "Zubehör", 17),
]
PURCHASING = DocumentIntro("Für den Einkauf", "<p>Konditionen, die <strong>rechnen</strong>.</p>")


@pytest.fixture(scope="module")
def cover_url(tmp_path_factory):
    with media_root(tmp_path_factory.mktemp("media")):
        yield save_image("images/cover.png", png_bytes(1300, 1800, colour="red"))


def front(spec):
    out = io.BytesIO()
    rendered = CHANNEL.render_front(spec, TOC, out)
    return rendered, out.getvalue()


@pytest.fixture(scope="module")
def print_front(cover_url):
    spec = doc_spec(profile="print", role="purchasing", intro=PURCHASING, cover_image_url=cover_url)
    return front(spec)


def test_the_front_shows_the_roles_introduction(print_front):
    rendered, pdf = print_front

    text = " ".join(page_text(page) for page in read_pdf(pdf).pages)

    assert "Für den Einkauf" in text
    assert "Konditionen, die rechnen." in text
    assert rendered.pages == len(read_pdf(pdf).pages) == 3
    assert rendered.problems == ()


def test_the_cover_shows_title_subtitle_publisher_and_date(print_front):
    _rendered, pdf = print_front

    text = page_text(read_pdf(pdf).pages[0])

    assert "Herbstkatalog 2026" in text
    assert "Werkzeuge und Zubehör" in text
    assert "ACME Tools GmbH" in text
    assert "1. Dezember 2026" in text


def test_the_contents_list_every_chapter_with_its_page(print_front):
    _rendered, pdf = print_front

    text = page_text(read_pdf(pdf).pages[2])

    assert "Inhalt" in text
    for entry in TOC:
        assert f"{entry.title} ." in text  # then the dot leader
        assert text.index(entry.title) < text.index(f" {entry.page} ", text.index(entry.title))


def test_the_front_matter_is_numbered_in_roman_and_the_cover_is_not(print_front):
    _rendered, pdf = print_front

    numbers = [footer_number(page) for page in read_pdf(pdf).pages]

    assert numbers == ["", "ii", "iii"]


def test_the_contents_have_a_bookmark(print_front):
    _rendered, pdf = print_front

    assert [item.title for item in read_pdf(pdf).outline] == ["Inhalt"]


def test_in_print_the_cover_image_fills_the_bleed(print_front):
    _rendered, pdf = print_front
    page = pypdfium2.PdfDocument(pdf)[0]

    image = page.render(scale=0.5, crop=(0, 0, 0, 0)).to_pil().convert("RGB")

    # 1 mm inside the media box: beyond the trim (3 mm in), within the bleed.
    red, green, blue = image.getpixel((round(1 / 25.4 * 72 * 0.5), image.height // 2))
    assert red > 150 and green < 100 and blue < 100


def test_a_cover_image_that_cannot_be_read_is_a_problem():
    spec = doc_spec(cover_image_url="http://testserver/media/images/nowhere.png")

    rendered, pdf = front(spec)

    assert [(p.sku, p.field) for p in rendered.problems] == [("", "cover")]
    assert read_pdf(pdf).pages


def test_an_introduction_too_long_for_its_page_is_reported():
    long = "<p>" + " ".join(["Ein langer Satz über unser Sortiment."] * 900) + "</p>"
    spec = doc_spec(intro=DocumentIntro("Willkommen", long))

    rendered, pdf = front(spec)

    assert [(p.sku, p.field) for p in rendered.problems] == [("", "intro")]
    assert rendered.pages == len(read_pdf(pdf).pages) == 3


@pytest.fixture(scope="module")
def back():
    index = [IndexEntry(f"SKU-{n:03}", f"Artikel {n}", 2 + n // 2) for n in range(150, 0, -1)]
    out = io.BytesIO()
    rendered = CHANNEL.render_back(doc_spec(profile="screen"), index, 81, out)
    return rendered, read_pdf(out.getvalue())


def test_the_index_lists_every_sku_with_its_name_and_page(back):
    _rendered, reader = back

    text = " ".join(page_text(page) for page in reader.pages)

    for n in (1, 77, 150):
        assert f"SKU-{n:03} Artikel {n} ." in text
        assert f" {2 + n // 2} " in text[text.index(f"SKU-{n:03}") :][:200]
    assert text.index("SKU-001") < text.index("SKU-002") < text.index("SKU-150")


def test_the_index_continues_the_body_page_numbers(back):
    rendered, reader = back

    numbers = [footer_number(page) for page in reader.pages]

    assert rendered.pages == len(reader.pages) > 1
    assert numbers == [str(81 + i) for i in range(rendered.pages)]


def test_the_index_has_a_bookmark(back):
    _rendered, reader = back

    assert [item.title for item in reader.outline] == ["Register"]


def test_the_index_is_set_in_two_columns(back):
    _rendered, reader = back
    lefts = set()

    def visit(text, cm, tm, font, size):
        if text.startswith("SKU-"):
            lefts.add(round(tm[4] * cm[0] + cm[4]))

    reader.pages[0].extract_text(visitor_text=visit)

    assert len(lefts) == 2
