"""Completeness of a product listing: one annotated query vs a check per product.

The naive baseline is what a straightforward implementation does: load each product and ask
each required field, which costs queries per product for features, images, categories and
documents. Ours annotates the missing flags in SQL, so a page costs one query.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

from django.db import transaction
from wagtail.models import Locale

from content.models import Category, Product, ProductFeature
from content.selectors import product_completeness, products_with_completeness

PRODUCTS = 2_000
PAGE = 200


def _seed() -> None:
    if Product.objects.filter(sku__startswith="BENCH-").exists():
        return
    rng = random.Random(7)
    german = Locale.objects.get(language_code="de")
    category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    with transaction.atomic():
        products = Product.objects.bulk_create(
            Product(
                locale=german,
                sku=f"BENCH-{index:06d}",
                gtin="" if rng.random() < 0.2 else "4006381333931",
                name=f"Produkt {index}",
                short_text="" if rng.random() < 0.1 else "Kurztext",
                long_text="<p>Langtext</p>",
                price=Decimal("9.99"),
                availability="in_stock",
            )
            for index in range(PRODUCTS)
        )
        ProductFeature.objects.bulk_create(
            ProductFeature(product=product, name="Gewicht", value="1", unit="kg", sort_order=0)
            for product in products
            if rng.random() < 0.8
        )
        Product.categories.through.objects.bulk_create(
            Product.categories.through(product=product, category=category)
            for product in products
            if rng.random() < 0.7
        )


def _timed(function, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def run() -> None:
    _seed()
    queryset = Product.objects.filter(sku__startswith="BENCH-").order_by("pk")

    def ours() -> list:
        return [product_completeness(row) for row in products_with_completeness(queryset)[:PAGE]]

    def naive() -> list:
        return [product_completeness(Product.objects.get(pk=row.pk)) for row in queryset[:PAGE]]

    assert ours() == naive(), "both ways must give the same completeness"
    ours_seconds = _timed(ours)
    naive_seconds = _timed(naive)
    print(
        f"completeness of a {PAGE}-product page: ours {ours_seconds * 1000:.1f} ms, "
        f"naive per-product checks {naive_seconds * 1000:.1f} ms, "
        f"ratio {naive_seconds / ours_seconds:.1f}x (goal >= 5x)"
    )
