"""The contract of channels that lay the catalogue out as a document: the print catalogue.

A document channel does not send to people; it turns the live, approved product content
into one file (a PDF) that people pass on: a print shop, sales staff sending it by mail.
The hub (``campaigns.catalogues``) prepares every fact as frozen rows, as for feeds: the
products are ``channels.feeds.FeedProduct`` rows, grouped into ``Chapter``s (a category
each), and the catalogue's settings are a ``DocumentSpec``. The adapter never reads the
database.

Big documents are rendered in parts, in parallel, by several workers. So that the page
numbers run on across parts, the adapter's layout is planned: ``plan(spec, outlines)``
says how many pages each chapter takes (from its number of products alone, as a fixed
grid does) and groups the chapters into parts, each knowing its first page number. Then:

1. ``render_part(spec, part, chapters, out)`` renders one part's chapters (on any worker)
   and answers what it really laid out (``RenderedPart``: its pages, the page of each
   chapter and product, the problems it met). A part whose real page count differs from
   the plan shifts the parts after it: the hub renders those again with the real numbers.
2. ``render_front(spec, toc, out)`` renders the cover, the introduction (the variant's:
   the buying-centre role's audience message, else the catalogue's default) and the table
   of contents from the parts' real page numbers. The front matter is numbered apart (i,
   ii, iii, as books are), so the body's numbers never wait for it.
3. ``render_back(spec, index, first_page, out)`` renders the index of SKUs.
4. ``assemble(spec, files, out)`` joins the front, the parts and the back into one file,
   keeping each part's bookmarks, and ``validate(spec, path)`` checks the result against
   the receiver's rules (the profile's PDF standard): only a file without errors is kept.

"Render once per variant": the body is the same for every buying-centre role of one
profile, so it is rendered once; only the front matter is rendered per role.

A product or asset that cannot be shown as it should (an image that is missing or broken,
a text too long for its box) is a ``DocumentProblem`` in the answer, never an exception:
the document still renders.

Like ``channels.base``, this module imports no app.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Literal

from .base import BaseChannel
from .feeds import FeedProduct

# The print profile: "print" for the print shop (PDF/X, bleed, crop marks), "screen" for
# sending by mail (PDF/A, clickable links, small images).
Profile = Literal["print", "screen"]

# What price a catalogue shows: none, the public net list price, or a price group's.
PriceBasis = Literal["none", "list", "group"]


@dataclass(frozen=True)
class DocumentIntro:
    """The introduction of one variant of the document, as approved rich text."""

    headline: str
    body_html: str


@dataclass(frozen=True)
class DocumentSpec:
    """One catalogue's settings for one rendering.

    ``role`` is the buying-centre role of this variant ("" for the default one); it only
    changes ``intro``, so every role of one profile shares the rendered body.
    """

    key: str  # the catalogue's slug, unique in the hub
    title: str
    language: str  # a language code, e.g. "de"
    generated_at: datetime
    profile: Profile = "screen"
    role: str = ""
    intro: DocumentIntro | None = None
    cover_image_url: str = ""
    subtitle: str = ""
    price_basis: PriceBasis = "none"
    price_group: str = ""
    currency: str = "EUR"
    show_lead_time: bool = True
    publisher: str = ""  # the company, for the cover and the document's metadata
    options: Mapping[str, Any] = field(default_factory=dict)  # adapter-specific settings

    def price(self, product: FeedProduct) -> Decimal | None:
        """The net price this catalogue shows for ``product``, or None."""
        if self.price_basis == "list":
            return product.price
        if self.price_basis == "group" and self.price_group:
            return product.group_prices.get(self.price_group)
        return None


@dataclass(frozen=True)
class ChapterOutline:
    """A chapter as the plan sees it: which, and how many products."""

    key: str  # the category's slug
    title: str
    products: int


@dataclass(frozen=True)
class Chapter:
    """A chapter to render: a category and its live products, in the catalogue's order."""

    key: str
    title: str
    products: tuple[FeedProduct, ...]


@dataclass(frozen=True)
class PartPlan:
    """One part of the body: consecutive chapters, starting at ``first_page`` (1-based)."""

    index: int  # 0-based position of the part
    chapter_keys: tuple[str, ...]
    first_page: int
    pages: int  # planned


@dataclass(frozen=True)
class DocumentPlan:
    parts: tuple[PartPlan, ...]
    chapter_pages: Mapping[str, int]  # chapter key -> planned pages

    @property
    def body_pages(self) -> int:
        return sum(part.pages for part in self.parts)


@dataclass(frozen=True)
class DocumentProblem:
    """Something the document shows other than the content says; it still renders."""

    sku: str  # "" when not about a product (a chapter, the cover)
    field: str  # "images", "long_text", "features", "cover", ...
    message: str  # in the catalogue's language where the adapter can


@dataclass(frozen=True)
class RenderedPart:
    """What a rendering really laid out."""

    pages: int
    chapter_pages: Mapping[str, int] = field(default_factory=dict)  # chapter key -> its page
    product_pages: Mapping[str, int] = field(default_factory=dict)  # SKU -> its page
    problems: tuple[DocumentProblem, ...] = ()


@dataclass(frozen=True)
class TocEntry:
    key: str
    title: str
    page: int  # the body page number (as printed on the page)


@dataclass(frozen=True)
class IndexEntry:
    sku: str
    name: str
    page: int


class DocumentChannel(BaseChannel):
    """A channel that lays the catalogue out as a document (see the module's docstring)."""

    media_type: ClassVar[str] = "application/pdf"
    extension: ClassVar[str] = "pdf"

    def plan(
        self, spec: DocumentSpec, outlines: Sequence[ChapterOutline], *, part_pages: int
    ) -> DocumentPlan:
        """Chapters grouped into parts of about ``part_pages`` pages (a chapter is never
        split), each with its first page number."""
        raise NotImplementedError

    def render_part(
        self, spec: DocumentSpec, part: PartPlan, chapters: Sequence[Chapter], out: BinaryIO
    ) -> RenderedPart:
        raise NotImplementedError

    def render_front(
        self, spec: DocumentSpec, toc: Sequence[TocEntry], out: BinaryIO
    ) -> RenderedPart:
        raise NotImplementedError

    def render_back(
        self, spec: DocumentSpec, index: Sequence[IndexEntry], first_page: int, out: BinaryIO
    ) -> RenderedPart:
        raise NotImplementedError

    def assemble(self, spec: DocumentSpec, files: Sequence[Path], out: BinaryIO) -> int:
        """Join ``files`` (front, parts, back) into one document; how many pages it has."""
        raise NotImplementedError

    def validate(self, spec: DocumentSpec, path: Path) -> list[str]:
        """What is wrong with the assembled file by the profile's standard; [] when nothing."""
        raise NotImplementedError

    def layout_export(self, spec: DocumentSpec, chapters: Iterable[Chapter], out: BinaryIO) -> int:
        """The layout studio's package of the chapters' products (a zip); how many records."""
        raise NotImplementedError

    def preview(self, path: Path, *, pages: int = 4, width: int = 600) -> list[bytes]:
        """The first ``pages`` pages of a document as PNG images ``width`` pixels wide."""
        raise NotImplementedError
