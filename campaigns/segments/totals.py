"""Order totals per contact, packed per day and month: what thresholds on order counts and
revenue ("revenue between 1,000 and 5,000 in 365 days", "at least 2 orders") read.

A block is three arrays of 64-bit integers of equal length: contact ids in ascending
order, each contact's number of orders, and its revenue in cents. A day's block holds the
contacts who ordered that day; a month's block is its days merged per contact. A window
of days reads the day blocks of its first, partial month and the month blocks after it,
merges them (numpy: a sort and a sum per contact, in integers), and compares. Reading a
few packed values costs far less than summing a row per contact and day in SQL (measured
in ``bench/segments.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
from django.db.models import Q

from ..models import BitmapSpan, OrderTotals

EMPTY = np.zeros((3, 0), dtype=np.int64)
# Up to this contact id, blocks are added up with counting arrays (8 bytes per id).
DENSE_LIMIT = 16_000_000
EXACT_IN_FLOAT = 2**53


def pack(block: np.ndarray) -> bytes:
    return np.ascontiguousarray(block, dtype=np.int64).tobytes()


def unpack(data: bytes | memoryview | None) -> np.ndarray:
    if not data:
        return EMPTY
    return np.frombuffer(bytes(data), dtype=np.int64).reshape(3, -1)


def block(rows: Iterable[tuple[int, int, int]]) -> np.ndarray:
    """A block from ``(contact id, orders, cents)`` rows, one per contact."""
    array = np.array(sorted(rows), dtype=np.int64).reshape(-1, 3).T
    return np.ascontiguousarray(array) if array.size else EMPTY


def merge(blocks: Iterable[np.ndarray]) -> np.ndarray:
    """Blocks added up per contact (exact: integer sums)."""
    blocks = [item for item in blocks if item.shape[1]]
    if not blocks:
        return EMPTY
    if len(blocks) == 1:
        return blocks[0]
    joined = np.concatenate(blocks, axis=1)
    top = int(joined[0].max()) + 1
    if top <= DENSE_LIMIT and int(np.abs(joined[2]).sum()) < EXACT_IN_FLOAT:
        # Dense ids: one pass of counting per column instead of a sort. The sums go
        # through float64, exact for integers below 2**53 (checked above).
        present = np.flatnonzero(np.bincount(joined[0], minlength=top))
        sums = [
            np.bincount(joined[0], weights=joined[column], minlength=top)[present]
            for column in (1, 2)
        ]
        return np.vstack((present, *(np.rint(column).astype(np.int64) for column in sums)))
    order = np.argsort(joined[0], kind="stable")
    ids = joined[0][order]
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    sums = np.add.reduceat(joined[1:, order], starts, axis=1)
    return np.vstack((ids[starts], sums))


def count(block: np.ndarray) -> int:
    """How many contacts a block holds."""
    return block.shape[1]


def without(item: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The block without these contacts."""
    return item[:, ~np.isin(item[0], ids)]


def window_where(first_day: dt.date | None, month_start, next_month) -> Q:
    """The day and month blocks of a window starting ``first_day`` (``None``: ever)."""
    if first_day is None:
        return Q(span=BitmapSpan.MONTH)
    if first_day == month_start(first_day):
        return Q(span=BitmapSpan.MONTH, period__gte=first_day)
    later = next_month(first_day)
    return Q(span=BitmapSpan.DAY, period__gte=first_day, period__lt=later) | Q(
        span=BitmapSpan.MONTH, period__gte=later
    )


def window_totals(first_day: dt.date | None, month_start, next_month) -> np.ndarray:
    rows = OrderTotals.objects.filter(window_where(first_day, month_start, next_month))
    return merge(unpack(data) for data in rows.values_list("data", flat=True))


def passing(totals: np.ndarray, column: int, low: int | None, high: int | None) -> np.ndarray:
    """A mask over the block: ``low <= total <= high`` for one column (1 orders, 2 cents)."""
    values = totals[column]
    mask = np.ones(values.shape, dtype=bool)
    if low is not None:
        mask &= values >= low
    if high is not None:
        mask &= values <= high
    return mask
