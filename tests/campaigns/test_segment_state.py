"""The segment state over time: windows of whole days around midnight and the DST changes,
segments recomputed when the day turns or their window is in hours, a maintenance run that
fails halfway, and an erasure racing a maintenance run."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.db import connection, transaction

from campaigns.models import (
    ContactBitmap,
    OrderTotals,
    ProductPairs,
    Segment,
    SegmentChange,
    SegmentState,
)
from campaigns.segments import pairs
from campaigns.segments.backends import BitmapBackend, SqlBackend
from campaigns.segments.bitmaps import from_bytes
from campaigns.segments.totals import unpack
from campaigns.services import segment_state
from campaigns.services.privacy import contact_erase
from campaigns.services.segment_state import (
    segment_state_note_events,
    segment_state_rebuild,
    segment_state_refresh,
)
from tests.factories import (
    ContactFactory,
    EventFactory,
    OrderFactory,
    OrderLineFactory,
    SegmentFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def viewed(days: int) -> dict:
    return {
        "field": "event",
        "operator": "has",
        "value": {"kind": "product_view", "within_days": days},
    }


def members(rule: dict, now: dt.datetime) -> tuple[set[int], set[int]]:
    tree = {"op": "and", "rules": [rule]}
    return set(SqlBackend().members(tree, now=now)), set(BitmapBackend().members(tree, now=now))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "inside", "outside"),
    [
        # "The last 1 day" at 00:10 reaches back to yesterday's midnight, not 24 hours.
        (berlin(2026, 6, 16, 0, 10), berlin(2026, 6, 15, 0, 0), berlin(2026, 6, 14, 23, 59)),
        # At 23:59 the same window still starts at yesterday's midnight.
        (berlin(2026, 6, 16, 23, 59), berlin(2026, 6, 15, 0, 0), berlin(2026, 6, 14, 23, 59)),
        # The night the clocks go forward (29 March 2026 has 23 hours).
        (berlin(2026, 3, 30, 1, 0), berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 28, 23, 59)),
        # The night they go back (25 October 2026 has 25 hours).
        (berlin(2026, 10, 26, 1, 0), berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 24, 23, 59)),
    ],
)
def test_a_window_of_days_starts_at_local_midnight_in_both_backends(now, inside, outside):
    early, late = ContactFactory(), ContactFactory()
    EventFactory(contact=late, occurred_at=inside)
    EventFactory(contact=early, occurred_at=outside)
    segment_state_rebuild(now=now)

    in_sql, in_bitmaps = members(viewed(1), now)

    assert in_sql == in_bitmaps == {late.pk}


@pytest.mark.django_db
def test_the_last_hour_of_a_dst_day_belongs_to_that_day():
    # 25 October 2026, 02:30 happens twice; 23:30 CET is 22:30 UTC, still the 25th in Berlin.
    now = berlin(2026, 10, 27, 9, 0)
    contact = ContactFactory()
    EventFactory(contact=contact, occurred_at=dt.datetime(2026, 10, 25, 22, 30, tzinfo=dt.UTC))
    segment_state_rebuild(now=now)

    day = ContactBitmap.objects.get(span="day", key="events:product_view")

    assert day.period == dt.date(2026, 10, 25)
    assert members(viewed(2), now) == ({contact.pk}, {contact.pk})
    assert members(viewed(1), now) == (set(), set())


@pytest.mark.django_db
def test_a_saved_segment_loses_a_member_when_the_day_turns_without_new_data():
    contact = ContactFactory()
    EventFactory(contact=contact, occurred_at=berlin(2026, 6, 15, 9, 0))
    segment = SegmentFactory(rules={"op": "and", "rules": [viewed(1)]})
    segment_state_rebuild(now=berlin(2026, 6, 16, 23, 0))
    segment.refresh_from_db()
    assert segment.member_count == 1

    segment_state_refresh(now=berlin(2026, 6, 16, 23, 59))
    segment.refresh_from_db()
    assert segment.member_count == 1

    segment_state_refresh(now=berlin(2026, 6, 17, 0, 0, 30))
    segment.refresh_from_db()
    assert segment.member_count == 0
    assert set(from_bytes(segment.member_bits)) == set()


@pytest.mark.django_db
def test_a_segment_with_a_window_in_hours_moves_on_every_run():
    contact = ContactFactory()
    cart = EventFactory(
        contact=contact, kind="cart_abandoned", occurred_at=berlin(2026, 6, 16, 9, 0)
    )
    rule = {"field": "cart_abandoned_without_order", "operator": "is", "value": {"within_hours": 2}}
    segment = SegmentFactory(rules={"op": "and", "rules": [rule]})
    segment_state_rebuild(now=berlin(2026, 6, 16, 10, 0))
    segment.refresh_from_db()
    assert segment.member_count == 1

    # No new data; three hours after the cart it is out of the window.
    segment_state_refresh(now=berlin(2026, 6, 16, 12, 0))
    segment.refresh_from_db()

    assert segment.member_count == 0
    assert members(rule, berlin(2026, 6, 16, 12, 0)) == (set(), set())
    assert cart.contact_id == contact.pk


@pytest.mark.django_db
def test_a_maintenance_run_that_fails_halfway_changes_nothing_and_keeps_its_marks(monkeypatch):
    now = berlin(2026, 6, 16, 10, 0)
    first = ContactFactory()
    EventFactory(contact=first, occurred_at=berlin(2026, 6, 16, 8, 0))
    segment = SegmentFactory(rules={"op": "and", "rules": [viewed(1)]})
    segment_state_rebuild(now=now)
    second = ContactFactory()
    event = EventFactory(contact=second, occurred_at=berlin(2026, 6, 16, 9, 0))
    segment_state_note_events([(event.occurred_at, second.pk)])
    stored = dict(ContactBitmap.objects.values_list("pk", "bits"))

    def crash(*args, **kwargs):
        raise OSError("the database connection dropped")

    # The day's sets are rebuilt, then the month fails: all of it is rolled back.
    monkeypatch.setattr(segment_state, "_build_months", crash)
    with pytest.raises(OSError):
        segment_state_refresh(now=now)

    assert {pk: bytes(bits) for pk, bits in ContactBitmap.objects.values_list("pk", "bits")} == {
        pk: bytes(bits) for pk, bits in stored.items()
    }
    assert SegmentChange.objects.count() == 1
    segment.refresh_from_db()
    assert segment.member_count == 1

    monkeypatch.undo()
    segment_state_refresh(now=now)
    segment.refresh_from_db()
    assert segment.member_count == 2
    assert SegmentChange.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_erasure_waits_for_a_running_maintenance_and_leaves_no_trace():
    """Maintenance reads the contact's events, then stalls before it commits; the erasure
    started meanwhile waits for it, and then takes the id out of what it wrote."""
    now = berlin(2026, 6, 16, 10, 0)
    contact = ContactFactory()
    EventFactory(contact=contact, occurred_at=berlin(2026, 6, 16, 8, 0), sku="S1")
    OrderLineFactory(
        order=OrderFactory(contact=contact, ordered_at=berlin(2026, 6, 16, 8, 30)), sku="S2"
    )
    segment = SegmentFactory(rules={"op": "and", "rules": [viewed(1)]})
    segment_state_rebuild(now=now)
    assert ProductPairs.objects.filter(span="day").count() == 2  # viewed S1, bought S2
    event = EventFactory(contact=contact, occurred_at=berlin(2026, 6, 16, 9, 0), sku="S3")
    segment_state_note_events([(event.occurred_at, contact.pk)])

    built, release = threading.Event(), threading.Event()
    original = segment_state._build_months

    def stall(*args, **kwargs):
        original(*args, **kwargs)
        built.set()
        release.wait(10)

    errors = []

    def maintain():
        try:
            segment_state.segment_state_refresh(now=now)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    def erase():
        try:
            contact_erase(contact=contact, reason="test")
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    segment_state._build_months = stall
    try:
        maintenance = threading.Thread(target=maintain)
        maintenance.start()
        assert built.wait(10)
        erasure = threading.Thread(target=erase)
        erasure.start()
        erasure.join(1)
        assert erasure.is_alive(), "the erasure must wait for the maintenance's lock"
        release.set()
        maintenance.join(10)
        erasure.join(10)
    finally:
        segment_state._build_months = original
        release.set()

    assert errors == []
    for key, bits in ContactBitmap.objects.values_list("key", "bits"):
        assert contact.pk not in from_bytes(bits), key
    for data in OrderTotals.objects.values_list("data", flat=True):
        assert contact.pk not in unpack(data)[0]
    for data in ProductPairs.objects.values_list("data", flat=True):
        assert contact.pk not in pairs.contacts(pairs.unpack(data))
    segment.refresh_from_db()
    assert contact.pk not in from_bytes(segment.member_bits)
    assert SegmentState.objects.get().refreshed_at is not None
    with transaction.atomic():
        assert Segment.objects.filter(pk=segment.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_maintenance_run_does_not_queue_behind_a_busy_one():
    now = berlin(2026, 6, 16, 10, 0)
    segment_state_rebuild(now=now)
    contact = ContactFactory()
    event = EventFactory(contact=contact, occurred_at=berlin(2026, 6, 16, 9, 0))
    segment_state_note_events([(event.occurred_at, contact.pk)])
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with transaction.atomic():
            SegmentState.objects.select_for_update().get()
            holding.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert holding.wait(10)
        assert segment_state_refresh(now=now) == {"busy": 1}
        assert SegmentChange.objects.count() == 1
    finally:
        release.set()
        holder.join(10)

    assert segment_state_refresh(now=now)["marks"] == 1
    assert members(viewed(1), now)[1] == {contact.pk}


@pytest.mark.django_db
def test_the_backend_follows_the_setting_and_answers_with_sql_until_the_sets_exist(settings):
    from django.core.exceptions import ImproperlyConfigured

    from campaigns.segments.backends import segment_backend

    assert segment_backend().name == "sql"  # nothing built yet: the sets would be empty
    segment_state_rebuild(now=berlin(2026, 6, 16, 10, 0))
    assert segment_backend().name == "bitmap"
    settings.HUB_SEGMENT_BACKEND = "sql"
    assert segment_backend().name == "sql"
    settings.HUB_SEGMENT_BACKEND = "clickhouse"
    with pytest.raises(ImproperlyConfigured, match="use one of bitmap, sql"):
        segment_backend()


def test_order_totals_add_up_exactly_by_counting_and_by_sorting(monkeypatch):
    from campaigns.segments import totals

    march = totals.block([(7, 1, 1999), (3, 2, 500), (2**31 + 5, 1, 10**15)])
    april = totals.block([(3, 1, -200), (9, 4, 12_345)])
    expected = [[3, 7, 9, 2**31 + 5], [3, 1, 4, 1], [300, 1999, 12_345, 10**15]]

    by_sorting = totals.merge([march, april])  # ids beyond the counting arrays' reach
    monkeypatch.setattr(totals, "DENSE_LIMIT", 2**40)
    small = totals.merge([march[:, :2], april])

    assert by_sorting.tolist() == expected
    assert small.tolist() == [[3, 7, 9], [3, 1, 4], [300, 1999, 12_345]]
    assert totals.unpack(totals.pack(by_sorting)).tolist() == expected
    assert totals.without(by_sorting, np.array([7, 9])).tolist() == [
        [3, 2**31 + 5],
        [3, 1],
        [300, 10**15],
    ]
