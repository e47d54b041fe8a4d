"""Prices from the ERP: price-group prices (what a newsletter shows an account's contacts)
and the list price and stock on the products, which the feeds carry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from campaigns.feeds.triggers import feeds_mark_changed
from campaigns.models import GroupPrice
from campaigns.placements.cache import content_version_bump
from campaigns.services.events import ItemError
from content.selectors import known_skus
from content.services import ErpFactsInput, ErpFactsResult, erp_facts_record


@dataclass(frozen=True)
class GroupPriceInput:
    sku: str
    price_group: str
    price: Decimal
    currency: str = "EUR"


@dataclass
class PricesResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ItemError] = field(default_factory=list)


@transaction.atomic
def group_prices_record(*, items: Sequence[GroupPriceInput]) -> PricesResult:
    """Create or update the price of each (SKU, price group); one transaction.

    A price sent again as stored writes nothing; within a batch, the last item for the same
    SKU and price group wins. A price for a SKU no product has is reported in ``errors`` by
    its index and SKU, and not stored; the others are. A changed price marks the feeds for
    regeneration.
    """
    known = known_skus(item.sku for item in items)
    result = PricesResult()
    for index, item in enumerate(items):
        if item.sku not in known:
            result.errors.append(
                ItemError(index, item.sku, "sku", f"No product with SKU {item.sku!r}.")
            )
    latest = {(item.sku, item.price_group): item for item in items if item.sku in known}
    stored = {
        (row.sku, row.price_group): row
        for row in GroupPrice.objects.select_for_update().filter(
            sku__in={sku for sku, _group in latest},
            price_group__in={group for _sku, group in latest},
        )
    }
    create, update = [], []
    now = timezone.now()  # bulk_update does not apply auto_now
    for key, item in latest.items():
        row = stored.get(key)
        if row is None:
            create.append(GroupPrice(**vars(item)))
        elif (row.price, row.currency) != (item.price, item.currency):
            row.price, row.currency, row.updated_at = item.price, item.currency, now
            update.append(row)
        else:
            result.unchanged += 1
    GroupPrice.objects.bulk_create(create)
    GroupPrice.objects.bulk_update(update, ["price", "currency", "updated_at"])
    result.created, result.updated = len(create), len(update)
    if create or update:
        feeds_mark_changed()
        content_version_bump()  # placements show the price groups' prices
    return result


@transaction.atomic
def erp_facts_import(*, items: Sequence[ErpFactsInput]) -> ErpFactsResult:
    """Store the ERP's list prices and stock on the products (``content.services``) and,
    when any product changed, mark the feeds for regeneration in the same transaction: the
    next file carries the new price, and a batch that rolls back marks nothing.
    """
    result = erp_facts_record(items=items)
    if result.updated:
        feeds_mark_changed()
        content_version_bump()  # placements show the list price and stock
    return result
