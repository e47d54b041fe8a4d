"""The plan's page arithmetic is what WeasyPrint really lays out, whatever the content.

Parts render in parallel only because each knows its first page before anything is
rendered: a part that lays out another number of pages than planned makes the hub render
every later part again, one after the other.
"""

import dataclasses
import io

import pytest

from channels.documents import Chapter, PartPlan
from channels.print_catalogue import PrintCatalogueChannel
from tests.channels.print_catalogue.builders import (
    doc_spec,
    footer_number,
    media_root,
    outlines,
    product,
    read_pdf,
    save_image,
)
from tests.factories import png_bytes

CHANNEL = PrintCatalogueChannel("print")
LAYOUTS = [(profile, layout) for profile in ("print", "screen") for layout in ("pages", "grid")]
LONG = " ".join(["Ein sehr langer Absatz über das Werkzeug und sein Zubehör."] * 300)


@pytest.fixture(scope="module")
def chapters(tmp_path_factory):
    """Chapters of 1, 2 and 3 products (odd and even page counts in both layouts) with a
    long text, a missing, a corrupt and no image, a long name, many features."""
    with media_root(tmp_path_factory.mktemp("media")):
        good = save_image("images/good.png", png_bytes(600, 450))
        corrupt = save_image("images/corrupt.png", b"\x89PNG\r\n\x1a\n kaputt")
        missing = "http://testserver/media/images/missing.png"
        many = product("F-1", good).text("de").features * 40
        yield [
            Chapter("eins", "Eins", (product("E-1", good, long_text=LONG),)),
            Chapter(
                "zwei",
                "Zwei " * 40,
                (product("Z-1", missing), product("Z-2", corrupt, name="Name " * 80)),
            ),
            Chapter(
                "drei",
                "Drei",
                (
                    product("D-1", ""),
                    product("D-2", good, features=many, short_text="Kurz " * 200),
                    product("D-3", good, long_html="<ul>" + "<li>Punkt</li>" * 300 + "</ul>"),
                ),
            ),
        ]


def render(spec, part, chapters):
    out = io.BytesIO()
    rendered = CHANNEL.render_part(spec, part, chapters, out)
    return rendered, read_pdf(out.getvalue())


@pytest.mark.parametrize(("profile", "layout"), LAYOUTS)
def test_every_part_lays_out_the_pages_the_plan_gave_it(chapters, profile, layout):
    spec = doc_spec(profile=profile, options={"layout": layout})
    plan = CHANNEL.plan(spec, outlines(chapters), part_pages=3)
    by_key = {chapter.key: chapter for chapter in chapters}

    for part in plan.parts:
        rendered, reader = render(spec, part, [by_key[key] for key in part.chapter_keys])

        assert rendered.pages == len(reader.pages) == part.pages
        opens = part.first_page
        for key in part.chapter_keys:
            assert rendered.chapter_pages[key] == opens
            opens += plan.chapter_pages[key]
    assert len(plan.parts) > 1


@pytest.mark.parametrize(("profile", "layout"), LAYOUTS)
def test_a_product_left_out_since_the_plan_keeps_the_parts_pages(chapters, profile, layout):
    spec = doc_spec(profile=profile, options={"layout": layout})
    plan = CHANNEL.plan(spec, outlines(chapters), part_pages=1000)
    [part] = plan.parts
    english = dataclasses.replace(
        chapters[2].products[0], texts={"en": chapters[2].products[0].text("de")}
    )
    # D-1 has no German text any more: the part shows two products of the third chapter.
    body = [
        *chapters[:2],
        dataclasses.replace(chapters[2], products=(english, *chapters[2].products[1:])),
    ]

    rendered, reader = render(spec, part, body)

    assert rendered.pages == len(reader.pages) == part.pages
    assert "D-1" not in rendered.product_pages
    assert [rendered.chapter_pages[key] for key in ("eins", "zwei", "drei")] == [
        1,
        1 + plan.chapter_pages["eins"],
        1 + plan.chapter_pages["eins"] + plan.chapter_pages["zwei"],
    ]
    # The pages it did not need are blank: no footer, no number.
    assert footer_number(reader.pages[-1]) == ""


def test_a_part_left_with_nothing_to_show_still_fills_its_pages(chapters):
    spec = doc_spec(profile="print")
    english = dataclasses.replace(
        chapters[0].products[0], texts={"en": chapters[0].products[0].text("de")}
    )
    part = PartPlan(0, ("eins",), 5, 2)

    rendered, reader = render(spec, part, [dataclasses.replace(chapters[0], products=(english,))])

    assert rendered.pages == len(reader.pages) == 2
    assert rendered.chapter_pages == {}
