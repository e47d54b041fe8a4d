"""Keyset paging with signed cursors: pages that stay stable while rows change.

A page is keyed on the primary key, so edits while a client pages neither repeat nor skip
rows. A cursor is the last key of a page, signed, so a client cannot forge one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.core import signing
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime

from .problems import bad_parameter

# The salt is part of every cursor already issued: changing it invalidates them.
CURSOR_SALT = "hub.api.cursor"

# A page's fingerprint is read as text: parsing a hundred timestamps would cost more than
# the rest of a 304. Only the latest is parsed, for Last-Modified.
_UPDATED_AT = Cast("updated_at", output_field=CharField())

PageKeys = list[tuple[int, str]]


def encode_cursor(last_pk: int) -> str:
    return signing.dumps({"after": last_pk}, salt=CURSOR_SALT, compress=False)


def decode_cursor(cursor: str | None) -> int:
    """The key a cursor continues after (0 for none); a 400 for one the API did not issue."""
    if not cursor:
        return 0
    try:
        return int(signing.loads(cursor, salt=CURSOR_SALT)["after"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise bad_parameter("cursor", "Not a cursor this API issued.") from None


def keyset_page(queryset: QuerySet, cursor: str | None, limit: int) -> tuple[PageKeys, bool]:
    """One page of (pk, updated_at as text) rows after the cursor, and whether more follow."""
    after = decode_cursor(cursor)
    rows = list(
        queryset.filter(pk__gt=after).order_by("pk").values_list("pk", _UPDATED_AT)[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


def next_cursor(keys: PageKeys, more: bool) -> str | None:
    return encode_cursor(keys[-1][0]) if more else None


def latest_update(keys: PageKeys) -> datetime | None:
    """The latest ``updated_at`` of a page, for Last-Modified (None for an empty page)."""
    latest = max((at for _pk, at in keys), default=None)
    if not latest:
        return None
    moment = parse_datetime(latest.replace(" ", "T"))
    # SQLite keeps UTC without an offset; PostgreSQL says +00.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
