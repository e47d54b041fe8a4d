"""A campaign's results page in headless chromium: every chart drawn by ECharts under the
hub's Content-Security-Policy, the KPI table, the A/B verdicts, and a chart as a table."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from playwright.sync_api import expect

from tests.campaigns.results_setup import results_campaign
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.usefixtures("english"),
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DISPATCH = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def campaign():
    with time_machine.travel(dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC), tick=True):
        return results_campaign(DISPATCH)


def test_the_results_page_draws_its_charts_and_verdicts(
    admin_session, browser_problems, shoot, campaign
):
    UserFactory(username="campaigns", groups=["Campaign managers"])
    page = admin_session("campaigns")

    page.goto(f"/admin/snippets/campaigns/campaign/{campaign.pk}/results/")

    charts = page.locator("div[data-chart]")
    expect(charts).to_have_count(3)
    for name in ("series", "revenue", "funnel"):
        drawn = page.locator(f"div[data-chart={name}]").locator("canvas, svg")
        expect(drawn.first).to_be_visible()
    table = page.locator("table[data-kpi-table]")
    expect(table.locator("tbody tr")).to_have_count(2)  # arms A and B on the newsletter
    expect(table.locator("tfoot")).to_contain_text("350.00")
    verdicts = page.locator("ul[data-ab-verdicts] li")
    expect(verdicts.first).to_contain_text("Arm B")
    funnel = page.locator("#chart-funnel")
    expect(funnel.locator("table")).not_to_be_visible()
    funnel.get_by_text("Show as table").click()
    expect(funnel.locator("table tbody tr")).to_have_count(4)
    expect(funnel.locator("table tbody tr").first).to_contain_text("Delivered")
    shoot(page, "campaign-results")

    assert not browser_problems.as_text()
