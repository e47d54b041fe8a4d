"""The printed catalogue: the live, approved content as a PDF (print shop or screen).

A ``DocumentChannel`` (see ``channels.documents``): ``plan`` does the page arithmetic of
the fixed grid (``layout``), ``render_part`` / ``render_front`` / ``render_back`` lay the
templates of ``templates/print/`` out with WeasyPrint (``render``, ``pages``, ``images``)
and report what they really laid out (``overflow``), ``layout_export`` writes the layout
studio's data-merge package (``data_merge``). ``assemble`` joins the files
(``assemble``), ``validate`` checks the result by the profile's PDF standard
(``pdf_rules``) and ``preview`` draws its first pages (``preview``).

Those modules are imported by the methods that use them: WeasyPrint, pypdf and pypdfium2
cost every process that loads the channel registry (web, every worker) about 60 MB and
seconds of imports, and only the render worker needs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from django.utils import formats, translation

from channels.documents import (
    Chapter,
    ChapterOutline,
    DocumentChannel,
    DocumentPlan,
    DocumentProblem,
    DocumentSpec,
    IndexEntry,
    PartPlan,
    RenderedPart,
    TocEntry,
)

from .layout import COVER_BOX_MM, layout_of, plan_document


def _in_part_order(part: PartPlan, chapters: Sequence[Chapter]) -> list[Chapter]:
    """``chapters`` in the part's order when they are its chapters, else as given."""
    by_key = {chapter.key: chapter for chapter in chapters}
    if set(by_key) == set(part.chapter_keys) and len(by_key) == len(chapters):
        return [by_key[key] for key in part.chapter_keys]
    return list(chapters)


class PrintCatalogueChannel(DocumentChannel):
    """The printed catalogue: one PDF per variant."""

    identifier = "print"
    name = "Print catalogue"
    required_fields = {
        "*": ("sku", "name", "long_text", "features", "images"),
        "de": ("documents",),
    }
    per_recipient = False
    sends = False

    def plan(
        self, spec: DocumentSpec, outlines: Sequence[ChapterOutline], *, part_pages: int
    ) -> DocumentPlan:
        return plan_document(spec, outlines, part_pages=part_pages)

    def render_part(
        self, spec: DocumentSpec, part: PartPlan, chapters: Sequence[Chapter], out: BinaryIO
    ) -> RenderedPart:
        from .images import ImagePreparer
        from .overflow import overflowing_boxes, page_anchors
        from .pages import body_views, laid_out_pages
        from .render import render_pdf

        problems: list[DocumentProblem] = []
        preparer = ImagePreparer(cmyk=spec.profile == "print")
        layout = layout_of(spec)
        with translation.override(spec.language):
            views, chapter_anchors, product_anchors = body_views(
                spec,
                _in_part_order(part, chapters),
                layout=layout,
                preparer=preparer,
                problems=problems,
            )
            rendered = render_pdf(
                "body.html",
                {
                    "chapters": views,
                    # Products left out since the plan (no text in the language) leave
                    # blank pages at the part's end: every later part keeps its numbers.
                    "fill": max(0, part.pages - laid_out_pages(views)),
                    "layout": layout,
                    "first_page": part.first_page,
                    "numbering": "decimal",
                },
                spec=spec,
                preparer=preparer,
                out=out,
            )
            problems.extend(overflowing_boxes(rendered.document))
        chapter_pages, product_pages = {}, {}
        for index, anchors in enumerate(page_anchors(rendered.document)):
            for anchor in anchors:
                if anchor in chapter_anchors:
                    chapter_pages[chapter_anchors[anchor]] = part.first_page + index
                elif anchor in product_anchors:
                    product_pages[product_anchors[anchor]] = part.first_page + index
        return RenderedPart(
            pages=rendered.pages,
            chapter_pages=chapter_pages,
            product_pages=product_pages,
            problems=tuple(problems),
        )

    def render_front(
        self, spec: DocumentSpec, toc: Sequence[TocEntry], out: BinaryIO
    ) -> RenderedPart:
        from .images import ImagePreparer
        from .overflow import overflowing_boxes
        from .pages import toc_lines
        from .render import render_pdf

        problems: list[DocumentProblem] = []
        preparer = ImagePreparer(cmyk=spec.profile == "print")
        with translation.override(spec.language):
            cover_url = ""
            if spec.cover_image_url:
                image, problem = preparer.prepare(
                    spec.cover_image_url, sku="", field="cover", box_mm=COVER_BOX_MM
                )
                cover_url = image.url if image is not None else ""
                if problem is not None:
                    problems.append(problem)
            rendered = render_pdf(
                "front.html",
                {
                    "cover_url": cover_url,
                    "date": formats.date_format(spec.generated_at, "DATE_FORMAT"),
                    "intro": spec.intro,
                    "toc": toc_lines(toc),
                    "layout": layout_of(spec),
                    "first_page": 1,
                    "numbering": "lower-roman",
                },
                spec=spec,
                preparer=preparer,
                out=out,
            )
            problems.extend(overflowing_boxes(rendered.document))
        return RenderedPart(pages=rendered.pages, problems=tuple(problems))

    def render_back(
        self, spec: DocumentSpec, index: Sequence[IndexEntry], first_page: int, out: BinaryIO
    ) -> RenderedPart:
        from .images import ImagePreparer
        from .pages import index_lines
        from .render import render_pdf

        preparer = ImagePreparer(cmyk=spec.profile == "print")
        with translation.override(spec.language):
            rendered = render_pdf(
                "back.html",
                {
                    "index": index_lines(index),
                    "layout": layout_of(spec),
                    "first_page": first_page,
                    "numbering": "decimal",
                },
                spec=spec,
                preparer=preparer,
                out=out,
            )
        return RenderedPart(pages=rendered.pages)

    def layout_export(self, spec: DocumentSpec, chapters: Iterable[Chapter], out: BinaryIO) -> int:
        from .data_merge import write_data_merge

        encoding = spec.options.get("data_merge_encoding", "utf-16")
        return write_data_merge(
            (product for chapter in chapters for product in chapter.products),
            out,
            language=spec.language,
            encoding=encoding,
        )

    def assemble(self, spec: DocumentSpec, files: Sequence[Path], out: BinaryIO) -> int:
        from pypdf import PdfReader

        from .assemble import assemble_pdf

        with Path(files[0]).open("rb") as front:
            front_pages = len(PdfReader(front).pages)
        return assemble_pdf(
            files,
            out,
            front_pages=front_pages,
            title=spec.title,
            language=spec.language,
            author=spec.publisher,
        )

    def validate(self, spec: DocumentSpec, path: Path) -> list[str]:
        from .pdf_rules import check_pdf

        return check_pdf(path, spec.profile)

    def preview(self, path: Path, *, pages: int = 4, width: int = 600) -> list[bytes]:
        from .preview import preview_pages

        return preview_pages(path, pages=pages, width=width)
