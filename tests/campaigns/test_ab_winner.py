"""The automatic A/B winner picks an arm only when its lead is significant (configurable)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from campaigns.models import Campaign, Delivery, DeliveryState, ScheduleMode
from campaigns.services.ab_test import campaign_choose_winner
from campaigns.services.campaigns import campaign_schedule
from campaigns.services.dispatch import campaign_dispatch
from tests.campaigns.campaign_setup import live_message, newsletter_campaign
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)


def _running_test(approved, campaign_manager, contacts: int, **fields) -> Campaign:
    live_message("de")
    ContactFactory.create_batch(contacts)
    campaign = approved(
        newsletter_campaign(
            arms=[("A", 40), ("B", 40)], winner_metric="click_rate", winner_after_hours=4, **fields
        )
    )
    with time_machine.travel(START, tick=False):
        campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
        campaign_dispatch(campaign_id=campaign.pk)
    Delivery.objects.filter(arm__in=["A", "B"]).update(state=DeliveryState.SENT, sent_at=START)
    return campaign


def _clicks(arm: str, count: int) -> None:
    chosen = Delivery.objects.filter(arm=arm).values_list("pk", flat=True)[:count]
    Delivery.objects.filter(pk__in=list(chosen)).update(
        human_clicked_at=START, human_opened_at=START
    )


def test_a_small_lead_wins_nothing_and_the_rest_gets_the_control(approved, campaign_manager):
    campaign = _running_test(approved, campaign_manager, 50)
    _clicks("A", 2)
    _clicks("B", 4)

    winner = campaign_choose_winner(campaign_id=campaign.pk, now=START + dt.timedelta(hours=4))

    campaign.refresh_from_db()
    assert (winner, campaign.winner_arm, campaign.winner_significant) == ("A", "A", False)
    assert Delivery.objects.filter(arm="A", state=DeliveryState.QUEUED).count() == 10


def test_without_the_significance_rule_the_better_score_wins_all_the_same(
    approved, campaign_manager
):
    campaign = _running_test(approved, campaign_manager, 50, winner_requires_significance=False)
    _clicks("A", 2)
    _clicks("B", 4)

    winner = campaign_choose_winner(campaign_id=campaign.pk, now=START + dt.timedelta(hours=4))

    campaign.refresh_from_db()
    assert (winner, campaign.winner_significant) == ("B", False)


def test_a_clear_lead_wins(approved, campaign_manager):
    campaign = _running_test(approved, campaign_manager, 400)
    _clicks("A", 5)
    _clicks("B", 45)

    winner = campaign_choose_winner(campaign_id=campaign.pk, now=START + dt.timedelta(hours=4))

    campaign.refresh_from_db()
    assert (winner, campaign.winner_significant) == ("B", True)
    assert Delivery.objects.filter(arm="B", state=DeliveryState.QUEUED).count() == 80
