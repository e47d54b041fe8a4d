"""The webshop snippet on a shop page of its own origin: fail-open, and the personalised teaser.

The demo shop (tests/e2e/webshop_demo/) is served by its own local HTTP server, so the
snippet runs as on a real shop: another origin than the hub, from which it loads.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from tests.e2e.webshop_demo import demo_shop

# serialized_rollback: the personalised test needs the workflow and groups from migrations.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TIMEOUT_MS = 800


@pytest.fixture
def silent_hub() -> Iterator[str]:
    """A hub that accepts connections and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


@pytest.fixture
def shop_page(browser):
    contexts = []

    def open_page(url: str):
        context = browser.new_context(locale="de-DE")
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_a_hub_that_never_answers_leaves_the_shop_its_own_content(
    live_server, silent_hub, shop_page
):
    from playwright.sync_api import expect

    with demo_shop(
        snippet_url=f"{live_server.url}/static/webshop/hub-placements.js",
        hub_url=silent_hub,
        visitor_token="any-visitor-token",
        timeout_ms=TIMEOUT_MS,
    ) as shop:
        started = time.monotonic()
        page = shop_page(shop.url)
        hero = page.locator("#hero")

        expect(hero).to_have_attribute("data-hub-state", "fallback", timeout=5_000)
        waited = time.monotonic() - started
        expect(hero.locator(".shop-default")).to_have_text("Unser Frühjahrssortiment")
        assert waited >= TIMEOUT_MS / 1000 * 0.9
        assert waited < TIMEOUT_MS / 1000 + 4


def test_a_contact_in_the_campaigns_segment_sees_its_teaser_on_the_shop_page(
    live_server, shop_page, campaign_manager, marketing_approver, legal_reviewer
):
    from playwright.sync_api import expect

    from campaigns.models import Campaign, CampaignPlacement, Placement, PlacementAudience
    from campaigns.visitors import visitor_token_issue
    from channels.models import ApiClient, Scope
    from content.services import content_approve, content_submit
    from tests.campaigns.campaign_setup import approve
    from tests.factories import CampaignFactory, ContactFactory, SegmentFactory, locale

    client = ApiClient(
        name="Demo-Shop",
        channel="webshop",
        scopes=[Scope.VISITORS_WRITE, Scope.PLACEMENTS_READ],
    )
    client.issue_token()
    client.save()
    segment = SegmentFactory()
    contact = ContactFactory()
    PlacementAudience.objects.create(contact=contact, segment_ids=[segment.pk], stale=False)
    placement = Placement.objects.create(key="home.hero", channel="webshop", name="Home hero")
    # A slot shows nothing until it is approved, as the campaign is.
    content_submit(obj=placement, user=campaign_manager)
    for approver in (marketing_approver, legal_reviewer):
        content_approve(obj=Placement.objects.get(pk=placement.pk), user=approver)
    campaign = CampaignFactory(segment=segment, channels=["webshop"])
    CampaignPlacement.objects.create(
        campaign=campaign,
        placement=placement,
        locale=locale("de"),
        body=[("teaser", {"headline": "Frühjahrsaktion für Einkäufer", "text": "Jetzt sparen"})],
    )
    campaign = approve(
        campaign, manager=campaign_manager, approvers=[marketing_approver, legal_reviewer]
    )
    Campaign.objects.filter(pk=campaign.pk).update(status="running")
    token = visitor_token_issue(client_id=client.pk, contact_id=contact.pk).token

    with demo_shop(
        snippet_url=f"{live_server.url}/static/webshop/hub-placements.js",
        hub_url=live_server.url,
        visitor_token=token,
    ) as shop:
        # The shop's origin is known once its server runs: only pages of it may ask.
        ApiClient.objects.filter(pk=client.pk).update(allowed_origins=shop.origin)
        page = shop_page(shop.url)
        hero = page.locator("#hero")

        expect(hero).to_have_attribute("data-hub-state", "filled")
        expect(hero.locator(".hub-teaser__headline")).to_have_text("Frühjahrsaktion für Einkäufer")
        expect(hero.locator(".shop-default")).to_have_count(0)
