"""The operator's `segment_state_rebuild`: after rows were loaded behind the hub's back."""

import datetime as dt
import re
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from campaigns.selectors import segment_members
from campaigns.services.segment_state import segment_state_refresh
from tests.factories import EventFactory, OrderFactory, OrderLineFactory, SegmentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 3, 22, 30, tzinfo=dt.UTC)  # 23:30 in Berlin
VIEWED = {
    "op": "and",
    "rules": [
        {"field": "event", "operator": "has", "value": {"kind": "product_view", "within_days": 30}}
    ],
}


def test_the_rebuild_command_takes_up_events_loaded_without_marks():
    segment = SegmentFactory(rules=VIEWED)
    segment_state_refresh(now=NOW)
    # Loaded with SQL (a restore, a bulk load): no intake marked these days.
    viewers = EventFactory.create_batch(2, occurred_at=NOW - dt.timedelta(days=2))
    stale = segment_members(segment, now=NOW)

    with time_machine.travel(NOW, tick=False):
        call_command("segment_state_rebuild", stdout=StringIO())

    segment.refresh_from_db()
    assert len(stale) == 0
    assert set(segment_members(segment, now=NOW)) == {event.contact_id for event in viewers}
    assert segment.member_count == 2


def test_the_rebuild_command_says_what_it_built_and_how_long_it_took():
    SegmentFactory(rules=VIEWED)
    EventFactory(occurred_at=NOW - dt.timedelta(days=3))
    EventFactory(occurred_at=NOW - dt.timedelta(days=1), sku="S1")
    OrderLineFactory(order=OrderFactory(ordered_at=NOW - dt.timedelta(days=1)), sku="S1")
    out = StringIO()

    with time_machine.travel(NOW, tick=False):
        call_command("segment_state_rebuild", stdout=out)

    report = out.getvalue()
    assert re.search(r"^Segment state built in \d+\.\d s\.$", report, flags=re.M)
    assert "event days: 3, order days: 1" in report
    assert re.search(r"contact sets: [1-9]\d* per day, [1-9]\d* per month, [1-9]\d* per", report)
    assert "order days of contacts: 1" in report
    assert "products viewed by contacts: 1 per day, bought: 1 per day" in report
    assert "segments counted: 1, marks taken up: 0" in report
