"""A campaign's whole life in headless chromium, as its manager clicks it: approved ->
"Schedule" -> "send now" asks first, with the recipient count -> scheduled and locked (no
editing, no delete) -> done -> results. A screenshot at each step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaigns.measurement.intake import results_refresh_due
from campaigns.models import Campaign, CampaignStatus
from campaigns.tasks import campaigns_tick
from tests.campaigns.campaign_setup import approve, live_message, newsletter_campaign
from tests.factories import ContactFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ADMIN = "/admin/snippets/campaigns/campaign/"


def test_a_campaign_from_approved_to_its_results(
    signed_in,
    browser_problems,
    shoot,
    campaign_manager,
    marketing_approver,
    legal_reviewer,
    newsletter_sink,
):
    live_message("de")
    ContactFactory.create_batch(4)
    campaign = approve(
        newsletter_campaign(name="Winteraktion"),
        manager=campaign_manager,
        approvers=[marketing_approver, legal_reviewer],
    )
    page = signed_in(campaign_manager)

    # Approved: "Schedule" is the edit view's primary button.
    page.goto(f"{ADMIN}edit/{campaign.pk}/")
    schedule = page.locator("[data-primary-action=schedule]")
    expect(schedule).to_be_visible()
    shoot(page, "approved-with-schedule-button")
    schedule.click()
    expect(page).to_have_url(re.compile(rf"/{campaign.pk}/schedule/$"))
    shoot(page, "schedule-form")

    # Sending now asks first, naming how many contacts it goes to.
    page.get_by_label("Send now").check()
    page.get_by_role("button", name="Schedule").click()
    confirmation = page.locator("[data-confirm-send-now]")
    expect(confirmation).to_contain_text("goes out now to 4 contacts")
    shoot(page, "send-now-confirmation")
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.APPROVED
    page.get_by_role("button", name="Send now").click()

    # Scheduled: the content is locked, editing leads to the progress, no delete offered.
    progress = page.locator("[data-campaign-progress]")
    expect(progress.locator("[data-field=status_label]")).to_have_text("Scheduled")
    shoot(page, "scheduled-progress")
    page.goto(f"{ADMIN}edit/{campaign.pk}/")
    expect(page).to_have_url(re.compile(rf"/{campaign.pk}/progress/$"))
    expect(page.get_by_text("cannot be changed or deleted")).to_be_visible()
    shoot(page, "edit-refused-while-scheduled")
    page.goto(ADMIN)
    row = page.locator("tbody tr").filter(has_text="Winteraktion")
    expect(row).to_contain_text("Scheduled")
    row.get_by_role("button", name=re.compile("More options")).click()
    expect(row.get_by_role("link", name="Edit")).to_be_visible()
    expect(row.get_by_role("link", name="Delete")).to_have_count(0)
    shoot(page, "listing-without-delete")

    # Done: what beat does every 30 s sends it; the results follow the recount.
    campaigns_tick()
    results_refresh_due()
    page.goto(f"{ADMIN}{campaign.pk}/progress/")
    expect(progress.locator("[data-field=status_label]")).to_have_text("Done")
    expect(progress.locator("[data-count=sent]")).to_have_text("4")
    shoot(page, "done")
    page.locator("[data-results-link]").click()
    expect(page).to_have_url(re.compile(rf"/{campaign.pk}/results/$"))
    expect(page.locator("table[data-kpi-table] tfoot")).to_contain_text("4")
    shoot(page, "results")

    assert len(newsletter_sink.received) == 4
    assert not browser_problems.as_text()
