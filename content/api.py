"""Content delivery routes: only live, approved content ever leaves through here.

The database row of a live product or message is its approved version (drafts live in
revisions), so every route reads rows with ``live=True`` and nothing else.

Responses are built as plain dicts and encoded once with orjson: the schemas below
document them in OpenAPI, and the test suite checks real responses against that schema.
Conditional requests are answered from a cheap fingerprint query before any object is
loaded, so a 304 costs one or two small queries and no serialisation.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from django.conf import settings
from django.core import signing
from django.db.models import CharField, Count, Max, Q, QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, quote_etag
from ninja import Field, Query, Router, Schema
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.rich_text import expand_db_html

from channels.models import Scope
from hub.api import (
    PROBLEMS,
    ApiClientAuth,
    ApiProblem,
    InputSchema,
    IsoDateTime,
    Problem,
    bad_parameter,
)

from .models import (
    AudienceMessage,
    Category,
    Product,
    ProductDocument,
    ProductFeature,
    ProductImage,
)
from .selectors import products_complete_for
from .taxonomy import BuyingRole, JourneyPhase

router = Router(auth=ApiClientAuth(Scope.CONTENT_READ), tags=["content"])

CURSOR_SALT = "hub.api.cursor"
CACHE_CONTROL = "private, max-age=0, must-revalidate"
PRODUCT_FIELDS = (
    "sku",
    "locale",
    "gtin",
    "brand",
    "manufacturer_part_number",
    "name",
    "short_text",
    "long_text",
    "etim_class",
    "features",
    "categories",
    "images",
    "documents",
    "price",
    "currency",
    "availability",
    "lead_time_days",
    "updated_at",
)
_ONE_FIELD = "(?:" + "|".join(PRODUCT_FIELDS) + ")"
FIELDS_PATTERN = f"^{_ONE_FIELD}(?:,{_ONE_FIELD})*$"


# --- schemas (documentation and validation of inputs) -----------------------------------

# Closed sets, from settings, so the schema tells clients every value the API accepts.
LocaleCode = Literal[tuple(code for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES)]
ChannelKey = Literal[tuple(settings.HUB_CHANNELS)]
RenditionSpec = Literal[tuple(settings.HUB_API_RENDITION_SPECS)]


class Feature(Schema):
    name: str
    value: str
    unit: str
    etim_feature: str


class CategoryRef(Schema):
    id: int
    slug: str
    name: str


class ImageRef(Schema):
    id: int
    alt: str
    width: int
    height: int
    url: str


class DocumentRef(Schema):
    id: int
    title: str
    label: str
    url: str


class ProductOut(Schema):
    """A live product in one language. With ``fields=``, only the fields asked for."""

    sku: str | None = None
    locale: str | None = None
    gtin: str | None = None
    brand: str | None = None
    manufacturer_part_number: str | None = None
    name: str | None = None
    short_text: str | None = None
    long_text: str | None = Field(None, description="HTML")
    etim_class: str | None = None
    features: list[Feature] | None = None
    categories: list[CategoryRef] | None = None
    images: list[ImageRef] | None = None
    documents: list[DocumentRef] | None = None
    price: str | None = Field(None, description="Decimal as a string, e.g. '19.90'")
    currency: str | None = None
    availability: str | None = None
    lead_time_days: int | None = None
    updated_at: datetime | None = None


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page.")


class ProductListQuery(InputSchema):
    locale: LocaleCode | None = Field(None, description="Language code.")
    category: str | None = Field(
        None, description="Category slug; includes its subtree. An unknown slug is a 400."
    )
    updated_since: IsoDateTime | None = Field(
        None, description="Only products changed after this ISO 8601 date-time."
    )
    complete_for: ChannelKey | None = Field(
        None, description="Only products complete for this channel."
    )
    q: str | None = Field(None, max_length=100, description="Text search in name, SKU, texts.")
    fields: str | None = Field(
        None,
        description="Comma-separated product fields to return.",
        # Documented for clients; checked in the view, which names the unknown field.
        json_schema_extra={"pattern": FIELDS_PATTERN},
    )
    cursor: str | None = Field(None, description="The next_cursor of the previous page.")
    limit: int = Field(50, ge=1, le=200)


class ProductDetailQuery(InputSchema):
    locale: LocaleCode = settings.LANGUAGE_CODE
    fields: str | None = Field(
        None,
        description="Comma-separated product fields to return.",
        # Documented for clients; checked in the view, which names the unknown field.
        json_schema_extra={"pattern": FIELDS_PATTERN},
    )


class MessageOut(Schema):
    id: int
    locale: str
    headline: str
    body: str = Field(description="HTML")
    role: BuyingRole | Literal[""]
    phase: JourneyPhase | Literal[""]
    product_sku: str | None
    cta_label: str
    cta_url: str
    updated_at: datetime


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None = None


class MessageListQuery(InputSchema):
    locale: LocaleCode | None = None
    role: BuyingRole | None = None
    phase: JourneyPhase | None = None
    product: str | None = Field(None, description="SKU of the product the message is about.")
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class CategoryNode(Schema):
    id: int
    slug: str
    name: str
    name_en: str
    children: list[CategoryNode]


class RenditionOut(Schema):
    spec: str
    url: str
    width: int
    height: int


class ImageOut(Schema):
    id: int
    title: str
    width: int
    height: int
    url: str
    rendition: RenditionOut | None = None


class ImageQuery(InputSchema):
    spec: RenditionSpec | None = Field(None, description="An allowed rendition.")


class DocumentOut(Schema):
    id: int
    title: str
    file_size: int | None
    url: str


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


def _encode_cursor(last_pk: int) -> str:
    return signing.dumps({"after": last_pk}, salt=CURSOR_SALT, compress=False)


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(signing.loads(cursor, salt=CURSOR_SALT)["after"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise bad_parameter("cursor", "Not a cursor this API issued.") from None


# A page's fingerprint is read as text: parsing a hundred timestamps would cost more than
# the rest of a 304. Only the latest is parsed, for Last-Modified.
_UPDATED_AT = Cast("updated_at", output_field=CharField())


def _keyset_page(
    queryset: QuerySet, cursor: str | None, limit: int
) -> tuple[list[tuple[int, str]], bool]:
    """One page of (pk, updated_at as text) rows after the cursor, and whether more follow.

    Keyed on the primary key: edits while a client pages neither repeat nor skip rows.
    """
    after = _decode_cursor(cursor)
    rows = list(
        queryset.filter(pk__gt=after).order_by("pk").values_list("pk", _UPDATED_AT)[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


def _next_cursor(keys: list[tuple[int, str]], more: bool) -> str | None:
    return _encode_cursor(keys[-1][0]) if more else None


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


def _etag(*parts: Any) -> str:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()
    return quote_etag(base64.urlsafe_b64encode(digest).decode().rstrip("="))


def _not_modified(request: HttpRequest, etag: str) -> bool:
    presented = request.headers.get("If-None-Match", "")
    candidates = {tag.strip().removeprefix("W/") for tag in presented.split(",")}
    return etag in candidates or "*" in candidates


def _conditional_headers(response: HttpResponse, etag: str, last_modified) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    response["Vary"] = "Authorization, Accept-Encoding"
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    return response


def _json(request: HttpRequest, data: Any, etag: str, last_modified) -> HttpResponse:
    if _not_modified(request, etag):
        return _conditional_headers(HttpResponse(status=304), etag, last_modified)
    response = HttpResponse(orjson.dumps(data), content_type="application/json")
    return _conditional_headers(response, etag, last_modified)


def _latest(keys: list[tuple[int, str]]):
    latest = max((at for _pk, at in keys), default=None)
    if not latest:
        return None
    moment = parse_datetime(latest.replace(" ", "T"))
    # SQLite keeps UTC without an offset; PostgreSQL says +00.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _locale_filter(queryset: QuerySet, locale: str | None) -> QuerySet:
    # The query schema (LocaleCode) has already refused unknown languages.
    return queryset if locale is None else queryset.filter(locale__language_code=locale)


def _category_subtree(slug: str) -> list[int]:
    nodes = list(Category.objects.values_list("pk", "parent_id", "slug"))
    root = next((pk for pk, _parent, node_slug in nodes if node_slug == slug), None)
    if root is None:
        raise bad_parameter("category", f"No category with slug {slug!r}.")
    children: dict[int | None, list[int]] = {}
    for pk, parent, _slug in nodes:
        children.setdefault(parent, []).append(pk)
    subtree, stack = [], [root]
    while stack:
        node = stack.pop()
        subtree.append(node)
        stack.extend(children.get(node, []))
    return subtree


# --- serialisation ------------------------------------------------------------------------


def live_products() -> QuerySet[Product]:
    return Product.objects.filter(live=True)


RELATIONS = ("features", "categories", "images", "documents")
SCALARS = tuple(f for f in PRODUCT_FIELDS if f not in RELATIONS and f != "locale")


def _rich_text(html: str) -> str:
    # Only internal links and embeds need expanding; most texts have neither.
    return expand_db_html(html) if "linktype=" in html or "<embed" in html else html


def _document_url(document_id: int, name: str) -> str:
    """Document.url without building a Document (whose defaults cost a query each)."""
    if getattr(settings, "WAGTAILDOCS_SERVE_METHOD", None) == "direct":
        return Document._meta.get_field("file").storage.url(name)
    return reverse("wagtaildocs_serve", args=[document_id, os.path.basename(name)])


def serialise_products(
    request: HttpRequest, pks: list[int], fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The given products as API dicts, in ``pks`` order.

    Built from ``values()`` rows, one query per requested relation, without creating
    model instances: a page costs a constant number of queries and little Python.
    """
    if not pks:
        return []
    scalars = [f for f in SCALARS if f in fields]
    rows = Product.objects.filter(pk__in=pks).values("pk", "locale__language_code", *scalars)
    products: dict[int, dict[str, Any]] = {}
    locales: dict[int, str] = {}
    for row in rows:
        pk, locale = row["pk"], row["locale__language_code"]
        locales[pk] = locale
        out: dict[str, Any] = {}
        for field in fields:
            if field == "locale":
                out[field] = locale
            elif field in RELATIONS:
                out[field] = []
            elif field == "long_text":
                out[field] = _rich_text(row[field] or "")
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
                urls[name] = _absolute(request, storage.url(name))
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
                document_urls[document_id] = _absolute(request, _document_url(document_id, name))
            products[product_id]["documents"].append(
                {
                    "id": document_id,
                    "title": title,
                    "label": label,
                    "url": document_urls[document_id],
                }
            )
    return [products[pk] for pk in pks if pk in products]


def live_messages() -> QuerySet[AudienceMessage]:
    """Live messages that are free-standing or about a live product."""
    return AudienceMessage.objects.filter(live=True).filter(
        Q(product__isnull=True) | Q(product__live=True)
    )


def serialise_message(message: AudienceMessage) -> dict:
    return {
        "id": message.pk,
        "locale": message.locale.language_code,
        "headline": message.headline,
        "body": _rich_text(message.body),
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
    queryset = _locale_filter(live_products(), filters.locale)
    if filters.category:
        queryset = queryset.filter(categories__in=_category_subtree(filters.category)).distinct()
    if filters.updated_since:
        queryset = queryset.filter(updated_at__gt=filters.updated_since)
    if filters.complete_for:  # a ChannelKey: the query schema refused unknown channels
        queryset = products_complete_for(queryset, filters.complete_for)
    if filters.q:
        queryset = queryset.filter(
            Q(name__icontains=filters.q)
            | Q(sku__icontains=filters.q)
            | Q(short_text__icontains=filters.q)
        )
    # A category rename moves its products' updated_at: the rows alone are the version.
    keys, more = _keyset_page(queryset, filters.cursor, filters.limit)
    # Whether a next page exists is part of the answer (next_cursor), so of its version.
    etag = _etag("products", request.GET.urlencode(), keys, more)
    last_modified = _latest(keys)
    if _not_modified(request, etag):
        return _json(request, None, etag, last_modified)
    items = serialise_products(request, [pk for pk, _at in keys], fields)
    page = {"items": items, "next_cursor": _next_cursor(keys, more)}
    return _json(request, page, etag, last_modified)


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
    queryset = _locale_filter(live_products(), params.locale)
    key = queryset.filter(sku=sku).values_list("pk", "updated_at").first()
    if key is None:
        raise ApiProblem(404, f"No live product with SKU {sku!r} in {params.locale!r}.")
    etag = _etag("product", key, params.fields)
    if _not_modified(request, etag):
        return _json(request, None, etag, key[1])
    (item,) = serialise_products(request, [key[0]], fields)
    return _json(request, item, etag, key[1])


@router.get(
    "/messages",
    response={200: MessagePage, 304: None, **PROBLEMS},
    summary="List live audience messages",
    operation_id="list_messages",
)
def list_messages(request: HttpRequest, filters: Query[MessageListQuery]):
    """Live messages; a blank role or phase means the message addresses any."""
    _check_parameters(request, MessageListQuery)
    queryset = _locale_filter(live_messages(), filters.locale)
    if filters.role:
        queryset = queryset.filter(role=filters.role)
    if filters.phase:
        queryset = queryset.filter(phase=filters.phase)
    if filters.product:
        translation_keys = Product.objects.filter(sku=filters.product).values("translation_key")
        queryset = queryset.filter(product__translation_key__in=translation_keys)
    keys, more = _keyset_page(queryset, filters.cursor, filters.limit)
    etag = _etag("messages", request.GET.urlencode(), keys, more)
    last_modified = _latest(keys)
    if _not_modified(request, etag):
        return _json(request, None, etag, last_modified)
    messages = AudienceMessage.objects.filter(pk__in=[k for k, _ in keys]).select_related(
        "locale", "product"
    )
    items = [serialise_message(m) for m in sorted(messages, key=lambda m: m.pk)]
    page = {"items": items, "next_cursor": _next_cursor(keys, more)}
    return _json(request, page, etag, last_modified)


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
    etag = _etag("message", key)
    if _not_modified(request, etag):
        return _json(request, None, etag, key[1])
    message = AudienceMessage.objects.select_related("locale", "product").get(pk=key[0])
    return _json(request, serialise_message(message), etag, key[1])


@router.get(
    "/categories",
    response={200: list[CategoryNode], 304: None, **PROBLEMS},
    summary="The category tree",
    operation_id="list_categories",
)
def list_categories(request: HttpRequest):
    _check_parameters(request, Schema)
    summary = Category.objects.aggregate(count=Count("pk"), at=Max("updated_at"))
    version = summary["at"]
    etag = _etag("categories", summary["count"], version)
    if _not_modified(request, etag):
        return _json(request, None, etag, version)
    nodes = list(Category.objects.order_by("sort_order", "name", "pk"))
    by_parent: dict[int | None, list[Category]] = {}
    for node in nodes:
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

    return _json(request, tree(None), etag, version)


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
    etag = _etag("image", image.pk, image.file_hash, image.file.name, params.spec)
    if _not_modified(request, etag):
        return _json(request, None, etag, image.created_at)
    data: dict[str, Any] = {
        "id": image.pk,
        "title": image.title,
        "width": image.width,
        "height": image.height,
        "url": _absolute(request, image.file.url),
        "rendition": None,
    }
    if params.spec:
        rendition = image.get_rendition(params.spec)
        data["rendition"] = {
            "spec": params.spec,
            "url": _absolute(request, rendition.url),
            "width": rendition.width,
            "height": rendition.height,
        }
    return _json(request, data, etag, image.created_at)


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
    etag = _etag("document", document.pk, document.file_hash, document.file.name)
    data = {
        "id": document.pk,
        "title": document.title,
        "file_size": document.file_size,
        "url": _absolute(request, document.url),
    }
    return _json(request, data, etag, document.created_at)
