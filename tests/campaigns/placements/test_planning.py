"""What keeps a webshop campaign from being scheduled, and what dispatch writes for it."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, Delivery
from campaigns.services.campaigns import campaign_problems
from campaigns.services.dispatch import campaign_dispatch
from campaigns.services.sending import campaigns_advance
from tests.factories import ContactFactory

from .setup import message_slot, placement, schedule_now, teaser, webshop_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def hero(approved):
    return approved(placement(defaults={"de": [teaser("Willkommen")]}))


def test_a_webshop_campaign_with_approved_content_has_no_problems(hero, approved):
    ContactFactory()
    campaign = approved(webshop_campaign({(hero, "de"): [teaser("Aktion")]}))

    assert campaign_problems(campaign) == []


def test_a_webshop_campaign_needs_content_for_a_slot(approved):
    ContactFactory()
    campaign = approved(webshop_campaign({}))

    assert campaign_problems(campaign) == ["webshop: no content for any of its placements"]


def test_a_slot_that_is_not_approved_is_named(approved):
    ContactFactory()
    draft_slot = placement("cart.upsell")
    campaign = approved(webshop_campaign({(draft_slot, "de"): [teaser("Aktion")]}))

    assert campaign_problems(campaign) == ["cart.upsell: the placement is not approved"]


def test_a_required_message_slot_needs_a_message_for_each_audience(hero, approved):
    ContactFactory(role="buyer", phase="awareness")
    ContactFactory(role="engineer", phase="decision")
    campaign = approved(webshop_campaign({(hero, "de"): [message_slot()]}))

    assert campaign_problems(campaign) == [
        "home.hero / German - Buyer / recommender - Awareness: no approved audience message",
        "home.hero / German - engineer - decision: no approved audience message",
    ]


def test_an_arm_without_a_version_of_its_own_or_for_every_arm_is_named(hero, approved):
    ContactFactory()
    campaign = approved(
        webshop_campaign({(hero, "de", "A"): [teaser("Version A")]}, arms=(("A", 50), ("B", 50)))
    )

    assert campaign_problems(campaign) == ["home.hero / de: no version for arm B"]


def test_a_version_for_every_arm_covers_the_arms_without_their_own(hero, approved):
    ContactFactory()
    slots = {(hero, "de", "A"): [teaser("Version A")], (hero, "de"): [teaser("Für alle")]}
    campaign = approved(webshop_campaign(slots, arms=(("A", 50), ("B", 50))))

    assert campaign_problems(campaign) == []


def test_dispatch_writes_no_deliveries_for_the_webshop(hero, approved, campaign_manager):
    ContactFactory.create_batch(3)
    campaign = schedule_now(
        approved(webshop_campaign({(hero, "de"): [teaser("Aktion")]})), campaign_manager
    )

    written = campaign_dispatch(campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert (written, campaign.status) == (0, CampaignStatus.RUNNING)
    assert not Delivery.objects.filter(campaign=campaign).exists()


def test_a_webshop_campaign_runs_until_its_placements_end(hero, approved, campaign_manager):
    ContactFactory()
    until = timezone.now() + dt.timedelta(days=7)
    campaign = schedule_now(
        approved(webshop_campaign({(hero, "de"): [teaser("Aktion")]}, placements_until=until)),
        campaign_manager,
    )

    campaigns_advance()
    running = Campaign.objects.get(pk=campaign.pk).status
    campaigns_advance(now=until + dt.timedelta(minutes=1))
    finished = Campaign.objects.get(pk=campaign.pk).status

    assert (running, finished) == (CampaignStatus.RUNNING, CampaignStatus.DONE)
