"""The customer journey report in headless chromium: ECharts draws every chart under the
hub's Content-Security-Policy, the table view opens, and the charts export as PNG and SVG."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from playwright.sync_api import expect

from tests.campaigns.journey_history import at, known_history
from tests.factories import CampaignFactory, DeliveryFactory, UserFactory

pytestmark = [
    pytest.mark.usefixtures("english"),
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AUTUMN = "start=2026-09-01&end=2026-11-30&granularity=month"


@pytest.fixture
def autumn_history():
    cache.clear()  # the report keeps a map for five minutes
    with time_machine.travel(dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC), tick=True):
        people = known_history()
    DeliveryFactory(
        campaign=CampaignFactory(name="Herbst"), contact=people["clara"], sent_at=at(2026, 9, 25)
    )
    return people


def test_the_journey_report_draws_its_charts(
    admin_session, browser_problems, shoot, autumn_history
):
    UserFactory(username="campaigns", groups=["Campaign managers"])
    page = admin_session("campaigns")

    page.goto(f"/admin/reports/customer-journey/?{AUTUMN}")

    for chart in ("phases", "flows", "touchpoints"):
        expect(page.locator(f"div[data-chart={chart}] canvas")).to_be_visible()
    phases = page.locator("#chart-phases")
    expect(phases.locator("table")).not_to_be_visible()
    phases.get_by_text("Show as table").click()
    expect(phases.locator("table tbody tr")).to_have_count(3)
    expect(phases.locator("table tbody tr").first).to_contain_text("2026-09")
    shoot(page, "journey-report")

    # The toolbox's icons (charts.js) in the chart's top right corner, where ECharts 6.1
    # draws them (measured on a screenshot): SVG 26 px from the right, PNG 55 px.
    box = page.locator("div[data-chart=phases]").bounding_box()
    right, middle = box["x"] + box["width"], box["y"] + 26
    with page.expect_download() as svg:
        page.mouse.click(right - 26, middle)
    with page.expect_download() as png:
        page.mouse.click(right - 55, middle)
    # The other charts, for whoever looks at the screenshots.
    page.locator("#chart-flows").scroll_into_view_if_needed()
    shoot(page, "journey-flows")
    page.locator("#chart-touchpoints").scroll_into_view_if_needed()
    shoot(page, "journey-touchpoints")

    assert svg.value.suggested_filename == "phases.svg"
    assert Path(svg.value.path()).read_text(encoding="utf-8").lstrip().startswith("<svg")
    assert png.value.suggested_filename == "phases.png"
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not browser_problems.as_text()
