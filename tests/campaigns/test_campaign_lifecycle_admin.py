"""The campaign admin by state: a scheduled campaign is fixed, actions fit the state, sending
now asks first with the recipient count, and variants read as words."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from campaigns.measurement.intake import results_refresh
from campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryState, ScheduleMode
from campaigns.personalisation import variant_label
from campaigns.services.campaigns import campaign_schedule
from campaigns.services.segment_state import segment_state_note_contacts, segment_state_refresh
from content.taxonomy import BuyingRole, JourneyPhase
from tests.admin_flow import error_messages, outcome, unchanged
from tests.campaigns.campaign_setup import approve, live_message, newsletter_campaign
from tests.factories import CampaignFactory, ContactFactory, DeliveryFactory

pytestmark = pytest.mark.django_db

DISPATCH = dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 10, 12, 23, 30, tzinfo=dt.UTC)  # half past one at night in Berlin


def url(name: str, campaign: Campaign, *args) -> str:
    return reverse(f"wagtailsnippets_campaigns_campaign:{name}", args=(campaign.pk, *args))


@pytest.fixture
def approved_campaign(campaign_manager, marketing_approver, legal_reviewer):
    live_message("de")
    return approve(
        newsletter_campaign(),
        manager=campaign_manager,
        approvers=[marketing_approver, legal_reviewer],
    )


@pytest.fixture
def scheduled_campaign(approved_campaign, campaign_manager):
    ContactFactory()
    return campaign_schedule(
        campaign=approved_campaign,
        mode=ScheduleMode.AT,
        send_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=2),
        user=campaign_manager,
    )


def _edit_data(client, campaign: Campaign, **changes) -> dict:
    """The edit form as the browser would post it, from the page itself, with ``changes``."""
    page = client.get(url("edit", campaign), follow=True).content.decode()
    data = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    }
    return {**data, "name": campaign.name, **changes}


@pytest.mark.usefixtures("english")
def test_editing_a_scheduled_campaign_leads_to_its_progress(
    client, campaign_manager, scheduled_campaign
):
    client.force_login(campaign_manager)

    response = client.get(url("edit", scheduled_campaign))

    assert response.status_code == 302
    assert response["Location"] == url("progress", scheduled_campaign)
    page = client.get(response["Location"]).content.decode()
    assert "cannot be changed or deleted" in html.unescape(page)


def test_a_posted_edit_of_a_scheduled_campaign_is_refused(
    client, campaign_manager, scheduled_campaign
):
    client.force_login(campaign_manager)
    data = _edit_data(client, scheduled_campaign, name="Changed after scheduling")

    with unchanged(scheduled_campaign, Campaign, Delivery):
        response = client.post(url("edit", scheduled_campaign), data)

    assert outcome(response) == "denied"
    assert Campaign.objects.get(pk=scheduled_campaign.pk).name != "Changed after scheduling"
    assert scheduled_campaign.get_latest_revision_as_object().name == scheduled_campaign.name


def test_a_scheduled_campaign_cannot_be_unpublished(client, campaign_manager, scheduled_campaign):
    client.force_login(campaign_manager)

    with unchanged(scheduled_campaign, Campaign, Delivery):
        response = client.post(url("unpublish", scheduled_campaign))

    assert outcome(response) == "denied"
    assert Campaign.objects.get(pk=scheduled_campaign.pk).live


@pytest.mark.parametrize("status", [CampaignStatus.SCHEDULED, CampaignStatus.RUNNING])
@pytest.mark.usefixtures("english")
def test_deleting_a_scheduled_or_running_campaign_is_refused(
    client, campaign_manager, scheduled_campaign, status
):
    Campaign.objects.filter(pk=scheduled_campaign.pk).update(status=status)
    campaign = Campaign.objects.get(pk=scheduled_campaign.pk)
    client.force_login(campaign_manager)
    bulk = reverse("wagtail_bulk_action", args=("campaigns", "campaign", "delete"))

    with unchanged(campaign, Campaign):
        asked = client.get(url("delete", campaign))
        posted = client.post(url("delete", campaign))
        posted_in_bulk = client.post(f"{bulk}?id={campaign.pk}")

    for response in (asked, posted, posted_in_bulk):
        assert response.status_code == 302
        assert response["Location"] == url("progress", campaign)
    assert any("cannot be changed or deleted" in text for text in error_messages(posted))


def test_a_draft_campaign_can_still_be_deleted(client, campaign_manager):
    campaign = newsletter_campaign()
    client.force_login(campaign_manager)

    response = client.post(url("delete", campaign))

    assert response.status_code == 302
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


@pytest.mark.parametrize("status", [CampaignStatus.SCHEDULED, CampaignStatus.RUNNING])
def test_the_listing_offers_no_delete_for_a_scheduled_or_running_campaign(
    client, campaign_manager, scheduled_campaign, status
):
    Campaign.objects.filter(pk=scheduled_campaign.pk).update(status=status)
    draft = newsletter_campaign(name="Noch ein Entwurf")
    client.force_login(campaign_manager)

    page = client.get(reverse("wagtailsnippets_campaigns_campaign:list")).content.decode()

    assert url("delete", scheduled_campaign) not in page
    assert url("delete", draft) in page


def _primary_schedule_button(page: str, campaign: Campaign) -> bool:
    return bool(
        re.search(
            rf'<a[^>]*href="{re.escape(url("schedule", campaign))}"[^>]*w-header-button', page
        )
        or re.search(
            rf'<a[^>]*w-header-button[^>]*href="{re.escape(url("schedule", campaign))}"', page
        )
    )


def test_an_approved_campaign_has_schedule_as_its_primary_action(
    client, campaign_manager, approved_campaign
):
    draft = newsletter_campaign()
    client.force_login(campaign_manager)

    approved_page = client.get(url("edit", approved_campaign)).content.decode()
    draft_page = client.get(url("edit", draft)).content.decode()

    assert _primary_schedule_button(approved_page, approved_campaign)
    # A draft is not ready: "Schedule" stays in the "more" menu, to list what is missing.
    assert not _primary_schedule_button(draft_page, draft)
    assert url("schedule", draft) in draft_page
    assert url("progress", draft) not in draft_page


@pytest.mark.usefixtures("english")
def test_sending_now_asks_first_with_the_number_of_recipients(
    client, campaign_manager, approved_campaign
):
    ContactFactory.create_batch(3)
    client.force_login(campaign_manager)

    with unchanged(approved_campaign, Campaign, Delivery):
        asked = client.post(url("schedule", approved_campaign), {"mode": "now"})
    confirmed = client.post(url("schedule", approved_campaign), {"mode": "now", "confirmed": "1"})

    page = html.unescape(asked.content.decode())
    assert asked.status_code == 200
    assert "data-confirm-send-now" in page
    assert re.search(r"goes out now to 3 contacts", page)
    assert 'name="confirmed" value="1"' in page
    assert confirmed.status_code == 302
    assert Campaign.objects.get(pk=approved_campaign.pk).status == CampaignStatus.SCHEDULED


@pytest.mark.usefixtures("english")
def test_sending_now_counts_from_the_segment_state_and_says_up_to_when(
    client, campaign_manager, approved_campaign
):
    ContactFactory.create_batch(3)
    segment_state_refresh(now=NOW)  # 01:30 in Berlin
    latecomer = ContactFactory()
    segment_state_note_contacts([latecomer.pk])  # not refreshed yet
    client.force_login(campaign_manager)

    asked = client.post(url("schedule", approved_campaign), {"mode": "now"})

    page = html.unescape(asked.content.decode())
    assert re.search(r"goes out now to 3 contacts", page)
    assert re.search(r"Counted from the data up to 10/13/2026 1:30", page)


def test_a_variant_reads_in_words():
    with translation.override("en"):
        assert variant_label("de:approver:consideration:A") == (
            "German - Approver - Consideration - arm A"
        )
        assert variant_label("en:-:-:-") == "English - no role - no phase"


@time_machine.travel(NOW, tick=False)
def test_the_results_show_variants_in_words(client, campaign_manager):
    campaign = CampaignFactory(
        status=CampaignStatus.DONE, dispatched_at=DISPATCH, finished_at=DISPATCH
    )
    for role in ("approver", "buyer"):
        DeliveryFactory(
            campaign=campaign,
            contact=ContactFactory(role=role, phase="consideration"),
            channel="newsletter",
            arm="A",
            variant_key=f"de:{role}:consideration:A",
            state=DeliveryState.SENT,
            sent_at=DISPATCH,
        )
    results_refresh(campaign_id=campaign.pk)
    client.force_login(campaign_manager)

    progress = client.get(url("progress", campaign)).content.decode()
    page = client.get(url("results", campaign), {"by": "variant_key"}).content.decode()

    # The admin speaks German here; the words are those of the choices in that language.
    with translation.override("de"):
        expected = [
            " - ".join(
                [
                    "Deutsch",
                    str(role.label),
                    str(JourneyPhase.CONSIDERATION.label),
                    gettext("arm %(arm)s") % {"arm": "A"},
                ]
            )
            for role in (BuyingRole.APPROVER, BuyingRole.BUYER)
        ]
    page = html.unescape(page)
    for label in expected:
        assert label in page
    assert "de:approver:consideration:A" not in page
    assert url("results", campaign) in progress
