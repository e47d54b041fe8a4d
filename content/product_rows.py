"""Live products as the API's answers: plain dicts built from ``values()`` rows.

Shared by the content API and the account's catalogue (``campaigns.visitor_api``): a page
of products costs a constant number of queries, whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import OuterRef, Q, QuerySet, Subquery
from wagtail.images.models import Image

from .models import Product, ProductDocument, ProductFeature, ProductImage, ProductRelation
from .rich_text import rich_text_html
from .selectors import document_url, live_products

PRODUCT_RELATIONS = ("features", "categories", "images", "documents", "relations")


def search_products(queryset: QuerySet[Product], q: str) -> QuerySet[Product]:
    """The products whose name, SKU or short text contains ``q`` (any case)."""
    return queryset.filter(Q(name__icontains=q) | Q(sku__icontains=q) | Q(short_text__icontains=q))


def product_dicts(
    pks: list[int], fields: tuple[str, ...], *, absolute: Callable[[str], str]
) -> list[dict]:
    """The given products as the API's dicts, in ``pks`` order, with only ``fields``.

    Built from ``values()`` rows, one query per requested relation, without creating
    model instances: a page costs a constant number of queries and little Python.
    ``absolute`` turns a path into an absolute URL (the request's host).
    """
    if not pks:
        return []
    scalars = [f for f in fields if f not in PRODUCT_RELATIONS and f != "locale"]
    rows = Product.objects.filter(pk__in=pks).values("pk", "locale__language_code", *scalars)
    products: dict[int, dict] = {}
    locales: dict[int, str] = {}
    for row in rows:
        pk, locale = row["pk"], row["locale__language_code"]
        locales[pk] = locale
        out: dict = {}
        for field in fields:
            if field == "locale":
                out[field] = locale
            elif field in PRODUCT_RELATIONS:
                out[field] = []
            elif field == "long_text":
                out[field] = rich_text_html(row[field] or "")
            elif field == "price":
                out[field] = None if row[field] is None else str(row[field])
            elif field == "updated_at":
                out[field] = row[field].isoformat()
            else:
                out[field] = row[field]
        products[pk] = out
    if "features" in fields:
        for product_id, name, value, unit, etim in (
            ProductFeature.objects.filter(product_id__in=pks)
            .order_by("product_id", "sort_order", "pk")
            .values_list("product_id", "name", "value", "unit", "etim_feature")
        ):
            products[product_id]["features"].append(
                {"name": name, "value": value, "unit": unit, "etim_feature": etim}
            )
    if "categories" in fields:
        for product_id, category_id, slug, name, name_en in (
            Product.categories.through.objects.filter(product_id__in=pks)
            .order_by("product_id", "category_id")
            .values_list(
                "product_id", "category_id", "category__slug", "category__name", "category__name_en"
            )
        ):
            label = (name_en or name) if locales[product_id] == "en" else name
            products[product_id]["categories"].append(
                {"id": category_id, "slug": slug, "name": label}
            )
    if "images" in fields:
        storage = Image._meta.get_field("file").storage
        urls: dict[str, str] = {}
        for product_id, image_id, alt, width, height, name in (
            ProductImage.objects.filter(product_id__in=pks)
            .order_by("product_id", "sort_order", "pk")
            .values_list(
                "product_id", "image_id", "alt_text", "image__width", "image__height", "image__file"
            )
        ):
            if name not in urls:
                urls[name] = absolute(storage.url(name))
            products[product_id]["images"].append(
                {"id": image_id, "alt": alt, "width": width, "height": height, "url": urls[name]}
            )
    if "documents" in fields:
        document_urls: dict[int, str] = {}
        for product_id, document_id, label, title, name in (
            ProductDocument.objects.filter(product_id__in=pks)
            .order_by("product_id", "sort_order", "pk")
            .values_list("product_id", "document_id", "label", "document__title", "document__file")
        ):
            if document_id not in document_urls:
                document_urls[document_id] = absolute(document_url(document_id, name))
            products[product_id]["documents"].append(
                {
                    "id": document_id,
                    "title": title,
                    "label": label,
                    "url": document_urls[document_id],
                }
            )
    if "relations" in fields:
        _add_relations(products, pks)
    return [products[pk] for pk in pks if pk in products]


def _add_relations(products: dict[int, dict], pks: list[int]) -> None:
    """Each product's spare parts and accessories that are live in the product's language,
    in one query: the related product's live version is found by translation key."""
    live_sku = live_products().filter(
        translation_key=OuterRef("related__translation_key"),
        locale_id=OuterRef("product__locale_id"),
    )
    for product_id, kind, sku in (
        ProductRelation.objects.filter(product_id__in=pks)
        .annotate(related_sku=Subquery(live_sku.values("sku")[:1]))
        .filter(related_sku__isnull=False)
        .order_by("product_id", "sort_order", "pk")
        .values_list("product_id", "kind", "related_sku")
    ):
        products[product_id]["relations"].append({"kind": kind, "sku": sku})
