"""(contact, SKU) pairs per day and month: what "viewed a product but did not buy it" reads.

A block is one sorted array of 64-bit integers without repeats, each a pair
``contact id * 2**32 + SKU code`` (``SkuCode`` numbers the SKUs). A day's "viewed" block
holds who viewed which SKU that day, its "bought" block who ordered which SKU; a month's
block is its days merged. Whether a contact viewed a SKU it did not buy since the window
began is then a comparison of integer arrays (numpy), not a lookup per view in the events
and order lines (measured in ``bench/segments.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np

from ..models import ProductPairs, SkuCode
from .totals import window_where

EMPTY = np.zeros(0, dtype=np.int64)
SHIFT = 32
CODE_MASK = (1 << SHIFT) - 1
# Up to this contact id, pairs are picked with an array of flags (one byte per id).
FLAGS_LIMIT = 16_000_000


def pack(keys: np.ndarray) -> bytes:
    return np.ascontiguousarray(keys, dtype=np.int64).tobytes()


def unpack(data: bytes | memoryview | None) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.int64) if data else EMPTY


def block(pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """A block from ``(contact id, SKU code)`` pairs (repeats allowed)."""
    keys = np.fromiter(((contact << SHIFT) | code for contact, code in pairs), dtype=np.int64)
    return np.unique(keys)


def merge(blocks: Iterable[np.ndarray]) -> np.ndarray:
    blocks = [item for item in blocks if item.size]
    return np.unique(np.concatenate(blocks)) if blocks else EMPTY


def contacts(keys: np.ndarray) -> np.ndarray:
    return keys >> SHIFT


def codes(keys: np.ndarray) -> np.ndarray:
    return keys & CODE_MASK


def among(keys: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The pairs of these contacts (``ids``: contact ids, any order)."""
    if not keys.size or not ids.size:
        return EMPTY
    owners = contacts(keys)
    top = int(max(owners.max(), ids.max())) + 1
    if top > FLAGS_LIMIT:
        return keys[np.isin(owners, ids)]
    # One flag per contact id and a lookup per pair: no sort, unlike ``np.isin``.
    flags = np.zeros(top, dtype=bool)
    flags[ids] = True
    return keys[flags[owners]]


def count(keys: np.ndarray) -> int:
    """How many pairs a block holds."""
    return keys.size


def without(keys: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The block without these contacts' pairs."""
    return keys[~np.isin(contacts(keys), ids)]


def window_keys(kind: str, first_day: dt.date, month_start, next_month) -> np.ndarray:
    """The pairs of a window starting ``first_day``: its first month's day blocks and the
    month blocks after it, joined (a pair may appear more than once)."""
    rows = ProductPairs.objects.filter(
        window_where(first_day, month_start, next_month), kind=kind
    ).values_list("data", flat=True)
    blocks = [unpack(data) for data in rows]
    return np.concatenate(blocks) if blocks else EMPTY


def sku_code(sku: str) -> int | None:
    """The code of a SKU, ``None`` when no view or order line named it yet."""
    return SkuCode.objects.filter(sku=sku).values_list("pk", flat=True).first()


def sku_codes(skus: Iterable[str]) -> dict[str, int]:
    """Codes for these SKUs, numbering the new ones."""
    skus = set(skus)
    if not skus:
        return {}
    SkuCode.objects.bulk_create([SkuCode(sku=sku) for sku in skus], ignore_conflicts=True)
    return dict(SkuCode.objects.filter(sku__in=skus).values_list("sku", "pk"))
