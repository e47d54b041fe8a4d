"""The repurchase rate of a campaign's recipients: of those who had ordered before the
dispatch, the share who ordered again within its measurement window, kept by the recount."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from campaigns.measurement.intake import results_refresh
from campaigns.models import CampaignFigures, CampaignStatus, DeliveryState
from campaigns.services.events import ContactRef, OrderInput, orders_record
from tests.factories import CampaignFactory, ContactFactory, DeliveryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

DISPATCH = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)
BEFORE = dt.datetime(2026, 10, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def order(contact, at: dt.datetime) -> None:
    orders_record(
        source="erp",
        items=[
            OrderInput(
                order_number=f"R-{contact.pk}-{at:%m%d%H}",
                ordered_at=at,
                currency="EUR",
                contact=ContactRef(email=contact.email),
                revenue=Decimal("100.00"),
            )
        ],
    )


def recipient(campaign, state=DeliveryState.SENT, channel="newsletter", contact=None):
    contact = contact or ContactFactory()
    DeliveryFactory(
        campaign=campaign, contact=contact, channel=channel, state=state, sent_at=DISPATCH
    )
    return contact


@pytest.fixture
def campaign():
    """Seven days' window; three earlier customers among the recipients, two buy again."""
    campaign = CampaignFactory(
        status=CampaignStatus.DONE,
        dispatched_at=DISPATCH,
        finished_at=DISPATCH,
        attribution_window_days=7,
    )
    again = recipient(campaign)
    recipient(campaign, channel="webshop", contact=again)  # two channels, one person
    order(again, BEFORE)
    order(again, DISPATCH + dt.timedelta(days=3))
    too_late = recipient(campaign)
    order(too_late, BEFORE)
    order(too_late, DISPATCH + dt.timedelta(days=7, minutes=1))
    on_the_last_moment = recipient(campaign, state=DeliveryState.BOUNCED)
    order(on_the_last_moment, BEFORE)
    order(on_the_last_moment, DISPATCH + dt.timedelta(days=7))
    first_order = recipient(campaign)
    order(first_order, DISPATCH + dt.timedelta(days=1))
    held_out = recipient(campaign, state=DeliveryState.HELD_OUT)
    order(held_out, BEFORE)
    order(held_out, DISPATCH + dt.timedelta(days=1))
    failed = recipient(campaign, state=DeliveryState.FAILED)
    order(failed, BEFORE)
    order(failed, DISPATCH + dt.timedelta(days=1))
    recipient(campaign)  # never ordered
    return campaign


def test_the_recount_keeps_who_had_ordered_before_and_who_ordered_again(campaign):
    results_refresh(campaign_id=campaign.pk)

    figures = CampaignFigures.objects.get(campaign=campaign)
    assert (figures.repeat_customers, figures.repeat_buyers) == (3, 2)
    assert figures.counted_at == NOW


def test_a_late_reported_order_in_the_window_counts_at_the_next_recount(campaign):
    results_refresh(campaign_id=campaign.pk)
    late = recipient(campaign)
    order(late, BEFORE)
    order(late, DISPATCH + dt.timedelta(days=2))

    results_refresh(campaign_id=campaign.pk)

    figures = CampaignFigures.objects.get(campaign=campaign)
    assert (figures.repeat_customers, figures.repeat_buyers) == (4, 3)


def results_url(campaign) -> str:
    return reverse("wagtailsnippets_campaigns_campaign:results", args=(campaign.pk,))


def test_the_results_headline_shows_the_repurchase_rate(client, campaign_manager, campaign):
    results_refresh(campaign_id=campaign.pk)
    client.force_login(campaign_manager)

    response = client.get(results_url(campaign))

    assert ("Repurchase rate", "66.7 % (2 of 3)") in response.context["headline"]
    assert "66.7 % (2 of 3)" in response.content.decode()


def test_without_earlier_customers_the_repurchase_rate_stays_empty(client, campaign_manager):
    campaign = CampaignFactory(status=CampaignStatus.DONE, dispatched_at=DISPATCH)
    order(recipient(campaign), DISPATCH + dt.timedelta(days=1))
    results_refresh(campaign_id=campaign.pk)
    client.force_login(campaign_manager)

    response = client.get(results_url(campaign))

    assert ("Repurchase rate", None) in response.context["headline"]
