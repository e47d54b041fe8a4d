"""Before launch: what a campaign's A/B test can detect, from its audience, its split and the
click rate of the campaigns finished lately."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from campaigns.measurement import stats
from campaigns.measurement.results import DEFAULT_BASELINE_CLICK_RATE, planned_test_power
from campaigns.models import (
    CampaignDayStats,
    CampaignStatus,
    ConsentState,
    DeliveryState,
    DeliveryStateCount,
)
from tests.campaigns.campaign_setup import newsletter_campaign
from tests.factories import CampaignFactory, ContactFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NOW = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def finished_campaign(days_ago: int, *, delivered: int, bounced: int, clicks: int, **fields):
    """A campaign with its kept figures: delivery states as recounted, clicks of a day."""
    finished = NOW - dt.timedelta(days=days_ago)
    campaign = CampaignFactory(
        status=fields.pop("status", CampaignStatus.DONE), finished_at=finished, **fields
    )
    for state, count in (
        (DeliveryState.SENT, delivered - 10),
        (DeliveryState.IN_DOUBT, 10),
        (DeliveryState.BOUNCED, bounced),
    ):
        DeliveryStateCount.objects.create(
            campaign=campaign, channel="newsletter", state=state, count=count, counted_at=NOW
        )
    CampaignDayStats.objects.create(
        campaign=campaign,
        channel="newsletter",
        day=finished.date(),
        sent=delivered + bounced,
        unique_clicks=clicks,
    )
    return campaign


@pytest.fixture
def audience():
    """200 reachable contacts, and two the campaign cannot reach."""
    ContactFactory.create_batch(200)
    ContactFactory(consent=ConsentState.PENDING)
    ContactFactory(consent=ConsentState.REVOKED)


def test_the_baseline_is_the_click_rate_of_campaigns_finished_in_the_last_180_days(audience):
    finished_campaign(10, delivered=1000, bounced=40, clicks=50)
    finished_campaign(170, delivered=500, bounced=0, clicks=10)
    finished_campaign(190, delivered=500, bounced=0, clicks=400)  # too long ago
    finished_campaign(1, delivered=500, bounced=0, clicks=400, status=CampaignStatus.RUNNING)
    campaign = newsletter_campaign(arms=[("A", 50), ("B", 50)])

    power = planned_test_power(campaign)

    assert (power.audience, power.tested) == (200, 200)
    assert power.baseline.rate == pytest.approx(60 / 1500)
    assert (power.baseline.campaigns, power.baseline.delivered) == (2, 1500)
    assert power.difference == pytest.approx(
        stats.minimum_detectable_effect(200, [50, 50], 60 / 1500)
    )


def test_without_campaigns_to_learn_from_the_baseline_is_three_percent(audience):
    campaign = newsletter_campaign(arms=[("A", 50), ("B", 50)])

    power = planned_test_power(campaign)

    assert DEFAULT_BASELINE_CLICK_RATE == 0.03
    assert power.baseline.is_default
    assert power.difference == pytest.approx(stats.minimum_detectable_effect(200, [50, 50], 0.03))


def test_the_holdout_and_the_rest_waiting_for_the_winner_are_not_in_the_test(audience):
    campaign = newsletter_campaign(
        arms=[("A", 20), ("B", 20), ("C", 20)], holdout_percent=10, winner_after_hours=4
    )

    power = planned_test_power(campaign)

    assert (power.audience, power.tested) == (200, 120)
    assert power.shares == {"A": 20.0, "B": 20.0, "C": 20.0}
    assert power.difference == pytest.approx(
        stats.minimum_detectable_effect(120, [20, 20, 20], 0.03)
    )


def test_without_a_test_period_the_last_arm_gets_the_rest_and_is_in_the_test(audience):
    campaign = newsletter_campaign(arms=[("A", 30), ("B", 30)], holdout_percent=10)

    power = planned_test_power(campaign)

    assert power.tested == 180
    assert power.difference == pytest.approx(stats.minimum_detectable_effect(180, [30, 60], 0.03))


def test_a_campaign_without_arms_plans_no_test(audience):
    assert planned_test_power(newsletter_campaign()) is None


def schedule_url(campaign) -> str:
    return reverse("wagtailsnippets_campaigns_campaign:schedule", args=(campaign.pk,))


def test_the_schedule_page_says_what_the_test_can_detect(client, campaign_manager, audience):
    finished_campaign(10, delivered=1000, bounced=40, clicks=50)
    campaign = newsletter_campaign(arms=[("A", 50), ("B", 50)])
    expected = stats.minimum_detectable_effect(200, [50, 50], 0.05) * 100
    client.force_login(campaign_manager)

    response = client.get(schedule_url(campaign))

    page = response.content.decode()
    assert (
        f"With about 200 recipients, this test can detect a difference of {expected:.1f} points "
        "in click rate (from a baseline of 5.0 %)." in page
    )
    assert "click rate of the campaign finished in the last 180 days" in page


def test_the_schedule_page_says_when_the_baseline_is_the_default(
    client, campaign_manager, audience
):
    campaign = newsletter_campaign(arms=[("A", 45), ("B", 45)], holdout_percent=10)
    client.force_login(campaign_manager)

    response = client.get(schedule_url(campaign))

    page = response.content.decode()
    assert "With about 200 recipients (180 of them in the test arms)" in page
    assert "from a baseline of 3.0 %" in page
    assert "baseline is a typical newsletter click rate of 3.0 %" in page


def test_the_schedule_page_of_a_campaign_without_arms_plans_no_test(
    client, campaign_manager, audience
):
    client.force_login(campaign_manager)

    response = client.get(schedule_url(newsletter_campaign()))

    assert response.status_code == 200
    assert "data-test-power" not in response.content.decode()
