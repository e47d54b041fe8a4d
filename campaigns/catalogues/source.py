"""A catalogue's published revision and its live products, as the document contract's rows.

Only approved content is ever printed: the catalogue's settings come from the revision the
run was queued with (its live revision then, never a draft), the products are the live
versions (``content.feed_source`` reads live rows only), the introduction is a live audience
message or the catalogue's own.

A chapter is a category of the catalogue, in its order, with its live products (and those
of the categories below it); a product in several of the catalogue's categories is printed
only in the first. Products the print channel finds incomplete are left out, and a
category left with no product gets no chapter: both are problems of the run, not failures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from wagtail.images import get_image_model

from campaigns.feeds.products import Candidate, feed_candidates
from campaigns.models import Catalogue, CatalogueRun
from campaigns.models.catalogues import CatalogueProfile, PriceBasis
from campaigns.personalisation import most_specific_message
from channels.documents import Chapter, ChapterOutline, DocumentIntro, DocumentSpec
from channels.feeds import FeedAsset, FeedProduct
from content.rich_text import rich_text_html
from content.selectors import live_messages

CHANNEL_KEY = "print"
# Images of the screen profile: small enough to mail, sharp enough to read on a screen.
SCREEN_RENDITION = "max-1200x1200"


@dataclass(frozen=True)
class ChapterSource:
    """A category of the catalogue and the live products it prints."""

    key: str  # the category's slug
    title: str
    products: tuple[Candidate, ...]


@dataclass(frozen=True)
class SourceProblem:
    sku: str
    product_id: int | None
    field: str
    message: str


@dataclass(frozen=True)
class Outline:
    """What ``catalogue_plan`` lays out: the chapters, the products of each, the problems."""

    outlines: tuple[ChapterOutline, ...]
    skus: dict[str, list[str]]  # chapter key -> SKUs it prints, in order
    problems: tuple[SourceProblem, ...]


def live_catalogue(catalogue: Catalogue, revision=None) -> Catalogue:
    """The catalogue as its published revision (or ``revision``) has it, chapters included."""
    revision = revision or catalogue.live_revision
    if revision is None:
        raise ValueError(_("The catalogue has no approved version."))
    return revision.as_object()


def run_catalogue(run: CatalogueRun) -> Catalogue:
    """The catalogue as the revision ``run`` was queued with has it."""
    if run.revision is None:
        raise ValueError(_("The approved version this run was queued with was deleted."))
    return run.revision.as_object()


def _absolute(url: str) -> str:
    return url if "://" in url else settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url


def _image_url(image, profile: str) -> str:
    if profile == CatalogueProfile.PRINT:
        return _absolute(image.file.url)
    return _absolute(image.get_rendition(SCREEN_RENDITION).url)


def _intro(live: Catalogue, role: str) -> DocumentIntro | None:
    if role:
        message = most_specific_message(
            live_messages(locale=live.language, require_live_product=False).order_by("pk"),
            None,
            role,
            live.intro_phase,
        )
        # Only the role's own message: a message for every role is no version of its own.
        if message is not None and message.role == role:
            return DocumentIntro(message.headline, rich_text_html(message.body or ""))
    if not live.intro_headline and not live.intro:
        return None
    return DocumentIntro(live.intro_headline, rich_text_html(live.intro or ""))


def document_spec(catalogue: Catalogue, run: CatalogueRun, *, role: str = "") -> DocumentSpec:
    """The settings of ``run`` (the approved revision it was queued with) for the version of
    ``role`` ("" for the default one)."""
    live = run_catalogue(run)
    cover_image = (
        get_image_model().objects.filter(pk=live.cover_image_id).first()
        if live.cover_image_id
        else None
    )
    return DocumentSpec(
        key=catalogue.slug,
        title=live.title,
        language=live.language,
        generated_at=run.started_at,
        profile=run.profile or live.profile,
        role=role,
        intro=_intro(live, role),
        cover_image_url=_image_url(cover_image, run.profile) if cover_image else "",
        subtitle=live.subtitle,
        price_basis=live.price_basis,
        price_group=live.price_group if live.price_basis == PriceBasis.GROUP else "",
        show_lead_time=live.show_lead_time,
        publisher=getattr(settings, "HUB_CATALOGUE_PUBLISHER", ""),
        options={"layout": live.layout, "data_merge_encoding": live.data_merge_encoding},
    )


def _categories(live: Catalogue) -> list[tuple[str, str]]:
    """(slug, title) of the catalogue's categories, in its order."""
    chapters = sorted(live.chapters.all(), key=lambda chapter: chapter.sort_order or 0)
    found = []
    for chapter in chapters:
        category = chapter.category
        title = (category.name_en or category.name) if live.language == "en" else category.name
        found.append((category.slug, title))
    return found


def _candidates(live: Catalogue, slug: str) -> Iterator[Candidate]:
    groups = [live.price_group] if live.price_basis == PriceBasis.GROUP and live.price_group else []
    return feed_candidates(
        channel_key=CHANNEL_KEY,
        languages=[live.language],
        category_slugs=[slug],
        price_groups=groups,
    )


def chapter_sources(live: Catalogue) -> Iterator[tuple[ChapterSource, list[Candidate]]]:
    """Each category of ``live`` with the products it prints, and the incomplete ones it
    leaves out; a product already printed in an earlier chapter is in neither."""
    seen: set[str] = set()
    for slug, title in _categories(live):
        printed, incomplete = [], []
        for candidate in _candidates(live, slug):
            sku = candidate.product.sku
            if sku in seen:
                continue
            seen.add(sku)
            (incomplete if candidate.missing else printed).append(candidate)
        yield ChapterSource(slug, title, tuple(printed)), incomplete


def printable_products(catalogue: Catalogue, revision=None) -> Iterator[Candidate]:
    """Every product the catalogue's approved version would print now."""
    if revision is None and not catalogue.is_approved:
        return
    live = live_catalogue(catalogue, revision)
    for source, _incomplete in chapter_sources(live):
        yield from source.products


def chapter_outlines(run: CatalogueRun) -> Outline:
    """The chapters ``run`` prints (categories with a product to print), the SKUs of each,
    and what it leaves out and why."""
    live = run_catalogue(run)
    outlines, skus, problems = [], {}, []
    for source, incomplete in chapter_sources(live):
        for candidate in incomplete:
            problems.append(
                SourceProblem(
                    candidate.product.sku,
                    candidate.product_id,
                    "completeness",
                    _("Left out, incomplete for print: %(fields)s")
                    % {"fields": ", ".join(candidate.missing)},
                )
            )
        if not source.products:
            problems.append(
                SourceProblem(
                    "",
                    None,
                    "chapter",
                    _("The category %(title)s has no live product to print: no chapter.")
                    % {"title": source.title},
                )
            )
            continue
        outlines.append(ChapterOutline(source.key, source.title, len(source.products)))
        skus[source.key] = [candidate.product.sku for candidate in source.products]
    return Outline(tuple(outlines), skus, tuple(problems))


def _screen_images(products: list[FeedProduct]) -> dict[str, str]:
    """Original image URL -> its screen rendition's URL, for the images of ``products``."""
    prefix = _absolute(default_storage.url(""))
    names = {
        image.url: image.url[len(prefix) :]
        for product in products
        for image in product.images
        if image.url.startswith(prefix)
    }
    if not names:
        return {}
    by_name = {
        image.file.name: image
        for image in get_image_model().objects.filter(file__in=set(names.values()))
    }
    return {
        url: _absolute(by_name[name].get_rendition(SCREEN_RENDITION).url)
        for url, name in names.items()
        if name in by_name
    }


def _with_images(products: list[FeedProduct], profile: str) -> list[FeedProduct]:
    if profile != CatalogueProfile.SCREEN:
        return products
    renditions = _screen_images(products)

    def smaller(image: FeedAsset) -> FeedAsset:
        url = renditions.get(image.url)
        return dataclasses.replace(image, url=url) if url else image

    return [
        dataclasses.replace(product, images=tuple(smaller(image) for image in product.images))
        for product in products
    ]


def chapters(run: CatalogueRun, keys: Sequence[str], *, originals: bool = False) -> list[Chapter]:
    """The chapters ``keys`` of ``run`` with their live products: those its plan chose, as
    they are now (a product withdrawn since is left out). Their images as the profile
    wants them, or the ``originals`` (for the layout studio, which prints them)."""
    live = run_catalogue(run)
    titles = dict(_categories(live))
    planned = run.plan.get("skus", {})
    found = []
    for key in keys:
        wanted = set(planned.get(key, ()))
        products = [
            candidate.product
            for candidate in _candidates(live, key)
            if candidate.product.sku in wanted and not candidate.missing
        ]
        if not originals:
            products = _with_images(products, run.profile)
        found.append(Chapter(key, titles.get(key, key), tuple(products)))
    return found
