"""Content delivery routes: only live, approved content ever leaves through here.

The database row of a live product or message is its approved version (drafts live in
revisions), so every route reads live rows (``content.selectors``) and nothing else.

Responses are built as plain dicts and encoded once with orjson: the schemas
(``content/api_schemas.py``) document them in OpenAPI, and the test suite checks real
responses against that schema. Conditional requests are answered from a cheap fingerprint
query before any object is loaded (``core.api.conditional``), so a 304 costs one or two
small queries and no serialisation.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema
from wagtail.documents.models import Document
from wagtail.images.models import Image

from channels.api_auth import ApiClientAuth
from channels.models import Scope
from core.api.conditional import conditional_json, etag_for
from core.api.paging import keyset_page, latest_update, next_cursor
from core.api.problems import PROBLEMS, ApiProblem, Problem, bad_parameter

from .api_schemas import (
    PRODUCT_FIELDS,
    CategoryNode,
    DocumentOut,
    ImageOut,
    ImageQuery,
    MessageListQuery,
    MessageOut,
    MessagePage,
    ProductDetailQuery,
    ProductListQuery,
    ProductOut,
    ProductPage,
)
from .models import (
    AudienceMessage,
    Category,
    ProductDocument,
    ProductImage,
)
from .product_rows import product_dicts, search_products
from .rich_text import rich_text_html
from .selectors import (
    categories_in_order,
    category_subtree,
    category_tree_version,
    live_messages,
    live_products,
    product_translation_keys,
    products_complete_for,
)

router = Router(auth=ApiClientAuth(Scope.CONTENT_READ), tags=["content"])

# --- helpers ------------------------------------------------------------------------------


def _check_parameters(request: HttpRequest, schema: type[Schema]) -> None:
    unknown = sorted(set(request.GET) - set(schema.model_fields))
    if unknown:
        raise ApiProblem(
            400,
            f"Unknown query parameter(s): {', '.join(unknown)}.",
            errors=[
                {"name": name, "location": "query", "detail": "Unknown parameter."}
                for name in unknown
            ],
        )


def _absolute(request: HttpRequest, url: str) -> str:
    return url if "://" in url else request.build_absolute_uri(url)


def _fields(fields: str | None) -> tuple[str, ...]:
    if not fields:
        return PRODUCT_FIELDS
    asked = tuple(dict.fromkeys(part.strip() for part in fields.split(",") if part.strip()))
    unknown = [name for name in asked if name not in PRODUCT_FIELDS]
    if unknown:
        raise bad_parameter(
            "fields", f"Unknown field(s) {', '.join(unknown)}; known: {', '.join(PRODUCT_FIELDS)}."
        )
    return asked or PRODUCT_FIELDS


def _category_subtree(slug: str) -> list[int]:
    subtree = category_subtree(slug)
    if not subtree:
        raise bad_parameter("category", f"No category with slug {slug!r}.")
    return subtree


# --- serialisation ------------------------------------------------------------------------


def serialise_message(message: AudienceMessage) -> dict:
    return {
        "id": message.pk,
        "locale": message.locale.language_code,
        "headline": message.headline,
        "body": rich_text_html(message.body),
        "role": message.role,
        "phase": message.phase,
        "product_sku": message.product.sku if message.product_id else None,
        "cta_label": message.cta_label,
        "cta_url": message.cta_url,
        "updated_at": message.updated_at.isoformat(),
    }


# --- routes -------------------------------------------------------------------------------


@router.get(
    "/products",
    response={200: ProductPage, 304: None, **PROBLEMS},
    summary="List live products",
    operation_id="list_products",
)
def list_products(request: HttpRequest, filters: Query[ProductListQuery]):
    """Live products, oldest first, in pages that stay stable while content changes."""
    _check_parameters(request, ProductListQuery)
    fields = _fields(filters.fields)
    # The query schema (LocaleCode) has already refused unknown languages.
    queryset = live_products(locale=filters.locale)
    if filters.category:
        queryset = queryset.filter(categories__in=_category_subtree(filters.category)).distinct()
    if filters.updated_since:
        queryset = queryset.filter(updated_at__gt=filters.updated_since)
    if filters.complete_for:  # a ChannelKey: the query schema refused unknown channels
        queryset = products_complete_for(queryset, filters.complete_for)
    if filters.q:
        queryset = search_products(queryset, filters.q)
    # A category rename moves its products' updated_at: the rows alone are the version.
    keys, more = keyset_page(queryset, filters.cursor, filters.limit)
    # Whether a next page exists is part of the answer (next_cursor), so of its version.
    return conditional_json(
        request,
        etag=etag_for("products", request.GET.urlencode(), keys, more),
        last_modified=latest_update(keys),
        build=lambda: {
            "items": product_dicts(
                [pk for pk, _at in keys], fields, absolute=lambda url: _absolute(request, url)
            ),
            "next_cursor": next_cursor(keys, more),
        },
    )


@router.get(
    "/products/{path:sku}",
    response={200: ProductOut, 304: None, 404: Problem, **PROBLEMS},
    summary="One live product by SKU",
    operation_id="get_product",
)
def get_product(request: HttpRequest, sku: str, params: Query[ProductDetailQuery]):
    """The live version of a product in one language (``locale``, default de)."""
    _check_parameters(request, ProductDetailQuery)
    fields = _fields(params.fields)
    queryset = live_products(locale=params.locale)
    key = queryset.filter(sku=sku).values_list("pk", "updated_at").first()
    if key is None:
        raise ApiProblem(404, f"No live product with SKU {sku!r} in {params.locale!r}.")
    return conditional_json(
        request,
        etag=etag_for("product", key, params.fields),
        last_modified=key[1],
        build=lambda: product_dicts([key[0]], fields, absolute=lambda url: _absolute(request, url))[
            0
        ],
    )


@router.get(
    "/messages",
    response={200: MessagePage, 304: None, **PROBLEMS},
    summary="List live audience messages",
    operation_id="list_messages",
)
def list_messages(request: HttpRequest, filters: Query[MessageListQuery]):
    """Live messages; a blank role or phase means the message addresses any."""
    _check_parameters(request, MessageListQuery)
    queryset = live_messages(locale=filters.locale)
    if filters.role:
        queryset = queryset.filter(role=filters.role)
    if filters.phase:
        queryset = queryset.filter(phase=filters.phase)
    if filters.product:
        queryset = queryset.filter(
            product__translation_key__in=product_translation_keys(filters.product)
        )
    keys, more = keyset_page(queryset, filters.cursor, filters.limit)

    def page() -> dict[str, Any]:
        messages = AudienceMessage.objects.filter(pk__in=[k for k, _ in keys]).select_related(
            "locale", "product"
        )
        return {
            "items": [serialise_message(m) for m in sorted(messages, key=lambda m: m.pk)],
            "next_cursor": next_cursor(keys, more),
        }

    return conditional_json(
        request,
        etag=etag_for("messages", request.GET.urlencode(), keys, more),
        last_modified=latest_update(keys),
        build=page,
    )


@router.get(
    "/messages/{message_id}",
    response={200: MessageOut, 304: None, 404: Problem, **PROBLEMS},
    summary="One live audience message",
    operation_id="get_message",
)
def get_message(request: HttpRequest, message_id: int):
    _check_parameters(request, Schema)
    key = live_messages().filter(pk=message_id).values_list("pk", "updated_at").first()
    if key is None:
        raise ApiProblem(404, f"No live message {message_id}.")
    return conditional_json(
        request,
        etag=etag_for("message", key),
        last_modified=key[1],
        build=lambda: serialise_message(
            AudienceMessage.objects.select_related("locale", "product").get(pk=key[0])
        ),
    )


@router.get(
    "/categories",
    response={200: list[CategoryNode], 304: None, **PROBLEMS},
    summary="The category tree",
    operation_id="list_categories",
)
def list_categories(request: HttpRequest):
    _check_parameters(request, Schema)
    count, version = category_tree_version()

    def forest() -> list[dict]:
        by_parent: dict[int | None, list[Category]] = {}
        for node in categories_in_order():
            by_parent.setdefault(node.parent_id, []).append(node)

        def tree(parent_id: int | None) -> list[dict]:
            return [
                {
                    "id": node.pk,
                    "slug": node.slug,
                    "name": node.name,
                    "name_en": node.name_en,
                    "children": tree(node.pk),
                }
                for node in by_parent.get(parent_id, [])
            ]

        return tree(None)

    return conditional_json(
        request, etag=etag_for("categories", count, version), last_modified=version, build=forest
    )


def _published_image(image_id: int) -> Image:
    image = Image.objects.filter(
        pk=image_id,
        pk__in=ProductImage.objects.filter(product__live=True).values("image_id"),
    ).first()
    if image is None:
        raise ApiProblem(404, f"No image {image_id} on a live product.")
    return image


@router.get(
    "/images/{image_id}",
    response={200: ImageOut, 304: None, 404: Problem, **PROBLEMS},
    summary="An image of a live product, optionally as a rendition",
    operation_id="get_image",
)
def get_image(request: HttpRequest, image_id: int, params: Query[ImageQuery]):
    """``spec`` picks a rendition from the allowed set (``HUB_API_RENDITION_SPECS``)."""
    _check_parameters(request, ImageQuery)
    allowed = settings.HUB_API_RENDITION_SPECS
    if params.spec is not None and params.spec not in allowed:
        raise bad_parameter("spec", f"Not an allowed rendition; use one of {', '.join(allowed)}.")
    image = _published_image(image_id)

    def data() -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": image.pk,
            "title": image.title,
            "width": image.width,
            "height": image.height,
            "url": _absolute(request, image.file.url),
            "rendition": None,
        }
        if params.spec:
            rendition = image.get_rendition(params.spec)
            out["rendition"] = {
                "spec": params.spec,
                "url": _absolute(request, rendition.url),
                "width": rendition.width,
                "height": rendition.height,
            }
        return out

    return conditional_json(
        request,
        etag=etag_for("image", image.pk, image.file_hash, image.file.name, params.spec),
        last_modified=image.created_at,
        build=data,
    )


@router.get(
    "/documents/{document_id}",
    response={200: DocumentOut, 304: None, 404: Problem, **PROBLEMS},
    summary="A document (e.g. a data sheet) of a live product",
    operation_id="get_document",
)
def get_document(request: HttpRequest, document_id: int):
    _check_parameters(request, Schema)
    document = Document.objects.filter(
        pk=document_id,
        pk__in=ProductDocument.objects.filter(product__live=True).values("document_id"),
    ).first()
    if document is None:
        raise ApiProblem(404, f"No document {document_id} on a live product.")
    return conditional_json(
        request,
        etag=etag_for("document", document.pk, document.file_hash, document.file.name),
        last_modified=document.created_at,
        build=lambda: {
            "id": document.pk,
            "title": document.title,
            "file_size": document.file_size,
            "url": _absolute(request, document.url),
        },
    )
