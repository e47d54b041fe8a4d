"""GET /api/v1/offers: the visitor's own offers from their account's purchase history.

The shop authenticates as itself (bearer token, scope ``placements:read``) and names its
logged-in customer with a visitor token (``X-Visitor-Token``), like the account catalogue.
The answer is personal: ``Cache-Control: private``, and its ETag is taken from the answer
itself (the offers are read from precomputed rows, so building it is cheap).
"""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from campaigns.models import Contact
from campaigns.offers.read import offers_answer
from campaigns.visitor_api import VISITOR_HEADER, LocaleCode, VisitorAuth
from campaigns.visitors import Visitor
from channels.models import Scope
from channels.placements import OFFER_KINDS
from core.api.conditional import conditional_json, etag_for
from core.api.inputs import InputSchema
from core.api.problems import PROBLEMS, ApiProblem, Problem, bad_parameter

router = Router(tags=["shop"])

OFFERS_MAX_AGE = 60
DEFAULT_KINDS = ",".join(OFFER_KINDS)


class OfferOut(Schema):
    sku: str
    name: str
    url: str
    image_url: str
    price: str | None = Field(description="The account's price, else the list price.")
    currency: str
    price_basis: Literal["price_group", "list_price"] | None
    lead_time_days: int | None
    kind: Literal["reorder", "spare_part", "accessory", "complementary", "viewed"]
    reason: str = Field(description="Why it is offered, in the answer's language.")


class OffersOut(Schema):
    items: list[OfferOut]


class OffersQuery(InputSchema):
    locale: LocaleCode | None = Field(
        None, description="Language code; default: the visitor's language."
    )
    kinds: str = Field(
        DEFAULT_KINDS,
        description=f"Comma-separated kinds, in the order wanted; of {DEFAULT_KINDS}.",
    )
    limit: int = Field(4, ge=1, le=50)


def _kinds(value: str) -> list[str]:
    kinds = [kind.strip() for kind in value.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in OFFER_KINDS]
    if unknown or not kinds:
        detail = (
            f"Unknown kind {unknown[0]!r}; use {DEFAULT_KINDS}."
            if unknown
            else f"Name at least one kind of {DEFAULT_KINDS}."
        )
        raise ApiProblem(
            422,
            f"kinds: {detail}",
            errors=[{"name": "kinds", "location": "query", "detail": detail}],
        )
    return kinds


def _locale(requested: str | None, visitor: Visitor) -> str:
    if requested:
        return requested
    if visitor.contact_id is not None:
        language = (
            Contact.objects.filter(pk=visitor.contact_id).values_list("language", flat=True).first()
        )
        if language in dict(settings.WAGTAIL_CONTENT_LANGUAGES):
            return language
    return settings.LANGUAGE_CODE


@router.get(
    "/offers",
    auth=VisitorAuth(Scope.PLACEMENTS_READ),
    response={200: OffersOut, 304: None, 401: Problem, 422: Problem, **PROBLEMS},
    summary="The visitor's offers: re-orders, spare parts, accessories, more",
    operation_id="visitor_offers",
)
def visitor_offers(request: HttpRequest, filters: Query[OffersQuery]):
    """Products for the visitor's account from its purchase history, each with its kind and
    the reason (re-orders when due, spare parts and accessories of what it bought, products
    from the categories it buys most, what the visitor viewed and did not order), in the
    order of ``kinds``, each product once. An anonymous visitor gets an empty list."""
    unknown = sorted(set(request.GET) - set(OffersQuery.model_fields))
    if unknown:
        raise bad_parameter(unknown[0], "Unknown parameter.")
    kinds = _kinds(filters.kinds)
    visitor: Visitor = request.visitor
    locale = _locale(filters.locale, visitor)
    answer = offers_answer(
        contact_id=visitor.contact_id,
        locale=locale,
        kinds=kinds,
        limit=filters.limit,
        price_group=visitor.price_group,
    )
    items = [
        {
            "sku": offer.product.sku,
            "name": offer.product.name,
            "url": offer.product.url,
            "image_url": offer.product.image_url,
            "price": None if offer.product.price is None else str(offer.product.price),
            "currency": offer.product.currency,
            "price_basis": (
                "price_group"
                if offer.product.sku in answer.group_priced
                else ("list_price" if offer.product.price is not None else None)
            ),
            "lead_time_days": offer.lead_time_days,
            "kind": offer.kind,
            "reason": offer.reason,
        }
        for offer in answer.offers
    ]
    response = conditional_json(
        request,
        etag=etag_for("offers", locale, items),
        last_modified=None,
        build=lambda: {"items": items},
    )
    response["Cache-Control"] = f"private, max-age={OFFERS_MAX_AGE}"
    response["Vary"] = f"Authorization, {VISITOR_HEADER}, Accept-Encoding"
    return response
