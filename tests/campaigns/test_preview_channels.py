"""Previews and test sends go through the campaign's own channel, whatever its key."""

import pytest

from campaigns.models import Campaign
from campaigns.services.campaigns import CampaignError, campaign_preview, campaign_test_send
from tests.campaigns.campaign_setup import live_message, newsletter_campaign
from tests.factories import ContactFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

VARIANT = "de:buyer:awareness:-"


def with_channels(campaign: Campaign, channels: list[str]) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(channels=channels)
    return Campaign.objects.get(pk=campaign.pk)


@pytest.fixture
def mail_under_another_key(settings):
    settings.HUB_CHANNELS = {
        "print": {"BACKEND": "channels.print_catalogue.PrintCatalogueChannel"},
        "mail": {"BACKEND": "channels.newsletter.NewsletterChannel"},
    }


def test_the_preview_renders_through_the_campaigns_channel_under_any_key(
    mail_under_another_key,
):
    live_message("de", headline="Neu im Sortiment")
    ContactFactory(salutation="ms", last_name="Weber", role="buyer", phase="awareness")
    campaign = with_channels(newsletter_campaign(), ["print", "mail"])

    html, _missing = campaign_preview(campaign=campaign, key=VARIANT)

    assert "Sehr geehrte Frau Weber" in html
    assert "Neu im Sortiment" in html


def test_a_test_send_goes_out_through_the_campaigns_channel_under_any_key(
    mail_under_another_key, campaign_manager, newsletter_sink
):
    live_message("de")
    ContactFactory(role="buyer", phase="awareness")
    campaign = with_channels(newsletter_campaign(), ["mail"])

    results = campaign_test_send(
        campaign=campaign, key=VARIANT, addresses=["qa@example.com"], user=campaign_manager
    )

    assert [result.sent for result in results] == [True]
    assert [mail.recipients[0] for mail in newsletter_sink.received] == ["qa@example.com"]


def test_a_campaign_without_a_channel_that_mails_each_recipient_has_no_preview(
    campaign_manager, newsletter_sink
):
    live_message("de")
    campaign = with_channels(newsletter_campaign(), ["print"])

    with pytest.raises(CampaignError, match="None of the campaign's channels"):
        campaign_preview(campaign=campaign, key=VARIANT)
    with pytest.raises(CampaignError, match="None of the campaign's channels"):
        campaign_test_send(
            campaign=campaign, key=VARIANT, addresses=["qa@example.com"], user=campaign_manager
        )
    assert newsletter_sink.received == []
