"""The campaign editor's "Webshop placements" tab: until when and with which priority a
campaign fills slots, and what it shows in each, per language and arm."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Locale
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from campaigns.models import Campaign, CampaignPlacement, Placement
from tests.campaigns.campaign_setup import newsletter_campaign
from tests.factories import rich_text_json

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def edit_url(campaign: Campaign) -> str:
    return reverse("wagtailsnippets_campaigns_campaign:edit", args=(campaign.pk,))


def campaign_post(campaign: Campaign, *, channels, placements=(), **fields) -> dict:
    content = campaign.contents.get()
    data = {
        "name": campaign.name,
        "goal": "",
        "segment": str(campaign.segment_id),
        "topic": "",
        "sender_name": campaign.sender_name,
        "sender_email": campaign.sender_email,
        "reply_to": "",
        "cost": "0",
        "target_open_rate": "",
        "target_click_rate": "",
        "target_orders": "",
        "target_revenue": "",
        "contents": inline_formset(
            [
                {
                    "id": content.pk,
                    "locale": content.locale_id,
                    "arm": "",
                    "subject": content.subject,
                    "preheader": "",
                    "body": streamfield([("text", rich_text_json("Unsere Neuheiten."))]),
                }
            ],
            initial=1,
            min=1,
        ),
        "arms": inline_formset([]),
        "holdout_percent": "0",
        "winner_metric": "",
        "winner_after_hours": "",
        "placements_until": "",
        "placement_priority": "100",
        "placements": inline_formset(
            [
                {
                    "placement": placement.pk,
                    "locale": Locale.objects.get(language_code="de").pk,
                    "arm": "",
                    "body": streamfield(
                        [
                            (
                                "teaser",
                                {
                                    "headline": headline,
                                    "text": "",
                                    "image": "",
                                    "link_url": "",
                                    "cta_label": "",
                                },
                            )
                        ]
                    ),
                }
                for placement, headline in placements
            ]
        ),
    }
    data.update(fields)
    # A list is a checkbox group here, not a nested form: added after flattening.
    return {**nested_form_data(data), "channels": list(channels)}


@pytest.fixture
def hero():
    return Placement.objects.create(
        key="home.hero", channel="webshop", name="Startseite oben", live=False
    )


def test_the_campaign_editor_has_a_webshop_placements_tab_and_offers_the_webshop(
    client, campaign_manager
):
    campaign = newsletter_campaign()
    client.force_login(campaign_manager)

    response = client.get(edit_url(campaign))

    page = response.content.decode()
    assert "Webshop placements" in page
    assert 'name="placement_priority"' in page
    channels = [key for key, _name in response.context["form"].fields["channels"].choices]
    assert "webshop" in channels
    assert "newsletter" in channels


def test_a_campaign_manager_saves_slot_content_for_the_webshop(client, campaign_manager, hero):
    campaign = newsletter_campaign()
    client.force_login(campaign_manager)

    response = client.post(
        edit_url(campaign),
        campaign_post(
            campaign,
            channels=["newsletter", "webshop"],
            placements=[(hero, "Frühjahrsaktion")],
            placement_priority="10",
        ),
    )

    assert response.status_code == 302
    saved = Campaign.objects.get(pk=campaign.pk)
    assert saved.channels == ["newsletter", "webshop"]
    assert saved.placement_priority == 10
    row = CampaignPlacement.objects.get(campaign=saved)
    assert (row.placement, row.locale.language_code, row.arm) == (hero, "de", "")
    assert row.body[0].value["headline"] == "Frühjahrsaktion"


def test_slot_content_for_a_shop_the_campaign_does_not_run_in_is_an_error(
    client, campaign_manager, hero
):
    campaign = newsletter_campaign()
    client.force_login(campaign_manager)

    response = client.post(
        edit_url(campaign),
        campaign_post(campaign, channels=["newsletter"], placements=[(hero, "Frühjahrsaktion")]),
    )

    assert response.status_code == 200
    row = response.context["form"].formsets["placements"].forms[0]
    assert row.errors["placement"] == [
        "Choose the channel “webshop” too: this slot is on its pages."
    ]
    assert not CampaignPlacement.objects.exists()
