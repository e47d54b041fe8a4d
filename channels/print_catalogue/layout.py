"""The catalogue's page arithmetic: how many pages a chapter takes, and the parts' plan.

The body is a fixed grid, so a chapter's page count follows from its number of products
alone: an opener page with the chapter's title, then one product per page ("pages") or two
per page ("grid"). In the print profile every chapter is padded to an even number of pages
with a blank one, so each chapter opens on a right-hand page. A chapter without products
takes no page (the renderer reports it). Because the count is known before anything is
rendered, every part knows its first page number and the parts render in parallel. A part
that shows fewer products than its plan counted (one withdrawn since, or without a text in
the catalogue's language) ends with blank pages up to its planned count, so no later part
moves; the boxes are fixed (``overflow: hidden``), so no text adds a page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from channels.documents import ChapterOutline, DocumentPlan, DocumentSpec, PartPlan

Layout = Literal["pages", "grid"]

PRODUCTS_PER_PAGE: dict[str, int] = {"pages": 1, "grid": 2}
OPENER_PAGES = 1
# The product image's box (width, height) in millimetres per layout, as in catalogue.css.
IMAGE_BOX_MM: dict[str, tuple[float, float]] = {"pages": (180, 92), "grid": (180, 40)}
# The cover image fills the page and, in print, the 3 mm bleed around it.
COVER_BOX_MM = (216, 303)


def layout_of(spec: DocumentSpec) -> Layout:
    """The spec's layout; "pages" unless the options name another known one."""
    layout = spec.options.get("layout", "pages")
    return layout if layout in PRODUCTS_PER_PAGE else "pages"


def pads_chapters(spec: DocumentSpec) -> bool:
    """Whether chapters open on right-hand pages (the print profile's book rule)."""
    return spec.profile == "print"


def product_page_count(products: int, layout: Layout) -> int:
    return math.ceil(products / PRODUCTS_PER_PAGE[layout])


def chapter_page_count(products: int, *, layout: Layout, pad_to_even: bool) -> int:
    """The pages of a chapter of ``products`` products: opener, products, padding."""
    if products <= 0:
        return 0
    pages = OPENER_PAGES + product_page_count(products, layout)
    if pad_to_even and pages % 2:
        pages += 1
    return pages


def plan_document(
    spec: DocumentSpec, outlines: Sequence[ChapterOutline], *, part_pages: int
) -> DocumentPlan:
    """Chapters in order, grouped into parts of about ``part_pages`` pages each.

    A part is closed before a chapter when adding it would take the part further from
    ``part_pages`` than stopping does; a chapter is never split, so a chapter longer than
    ``part_pages`` is a part on its own. Chapters without products take no pages and stay
    in the part they fall into (so the hub still gets a report for them).
    """
    if part_pages < 1:
        raise ValueError("part_pages must be at least 1.")
    layout, pad = layout_of(spec), pads_chapters(spec)
    counts = {
        outline.key: chapter_page_count(outline.products, layout=layout, pad_to_even=pad)
        for outline in outlines
    }
    groups: list[list[str]] = []
    pages_in_group = 0
    for outline in outlines:
        pages = counts[outline.key]
        if groups and pages_in_group > 0:
            over = pages_in_group + pages - part_pages
            if over > 0 and over >= part_pages - pages_in_group:
                groups.append([])
                pages_in_group = 0
        if not groups:
            groups.append([])
        groups[-1].append(outline.key)
        pages_in_group += pages
    parts = []
    first_page = 1
    for index, keys in enumerate(groups):
        pages = sum(counts[key] for key in keys)
        parts.append(PartPlan(index, tuple(keys), first_page, pages))
        first_page += pages
    return DocumentPlan(parts=tuple(parts), chapter_pages=counts)
