"""The journey map's numbers on a known phase history (tests/campaigns/journey_history.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from campaigns.measurement.journey import (
    Flow,
    TooManyPeriods,
    Touchpoint,
    journey_map,
    journey_periods,
)
from campaigns.models import Contact
from tests.campaigns.journey_history import at, known_history
from tests.factories import CampaignFactory, DeliveryFactory

pytestmark = pytest.mark.django_db

AUTUMN = {"start": dt.date(2026, 9, 1), "end": dt.date(2026, 11, 30), "granularity": "month"}


def phases(counts: dict[str, int]) -> dict[str, int]:
    return {phase: number for phase, number in counts.items() if number}


@time_machine.travel(dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC), tick=False)
def test_contacts_per_phase_at_the_end_of_each_month():
    known_history()

    journey = journey_map(**AUTUMN)

    assert [period.label for period in journey.periods] == ["2026-09", "2026-10", "2026-11"]
    assert [phases(counts) for counts in journey.counts] == [
        {"awareness": 2, "consideration": 1, "transaction": 1},
        {"awareness": 4, "consideration": 1, "transaction": 1},
        {"awareness": 4, "consideration": 2, "transaction": 1},
    ]


@time_machine.travel(dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC), tick=False)
def test_flows_link_each_month_to_the_next_including_a_move_back():
    known_history()

    journey = journey_map(**AUTUMN)

    assert journey.flows == [
        Flow("2026-09", "awareness", "2026-10", "awareness", 2),
        Flow("2026-09", "consideration", "2026-10", "awareness", 1),
        Flow("2026-09", "transaction", "2026-10", "transaction", 1),
        Flow("2026-10", "awareness", "2026-11", "awareness", 3),
        Flow("2026-10", "awareness", "2026-11", "consideration", 1),
        Flow("2026-10", "consideration", "2026-11", "consideration", 1),
        Flow("2026-10", "transaction", "2026-11", "transaction", 1),
    ]


@time_machine.travel(dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC), tick=False)
def test_a_single_period_counts_without_flows():
    known_history()

    journey = journey_map(
        start=dt.date(2026, 10, 12), end=dt.date(2026, 10, 31), granularity="month"
    )

    assert phases(journey.counts[0]) == {"awareness": 4, "consideration": 1, "transaction": 1}
    assert journey.flows == []


@time_machine.travel(dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC), tick=False)
def test_weeks_end_at_midnight_on_monday_in_berlin():
    known_history()

    journey = journey_map(start=dt.date(2026, 9, 28), end=dt.date(2026, 10, 4), granularity="week")

    # Week 40 ends at Monday 5 October 00:00: frank (1 October) is in, clara's move back
    # (5 October, noon) is not yet.
    assert [period.label for period in journey.periods] == ["2026-W40"]
    assert phases(journey.counts[0]) == {"awareness": 3, "consideration": 1, "transaction": 1}


@time_machine.travel(dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC), tick=False)
def test_touchpoints_count_under_the_phase_at_sending():
    people = known_history()
    autumn = CampaignFactory(name="Herbst")
    october = CampaignFactory(name="Oktober")
    december = CampaignFactory(name="Dezember")
    DeliveryFactory(campaign=autumn, contact=people["clara"], sent_at=at(2026, 9, 25))
    DeliveryFactory(campaign=october, contact=people["clara"], sent_at=at(2026, 10, 10))
    DeliveryFactory(campaign=october, contact=people["anna"], sent_at=at(2026, 10, 10))
    # Phase set on 15 October without a recorded change: no known phase on 1 October.
    DeliveryFactory(campaign=october, contact=people["bernd"], sent_at=at(2026, 10, 1))
    # An erased contact: the phase of the variant it was sent.
    DeliveryFactory(
        campaign=october,
        contact=None,
        variant_key="de:buyer:transaction:-",
        sent_at=at(2026, 10, 11),
    )
    DeliveryFactory(campaign=december, contact=people["anna"], sent_at=at(2026, 12, 3))
    DeliveryFactory(campaign=december, contact=people["eva"], sent_at=None, state="queued")

    journey = journey_map(**AUTUMN)

    assert journey.touchpoints == [
        Touchpoint("awareness", october.pk, "Oktober", "newsletter", 2, 2),
        Touchpoint("consideration", autumn.pk, "Herbst", "newsletter", 1, 1),
        Touchpoint("transaction", october.pk, "Oktober", "newsletter", 1, 0),
    ]


def test_more_than_a_year_of_weeks_is_refused():
    with pytest.raises(TooManyPeriods):
        journey_periods(start=dt.date(2025, 1, 1), end=dt.date(2026, 3, 1), granularity="week")


@time_machine.travel(dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC), tick=False)
def test_the_map_takes_six_queries_however_many_contacts(django_assert_num_queries):
    for copy in range(6):
        people = known_history(copy)
        DeliveryFactory(contact=people["anna"], sent_at=at(2026, 10, 10))

    with django_assert_num_queries(6):
        journey = journey_map(**AUTUMN)

    assert phases(journey.counts[2]) == {"awareness": 24, "consideration": 12, "transaction": 6}


@time_machine.travel(dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC), tick=False)
def test_a_value_that_is_no_phase_is_not_counted():
    people = known_history()
    Contact.objects.filter(pk=people["anna"].pk).update(phase="retired")

    journey = journey_map(**AUTUMN)

    assert phases(journey.counts[0]) == {"awareness": 1, "consideration": 1, "transaction": 1}
    assert Flow("2026-09", "awareness", "2026-10", "awareness", 1) in journey.flows
