"""A campaign scheduled in headless chromium, and its progress bar following the sending."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from campaigns.tasks import campaigns_tick
from tests.campaigns.campaign_setup import approve, live_message, newsletter_campaign
from tests.factories import ContactFactory, UserFactory

pytestmark = [
    pytest.mark.usefixtures("english"),
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_scheduled_campaign_shows_its_sending_progress_live(
    admin_session, browser_problems, shoot, marketing_approver, legal_reviewer, newsletter_sink
):
    manager = UserFactory(username="campaigns", groups=["Campaign managers"])
    live_message("de")
    contacts = ContactFactory.create_batch(3)
    campaign = approve(
        newsletter_campaign(name="Frühjahrsaktion"),
        manager=manager,
        approvers=[marketing_approver, legal_reviewer],
    )
    page = admin_session("campaigns")

    page.goto(f"/admin/snippets/campaigns/campaign/{campaign.pk}/schedule/")
    page.get_by_label("Send now").check()
    page.get_by_role("button", name="Schedule").click()
    # Sending now asks first, saying to how many contacts it goes.
    expect(page.locator("[data-confirm-send-now]")).to_contain_text("3")
    page.get_by_role("button", name="Send now").click()
    progress = page.locator("[data-campaign-progress]")
    expect(progress.locator("[data-field=status_label]")).to_have_text("Scheduled")
    campaigns_tick()  # what beat does every 30 s: dispatch, then send the batches

    expect(progress.locator("[data-count=sent]")).to_have_text("3", timeout=15_000)
    expect(progress.locator("[data-field=status_label]")).to_have_text("Done")
    shoot(page, "campaign-progress-done")
    assert sorted(m.recipients[0] for m in newsletter_sink.received) == sorted(
        c.email for c in contacts
    )
    assert not browser_problems.as_text()
