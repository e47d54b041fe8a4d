"""Images of a document's first pages for the admin."""

import io

import pytest
from PIL import Image

from channels.print_catalogue.preview import preview_pages
from tests.channels.print_catalogue.pdf_samples import render, screen_part


@pytest.fixture(scope="module")
def three_pages(tmp_path_factory):
    return screen_part(tmp_path_factory.mktemp("preview") / "doc.pdf", ["Drills", "Saws", "Index"])


def _image(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_pages_are_png_images_of_the_asked_width_and_the_pages_aspect(three_pages):
    images = preview_pages(three_pages, pages=2, width=300)

    assert len(images) == 2
    for data in images:
        image = _image(data)
        assert image.format == "PNG"
        assert image.size == (300, 424)  # A4: 300 * 297 / 210


def test_a_shorter_document_gives_fewer_images(three_pages):
    images = preview_pages(three_pages, pages=4)

    assert len(images) == 3
    assert _image(images[0]).width == 600


def test_a_page_with_black_text_has_dark_pixels_and_a_blank_page_none(three_pages, tmp_path):
    blank = render(
        "<html><body style='break-before: page'><p style='color: white'>.</p></body></html>",
        tmp_path / "blank.pdf",
        "pdf/a-2b",
    )

    text_page = _image(preview_pages(three_pages, pages=1)[0]).convert("L")
    blank_page = _image(preview_pages(blank, pages=1)[0]).convert("L")

    assert text_page.getextrema()[0] < 80
    assert blank_page.getextrema()[0] > 200
