"""What the catalogue's pages show: the templates' context, built from the hub's rows.

Everything a template prints is prepared here, in the catalogue's language: the product's
approved texts, its feature rows, its price (net, in the language's number format) and
lead time, its first image (read and checked by ``ImagePreparer``; a placeholder when it
cannot be shown) and a QR code to its shop page. Products and chapters carry anchors
(``id``s) so the renderer finds, after layout, the page each one landed on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels.documents import (
    Chapter,
    DocumentProblem,
    DocumentSpec,
    IndexEntry,
    TocEntry,
)
from channels.feeds import FeedFeature, FeedProduct

from .images import ImagePreparer
from .layout import IMAGE_BOX_MM, PRODUCTS_PER_PAGE, Layout, pads_chapters
from .render import qr_data_url


@dataclass(frozen=True)
class FeatureRow:
    name: str
    value: str
    unit: str


@dataclass(frozen=True)
class ProductView:
    anchor: str
    sku: str
    name: str
    url: str
    short_text: str
    long_html: str  # the sanitised rich text approved in the hub (shown as HTML)
    features: tuple[FeatureRow, ...]
    image_url: str  # "" draws the placeholder
    image_alt: str
    price: str
    lead_time: str
    qr: str


@dataclass(frozen=True)
class ChapterView:
    anchor: str
    key: str
    title: str
    pages: tuple[tuple[ProductView, ...], ...]
    pad: bool


def product_anchor(number: int) -> str:
    return f"product-{number}"


def chapter_anchor(number: int) -> str:
    return f"chapter-{number}"


def format_price(spec: DocumentSpec, product: FeedProduct) -> str:
    """The catalogue's net price of ``product`` in the current language, or ""."""
    price = spec.price(product)
    if price is None:
        return ""
    amount = number_format(price, decimal_pos=2, use_l10n=True, force_grouping=True)
    return _("%(amount)s %(currency)s net") % {
        "amount": amount,
        "currency": product.currency or spec.currency,
    }


def format_lead_time(spec: DocumentSpec, product: FeedProduct) -> str:
    days = product.lead_time_days
    if not spec.show_lead_time or days is None:
        return ""
    return ngettext("Lead time: %(days)d working day", "Lead time: %(days)d working days", days) % {
        "days": days
    }


def _feature_value(feature: FeedFeature) -> str:
    if feature.etim_type == "L" or feature.value.lower() in ("true", "false"):
        if feature.value.lower() == "true":
            return _("yes")
        if feature.value.lower() == "false":
            return _("no")
    return feature.value


def product_view(
    spec: DocumentSpec,
    product: FeedProduct,
    number: int,
    preparer: ImagePreparer,
    problems: list[DocumentProblem],
    *,
    layout: Layout = "pages",
) -> ProductView | None:
    """What the page shows of ``product``; None (and a problem) without a text in the
    catalogue's language: nothing unapproved or in another language is printed."""
    text = product.text(spec.language)
    if text is None:
        problems.append(
            DocumentProblem(
                product.sku,
                "texts",
                _("The product has no approved text in %(language)s and is left out.")
                % {"language": spec.language},
            )
        )
        return None
    image_url, image_alt = "", ""
    if product.images:
        asset = product.images[0]
        image, problem = preparer.prepare(asset.url, sku=product.sku, box_mm=IMAGE_BOX_MM[layout])
        if image is not None:
            image_url, image_alt = image.url, asset.description or text.name
        if problem is not None:
            problems.append(problem)
    else:
        problems.append(DocumentProblem(product.sku, "images", _("The product has no image.")))
    return ProductView(
        anchor=product_anchor(number),
        sku=product.sku,
        name=text.name,
        url=text.url,
        short_text=text.short_text,
        long_html=text.long_html,
        features=tuple(
            FeatureRow(feature.name, _feature_value(feature), feature.unit)
            for feature in text.features
        ),
        image_url=image_url,
        image_alt=image_alt,
        price=format_price(spec, product),
        lead_time=format_lead_time(spec, product),
        qr=qr_data_url(text.url, profile=spec.profile) if text.url else "",
    )


def body_views(
    spec: DocumentSpec,
    chapters: Sequence[Chapter],
    *,
    layout: Layout,
    preparer: ImagePreparer,
    problems: list[DocumentProblem],
) -> tuple[list[ChapterView], dict[str, str], dict[str, str]]:
    """The chapters as the body template shows them, and which anchor is which chapter
    key and which SKU."""
    per_page = PRODUCTS_PER_PAGE[layout]
    views, chapter_keys, skus = [], {}, {}
    number = 0
    for chapter_number, chapter in enumerate(chapters):
        products = []
        for product in chapter.products:
            view = product_view(spec, product, number, preparer, problems, layout=layout)
            number += 1
            if view is not None:
                products.append(view)
                skus[view.anchor] = view.sku
        if not products:
            problems.append(
                DocumentProblem(
                    "",
                    "chapter",
                    _("The chapter “%(title)s” has no product to show and is left out.")
                    % {"title": chapter.title},
                )
            )
            continue
        pages = tuple(
            tuple(products[start : start + per_page]) for start in range(0, len(products), per_page)
        )
        anchor = chapter_anchor(chapter_number)
        chapter_keys[anchor] = chapter.key
        views.append(
            ChapterView(
                anchor=anchor,
                key=chapter.key,
                title=chapter.title,
                pages=pages,
                pad=pads_chapters(spec) and (1 + len(pages)) % 2 == 1,
            )
        )
    return views, chapter_keys, skus


def laid_out_pages(views: Sequence[ChapterView]) -> int:
    """The pages ``body.html`` lays ``views`` out on: per chapter its opener, its product
    pages and its blank page (fixed boxes, so nothing else moves a page)."""
    return sum(1 + len(view.pages) + (1 if view.pad else 0) for view in views)


@dataclass(frozen=True)
class TocLine:
    title: str
    page: int


def toc_lines(toc: Sequence[TocEntry]) -> list[TocLine]:
    return [TocLine(entry.title, entry.page) for entry in toc]


def index_lines(index: Sequence[IndexEntry]) -> list[IndexEntry]:
    """The index's entries in SKU order (as a reader looks an article number up)."""
    return sorted(index, key=lambda entry: (entry.sku.casefold(), entry.page))
