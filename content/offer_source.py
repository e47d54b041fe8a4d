"""Reads of live content for the offers engine (``campaigns.offers``), by SKU.

Orders name products by SKU; these answer, for a whole batch of SKUs at once, what the
live catalogue says about them: names and lead times, categories, spare parts and
accessories, and the cards' products in one language. Only live rows: a product withdrawn
is not offered, and nothing here returns a draft.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from wagtail.images import get_image_model

from .models import Category, Product, ProductRelation


@dataclass(frozen=True)
class LiveProductFacts:
    """What the engine needs to know of a live product, in the default language if it has
    one there (else any live language)."""

    sku: str
    name: str
    lead_time_days: int | None
    category_ids: frozenset[int]


def live_product_facts(skus: Iterable[str]) -> dict[str, LiveProductFacts]:
    """SKU -> facts of the live products with these SKUs; two queries."""
    rows: dict[str, tuple[int, str, int | None]] = {}
    for pk, sku, name, lead_time, language in (
        Product.objects.filter(live=True, sku__in=set(skus))
        .order_by("pk")
        .values_list("pk", "sku", "name", "lead_time_days", "locale__language_code")
    ):
        if sku not in rows or language == settings.LANGUAGE_CODE:
            rows[sku] = (pk, name, lead_time)
    categories: dict[int, set[int]] = {}
    for product_id, category_id in Product.categories.through.objects.filter(
        product_id__in=[pk for pk, _name, _lead in rows.values()]
    ).values_list("product_id", "category_id"):
        categories.setdefault(product_id, set()).add(category_id)
    return {
        sku: LiveProductFacts(
            sku=sku,
            name=name,
            lead_time_days=lead_time,
            category_ids=frozenset(categories.get(pk, ())),
        )
        for sku, (pk, name, lead_time) in rows.items()
    }


def live_relations(skus: Iterable[str], *, kinds: Iterable[str]) -> list[tuple[str, str, str]]:
    """(source SKU, kind, related SKU) for the relations of kinds ``kinds`` that the live
    versions of products with these SKUs name, to products live in some language; in the
    editors' order, each once. Two queries."""
    rows = list(
        ProductRelation.objects.filter(
            product__live=True, product__sku__in=set(skus), kind__in=list(kinds)
        )
        .order_by("product__sku", "sort_order", "pk")
        .values_list("product__sku", "kind", "related__translation_key")
    )
    live_skus = dict(
        Product.objects.filter(live=True, translation_key__in={row[2] for row in rows})
        .order_by()
        .values_list("translation_key", "sku")
        .distinct()
    )
    found: list[tuple[str, str, str]] = []
    for source, kind, key in rows:
        relation = (source, kind, live_skus.get(key, ""))
        if relation[2] and relation not in found:
            found.append(relation)
    return found


def live_skus_in_categories(category_ids: Iterable[int]) -> list[tuple[int, str]]:
    """(category id, SKU) of the live products in these categories (not their subtrees),
    by SKU, each pair once. One query."""
    return list(
        Product.categories.through.objects.filter(
            category_id__in=list(category_ids), product__live=True
        )
        .order_by("category_id", "product__sku")
        .values_list("category_id", "product__sku")
        .distinct()
    )


def category_names(category_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Category id -> its name per language code ("de", "en"). One query."""
    return {
        pk: {"de": name, "en": name_en or name}
        for pk, name, name_en in Category.objects.filter(pk__in=list(category_ids)).values_list(
            "pk", "name", "name_en"
        )
    }


def live_products_for_cards(
    skus: Iterable[str], *, locale: str, renditions: Iterable[str] = ()
) -> QuerySet[Product]:
    """The live products with these SKUs in ``locale``, images and their existing
    ``renditions`` loaded: a fixed number of queries however many."""
    images = get_image_model().objects.prefetch_renditions(*renditions)
    return (
        Product.objects.filter(live=True, locale__language_code=locale, sku__in=set(skus))
        .select_related("locale")
        .prefetch_related(Prefetch("images__image", queryset=images))
    )
