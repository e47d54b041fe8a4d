"""A campaign's results as the results page reads them, recomputed from the raw rows."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
import time_machine

from campaigns.measurement import results, stats
from campaigns.measurement.intake import results_refresh
from campaigns.models import (
    CampaignArm,
    CampaignStatus,
    Delivery,
    DeliveryState,
    Event,
    EventKind,
    Order,
)
from campaigns.services.events import (
    ContactRef,
    EventInput,
    OrderInput,
    events_record,
    orders_record,
)
from tests.factories import CampaignFactory, ContactFactory, DeliveryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

DISPATCH = dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # half past midnight in Berlin
RECEIVED = (DeliveryState.SENT, DeliveryState.BOUNCED, DeliveryState.IN_DOUBT)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _campaign(**fields):
    plan = {"cost": Decimal("2000.00"), "holdout_percent": 10, "winner_metric": "click_rate"}
    campaign = CampaignFactory(
        status=CampaignStatus.DONE,
        dispatched_at=DISPATCH,
        finished_at=DISPATCH,
        **{**plan, **fields},
    )
    CampaignArm.objects.create(campaign=campaign, label="A", share=45, sort_order=0)
    CampaignArm.objects.create(campaign=campaign, label="B", share=45, sort_order=1)
    return campaign


_keys = iter(range(10**9))


def _event(campaign, contact, kind, at, **data):
    events_record(
        source="shop",
        items=[
            EventInput(
                key=f"e{next(_keys)}",
                kind=kind,
                occurred_at=at,
                contact=ContactRef(email=contact.email),
                campaign_id=campaign.pk,
                data=data,
            )
        ],
    )


def _order(contact, at, revenue):
    orders_record(
        source="webshop",
        items=[
            OrderInput(
                order_number=f"W{next(_keys)}",
                ordered_at=at,
                currency="EUR",
                contact=ContactRef(email=contact.email),
                revenue=Decimal(revenue),
            )
        ],
    )


@pytest.fixture
def busy_campaign():
    """Sixty contacts split into a holdout and two arms, with clicks, unsubscribes,
    complaints and orders at random; the clicks come from a channel without opens."""
    rng = random.Random(7)
    campaign = _campaign()
    for number in range(60):
        contact = ContactFactory(role=rng.choice(["buyer", "user"]))
        draw = rng.random()
        arm = "holdout" if draw < 0.15 else ("A" if draw < 0.55 else "B")
        state = DeliveryState.HELD_OUT
        if arm != "holdout":
            state = rng.choice([DeliveryState.SENT] * 8 + [DeliveryState.BOUNCED])
        DeliveryFactory(
            campaign=campaign,
            contact=contact,
            channel="webshop",
            arm=arm,
            variant_key=f"de:{contact.role}:-:{arm}",
            state=state,
            sent_at=None if state == DeliveryState.HELD_OUT else DISPATCH,
        )
        moment = DISPATCH + dt.timedelta(hours=rng.randrange(1, 24 * 6))
        if state == DeliveryState.SENT and rng.random() < 0.5:
            url = f"https://shop.example/p/{rng.randrange(4)}"
            _event(campaign, contact, EventKind.CLICK, moment, url=url, bot=rng.random() < 0.1)
        if state == DeliveryState.SENT and number % 9 == 0:
            _event(campaign, contact, EventKind.UNSUBSCRIBE, moment + dt.timedelta(minutes=5))
        if state == DeliveryState.SENT and number % 17 == 0:
            _event(campaign, contact, EventKind.COMPLAINT, moment + dt.timedelta(minutes=9))
        if rng.random() < 0.4:
            _order(
                contact, moment + dt.timedelta(hours=rng.randrange(0, 48)), rng.randrange(50, 900)
            )
    results_refresh(campaign_id=campaign.pk)
    return campaign


def _last_touch_revenue(campaign) -> dict[str, Decimal]:
    """Per arm: revenue of orders whose last human click before them, within 7 days, is one
    of this campaign's (there is only one campaign here)."""
    window = dt.timedelta(days=campaign.attribution_window_days)
    clicks = defaultdict(list)
    for event in Event.objects.filter(campaign=campaign, kind=EventKind.CLICK):
        if not event.data.get("bot"):
            clicks[event.contact_id].append(event.occurred_at)
    arms = dict(Delivery.objects.filter(campaign=campaign).values_list("contact_id", "arm"))
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for order in Order.objects.all():
        if any(at <= order.ordered_at <= at + window for at in clicks[order.contact_id]):
            revenue[arms[order.contact_id]] += order.revenue
    return revenue


def test_the_kpis_per_arm_agree_with_the_raw_rows(busy_campaign):
    table = results.campaign_kpis(busy_campaign, by=("arm",))
    deliveries = Delivery.objects.filter(campaign=busy_campaign)
    events = Event.objects.filter(campaign=busy_campaign)
    revenue = _last_touch_revenue(busy_campaign)
    rows = {kpis.group["arm"]: kpis for kpis in table.rows}

    for arm in ("A", "B"):
        kpis = rows[arm]
        mine = deliveries.filter(arm=arm)
        contacts = set(mine.values_list("contact_id", flat=True))
        human_clicks = [
            event
            for event in events.filter(kind=EventKind.CLICK, contact_id__in=contacts)
            if not event.data.get("bot")
        ]
        assert kpis.received == mine.filter(state__in=RECEIVED).count()
        assert kpis.bounced == mine.filter(state=DeliveryState.BOUNCED).count()
        assert kpis.delivered == mine.filter(state=DeliveryState.SENT).count()
        assert kpis.clicks == len(human_clicks)
        assert (
            kpis.unsubscribes
            == events.filter(kind=EventKind.UNSUBSCRIBE, contact_id__in=contacts).count()
        )
        assert (
            kpis.complaints
            == events.filter(kind=EventKind.COMPLAINT, contact_id__in=contacts).count()
        )
        assert kpis.revenue == revenue.get(arm, Decimal("0"))
        assert kpis.unsubscribe_rate == pytest.approx(kpis.unsubscribes / kpis.delivered)
    assert rows["holdout"].held_out == deliveries.filter(state=DeliveryState.HELD_OUT).count()
    assert rows["holdout"].revenue == 0

    total = table.total
    assert total.revenue == sum(revenue.values())
    assert total.roi == pytest.approx(float((total.revenue - 2000) / 2000 * 100))
    assert total.cost_per_conversion == (Decimal("2000.00") / total.conversions).quantize(
        Decimal("0.01")
    )


def test_roi_is_empty_without_a_cost():
    campaign = _campaign(cost=Decimal("0"))
    assert results.campaign_kpis(campaign).total.roi is None


def test_top_links_count_human_clicks_and_people(busy_campaign):
    clicks = Counter()
    people = defaultdict(set)
    for event in Event.objects.filter(campaign=busy_campaign, kind=EventKind.CLICK):
        if not event.data.get("bot"):
            clicks[event.data["url"]] += 1
            people[event.data["url"]].add(event.contact_id)

    top = results.campaign_top_links(busy_campaign)

    assert {url: (n, p) for url, n, p in top} == {
        url: (clicks[url], len(people[url])) for url in clicks
    }
    assert [n for _url, n, _p in top] == sorted((n for _url, n, _p in top), reverse=True)


def test_the_holdout_comparison_uses_everyones_revenue_in_the_window(busy_campaign):
    window_end = DISPATCH + dt.timedelta(days=busy_campaign.attribution_window_days)
    per_contact: dict[int, Decimal] = defaultdict(Decimal)
    for order in Order.objects.filter(ordered_at__gte=DISPATCH, ordered_at__lte=window_end):
        per_contact[order.contact_id] += order.revenue
    treated = Delivery.objects.filter(campaign=busy_campaign, state__in=RECEIVED)
    held_out = Delivery.objects.filter(campaign=busy_campaign, state=DeliveryState.HELD_OUT)

    def sample(deliveries):
        values = [float(per_contact[c]) for c in deliveries.values_list("contact_id", flat=True)]
        return stats.RevenueSample(len(values), [value for value in values if value])

    expected = stats.holdout_uplift(sample(treated), sample(held_out))
    uplift = results.campaign_holdout(busy_campaign)

    assert uplift.treated_n == treated.count() and uplift.holdout_n == held_out.count()
    assert uplift.difference == pytest.approx(expected.difference)
    assert uplift.difference_low == pytest.approx(expected.difference_low)
    assert uplift.p_value == pytest.approx(expected.p_value)


def test_the_ab_comparison_plans_the_rest_of_the_audience_for_the_last_arm(busy_campaign):
    summary = results.campaign_ab(busy_campaign)

    assert summary.control == "A"
    # 10 % held out, 45 % each, nothing left over: the plan is 50/50 between the arms.
    assert summary.srm.expected["A"] == pytest.approx(summary.srm.expected["B"])
    assert summary.verdicts


def test_planned_shares_give_the_rest_to_the_winner_after_the_test_period():
    campaign = _campaign(winner_after_hours=4)
    campaign.arms.update(share=10)
    arms = {"A": 10, "B": 10}

    assert results.planned_shares(campaign, arms) == {"A": 10.0, "B": 10.0}
    campaign.winner_arm = "B"
    assert results.planned_shares(campaign, arms) == {"A": 10.0, "B": 80.0}
    campaign.winner_after_hours = None
    assert results.planned_shares(campaign, arms) == {"A": 10.0, "B": 80.0}


def test_the_programme_sums_revenue_per_campaign_and_channel(busy_campaign):
    other = _campaign()
    by_campaign, by_channel = results.programme(DISPATCH.date(), NOW.date())

    assert [row.campaign_id for row in by_campaign] == [busy_campaign.pk]
    expected = sum(_last_touch_revenue(busy_campaign).values())
    assert by_campaign[0].revenue == expected
    assert by_campaign[0].roi == pytest.approx(float((expected - 2000) / 2000 * 100))
    assert [(row.campaign_id, row.channel) for row in by_channel] == [(busy_campaign.pk, "webshop")]
    assert other.pk not in {row.campaign_id for row in by_campaign}


def test_the_page_warns_when_revenue_is_too_uneven_for_the_holdout_interval(
    busy_campaign, client, campaign_manager, monkeypatch
):
    from django.core.cache import cache
    from django.urls import reverse

    from campaigns.measurement.stats import revenue

    # As for groups too large for a bootstrap: the interval stands alone. Statistics are
    # cached by their inputs, which these settings do not change: start and end afresh.
    cache.clear()
    monkeypatch.setattr(revenue, "BOOTSTRAP_MAX_CONTACTS", 0)
    uplift = results.campaign_holdout(busy_campaign)
    assert uplift.skewed and uplift.bootstrap_low is None
    client.force_login(campaign_manager)

    page = client.get(
        reverse("wagtailsnippets_campaigns_campaign:results", args=(busy_campaign.pk,))
    ).content.decode()

    cache.clear()
    assert "data-holdout-skewed" in page
    assert "Recipients spent" in page


def test_a_person_clicking_a_link_twice_in_one_report_counts_once():
    campaign = _campaign()
    contact = ContactFactory()
    DeliveryFactory(campaign=campaign, contact=contact, state=DeliveryState.SENT, sent_at=DISPATCH)
    moment = DISPATCH + dt.timedelta(hours=1)
    items = [
        EventInput(
            key=f"twice-{number}",
            kind=EventKind.CLICK,
            occurred_at=moment + dt.timedelta(minutes=number),
            contact=ContactRef(email=contact.email),
            campaign_id=campaign.pk,
            data={"url": "https://shop.example/p/1"},
        )
        for number in range(2)
    ]

    events_record(source="shop", items=items)
    _event(
        campaign,
        contact,
        EventKind.CLICK,
        moment + dt.timedelta(hours=1),
        url="https://shop.example/p/1",
    )

    assert results.campaign_top_links(campaign) == [("https://shop.example/p/1", 3, 1)]


def test_revenue_reads_in_cents_on_every_database(busy_campaign):
    total = results.campaign_kpis(busy_campaign).total

    assert total.revenue == total.revenue.quantize(Decimal("0.01"))
    assert str(total.revenue) == f"{total.revenue:.2f}"


def test_the_comparisons_follow_a_new_order_although_they_are_cached(busy_campaign):
    before = results.campaign_holdout(busy_campaign)
    ab_before = results.campaign_ab(busy_campaign)
    held_out = Delivery.objects.filter(campaign=busy_campaign, state=DeliveryState.HELD_OUT).first()

    _order(held_out.contact, DISPATCH + dt.timedelta(days=2), "5000")

    after = results.campaign_holdout(busy_campaign)
    assert after.holdout_mean == pytest.approx(before.holdout_mean + 5000 / before.holdout_n)
    assert results.campaign_ab(busy_campaign) == ab_before  # the arms' revenue is unchanged
