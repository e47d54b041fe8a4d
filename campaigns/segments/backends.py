"""Segment backends: one rule language, answered by direct SQL or from bitmaps.

Both take a rule tree and a moment and return the matching contacts as a set of ids (a
pyroaring ``BitMap``), optionally only among ``within``:

- ``SqlBackend`` compiles the tree to one query over contacts, events and orders
  (``compile_rules``): exact at the moment it runs, and the cost grows with the events.
- ``BitmapBackend`` evaluates it over the day and attribute sets the segment-state
  maintenance keeps (``bitmaps``): the same answer once the sets caught up with the data
  (within a minute), at a cost that grows with the contacts, not the events.

``segment_backend()`` picks the one ``HUB_SEGMENT_BACKEND`` names; until the sets were
built once (a new installation, before the first maintenance run), the bitmap backend
answers with SQL. A backend for another store (ClickHouse bitmaps, say) implements
``members`` the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef, Q
from pyroaring import BitMap

from ..models import ConsentState, SegmentState, Suppression
from .bitmaps import REACHABLE, BitmapReader, bitmap_members, sql_members
from .cleaning import clean_rules
from .compiler import compile_rules


def reachable_q() -> Q:
    """Contacts who confirmed consent and whose address is not suppressed."""
    suppressed = Suppression.objects.filter(email_hash=OuterRef("email_hash"))
    return Q(consent=ConsentState.CONFIRMED) & ~Q(Exists(suppressed))


class SegmentBackend(Protocol):
    name: str

    def members(self, rules: Any, *, now: dt.datetime, within: BitMap | None = None) -> BitMap:
        """The ids of the contacts the tree matches at ``now`` (among ``within``)."""

    def reachable(self, within: BitMap | None = None) -> BitMap:
        """The ids of the contacts a campaign may address (among ``within``)."""


class SqlBackend:
    name = "sql"

    def members(self, rules: Any, *, now: dt.datetime, within: BitMap | None = None) -> BitMap:
        return sql_members(compile_rules(rules, now=now), within)

    def reachable(self, within: BitMap | None = None) -> BitMap:
        return sql_members(reachable_q(), within)


class BitmapBackend:
    """``shared``: one reader for many trees (a maintenance run rechecking every saved
    segment over sets that do not change meanwhile): each set is loaded once."""

    name = "bitmap"

    def __init__(self, *, shared: bool = False) -> None:
        self.reader = BitmapReader() if shared else None

    def members(self, rules: Any, *, now: dt.datetime, within: BitMap | None = None) -> BitMap:
        return bitmap_members(clean_rules(rules), now=now, within=within, reader=self.reader)

    def reachable(self, within: BitMap | None = None) -> BitMap:
        found = (self.reader or BitmapReader()).attribute(REACHABLE)
        return found & within if within is not None else found


BACKENDS: dict[str, type] = {"sql": SqlBackend, "bitmap": BitmapBackend}


def bitmaps_built() -> bool:
    return SegmentState.objects.filter(built_at__isnull=False).exists()


def segment_backend(name: str | None = None) -> SegmentBackend:
    """The configured backend (or the one named); SQL while no bitmaps were built yet."""
    name = name or settings.HUB_SEGMENT_BACKEND
    if name not in BACKENDS:
        raise ImproperlyConfigured(
            f"HUB_SEGMENT_BACKEND is {name!r}; use one of {', '.join(sorted(BACKENDS))}."
        )
    if name == "bitmap" and not bitmaps_built():
        name = "sql"
    return BACKENDS[name]()
