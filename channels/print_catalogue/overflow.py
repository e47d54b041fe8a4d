"""What WeasyPrint laid out: each page's anchors, and the boxes whose content overflows.

The catalogue's boxes have fixed sizes and ``overflow: hidden``, so a text too long for its
box is cut, not pushed onto another page (the page count stays the plan's). WeasyPrint
still lays the whole content out inside the box and only clips it when painting, so a box
whose descendants reach below its own bottom edge is a text that the reader does not see
in full. Such boxes are marked in the templates with ``data-field`` (and ``data-sku`` for a
product's), and reported as ``DocumentProblem``s.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from channels.documents import DocumentProblem

# Half a point: rounding in the layout is not an overflow.
TOLERANCE = 0.5

FIELD_LABELS = {
    "name": gettext_noop("name"),
    "short_text": gettext_noop("short text"),
    "long_text": gettext_noop("long text"),
    "features": gettext_noop("feature table"),
    "intro": gettext_noop("introduction"),
}


def _descendants(box) -> Iterator:
    for child in getattr(box, "children", None) or ():
        yield child
        yield from _descendants(child)


def _content_bottom(box) -> float:
    bottom = box.content_box_y()
    for child in _descendants(box):
        if hasattr(child, "margin_height") and child.height is not None:
            bottom = max(bottom, child.position_y + child.margin_height())
    return bottom


def overflowing_boxes(document) -> list[DocumentProblem]:
    """Every box marked with ``data-field`` whose content is taller than the box, once per
    product and field, in document order."""
    problems: dict[tuple[str, str], DocumentProblem] = {}
    for page in document.pages:
        for box in _descendants(page._page_box):
            element = getattr(box, "element", None)
            if element is None or box.element_tag is None:
                continue
            field = element.get("data-field")
            if not field or getattr(box, "style", None) is None:
                continue
            if box.style["overflow"] == "visible":
                continue
            sku = element.get("data-sku", "")
            if (sku, field) in problems:
                continue
            bottom = box.content_box_y() + box.height
            if _content_bottom(box) > bottom + TOLERANCE:
                label = _(FIELD_LABELS.get(field, field))
                problems[sku, field] = DocumentProblem(
                    sku,
                    field,
                    _("The %(field)s is too long for its box and is cut off.") % {"field": label},
                )
    return list(problems.values())


def page_anchors(document) -> list[set[str]]:
    """The ids of the elements that begin on each page, page by page."""
    return [set(page.anchors) for page in document.pages]
