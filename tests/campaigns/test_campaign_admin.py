"""The campaign admin: scheduling with its problems, progress, pause and cancel, preview, tests."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryState
from campaigns.services.dispatch import campaign_dispatch
from content.taxonomy import BuyingRole, JourneyPhase
from tests.admin_flow import assert_permission_denied, unchanged
from tests.campaigns.campaign_setup import approve, live_message, newsletter_campaign
from tests.factories import ContactFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


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


def test_the_edit_page_offers_the_campaign_managers_actions(client, campaign_manager):
    campaign = newsletter_campaign()
    client.force_login(campaign_manager)

    response = client.get(url("edit", campaign))

    assert response.status_code == 200
    for name in ("schedule", "preview_variants", "test_send"):
        assert url(name, campaign) in response.content.decode()


def test_the_schedule_page_lists_why_a_draft_cannot_be_scheduled(client, campaign_manager):
    ContactFactory()
    campaign = newsletter_campaign()
    client.force_login(campaign_manager)

    response = client.get(url("schedule", campaign))

    assert response.status_code == 200
    assert "The campaign is not approved" in response.content.decode()
    assert "no approved audience message" in response.content.decode()


def test_scheduling_an_approved_campaign_leads_to_its_progress(
    client, campaign_manager, approved_campaign
):
    ContactFactory()
    client.force_login(campaign_manager)

    response = client.post(url("schedule", approved_campaign), {"mode": "now", "confirmed": "1"})

    assert response.status_code == 302
    assert response["Location"] == url("progress", approved_campaign)
    assert Campaign.objects.get(pk=approved_campaign.pk).status == CampaignStatus.SCHEDULED


@pytest.mark.parametrize("group", ["Marketing approvers", "Legal reviewers", "Editors"])
def test_only_campaign_managers_schedule(client, make_user, approved_campaign, group):
    ContactFactory()
    client.force_login(make_user(group))

    with unchanged(approved_campaign, Delivery):
        response = client.post(
            url("schedule", approved_campaign), {"mode": "now", "confirmed": "1"}
        )

    # Wagtail sends a signed-in user without the permission back to the dashboard.
    assert_permission_denied(response)
    assert Campaign.objects.get(pk=approved_campaign.pk).status == CampaignStatus.APPROVED


def test_progress_reports_deliveries_per_state_as_json(client, campaign_manager, approved_campaign):
    ContactFactory.create_batch(3)
    client.force_login(campaign_manager)
    client.post(url("schedule", approved_campaign), {"mode": "now", "confirmed": "1"})
    campaign_dispatch(campaign_id=approved_campaign.pk)
    Delivery.objects.filter(pk=Delivery.objects.first().pk).update(state=DeliveryState.SENT)

    state = client.get(url("progress", approved_campaign), {"format": "json"}).json()

    assert state["status"] == "running"
    assert (state["progress"]["queued"], state["progress"]["sent"]) == (2, 1)
    assert state["percent"] == pytest.approx(33.3)


def test_pausing_and_cancelling_from_the_progress_page(client, campaign_manager, approved_campaign):
    ContactFactory()
    client.force_login(campaign_manager)
    client.post(url("schedule", approved_campaign), {"mode": "now", "confirmed": "1"})
    campaign_dispatch(campaign_id=approved_campaign.pk)

    client.post(url("state", approved_campaign, "pause"))
    paused = Campaign.objects.get(pk=approved_campaign.pk).status
    client.post(url("state", approved_campaign, "cancel"))

    assert paused == CampaignStatus.PAUSED
    assert Campaign.objects.get(pk=approved_campaign.pk).status == CampaignStatus.CANCELLED
    assert list(Delivery.objects.values_list("state", flat=True)) == [DeliveryState.CANCELLED]


def test_the_preview_shows_a_variant_as_a_contact_of_it_gets_it(client, campaign_manager):
    live_message("de", headline="Neu im Sortiment")
    ContactFactory(salutation="ms", last_name="Weber", role="buyer", phase="awareness")
    campaign = newsletter_campaign()
    client.force_login(campaign_manager)

    response = client.get(url("preview_variants", campaign), {"variant": "de:buyer:awareness:-"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Sehr geehrte Frau Weber" in page
    assert "Neu im Sortiment" in page


def test_a_test_send_of_the_unapproved_version_reaches_the_given_addresses(
    client, campaign_manager, newsletter_sink
):
    live_message("de")
    ContactFactory(role="buyer", phase="awareness")
    campaign = newsletter_campaign()
    client.force_login(campaign_manager)

    response = client.post(
        url("test_send", campaign),
        {"variant": "de:buyer:awareness:-", "addresses": "qa@example.com, chef@example.com"},
    )

    assert response.status_code == 302
    received = {mail.recipients[0]: mail.message for mail in newsletter_sink.received}
    assert sorted(received) == ["chef@example.com", "qa@example.com"]
    assert received["qa@example.com"]["Subject"] == "[TEST] Neuheiten für Sie (de)"
    assert not Delivery.objects.exists()


def test_a_test_send_to_a_malformed_address_sends_nothing(
    client, campaign_manager, newsletter_sink
):
    live_message("de")
    campaign = newsletter_campaign()
    client.force_login(campaign_manager)

    response = client.post(
        url("test_send", campaign), {"variant": "de:-:-:-", "addresses": "qa@example.com, nope"}
    )

    assert response.status_code == 200
    assert "“nope” is not an e-mail address." in response.content.decode()
    assert newsletter_sink.received == []


def test_the_progress_page_shows_the_counts_and_the_actions(
    client, campaign_manager, approved_campaign
):
    ContactFactory.create_batch(2)
    client.force_login(campaign_manager)
    client.post(url("schedule", approved_campaign), {"mode": "now", "confirmed": "1"})
    campaign_dispatch(campaign_id=approved_campaign.pk)

    response = client.get(url("progress", approved_campaign))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<td data-count="queued">2</td>' in page
    assert url("state", approved_campaign, "pause") in page


def test_the_campaign_listing_shows_progress_with_a_fixed_number_of_queries(
    client, campaign_manager, approved_campaign, django_assert_max_num_queries
):
    ContactFactory.create_batch(2)
    client.force_login(campaign_manager)
    client.post(url("schedule", approved_campaign), {"mode": "now", "confirmed": "1"})
    campaign_dispatch(campaign_id=approved_campaign.pk)
    Delivery.objects.filter(pk=Delivery.objects.first().pk).update(state=DeliveryState.SENT)
    listing = reverse("wagtailsnippets_campaigns_campaign:list")
    client.get(listing)  # warm caches (permissions, site) before counting
    for name in ("Zweite", "Dritte", "Vierte"):
        Campaign.objects.filter(pk=newsletter_campaign(name=name).pk).update(
            status=CampaignStatus.RUNNING
        )

    with django_assert_max_num_queries(40) as queries:
        response = client.get(listing)

    assert "1 of 2 sent" in response.content.decode()
    # The page and its paginator's count: the same two queries however many campaigns run.
    assert sum("campaigns_delivery" in q["sql"] for q in queries.captured_queries) == 2


def test_scheduling_waits_until_a_grid_product_has_its_image_approved(
    client, campaign_manager, marketing_approver, legal_reviewer, publish
):
    import html

    from content.models import ProductImage
    from tests.factories import ImageFactory, ProductFactory

    live_message("de")
    ContactFactory(role="buyer", phase="consideration")
    pump = publish(ProductFactory(sku="ABC-123", name="Pumpe X"))
    grid = ("products", {"heading": "Neu", "products": [pump]})
    campaign = approve(
        newsletter_campaign(extra_blocks=[grid]),
        manager=campaign_manager,
        approvers=[marketing_approver, legal_reviewer],
    )
    client.force_login(campaign_manager)

    refused = client.post(url("schedule", campaign), {"mode": "now", "confirmed": "1"})
    status_while_incomplete = Campaign.objects.get(pk=campaign.pk).status
    pump.images.add(ProductImage(image=ImageFactory(), alt_text="Pumpe X"))
    publish(pump)
    scheduled = client.post(url("schedule", campaign), {"mode": "now", "confirmed": "1"})

    # The admin speaks English here (the "english" fixture): the variant reads in its words.
    with translation.override("en"):
        variant = " - ".join(
            ["German", str(BuyingRole.BUYER.label), str(JourneyPhase.CONSIDERATION.label)]
        )
    assert refused.status_code == 400
    assert (
        f'{variant}: product ABC-123 "Pumpe X" is incomplete for Newsletter (de): missing images'
    ) in html.unescape(refused.content.decode())
    assert status_while_incomplete == CampaignStatus.APPROVED
    assert scheduled.status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SCHEDULED
