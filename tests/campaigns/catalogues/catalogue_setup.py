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
    return item
