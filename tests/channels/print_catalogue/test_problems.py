"""Bad input never breaks the catalogue: each problem is reported with its product and field."""

import dataclasses
import http.server
import io
import threading

import pytest

from channels.documents import Chapter, PartPlan
from channels.print_catalogue import PrintCatalogueChannel
from tests.channels.print_catalogue.builders import (
    doc_spec,
    footer_number,
    media_root,
    page_text,
    product,
    read_pdf,
    save_image,
)
from tests.factories import png_bytes

pytestmark = pytest.mark.usefixtures("english")

CHANNEL = PrintCatalogueChannel("print")
LONG = " ".join(["Ein sehr langer Absatz über das Werkzeug."] * 400)


class Recorder(http.server.BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_GET(self):
        Recorder.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(png_bytes(colour="red"))

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def internal_service():
    Recorder.paths = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module", params=["screen", "print"])
def rendered(request, tmp_path_factory, internal_service):
    """One chapter of bad products and a good one, rendered in both profiles."""
    with media_root(tmp_path_factory.mktemp("media")):
        good = save_image("images/good.png", png_bytes(1200, 900))
        coarse = save_image("images/coarse.png", png_bytes(64, 48))
        corrupt = save_image("images/corrupt.png", b"\x89PNG\r\n\x1a\n not really")
        english = product("EN-1", good)
        products = (
            product("OK-1", good),
            product("COARSE-1", coarse),
            product("MISSING-1", "http://testserver/media/images/missing.png"),
            product("CORRUPT-1", corrupt),
            product("REFUSED-1", f"{internal_service}/image.png"),
            product("LONG-1", good, long_text=LONG),
            product(
                "SSRF-1",
                good,
                long_html=f'<p>Siehe <img src="{internal_service}/secret"> Bild.</p>',
            ),
            product("NOIMAGE-1", ""),
            dataclasses.replace(english, texts={"en": english.text("de")}),
        )
        spec = doc_spec(profile=request.param)
        part = PartPlan(0, ("werkzeug",), 1, 9)
        out = io.BytesIO()
        result = CHANNEL.render_part(spec, part, [Chapter("werkzeug", "Werkzeug", products)], out)
        yield result, read_pdf(out.getvalue())


def is_print(reader):
    return reader.pages[0].trimbox != reader.pages[0].mediabox  # with bleed


def problems_of(result):
    return {(problem.sku, problem.field) for problem in result.problems}


def test_the_catalogue_still_renders_every_product_that_has_a_text(rendered):
    result, reader = rendered

    # The opener and 8 products; in print a blank page too, so that chapters stay even.
    assert result.pages == len(reader.pages) == (10 if is_print(reader) else 9)
    assert set(result.product_pages) == {
        "OK-1",
        "COARSE-1",
        "MISSING-1",
        "CORRUPT-1",
        "REFUSED-1",
        "LONG-1",
        "SSRF-1",
        "NOIMAGE-1",
    }


@pytest.mark.parametrize("sku", ["MISSING-1", "CORRUPT-1", "REFUSED-1", "NOIMAGE-1"])
def test_an_image_that_cannot_be_shown_is_a_placeholder_and_a_problem(rendered, sku):
    result, reader = rendered

    page = reader.pages[result.product_pages[sku] - 1]

    assert (sku, "images") in problems_of(result)
    assert "Kein Bild" in page_text(page)


def test_a_readable_image_is_no_problem(rendered):
    result, reader = rendered

    assert ("OK-1", "images") not in problems_of(result)
    assert "Kein Bild" not in page_text(reader.pages[result.product_pages["OK-1"] - 1])


def test_in_print_an_image_too_coarse_for_its_box_is_shown_and_reported(rendered):
    result, reader = rendered
    problems = [p for p in result.problems if p.sku == "COARSE-1"]

    page = page_text(reader.pages[result.product_pages["COARSE-1"] - 1])

    assert "Kein Bild" not in page
    if is_print(reader):
        assert [(p.field, "dpi" in p.message) for p in problems] == [("images", True)]
    else:
        assert problems == []


def test_a_text_too_long_for_its_box_is_reported_and_the_page_count_kept(rendered):
    result, reader = rendered

    assert ("LONG-1", "long_text") in problems_of(result)
    assert [sku for sku, field in problems_of(result) if field == "long_text"] == ["LONG-1"]
    page = result.product_pages["LONG-1"]
    assert footer_number(reader.pages[page]) == str(page + 1)  # the next product, next page


def test_a_product_without_a_text_in_the_catalogues_language_is_left_out(rendered):
    result, reader = rendered

    assert ("EN-1", "texts") in problems_of(result)
    assert "EN-1" not in result.product_pages
    assert "EN-1" not in " ".join(page_text(page) for page in reader.pages)


def test_an_image_in_the_long_text_is_not_fetched_from_another_host(rendered):
    result, reader = rendered

    text = page_text(reader.pages[result.product_pages["SSRF-1"] - 1])

    assert "Siehe Bild." in text  # the rich text is laid out as HTML, its <img> included
    assert "<img" not in text
    assert Recorder.paths == []


def test_problems_carry_a_message(rendered):
    result, _reader = rendered

    assert all(problem.message for problem in result.problems)
