"""Price-group prices from the ERP: what a newsletter shows an account's contacts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from campaigns.feeds.triggers import feeds_mark_changed
from campaigns.models import GroupPrice
from campaigns.services.events import ItemError
from content.selectors import known_skus


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
    for key, item in latest.items():
        row = stored.get(key)
        if row is None:
            create.append(GroupPrice(**vars(item)))
        elif (row.price, row.currency) != (item.price, item.currency):
            row.price, row.currency = item.price, item.currency
            update.append(row)
        else:
            result.unchanged += 1
    GroupPrice.objects.bulk_create(create)
    GroupPrice.objects.bulk_update(update, ["price", "currency", "updated_at"])
    result.created, result.updated = len(create), len(update)
    if create or update:
        feeds_mark_changed()
    return result
