"""Building catalogues for tests: approved (published revision) or draft only, and products."""

from __future__ import annotations

from campaigns.models import Catalogue, CatalogueChapter
from tests.factories import CategoryFactory, ProductFactory


def catalogue(*, categories=(), approved: bool = True, **fields) -> Catalogue:
    """A catalogue of ``categories`` (in this order); published unless not ``approved``."""
    fields.setdefault("title", "Werkzeugkatalog")
    fields.setdefault("slug", "werkzeug")
    item = Catalogue(live=approved, **fields)
    for order, category in enumerate(categories):
        item.chapters.add(CatalogueChapter(category=category, sort_order=order))
    item.save()
    revision = item.save_revision()
    if approved:
        revision.publish()
    return Catalogue.objects.get(pk=item.pk)


def category(slug: str, name: str = ""):
    return CategoryFactory(slug=slug, name=name or slug.capitalize())


def product(sku: str, *categories, complete: bool = True, **fields):
    """A live product in ``categories``, complete for print (an image) unless not."""
    fields.setdefault("name", f"Produkt {sku}")
    item = ProductFactory(sku=sku, live=True, with_image=complete, **fields)
    item.categories.add(*categories)
    item.save()  # a ParentalManyToManyField: the links are written on save
    return item


def generate(item, user, capture):
    """Queue a run of ``item`` and let it run to its end (eager tasks); the run, fresh."""
    from campaigns.catalogues.services import catalogue_generate_queue

    with capture(execute=True):
        run = catalogue_generate_queue(item, user=user)
    run.refresh_from_db()
    return run


def pdf_pages(path: str) -> list[str]:
    """The text of each page of the stored PDF ``path``."""
    from django.core.files.storage import default_storage
    from pypdf import PdfReader

    with default_storage.open(path, "rb") as file:
        return [page.extract_text() for page in PdfReader(file).pages]


def pdf_text(run, name: str) -> str:
    return "\n".join(pdf_pages(run.file(name)["path"]))
