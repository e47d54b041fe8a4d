"""The campaign results page and the programme report, as a campaign manager uses them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from tests.admin_flow import assert_permission_denied
from tests.campaigns.results_setup import results_campaign

pytestmark = pytest.mark.django_db

DISPATCH = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
FROZEN = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(FROZEN, tick=False):
        yield


def rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.fixture
def campaign():
    """Two arms of five recipients; two clicks and an order in arm B."""
    return results_campaign(DISPATCH)


def results_url(campaign, query: str = "") -> str:
    url = reverse("wagtailsnippets_campaigns_campaign:results", args=(campaign.pk,))
    return f"{url}?{query}" if query else url


def test_an_editor_may_not_see_a_campaigns_results(client, editor, campaign):
    client.force_login(editor)

    assert_permission_denied(client.get(results_url(campaign)))


def test_the_results_page_shows_kpis_charts_and_verdicts(client, campaign_manager, campaign):
    client.force_login(campaign_manager)

    response = client.get(results_url(campaign))

    assert response.status_code == 200
    page = response.content.decode()
    total = response.context["total"]
    assert (total.delivered, total.revenue, total.roi) == (10, Decimal("350.00"), 250.0)
    for chart in ("series", "revenue", "funnel"):
        assert f'data-chart="{chart}"' in page
    assert "campaigns/vendor/echarts/echarts.min.js" in page
    assert "Arm B" in page  # the A/B verdict in words
    assert "https://shop.example/=SUM(A1)" in page  # the top link
    assert "data-kpi-table" in page


def test_the_kpi_table_groups_as_asked_and_downloads_as_csv(client, campaign_manager, campaign):
    client.force_login(campaign_manager)

    table = rows(client.get(results_url(campaign, "by=arm&table=kpis&format=csv")))

    assert table[0][:3] == ["A/B arm", "Sent", "Delivered"]
    assert [row[0] for row in table[1:]] == ["A", "B", "Total"]
    assert table[2][table[0].index("Revenue (EUR)")] == "350.00"


def test_a_chart_downloads_as_csv(client, campaign_manager, campaign):
    client.force_login(campaign_manager)

    table = rows(client.get(results_url(campaign, "chart=funnel&format=csv")))

    assert table == [
        ["Step", "Recipients"],
        ["Delivered", "10"],
        ["Opened (human)", "0"],
        ["Clicked", "0"],
        ["Ordered", "1.0"],
    ]


def test_the_programme_report_lists_what_each_campaign_earned(client, campaign_manager, campaign):
    client.force_login(campaign_manager)
    url = reverse("campaigns_programme_report")

    page = client.get(f"{url}?start=2026-11-01&end=2026-11-30")
    exported = rows(client.get(f"{url}?start=2026-11-01&end=2026-11-30&export=csv"))

    assert page.status_code == 200
    assert "Herbstaktion" in page.content.decode()
    assert exported[0] == ["Campaign", "Revenue (EUR)", "Orders", "Cost (EUR)", "ROI (%)"]
    assert exported[1][:2] == ["Herbstaktion", "350.00"]
    assert exported[1][4] == "250.0"


def test_the_dashboard_shows_the_last_30_days_to_campaign_managers_only(
    client, editor, campaign_manager, campaign
):
    client.force_login(campaign_manager)
    managers = client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(editor)
    editors = client.get(reverse("wagtailadmin_home")).content.decode()

    assert "data-programme-panel" in managers and "Herbstaktion" in managers
    assert "data-programme-panel" not in editors


def test_the_programme_refuses_a_period_that_ends_before_it_starts(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.get(
        f"{reverse('campaigns_programme_report')}?start=2026-11-30&end=2026-11-01"
    )

    assert "The period must end after it starts." in response.content.decode()
