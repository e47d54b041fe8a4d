"""A shop's personalised routes: visitor tokens, and the visitor's account catalogue.

The shop authenticates as itself (its API client's bearer token) and names its logged-in
customer with a visitor token in the ``X-Visitor-Token`` header, never in the URL: nothing
personal goes into URLs, logs of them or cache keys. A catalogue answer depends on the
visitor only through their account's price group, so its ETag does too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

import orjson
from django.conf import settings
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ValidationError, model_validator

from campaigns.models import GroupPrice
from campaigns.visitors import (
    Visitor,
    VisitorTokenError,
    visitor_contact_id,
    visitor_token_issue,
    visitor_token_read,
)
from channels.api_auth import ApiClientAuth
from channels.models import ApiClient, Scope
from content.product_rows import product_dicts, search_products
from content.selectors import category_subtree, live_products
from core.api.conditional import conditional_json, etag_for
from core.api.inputs import InputSchema
from core.api.paging import keyset_page, latest_update, next_cursor
from core.api.problems import PROBLEMS, ApiProblem, Problem, bad_parameter

router = Router(tags=["shop"])

LocaleCode = Literal[tuple(code for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES)]

VISITOR_HEADER = "X-Visitor-Token"
CATALOGUE_MAX_AGE = 60
CATALOGUE_FIELDS = (
    "sku",
    "locale",
    "name",
    "short_text",
    "categories",
    "images",
    "price",
    "currency",
    "availability",
    "lead_time_days",
    "updated_at",
)


class VisitorAuth(ApiClientAuth):
    """The API client's bearer token with ``scope``, and a visitor token it was issued."""

    openapi_description = (
        "A channel API client's token, issued once in the admin, and a visitor token "
        f"(POST /api/v1/visitors) in the header {VISITOR_HEADER}."
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        client = super().authenticate(request, token)
        if client is None:
            return None
        presented = request.headers.get(VISITOR_HEADER, "")
        if not presented:
            raise _unauthorised(f"Send a visitor token as '{VISITOR_HEADER}'.")
        try:
            request.visitor = visitor_token_read(presented, client_id=client.pk)
        except VisitorTokenError as error:
            if error.reason == "expired":
                raise _unauthorised("The visitor token has expired; ask for a new one.") from None
            raise _unauthorised(
                "The visitor token is invalid: not issued by this hub to this API client."
            ) from None
        return client


def _unauthorised(detail: str) -> ApiProblem:
    return ApiProblem(
        401,
        detail,
        errors=[{"name": VISITOR_HEADER, "location": "header", "detail": detail}],
        headers={"WWW-Authenticate": 'Bearer realm="hub"'},
    )


# --- schemas ------------------------------------------------------------------------------


class VisitorIn(InputSchema):
    """Exactly one identifier of the shop's logged-in customer."""

    email: str | None = Field(None, min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    crm_id: str | None = Field(None, min_length=1, max_length=100)

    model_config = {"extra": "forbid"}

    @model_validator(mode="after")
    def _exactly_one(self) -> VisitorIn:
        if (self.email is None) == (self.crm_id is None):
            raise ValueError("give exactly one of email, crm_id")
        return self


class VisitorOut(Schema):
    token: str = Field(description=f"Send as the header {VISITOR_HEADER}.")
    expires_at: datetime


class CatalogueProduct(Schema):
    sku: str
    locale: str
    name: str
    short_text: str
    categories: list[dict]
    images: list[dict]
    price: str | None = Field(description="The account's price, else the list price.")
    price_basis: Literal["price_group", "list_price"] | None
    currency: str | None
    availability: str | None
    lead_time_days: int | None
    updated_at: datetime


class CataloguePage(Schema):
    items: list[CatalogueProduct]
    next_cursor: str | None = None


class CatalogueQuery(InputSchema):
    locale: LocaleCode | None = Field(None, description="Language code.")
    category: str | None = Field(None, description="Category slug; includes its subtree.")
    q: str | None = Field(None, max_length=100, description="Text search in name, SKU, texts.")
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


# --- routes -------------------------------------------------------------------------------


def _validation_problem(error: ValidationError) -> ApiProblem:
    errors = [
        {
            "name": ".".join(str(part) for part in item["loc"]) or "body",
            "location": "body",
            "detail": item["msg"].removeprefix("Value error, "),
        }
        for item in error.errors()
    ]
    return ApiProblem(422, "; ".join(f"{e['name']}: {e['detail']}" for e in errors), errors=errors)


@router.post(
    "/visitors",
    auth=ApiClientAuth(Scope.VISITORS_WRITE),
    response={200: VisitorOut, 422: Problem, **PROBLEMS},
    summary="A visitor token for the shop's logged-in customer",
    operation_id="create_visitor_token",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": VisitorIn.model_json_schema()}},
        }
    },
)
def create_visitor_token(request: HttpRequest, response: HttpResponse):
    """The same answer whether or not the hub knows the customer: an unknown one gets a
    token for the shop's default (anonymous) answers.

    The body is read here, not by ninja, so that a body that is not the schema's is a 422
    naming the field (ninja's own check answers 400); ``openapi_extra`` documents it.
    """
    try:
        data = orjson.loads(request.body or b"null")
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        detail = "Send a JSON object with exactly one of email, crm_id."
        raise ApiProblem(
            422, f"body: {detail}", errors=[{"name": "body", "location": "body", "detail": detail}]
        )
    try:
        visitor = VisitorIn.model_validate(data)
    except ValidationError as error:
        raise _validation_problem(error) from None
    contact_id = visitor_contact_id(email=visitor.email or "", crm_id=visitor.crm_id or "")
    issued = visitor_token_issue(client_id=request.auth.pk, contact_id=contact_id)
    response["Cache-Control"] = "no-store"  # a credential
    return {"token": issued.token, "expires_at": issued.expires_at.isoformat()}


def _prices(visitor: Visitor, skus: list[str]) -> dict[str, tuple[Decimal, str]]:
    if not visitor.price_group or not skus:
        return {}
    return {
        sku: (price, currency)
        for sku, price, currency in GroupPrice.objects.filter(
            price_group=visitor.price_group, sku__in=skus
        ).values_list("sku", "price", "currency")
    }


@router.get(
    "/catalogue",
    auth=VisitorAuth(Scope.CATALOGUE_READ),
    response={200: CataloguePage, 304: None, 401: Problem, **PROBLEMS},
    summary="The live products at the visitor's account's prices",
    operation_id="account_catalogue",
)
def account_catalogue(request: HttpRequest, filters: Query[CatalogueQuery]):
    """Live products with the price of the visitor's account's price group (else the list
    price; ``price_basis`` says which), availability and lead time, paged like /products."""
    unknown = sorted(set(request.GET) - set(CatalogueQuery.model_fields))
    if unknown:
        raise bad_parameter(unknown[0], "Unknown parameter.")
    visitor: Visitor = request.visitor
    queryset = live_products(locale=filters.locale)
    if filters.category:
        subtree = category_subtree(filters.category)
        if not subtree:
            raise bad_parameter("category", f"No category with slug {filters.category!r}.")
        queryset = queryset.filter(categories__in=subtree).distinct()
    if filters.q:
        queryset = search_products(queryset, filters.q)
    keys, more = keyset_page(queryset, filters.cursor, filters.limit)
    pks = [pk for pk, _at in keys]
    # Prices change without the product: their version is part of the page's.
    price_version = (
        GroupPrice.objects.filter(
            price_group=visitor.price_group, sku__in=queryset.filter(pk__in=pks).values("sku")
        ).aggregate(count=Count("pk"), latest=Max("updated_at"))
        if visitor.price_group and pks
        else None
    )

    def page() -> dict:
        items = product_dicts(
            pks, CATALOGUE_FIELDS, absolute=lambda url: request.build_absolute_uri(url)
        )
        prices = _prices(visitor, [item["sku"] for item in items])
        for item in items:
            if item["sku"] in prices:
                price, currency = prices[item["sku"]]
                item.update(price=str(price), currency=currency, price_basis="price_group")
            else:
                item["price_basis"] = "list_price" if item["price"] is not None else None
        return {"items": items, "next_cursor": next_cursor(keys, more)}

    response = conditional_json(
        request,
        etag=etag_for(
            "catalogue", request.GET.urlencode(), visitor.price_group, price_version, keys, more
        ),
        last_modified=latest_update(keys),
        build=page,
    )
    response["Cache-Control"] = f"private, max-age={CATALOGUE_MAX_AGE}"
    response["Vary"] = f"Authorization, {VISITOR_HEADER}, Accept-Encoding"
    return response
