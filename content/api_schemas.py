"""The content API's schemas: what each route accepts and answers, for validation and OpenAPI.

The routes (``content/api.py``) build their answers as plain dicts; the test suite checks
real responses against these schemas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.conf import settings
from ninja import Field, Schema

from core.api.inputs import InputSchema, IsoDateTime

from .taxonomy import BuyingRole, JourneyPhase, RelationKind

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
    "relations",
    "price",
    "currency",
    "availability",
    "lead_time_days",
    "updated_at",
)
_ONE_FIELD = "(?:" + "|".join(PRODUCT_FIELDS) + ")"
FIELDS_PATTERN = f"^{_ONE_FIELD}(?:,{_ONE_FIELD})*$"


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


class RelationRef(Schema):
    kind: RelationKind = Field(
        description="spare_part: a spare or wear part of this product; accessory: an accessory."
    )
    sku: str = Field(description="The related live product's SKU (same language).")


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
    relations: list[RelationRef] | None = None
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
