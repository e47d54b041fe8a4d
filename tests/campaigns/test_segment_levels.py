"""Counts with thresholds ("at least 3 clicks", "2 orders or more") from the count levels,
and "viewed, not bought" from (contact, SKU) pairs: the bitmap backend gives the answer a
person counting by hand gives, and the SQL backend's, across days, months and the cap."""

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from pyroaring import BitMap

from campaigns.models import ContactBitmap, ProductPairs
from campaigns.segments import pairs
from campaigns.segments.backends import BitmapBackend, SqlBackend
from campaigns.segments.bitmaps import LEVELS, count_levels, level_key
from campaigns.services.segment_state import segment_state_rebuild
from tests.factories import ContactFactory, EventFactory, OrderFactory, OrderLineFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 6, 16, 10, 0, tzinfo=BERLIN)


def at(month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=BERLIN)


def answers(rule: dict) -> tuple[set[int], set[int]]:
    tree = {"op": "and", "rules": [rule]}
    return set(SqlBackend().members(tree, now=NOW)), set(BitmapBackend().members(tree, now=NOW))


def clicks(times: int, days: int = 60) -> dict:
    value = {"kind": "email_click", "min_count": times, "within_days": days}
    return {"field": "event", "operator": "has", "value": value}


def test_a_contact_is_in_at_least_n_of_the_sets_counted_by_hand():
    sets = [BitMap([1, 2, 3]), BitMap([2, 3]), BitMap([3]), BitMap([3, 4])]

    reached = count_levels(sets, 3)

    assert [set(level) for level in reached] == [{1, 2, 3, 4}, {2, 3}, {3}]


@pytest.fixture
def clickers():
    """Clicks of five contacts: on one day, spread over days and across a month's end."""
    one_day, spread, across, many, once = ContactFactory.create_batch(5)
    for hour in (8, 9, 10):
        EventFactory(contact=one_day, kind="email_click", occurred_at=at(6, 10, hour))
    for day in (2, 9, 15):
        EventFactory(contact=spread, kind="email_click", occurred_at=at(6, day))
    # Two on the last day of May (the month's sets), one in June (the day sets).
    EventFactory(contact=across, kind="email_click", occurred_at=at(5, 31, 8))
    EventFactory(contact=across, kind="email_click", occurred_at=at(5, 31, 9))
    EventFactory(contact=across, kind="email_click", occurred_at=at(6, 3))
    # More clicks on one day than the levels go (LEVELS + 2).
    for minute in range(LEVELS + 2):
        EventFactory(
            contact=many, kind="email_click", occurred_at=at(5, 20) + dt.timedelta(minutes=minute)
        )
    EventFactory(contact=once, kind="email_click", occurred_at=at(6, 1))
    segment_state_rebuild(now=NOW)
    return {
        "one_day": one_day.pk,
        "spread": spread.pk,
        "across": across.pk,
        "many": many.pk,
        "once": once.pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("times", "expected"),
    [
        (1, {"one_day", "spread", "across", "many", "once"}),
        (2, {"one_day", "spread", "across", "many"}),
        (3, {"one_day", "spread", "across", "many"}),
        (4, {"many"}),
        (LEVELS, {"many"}),
        (LEVELS + 1, {"many"}),  # beyond the levels: SQL among those who clicked
        (LEVELS + 2, {"many"}),
        (LEVELS + 3, set()),
    ],
)
def test_at_least_n_clicks_counts_repeats_on_a_day_and_across_a_month(clickers, times, expected):
    in_sql, in_bitmaps = answers(clicks(times))

    assert in_bitmaps == in_sql == {clickers[name] for name in expected}


@pytest.mark.django_db
def test_a_month_keeps_the_contacts_who_clicked_at_least_twice_in_it(clickers):
    may = ContactBitmap.objects.get(
        span="month", period=dt.date(2026, 5, 1), key=level_key("events:email_click", 2)
    )

    assert set(BitMap.deserialize(bytes(may.bits))) == {clickers["across"], clickers["many"]}


@pytest.fixture
def buyers():
    """No orders, one, two on one day, three across months (one before the window), seven."""
    none, one, two, three, seven = ContactFactory.create_batch(5)
    OrderFactory(contact=one, ordered_at=at(6, 1))
    OrderFactory(contact=two, ordered_at=at(6, 5, 8))
    OrderFactory(contact=two, ordered_at=at(6, 5, 17))
    OrderFactory(contact=three, ordered_at=at(1, 20))
    OrderFactory(contact=three, ordered_at=at(4, 30))
    OrderFactory(contact=three, ordered_at=at(6, 2))
    for day in range(1, 8):
        OrderFactory(contact=seven, ordered_at=at(5, day))
    segment_state_rebuild(now=NOW)
    return {"none": none.pk, "one": one.pk, "two": two.pk, "three": three.pk, "seven": seven.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("gte", {"value": 2}, {"two", "three", "seven"}),
        ("gte", {"value": 0}, {"none", "one", "two", "three", "seven"}),
        ("gte", {"value": 3}, {"three", "seven"}),
        ("gte", {"value": LEVELS + 1}, {"seven"}),  # beyond the levels: the order totals
        ("lte", {"value": 1}, {"none", "one"}),
        ("lte", {"value": LEVELS - 1}, {"none", "one", "two", "three"}),
        ("between", {"value": [2, 3]}, {"two", "three"}),
        ("between", {"value": [1, 2], "within_days": 60}, {"one", "two", "three"}),
        ("gte", {"value": 2, "within_days": 60}, {"two", "three", "seven"}),
        ("between", {"value": [3, LEVELS + 3]}, {"three", "seven"}),
    ],
)
def test_order_counts_with_thresholds_match_a_count_by_hand(buyers, operator, value, expected):
    in_sql, in_bitmaps = answers({"field": "order_count", "operator": operator, "value": value})

    assert in_bitmaps == in_sql == {buyers[name] for name in expected}


@pytest.fixture
def viewers():
    """Who viewed and bought which SKU, in a 30-day window (from 17 May)."""
    bought_it, bought_other, bought_before, viewed_two = ContactFactory.create_batch(4)
    EventFactory(contact=bought_it, sku="S1", occurred_at=at(6, 1))
    OrderLineFactory(order=OrderFactory(contact=bought_it, ordered_at=at(6, 2)), sku="S1")
    EventFactory(contact=bought_other, sku="S1", occurred_at=at(5, 20))
    OrderLineFactory(order=OrderFactory(contact=bought_other, ordered_at=at(6, 2)), sku="S2")
    EventFactory(contact=bought_before, sku="S2", occurred_at=at(6, 3))
    OrderLineFactory(order=OrderFactory(contact=bought_before, ordered_at=at(5, 10)), sku="S2")
    EventFactory(contact=viewed_two, sku="S1", occurred_at=at(5, 30))
    EventFactory(contact=viewed_two, sku="S2", occurred_at=at(6, 12))
    OrderLineFactory(order=OrderFactory(contact=viewed_two, ordered_at=at(6, 14)), sku="S1")
    segment_state_rebuild(now=NOW)
    return {
        "bought_it": bought_it.pk,
        "bought_other": bought_other.pk,
        "bought_before": bought_before.pk,
        "viewed_two": viewed_two.pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"within_days": 30}, {"bought_other", "bought_before", "viewed_two"}),
        ({"within_days": 30, "sku": "S1"}, {"bought_other"}),
        ({"within_days": 30, "sku": "S2"}, {"bought_before", "viewed_two"}),
        ({"within_days": 30, "sku": "NEVER-SEEN"}, set()),
        ({"within_days": 7}, {"viewed_two"}),
    ],
)
def test_viewed_not_bought_compares_the_skus_viewed_and_ordered(viewers, value, expected):
    in_sql, in_bitmaps = answers({"field": "viewed_not_bought", "operator": "is", "value": value})

    assert in_bitmaps == in_sql == {viewers[name] for name in expected}


@pytest.mark.django_db
def test_a_month_of_pairs_holds_each_view_once(viewers):
    may = ProductPairs.objects.get(kind="viewed", span="month", period=dt.date(2026, 5, 1))
    keys = pairs.unpack(may.data)

    assert sorted(
        zip(pairs.contacts(keys).tolist(), pairs.codes(keys).tolist(), strict=True)
    ) == sorted(
        [
            (viewers["bought_other"], pairs.sku_code("S1")),
            (viewers["viewed_two"], pairs.sku_code("S1")),
        ]
    )
    assert list(keys) == sorted(set(keys))


@pytest.mark.parametrize("flags_limit", [pairs.FLAGS_LIMIT, 0])
def test_pairs_of_some_contacts_are_picked_and_dropped(monkeypatch, flags_limit):
    monkeypatch.setattr(pairs, "FLAGS_LIMIT", flags_limit)  # 0: sorting, as for huge ids
    keys = pairs.block([(3, 1), (1, 2), (3, 1), (2, 7), (1, 1)])

    assert [(int(k) >> 32, int(k) & 0xFFFFFFFF) for k in keys] == [(1, 1), (1, 2), (2, 7), (3, 1)]
    assert set(pairs.contacts(pairs.among(keys, np.array([3, 1])))) == {1, 3}
    assert set(pairs.contacts(pairs.without(keys, np.array([1])))) == {2, 3}
    assert pairs.among(keys, np.array([], dtype=np.int64)).size == 0
