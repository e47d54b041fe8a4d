"""Each role's admin home in headless chromium: what it shows that role and what it keeps from
it, and the admin search finding what the role may see (and only that)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from campaigns.models import CampaignStatus
from content.services import content_reject, content_save_draft, content_submit
from tests.factories import (
    CampaignFactory,
    ContactFactory,
    DeliveryFactory,
    ProductFactory,
    SegmentFactory,
)
from tests.hub.test_dashboards import api_client, failed_delivery, finished_campaign

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EDITOR_PANEL = "[data-editor-panel]"
CAMPAIGNS_PANEL = "[data-campaigns-panel]"
INTEGRATOR_PANEL = "[data-integrator-panel]"


def search_from_the_sidebar(page: Page, query: str) -> None:
    """The sidebar's search box, as a person would use it."""
    box = page.get_by_placeholder("Search", exact=True)
    box.fill(query)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/search/\?q="))


def shows_none_of(page: Page, *selectors: str) -> None:
    for selector in selectors:
        expect(page.locator(selector)).to_have_count(0)


def test_an_editor_lands_on_drafts_returned_items_and_incomplete_products(
    signed_in, browser_problems, shoot, editor, product_reviewer
):
    returned = ProductFactory(name="Bohrhammer BH 26")
    content_save_draft(obj=returned, user=editor)
    content_submit(obj=returned, user=editor)
    content_reject(
        obj=type(returned).objects.get(pk=returned.pk),
        user=product_reviewer,
        comment="Bitte Gewicht ergänzen.",
    )
    content_save_draft(obj=ProductFactory(name="Bohrhammer BH 30 Entwurf"), user=editor)
    ContactFactory(email="bohrhammer.fan@example.com")
    CampaignFactory(name="Bohrhammer-Aktion")

    page = signed_in(editor)

    panel = page.locator(EDITOR_PANEL)
    returned_rows = panel.locator("[data-returned] tbody tr")
    expect(returned_rows.filter(has_text="Bohrhammer BH 26")).to_contain_text(
        "Bitte Gewicht ergänzen."
    )
    expect(panel.locator("[data-drafts]")).to_contain_text("Bohrhammer BH 30 Entwurf")
    expect(panel.locator("[data-incomplete] a").first).to_have_attribute(
        "href", re.compile(r"incomplete_for=")
    )
    shows_none_of(page, CAMPAIGNS_PANEL, INTEGRATOR_PANEL)
    shoot(page, "editor-dashboard")

    search_from_the_sidebar(page, "bohrhammer")
    results = page.locator("main")
    expect(results.get_by_role("link", name="Bohrhammer BH 26")).to_be_visible()
    expect(results).not_to_contain_text("bohrhammer.fan@example.com")
    expect(results).not_to_contain_text("Bohrhammer-Aktion")
    shoot(page, "editor-search")

    page.goto("/admin/")
    returned_rows.get_by_role("link", name="Bohrhammer BH 26").first.click()
    expect(page).to_have_url(re.compile(rf"/product/edit/{returned.pk}/"))
    assert not browser_problems.as_text()


def test_a_reviewer_lands_on_the_tasks_awaiting_their_review(
    signed_in, browser_problems, shoot, editor, product_reviewer
):
    waiting = ProductFactory(name="Akkuschrauber AS 18")
    content_save_draft(obj=waiting, user=editor)
    content_submit(obj=waiting, user=editor)
    ContactFactory(email="akku.kunde@example.com")

    page = signed_in(product_reviewer)

    review = page.locator("section").filter(has_text="Awaiting your review")
    expect(review.get_by_role("link", name="Akkuschrauber AS 18")).to_be_visible()
    shows_none_of(page, CAMPAIGNS_PANEL, INTEGRATOR_PANEL)
    shoot(page, "reviewer-dashboard")

    search_from_the_sidebar(page, "akku")
    results = page.locator("main")
    expect(results.get_by_role("link", name="Akkuschrauber AS 18")).to_be_visible()
    expect(results).not_to_contain_text("akku.kunde@example.com")
    shoot(page, "reviewer-search")
    assert not browser_problems.as_text()


def test_a_campaign_manager_lands_on_current_campaigns_and_the_latest_results(
    signed_in, browser_problems, shoot, campaign_manager, editor
):
    running = CampaignFactory(
        name="Herbstaktion",
        status=CampaignStatus.RUNNING,
        send_at=timezone.now() - dt.timedelta(hours=1),
    )
    for state in ("sent", "sent", "sent", "queued", "queued"):
        DeliveryFactory(campaign=running, state=state)
    finished_campaign("Sommeraktion", sent=200, clicks=50, revenue="1234.50")
    CampaignFactory(name="Herbst-Entwurf")
    content_save_draft(obj=ProductFactory(name="Herbstlaub-Rechen"), user=editor)
    ContactFactory(email="herbst.einkauf@example.com")
    SegmentFactory(name="Herbst-Einkäufer")

    page = signed_in(campaign_manager)

    panel = page.locator(CAMPAIGNS_PANEL)
    expect(panel.locator("[data-current] tr").filter(has_text="Herbstaktion")).to_contain_text(
        "3 of 5 sent, 2 to go"
    )
    finished = panel.locator("[data-finished] tr").filter(has_text="Sommeraktion")
    expect(finished).to_contain_text("25 %")
    expect(panel).not_to_contain_text("Herbst-Entwurf")
    shows_none_of(page, EDITOR_PANEL, INTEGRATOR_PANEL)
    shoot(page, "campaign-manager-dashboard")

    search_from_the_sidebar(page, "herbst")
    results = page.locator("main")
    for found in ("herbst.einkauf@example.com", "Herbst-Einkäufer", "Herbstaktion"):
        expect(results.get_by_role("link", name=found)).to_be_visible()
    shoot(page, "campaign-manager-search")

    page.goto("/admin/")
    finished.get_by_role("link", name="Sommeraktion").click()
    expect(page).to_have_url(re.compile(r"/results/$"))
    assert not browser_problems.as_text()


def test_an_integrator_lands_on_api_clients_webhook_failures_and_the_api_docs(
    signed_in, browser_problems, shoot, integrator
):
    from channels.models import WebhookEndpoint

    api_client("Webshop Live", used_at=timezone.now())
    endpoint = WebhookEndpoint.objects.create(
        name="Shop", url="https://shop.example.com/hooks", events=["product.published"]
    )
    failed_delivery(endpoint, "Connection refused")
    ProductFactory(name="Webshop-Schraube")
    ContactFactory(email="webshop.kunde@example.com")

    page = signed_in(integrator)

    panel = page.locator(INTEGRATOR_PANEL)
    expect(panel.locator("[data-clients]")).to_contain_text("Webshop Live")
    expect(panel.locator("[data-failures]")).to_contain_text("Connection refused")
    expect(panel.get_by_role("link", name="API documentation")).to_have_attribute(
        "href", "/api/v1/docs"
    )
    shows_none_of(page, EDITOR_PANEL, CAMPAIGNS_PANEL)
    shoot(page, "integrator-dashboard")

    search_from_the_sidebar(page, "webshop")
    results = page.locator("main")
    expect(results.get_by_role("link", name="Webshop-Schraube")).to_be_visible()
    expect(results).not_to_contain_text("webshop.kunde@example.com")
    shoot(page, "integrator-search")

    response = page.request.get("/api/v1/docs")
    assert response.status == 200
    assert not browser_problems.as_text()
