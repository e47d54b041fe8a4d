"""Intake of events, orders and prices from channel systems (webshop, ERP connector).

A batch is validated item by item: the items that are fine are stored, the others come
back in ``errors`` with their index, the field at fault and why, in a ``200`` answer. Only a
body that is not a batch at all (not JSON, no list, too many items) is refused as a whole,
with ``400`` problem details, and then nothing is stored.

The schemas below document every item in full (OpenAPI); a wrap validator keeps an item
that breaks them as a per-item error instead of failing the batch. The writes are the
services' (``campaigns.services.events``), which the tracking endpoints and the CRM sync
share.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import (
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)

from campaigns.models import EventKind, OrderSource
from campaigns.services.events import (
    ContactRef,
    EventInput,
    ItemError,
    OrderInput,
    OrderLineInput,
    events_record,
    orders_record,
)
from campaigns.services.prices import GroupPriceInput, erp_facts_import, group_prices_record
from channels.api_auth import ApiClientAuth
from channels.models import ApiClient, Scope
from content.services import ERP_FACTS, ErpFactsError, ErpFactsInput
from content.taxonomy import Availability
from core.api.inputs import InputSchema, IsoDateTime, storable_json, storable_text
from core.api.problems import PROBLEMS, Problem

router = Router(tags=["activity"])

MAX_EVENTS = 1000
MAX_ORDERS = 500
MAX_PRICES = 1000
MAX_ERP_FACTS = 1000
MAX_LINES = 500
MAX_DATA_BYTES = 2048

# Orders are reported through /orders, which keeps their lines and revenue.
ReportableKind = Literal[tuple(kind for kind in EventKind.values if kind != EventKind.ORDER)]


Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2, allow_inf_nan=False)]


# --- schemas ------------------------------------------------------------------------------


class ContactIn(InputSchema):
    """Exactly one identifier of a contact the hub knows."""

    email: str | None = Field(None, min_length=1, max_length=254, examples=["erika@example.com"])
    external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The id in the shop or ERP."
    )
    crm_id: str | None = Field(None, min_length=1, max_length=100)

    model_config = {"extra": "forbid"}

    @model_validator(mode="after")
    def _exactly_one(self) -> ContactIn:
        given = [name for name in ("email", "external_id", "crm_id") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("give exactly one of email, external_id, crm_id")
        return self

    def ref(self) -> ContactRef:
        return ContactRef(
            email=self.email or "", external_id=self.external_id or "", crm_id=self.crm_id or ""
        )


class EventIn(InputSchema):
    id: str = Field(
        min_length=1,
        max_length=100,
        description="Idempotency key: an event sent again with the same id is stored once.",
        examples=["view-7f3c2a"],
    )
    type: ReportableKind = Field(description="What the contact did.")
    occurred_at: IsoDateTime = Field(
        description="ISO 8601 with a time zone; not in the future.",
        examples=["2026-11-23T10:15:00+01:00"],
    )
    contact: ContactIn
    customer_number: str | None = Field(
        None, min_length=1, max_length=50, description="The account, if not the contact's own."
    )
    sku: str | None = Field(None, min_length=1, max_length=64, examples=["HW-BEF-0001"])
    category: str | None = Field(
        None, min_length=1, max_length=100, description="Category slug.", examples=["schrauben"]
    )
    campaign: int | None = Field(None, ge=1, le=2**31 - 1, description="Campaign id.")
    value: Money | None = Field(None, description="e.g. a cart value or a survey score.")
    data: dict[str, Any] | None = Field(
        None, description=f"Anything else, as a JSON object of at most {MAX_DATA_BYTES} bytes."
    )

    model_config = {"extra": "forbid"}

    @field_validator("data")
    @classmethod
    def _small(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        try:
            # The standard library's encoder, as the JSONField's: it takes integers of any
            # size; NaN and Infinity are no JSON and PostgreSQL refuses them.
            size = len(json.dumps(value, allow_nan=False, separators=(",", ":")))
        except ValueError:
            raise ValueError("plain JSON only: no NaN or Infinity") from None
        if size > MAX_DATA_BYTES:
            raise ValueError(f"at most {MAX_DATA_BYTES} bytes as JSON")
        return storable_json(value)

    def to_input(self) -> EventInput:
        return EventInput(
            key=self.id,
            kind=self.type,
            occurred_at=self.occurred_at,
            contact=self.contact.ref(),
            customer_number=self.customer_number or "",
            sku=self.sku or "",
            category=self.category or "",
            campaign_id=self.campaign,
            value=self.value,
            data=self.data or {},
        )


class OrderLineIn(InputSchema):
    sku: str = Field(min_length=1, max_length=64, examples=["HW-BEF-0001"])
    quantity: Decimal = Field(ge=0, max_digits=12, decimal_places=3, allow_inf_nan=False)
    unit_price: Decimal = Field(
        ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False, examples=["19.90"]
    )

    model_config = {"extra": "forbid"}


class OrderIn(InputSchema):
    order_number: str = Field(
        min_length=1, max_length=100, description="Unique per source; the key to update by."
    )
    ordered_at: IsoDateTime = Field(description="ISO 8601 with a time zone; not in the future.")
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217.")
    contact: ContactIn | None = None
    customer_number: str | None = Field(
        None, min_length=1, max_length=50, description="The ordering account."
    )
    lines: list[OrderLineIn] = Field(default_factory=list, max_length=MAX_LINES)
    campaign: int | None = Field(
        None, ge=1, le=2**31 - 1, description="The campaign the order is attributed to."
    )
    revenue: Money | None = Field(None, ge=0, description="Default: the sum of the lines.")

    model_config = {"extra": "forbid"}

    def to_input(self) -> OrderInput:
        return OrderInput(
            order_number=self.order_number,
            ordered_at=self.ordered_at,
            currency=self.currency,
            lines=tuple(
                OrderLineInput(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price)
                for line in self.lines
            ),
            contact=self.contact.ref() if self.contact else None,
            customer_number=self.customer_number or "",
            campaign_id=self.campaign,
            revenue=self.revenue,
        )


class PriceIn(InputSchema):
    sku: str = Field(min_length=1, max_length=64, examples=["HW-BEF-0001"])
    price_group: str = Field(min_length=1, max_length=50, examples=["B"])
    price: Decimal = Field(
        ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False, examples=["17.50"]
    )
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217.")

    model_config = {"extra": "forbid"}

    def to_input(self) -> GroupPriceInput:
        return GroupPriceInput(
            sku=self.sku, price_group=self.price_group, price=self.price, currency=self.currency
        )


class ErpFactsIn(InputSchema):
    """A SKU's list price and stock: only the fields given are written, null clears one."""

    sku: str = Field(min_length=1, max_length=64, examples=["HW-BEF-0001"])
    price: Decimal | None = Field(
        None,
        ge=0,
        max_digits=12,
        decimal_places=2,
        allow_inf_nan=False,
        description="The net list price; null: none (feeds that need a price refuse it).",
        examples=["19.90"],
    )
    currency: str = Field(
        "EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217; a price sent without it is EUR."
    )
    availability: Literal[tuple(Availability.values)] | None = Field(
        None, description="null: not known."
    )
    lead_time_days: int | None = Field(
        None, ge=0, le=2**31 - 1, description="Days until delivery; null: not known."
    )

    model_config = {"extra": "forbid"}

    @model_validator(mode="after")
    def _some_fact(self) -> ErpFactsIn:
        if not self.model_fields_set & set(ERP_FACTS):
            raise ValueError(f"give at least one of {', '.join(ERP_FACTS)}")
        return self

    def to_input(self) -> ErpFactsInput:
        given = self.model_fields_set
        facts = {name: getattr(self, name) for name in ERP_FACTS if name in given}
        if facts.get("price") is not None:
            facts.setdefault("currency", self.currency)
        if "availability" in facts:
            facts["availability"] = facts["availability"] or ""
        return ErpFactsInput(sku=self.sku, facts=facts)


class InvalidItem:
    """An item of a batch that broke its schema: kept to be reported, never stored."""

    def __init__(self, raw: Any, errors: list[dict[str, Any]]) -> None:
        self.raw = raw
        self.errors = errors

    @property
    def key(self) -> str | None:
        if isinstance(self.raw, dict):
            for name in ("id", "order_number", "sku"):
                if isinstance(self.raw.get(name), str):
                    return storable_text(self.raw[name])
        return None

    def first_error(self) -> tuple[str | None, str]:
        if not isinstance(self.raw, dict):
            return None, "An item must be a JSON object."
        error = self.errors[0]
        field = ".".join(str(part) for part in error.get("loc", ())) or None
        return field, error.get("msg", "Invalid.").removeprefix("Value error, ")


def _keep_invalid(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError as exc:
        return InvalidItem(value, exc.errors(include_url=False))


# The JSON schema of a wrap validator is its inner schema's: clients see EventIn/OrderIn.
EventItem = Annotated[EventIn, WrapValidator(_keep_invalid)]
OrderItem = Annotated[OrderIn, WrapValidator(_keep_invalid)]
PriceItem = Annotated[PriceIn, WrapValidator(_keep_invalid)]
ErpFactsItem = Annotated[ErpFactsIn, WrapValidator(_keep_invalid)]


class EventBatchIn(Schema):
    events: list[EventItem] = Field(min_length=1, max_length=MAX_EVENTS)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "events": [
                        {
                            "id": "view-7f3c2a",
                            "type": "product_view",
                            "occurred_at": "2026-11-23T10:15:00+01:00",
                            "contact": {"email": "erika@example.com"},
                            "sku": "HW-BEF-0001",
                        },
                        {
                            "id": "cart-19a0",
                            "type": "cart_abandoned",
                            "occurred_at": "2026-11-23T10:20:00+01:00",
                            "contact": {"external_id": "shop-4711"},
                            "value": "129.90",
                            "data": {"skus": ["HW-BEF-0001", "HW-BEF-0002"]},
                        },
                    ]
                }
            ]
        }
    }


class OrderBatchIn(Schema):
    orders: list[OrderItem] = Field(min_length=1, max_length=MAX_ORDERS)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "orders": [
                        {
                            "order_number": "WS-2026-000123",
                            "ordered_at": "2026-11-23T10:30:00+01:00",
                            "currency": "EUR",
                            "contact": {"email": "erika@example.com"},
                            "customer_number": "K000123",
                            "lines": [
                                {"sku": "HW-BEF-0001", "quantity": "10", "unit_price": "19.90"}
                            ],
                            "campaign": 4,
                        }
                    ]
                }
            ]
        }
    }


class PriceBatchIn(Schema):
    prices: list[PriceItem] = Field(min_length=1, max_length=MAX_PRICES)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "prices": [
                        {"sku": "HW-BEF-0001", "price_group": "A", "price": "18.90"},
                        {"sku": "HW-BEF-0001", "price_group": "B", "price": "17.50"},
                    ]
                }
            ]
        }
    }


class ErpFactsBatchIn(Schema):
    products: list[ErpFactsItem] = Field(min_length=1, max_length=MAX_ERP_FACTS)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "products": [
                        {
                            "sku": "HW-BEF-0001",
                            "price": "19.90",
                            "availability": "in_stock",
                            "lead_time_days": 2,
                        },
                        {"sku": "HW-BEF-0002", "availability": "out_of_stock"},
                    ]
                }
            ]
        }
    }


class ItemErrorOut(Schema):
    index: int = Field(description="Position of the item in the batch, from 0.")
    id: str | None = Field(description="The item's id or order number, if it had one.")
    field: str | None = Field(
        description="The field at fault, dotted (e.g. contact.email); null: the whole item."
    )
    detail: str


class EventsOut(Schema):
    accepted: int = Field(description="Events stored by this request.")
    duplicates: int = Field(description="Events stored before under the same id: skipped.")
    errors: list[ItemErrorOut] = Field(description="Events not stored, and why.")


class OrdersOut(Schema):
    created: int
    updated: int = Field(description="Orders stored before and changed: lines replaced.")
    unchanged: int = Field(description="Orders sent again as stored: nothing written.")
    errors: list[ItemErrorOut]


class PricesOut(Schema):
    created: int
    updated: int = Field(description="Prices stored before and changed.")
    unchanged: int = Field(description="Prices sent again as stored: nothing written.")
    errors: list[ItemErrorOut]


class ErpFactsOut(Schema):
    updated: int = Field(description="SKUs whose facts changed: every language version written.")
    unchanged: int = Field(description="SKUs sent again as stored: nothing written.")
    errors: list[ItemErrorOut]


# --- mapping ------------------------------------------------------------------------------


def _errors_out(
    invalid: list[tuple[int, InvalidItem]],
    refused: list[ItemError] | list[ErpFactsError],
    positions: list[int],
) -> list[dict[str, Any]]:
    errors = []
    for index, item in invalid:
        field, detail = item.first_error()
        errors.append({"index": index, "id": item.key, "field": field, "detail": detail})
    for error in refused:
        errors.append(
            {
                "index": positions[error.index],
                "id": error.key,
                "field": error.field,
                "detail": error.detail,
            }
        )
    return sorted(errors, key=lambda error: error["index"])


def _split(items: list[Any]) -> tuple[list[Any], list[int], list[tuple[int, InvalidItem]]]:
    valid, positions, invalid = [], [], []
    for index, item in enumerate(items):
        if isinstance(item, InvalidItem):
            invalid.append((index, item))
        else:
            valid.append(item.to_input())
            positions.append(index)
    return valid, positions, invalid


def event_source(client: ApiClient) -> str:
    return f"api:{client.pk}"


def order_source(client: ApiClient) -> str:
    """The ERP's orders for a client with ``orders:write:erp``; else the client's own.

    Order numbers are unique per source, so a client without that scope can neither
    overwrite the ERP's orders nor another client's.
    """
    if client.has_scope(Scope.ORDERS_WRITE_ERP):
        return OrderSource.ERP
    return f"api:{client.pk}"


# --- routes -------------------------------------------------------------------------------


@router.post(
    "/events",
    auth=ApiClientAuth(Scope.EVENTS_WRITE),
    response={200: EventsOut, 413: Problem, **PROBLEMS},
    summary="Report behaviour events",
    operation_id="record_events",
)
def record_events(request: HttpRequest, batch: EventBatchIn):
    """Store up to 1,000 events of known contacts, each once per id.

    Answers 200 whenever the body is a batch: ``accepted`` events were stored,
    ``duplicates`` had been stored before (a retry is safe), ``errors`` lists the others by
    index. Needs the scope ``events:write``.
    """
    items, positions, invalid = _split(batch.events)
    result = events_record(source=event_source(request.auth), items=items)
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "errors": _errors_out(invalid, result.errors, positions),
    }


@router.post(
    "/orders",
    auth=ApiClientAuth(Scope.ORDERS_WRITE),
    response={200: OrdersOut, 413: Problem, **PROBLEMS},
    summary="Report orders",
    operation_id="record_orders",
)
def record_orders(request: HttpRequest, batch: OrderBatchIn):
    """Create or update up to 500 orders by order number, with their lines.

    An order sent again unchanged is left alone; a changed one is updated and its lines
    replaced. A client's orders are its own (order numbers are unique per client), unless
    its token also has ``orders:write:erp``: then they are the ERP's. Answers 200 whenever
    the body is a batch, with per-item ``errors``. Needs the scope ``orders:write``.
    """
    items, positions, invalid = _split(batch.orders)
    result = orders_record(
        source=order_source(request.auth), items=items, reported_by=event_source(request.auth)
    )
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "errors": _errors_out(invalid, result.errors, positions),
    }


@router.put(
    "/prices",
    auth=ApiClientAuth(Scope.PRICES_WRITE),
    response={200: PricesOut, 413: Problem, **PROBLEMS},
    summary="Report price-group prices",
    operation_id="record_prices",
)
def record_prices(request: HttpRequest, batch: PriceBatchIn):
    """Create or update up to 1,000 prices, each for one SKU and one price group.

    Newsletters show a contact the price of their account's price group where there is one.
    A price for a SKU no product has is an item error. Answers 200 whenever the body is a
    batch, with per-item ``errors``. Needs the scope ``prices:write``.
    """
    items, positions, invalid = _split(batch.prices)
    result = group_prices_record(items=items)
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "errors": _errors_out(invalid, result.errors, positions),
    }


@router.put(
    "/erp-facts",
    auth=ApiClientAuth(Scope.ERP_FACTS_WRITE),
    response={200: ErpFactsOut, 413: Problem, **PROBLEMS},
    summary="Report list prices and stock",
    operation_id="record_erp_facts",
)
def record_erp_facts(request: HttpRequest, batch: ErpFactsBatchIn):
    """Update the list price, currency, availability and lead time of up to 1,000 SKUs.

    Every language version of a product gets the facts, drafts too; only the fields an item
    gives are written, and the same facts again write nothing. A changed product counts as
    changed for the product API (``updated_at``, ETags) and regenerates the feeds. A SKU no
    product has is an item error: the ERP's facts never create products. Answers 200
    whenever the body is a batch, with per-item ``errors``. Needs the scope
    ``erp-facts:write``.
    """
    items, positions, invalid = _split(batch.products)
    result = erp_facts_import(items=items)
    return {
        "updated": result.updated,
        "unchanged": result.unchanged,
        "errors": _errors_out(invalid, result.errors, positions),
    }
