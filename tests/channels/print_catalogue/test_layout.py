"""The plan: a chapter's pages follow from its products alone; parts run on page by page."""

import pytest

from channels.documents import ChapterOutline
from channels.print_catalogue import PrintCatalogueChannel
from channels.print_catalogue.layout import chapter_page_count
from tests.channels.print_catalogue.builders import doc_spec

CHANNEL = PrintCatalogueChannel("print")


def outlines(*sizes: int) -> list[ChapterOutline]:
    return [ChapterOutline(f"c{n}", f"Chapter {n}", size) for n, size in enumerate(sizes)]


@pytest.mark.parametrize(
    ("products", "layout", "pad", "pages"),
    [
        (1, "pages", False, 2),
        (3, "pages", False, 4),
        (4, "pages", True, 6),
        (3, "pages", True, 4),
        (2, "pages", True, 4),
        (3, "grid", False, 3),
        (4, "grid", False, 3),
        (3, "grid", True, 4),
        (1, "grid", True, 2),
        (0, "pages", True, 0),
    ],
)
def test_a_chapter_takes_an_opener_and_its_product_pages(products, layout, pad, pages):
    assert chapter_page_count(products, layout=layout, pad_to_even=pad) == pages


def test_in_print_every_chapter_has_an_even_page_count_so_each_opens_on_a_right_page():
    plan = CHANNEL.plan(doc_spec(profile="print"), outlines(1, 2, 5, 4), part_pages=8)

    assert all(pages % 2 == 0 for pages in plan.chapter_pages.values())
    assert [part.first_page % 2 for part in plan.parts] == [1] * len(plan.parts)


def test_the_screen_profile_does_not_pad():
    plan = CHANNEL.plan(doc_spec(profile="screen"), outlines(2, 2), part_pages=100)

    assert plan.chapter_pages == {"c0": 3, "c1": 3}
    assert plan.body_pages == 6


def test_the_grid_layout_puts_two_products_on_a_page():
    spec = doc_spec(profile="screen", options={"layout": "grid"})

    plan = CHANNEL.plan(spec, outlines(5), part_pages=100)

    assert plan.chapter_pages == {"c0": 4}


def test_parts_are_contiguous_with_continuous_first_pages_and_whole_chapters():
    sizes = (3, 7, 1, 12, 2, 2, 5, 9)

    plan = CHANNEL.plan(doc_spec(profile="print"), outlines(*sizes), part_pages=10)

    keys = [key for part in plan.parts for key in part.chapter_keys]
    assert keys == [f"c{n}" for n in range(len(sizes))]
    assert [part.index for part in plan.parts] == list(range(len(plan.parts)))
    first = 1
    for part in plan.parts:
        assert part.first_page == first
        assert part.pages == sum(plan.chapter_pages[key] for key in part.chapter_keys)
        first += part.pages
    assert plan.body_pages == sum(plan.chapter_pages.values())


def test_parts_are_about_the_asked_size():
    plan = CHANNEL.plan(doc_spec(profile="screen"), outlines(*[3] * 20), part_pages=16)

    assert [part.pages for part in plan.parts] == [16, 16, 16, 16, 16]


def test_a_chapter_longer_than_a_part_is_a_part_of_its_own():
    plan = CHANNEL.plan(doc_spec(profile="screen"), outlines(2, 40, 2), part_pages=10)

    assert [part.chapter_keys for part in plan.parts] == [("c0",), ("c1",), ("c2",)]


def test_no_chapters_no_parts():
    plan = CHANNEL.plan(doc_spec(), [], part_pages=10)

    assert plan.parts == ()
    assert plan.body_pages == 0
