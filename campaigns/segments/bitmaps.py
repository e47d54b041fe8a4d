"""The bitmap backend: a rule tree answered from contact sets kept per day and attribute.

Where the direct SQL backend (``compile_rules``) scans events and orders for every count,
this one reads what ``campaigns.services.segment_state`` keeps up to date:

- "did X in the last D days": the OR of the day sets of the window's first, partial month
  and the month sets after it (``BitmapReader.since``);
- "did X at least N times" and "at least N orders" (N up to ``LEVELS``): each day and month
  also keeps the contacts who did X at least 2, 3, ... ``LEVELS`` times in it; a contact
  did X at least N times in a window exactly when it is in at least N of the window's
  sets of all levels (``count_levels``: a count capped at ``LEVELS`` per period adds up to
  at least N, N <= ``LEVELS``, only if the true count does);
- role, phase, language, consent, the account's fields and "reachable" (consent confirmed,
  address not suppressed): attribute sets;
- order counts and revenue with thresholds: packed order totals per day and month
  (``totals``), added up per contact in numpy;
- "viewed a product but did not buy it": the (contact, SKU) pairs of views and order lines
  (``pairs``) for the contacts who both viewed and ordered in the window;
- conditions that compare moments within a day ("no order since the abandoned cart") or
  filter by SKU, category or survey: the sets above decide most contacts, and the
  direct SQL of that one condition decides the rest, restricted to those candidates.

Answers equal the direct SQL backend's on the same data (the property test holds them to
it); they trail new data by one maintenance run (about a minute). Sets are pyroaring
``BitMap`` objects of contact ids; every answer is cut to the contacts that exist ("all").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from pyroaring import BitMap

from ..models import BitmapSpan, Contact, ContactBitmap, EventKind, PairKind
from . import pairs, totals
from .conditions import CompileContext
from .fields import FIELDS
from .values import local_day, window_first_day

ALL = "all"
REACHABLE = "reachable"
ORDERED = "ordered"
# Product views that name a product: what "viewed a product but did not buy it" starts from.
VIEWED_PRODUCT = "viewed_product"
# The contact fields kept as attribute sets, and the account fields (through the contact).
CONTACT_ATTRIBUTES = ("role", "phase", "language", "consent")
ACCOUNT_ATTRIBUTES = ("industry", "country", "size_class", "price_group")
# Lists of candidate ids are sent to SQL in chunks of this many parameters.
CHUNK = 5_000
MAX_CANDIDATES = 4 * CHUNK
# Sets of "did it at least 2, 3, ... LEVELS times" are kept per day and month.
LEVELS = 5


def event_key(kind: str) -> str:
    return f"events:{kind}"


def level_key(key: str, level: int) -> str:
    """The set of contacts in ``key`` at least ``level`` times (level 1 is ``key`` itself)."""
    return key if level == 1 else f"{key}>={level}"


def level_keys(key: str) -> list[str]:
    return [level_key(key, level) for level in range(1, LEVELS + 1)]


def count_levels(sets: Iterable[BitMap], top: int) -> list[BitMap]:
    """The contacts in at least 1, 2, ... ``top`` of these sets."""
    reached = [BitMap() for _ in range(top)]
    for bits in sets:
        for level in range(top - 1, 0, -1):
            reached[level] |= reached[level - 1] & bits
        reached[0] |= bits
    return reached


def attribute_key(name: str, value: str) -> str:
    """``role:buyer``, ``account.country:DE``; ``name`` is a rule field name."""
    return f"{name}:{value}"


def to_bytes(bitmap: BitMap) -> bytes:
    bitmap.run_optimize()
    return bitmap.serialize()


def from_bytes(data: bytes | memoryview | None) -> BitMap:
    return BitMap.deserialize(bytes(data)) if data else BitMap()


def union(bitmaps: Iterable[BitMap]) -> BitMap:
    bitmaps = list(bitmaps)
    return BitMap.union(*bitmaps) if bitmaps else BitMap()


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


class BitmapReader:
    """Loads the stored sets one evaluation needs, each once."""

    def __init__(self) -> None:
        self._attributes: dict[str, BitMap] = {}
        self._windows: dict[tuple[str, dt.date | None], BitMap] = {}
        self._counted: dict[tuple[str, dt.date | None, int], BitMap] = {}
        self._totals: dict[dt.date | None, object] = {}
        self._pairs: dict[tuple[str, dt.date], object] = {}

    def attribute(self, key: str) -> BitMap:
        if key not in self._attributes:
            data = (
                ContactBitmap.objects.filter(span=BitmapSpan.ATTRIBUTE, key=key, period=None)
                .values_list("bits", flat=True)
                .first()
            )
            self._attributes[key] = from_bytes(data)
        return self._attributes[key]

    def load_attributes(self, keys: Iterable[str]) -> None:
        """Load these attribute sets in one query (one round trip instead of one each)."""
        wanted = set(keys) - set(self._attributes)
        if not wanted:
            return
        found = dict(
            ContactBitmap.objects.filter(
                span=BitmapSpan.ATTRIBUTE, key__in=wanted, period=None
            ).values_list("key", "bits")
        )
        for key in wanted:
            self._attributes[key] = from_bytes(found.get(key))

    def universe(self) -> BitMap:
        return self.attribute(ALL)

    def totals(self, first_day: dt.date | None):
        """Orders and revenue per contact from ``first_day`` on (``None``: ever)."""
        if first_day not in self._totals:
            self._totals[first_day] = totals.window_totals(first_day, month_start, next_month)
        return self._totals[first_day]

    def pairs(self, kind: str, first_day: dt.date):
        """The (contact, SKU) pairs viewed or bought from ``first_day`` on."""
        if (kind, first_day) not in self._pairs:
            self._pairs[kind, first_day] = pairs.window_keys(
                kind, first_day, month_start, next_month
            )
        return self._pairs[kind, first_day]

    def _rows(self, keys: list[str], first_day: dt.date | None) -> list[BitMap]:
        """The sets of these keys in a window starting ``first_day`` (``None``: ever): the
        day sets of its first, partial month and the month sets after it."""
        where = totals.window_where(first_day, month_start, next_month)
        rows = ContactBitmap.objects.filter(where, key__in=keys).values_list("bits", flat=True)
        return [from_bytes(data) for data in rows]

    def since(self, key: str, first_day: dt.date | None) -> BitMap:
        """Contacts in ``key``'s day sets from ``first_day`` on (``None``: ever)."""
        if (key, first_day) not in self._windows:
            self._windows[key, first_day] = union(self._rows([key], first_day))
        return self._windows[key, first_day]

    def at_least(self, key: str, first_day: dt.date | None, times: int) -> BitMap:
        """Contacts in ``key`` at least ``times`` times (up to ``LEVELS``) in the window."""
        if times <= 0:
            return self.universe()
        if times == 1:
            return self.since(key, first_day)
        if (key, first_day, times) not in self._counted:
            rows = self._rows(level_keys(key)[:times], first_day)
            self._counted[key, first_day, times] = count_levels(rows, times)[-1]
        return self._counted[key, first_day, times]


def id_lists(ids: BitMap):
    """Contact ids as values for ``__in``: on PostgreSQL all of them as one array parameter
    (``IN (SELECT unnest(%s))``: one value to bind, however many); elsewhere lists of
    ``CHUNK`` ids, as many parameters each."""
    values = list(ids)
    if connection.vendor == "postgresql":
        yield RawSQL("SELECT unnest(%s::bigint[])", (values,))
        return
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def sql_members(q: Q, within: BitMap | None = None) -> BitMap:
    """The contacts matching one compiled SQL condition (among ``within`` when given).

    A few candidates are sent along (``id_lists``); for many, one query over everyone and an
    intersection cost less.
    """
    contacts = Contact.objects.filter(q).order_by()
    if within is None or len(within) > MAX_CANDIDATES:
        found = BitMap(contacts.values_list("pk", flat=True))
        return found if within is None else found & within
    found = BitMap()
    for ids in id_lists(within):
        found.update(contacts.filter(pk__in=ids).values_list("pk", flat=True))
    return found


class Evaluation:
    """One tree at one moment, optionally only for the contacts in ``within``."""

    def __init__(
        self, now: dt.datetime, within: BitMap | None = None, reader: BitmapReader | None = None
    ) -> None:
        self.now = now
        self.within = within
        self.reader = reader or BitmapReader()
        self.ctx = CompileContext(now=now)

    def first_day(self, value: dict) -> dt.date | None:
        """The first day of a condition's window; for a window in hours, the day its first
        moment falls on (the day sets then hold a superset of the answer)."""
        if "within_hours" in value:
            return local_day(self.now - dt.timedelta(hours=value["within_hours"]))
        days = value.get("within_days")
        return None if days is None else window_first_day(self.now, days)

    def members(self, tree: dict) -> BitMap:
        self.reader.load_attributes([ALL, *attribute_keys(tree)])
        found = self.node(tree) & self.reader.universe()
        return found & self.within if self.within is not None else found

    def complement(self, bitmap: BitMap) -> BitMap:
        return self.reader.universe() - bitmap

    def node(self, node: dict) -> BitMap:
        if "field" in node:
            found = self.condition(node["field"], node["operator"], node["value"])
        elif node["op"] == "and":
            found = self.reader.universe().copy()
            for child in node["rules"]:
                found &= self.node(child)
        else:
            found = union(self.node(child) for child in node["rules"])
        return self.complement(found) if node.get("negate") else found

    def sql(self, name: str, operator: str, value, within: BitMap | None = None) -> BitMap:
        q = FIELDS[name].operators[operator].compile(value, self.ctx)
        if within is None:
            within = self.within
        elif self.within is not None:
            within = within & self.within
        return sql_members(q, within)

    def condition(self, name: str, operator: str, value) -> BitMap:
        if name in CONTACT_ATTRIBUTES or name.startswith("account."):
            found = union(self.reader.attribute(attribute_key(name, item)) for item in value)
            return found if operator == "in" else self.complement(found)
        if name == "event":
            return self.event(operator, value)
        if name in ("order_count", "revenue"):
            return self.aggregate(name, operator, value)
        if name == "last_order":
            return self.last_order(operator, value)
        if name == "cart_abandoned_without_order":
            carts = self.reader.since(event_key(EventKind.CART_ABANDONED), self.first_day(value))
            if "within_hours" in value:
                return self.sql(name, operator, value, within=carts)
            return self.unless_ordered(carts, name, operator, value)
        if name == "viewed_not_bought":
            return self.viewed_not_bought(value)
        # survey_answer: answers are few; the SQL decides "has", the sets "has not".
        found = self.sql(name, "has", value)
        return found if operator == "has" else self.complement(found)

    def event(self, operator: str, value: dict) -> BitMap:
        key, first_day, times = event_key(value["kind"]), self.first_day(value), value["min_count"]
        if times <= LEVELS and not {"sku", "category", "within_hours"} & set(value):
            found = self.reader.at_least(key, first_day, times)
        else:
            # Counts, products and hours: the SQL decides among those who did it at all.
            found = self.sql("event", "has", value, within=self.reader.since(key, first_day))
        return found if operator == "has" else self.complement(found)

    def unless_ordered(self, started: BitMap, name: str, operator: str, value: dict) -> BitMap:
        """Contacts who did something in the window and placed no order since: those
        without any order since the window's start are in; for those with one, the
        condition's own SQL compares the moments."""
        ordered = self.reader.since(ORDERED, self.first_day(value))
        candidates = started & ordered
        if self.within is not None:
            candidates &= self.within
        return (started - ordered) | self.sql(name, operator, value, within=candidates)

    def viewed_not_bought(self, value: dict) -> BitMap:
        """Contacts who viewed a product in the window that none of their orders since the
        window began contains. Those who viewed and ordered nothing are in; for those who
        did both, their (contact, SKU) pairs of views and of order lines are compared."""
        if "category" in value:
            return self.sql("viewed_not_bought", "is", value)
        first_day = self.first_day(value)
        viewed = self.reader.pairs(PairKind.VIEWED, first_day)
        if "sku" in value:
            code = pairs.sku_code(value["sku"])
            viewed = viewed[pairs.codes(viewed) == code] if code is not None else pairs.EMPTY
            started = BitMap(pairs.contacts(viewed).tolist())
        else:
            started = self.reader.since(VIEWED_PRODUCT, first_day)
        ordered = self.reader.since(ORDERED, first_day)
        candidates = started & ordered
        if self.within is not None:
            candidates &= self.within
        ids = np.array(candidates.to_array(), dtype=np.int64)
        views = pairs.among(viewed, ids)
        bought = pairs.among(self.reader.pairs(PairKind.BOUGHT, first_day), ids)
        left = views[~np.isin(views, bought)]
        return (started - ordered) | BitMap(pairs.contacts(left).tolist())

    def order_count(self, low: int | None, high: int | None, first_day: dt.date | None):
        """``low <= orders <= high`` from the order level sets; ``None`` for bounds beyond
        ``LEVELS`` (then the order totals decide)."""
        if (low is not None and low > LEVELS) or (high is not None and high + 1 > LEVELS):
            return None
        found = (
            self.reader.universe() if low is None else self.reader.at_least(ORDERED, first_day, low)
        )
        return found if high is None else found - self.reader.at_least(ORDERED, first_day, high + 1)

    def last_order(self, operator: str, value) -> BitMap:
        ever = self.reader.since(ORDERED, None)
        if operator == "after":
            return self.reader.since(ORDERED, dt.date.fromisoformat(value) + dt.timedelta(days=1))
        if operator == "before":
            return ever - self.reader.since(ORDERED, dt.date.fromisoformat(value))
        recent = self.reader.since(ORDERED, window_first_day(self.now, value))
        return recent if operator == "within_days" else ever - recent

    def aggregate(self, name: str, operator: str, value: dict) -> BitMap:
        scale = 1 if name == "order_count" else 100  # revenue is kept in cents
        bound = value["value"]
        low, high = bound if operator == "between" else (bound, bound)
        low, high = int(Decimal(low) * scale), int(Decimal(high) * scale)
        if operator == "gte":
            high = None
        elif operator == "lte":
            low = None
        zero_matches = (low is None or low <= 0) and (high is None or high >= 0)
        if name == "order_count":
            counted = self.order_count(low, high, self.first_day(value))
            if counted is not None:
                return counted
        found = self.reader.totals(self.first_day(value))
        mask = totals.passing(found, 1 if name == "order_count" else 2, low, high)
        # Contacts without orders in the window total 0: when 0 passes, subtract those
        # who fail instead of listing everyone who passes.
        if zero_matches:
            return self.complement(BitMap(found[0][~mask].tolist()))
        return BitMap(found[0][mask].tolist())


def attribute_keys(node: dict) -> list[str]:
    """The attribute sets a cleaned tree reads."""
    if "field" not in node:
        return [key for child in node["rules"] for key in attribute_keys(child)]
    name = node["field"]
    if name in CONTACT_ATTRIBUTES or name.startswith("account."):
        return [attribute_key(name, item) for item in node["value"]]
    return []


def bitmap_members(
    tree: dict,
    *,
    now: dt.datetime,
    within: BitMap | None = None,
    reader: BitmapReader | None = None,
) -> BitMap:
    """The contacts a cleaned tree matches now (among ``within`` when given)."""
    return Evaluation(now, within, reader).members(tree)


__all__ = [
    "ACCOUNT_ATTRIBUTES",
    "ALL",
    "CONTACT_ATTRIBUTES",
    "LEVELS",
    "ORDERED",
    "REACHABLE",
    "VIEWED_PRODUCT",
    "BitmapReader",
    "attribute_key",
    "bitmap_members",
    "count_levels",
    "event_key",
    "from_bytes",
    "level_key",
    "level_keys",
    "month_start",
    "next_month",
    "sql_members",
    "to_bytes",
    "union",
]
