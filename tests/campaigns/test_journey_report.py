"""The "Customer journey" report in the admin: who may open it, its charts, tables and files."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from tests.admin_flow import assert_permission_denied
from tests.campaigns.journey_history import at, known_history
from tests.factories import CampaignFactory, DeliveryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture(autouse=True)
def _no_cached_map():
    """The view keeps a map for five minutes: each test starts without one."""
    cache.clear()


AUTUMN = {"start": "2026-09-01", "end": "2026-11-30", "granularity": "month"}
FROZEN = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)


def url(**params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{reverse('campaigns_journey_report')}?{query}"


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_an_editor_without_contact_and_campaign_rights_is_refused(client, editor):
    client.force_login(editor)

    response = client.get(url(**AUTUMN))

    assert_permission_denied(response)


def test_an_editor_does_not_see_the_report_in_the_menu(client, editor, campaign_manager):
    client.force_login(editor)
    editor_dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(campaign_manager)
    manager_dashboard = client.get(reverse("wagtailadmin_home")).content.decode()

    assert reverse("campaigns_journey_report") not in editor_dashboard
    assert reverse("campaigns_journey_report") in manager_dashboard


@time_machine.travel(FROZEN, tick=False)
def test_the_page_shows_each_chart_with_its_table(client, campaign_manager):
    known_history()
    client.force_login(campaign_manager)

    response = client.get(url(**AUTUMN))

    assert response.status_code == 200
    page = response.content.decode()
    for chart in ("phases", "flows", "touchpoints"):
        assert f'data-chart="{chart}"' in page
        assert f'id="chart-{chart}-spec"' in page
    tables = response.context["charts"][0].table
    assert tables.rows[2] == ("2026-11", 4, 2, 1, 0, 0)
    assert (
        '<th scope="row">Consideration (2026-09)</th><td>Awareness (2026-10)</td><td>1</td>' in page
    )
    assert "campaigns/vendor/echarts/echarts.min.js" in page


@time_machine.travel(FROZEN, tick=False)
def test_a_chart_downloads_as_csv(client, campaign_manager):
    known_history()
    client.force_login(campaign_manager)

    response = client.get(url(**AUTUMN, chart="phases", format="csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="customer-journey-phases.csv"' in response["Content-Disposition"]
    assert csv_rows(response) == [
        ["Period", "Awareness", "Consideration", "Transaction", "Experience", "Loyalty"],
        ["2026-09", "2", "1", "1", "0", "0"],
        ["2026-10", "4", "1", "1", "0", "0"],
        ["2026-11", "4", "2", "1", "0", "0"],
    ]


@time_machine.travel(FROZEN, tick=False)
def test_the_sankey_downloads_its_links(client, campaign_manager):
    known_history()
    client.force_login(campaign_manager)

    response = client.get(url(**AUTUMN, chart="flows", format="csv"))

    rows = csv_rows(response)
    assert rows[0] == ["From", "To", "Contacts"]
    assert ["Consideration (2026-09)", "Awareness (2026-10)", "1"] in rows
    assert len(rows) == 1 + 7


@time_machine.travel(FROZEN, tick=False)
def test_an_unknown_chart_is_not_found(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.get(url(**AUTUMN, chart="nothing", format="csv"))

    assert response.status_code == 404


@time_machine.travel(FROZEN, tick=False)
def test_the_touchpoints_table_exports_as_csv_without_formulas(client, campaign_manager):
    people = known_history()
    DeliveryFactory(
        campaign=CampaignFactory(name="=HYPERLINK(1)"),
        contact=people["anna"],
        sent_at=at(2026, 10, 10),
    )
    client.force_login(campaign_manager)

    response = client.get(url(**AUTUMN, export="csv"))

    assert csv_rows(response) == [
        ["Phase", "Campaign", "Channel", "Deliveries sent", "Contacts reached"],
        ["Awareness", "'=HYPERLINK(1)", "Newsletter", "1", "1"],
    ]


@time_machine.travel(FROZEN, tick=False)
def test_the_touchpoints_table_exports_as_xlsx(client, campaign_manager):
    people = known_history()
    DeliveryFactory(
        campaign=CampaignFactory(name="Herbst"), contact=people["anna"], sent_at=at(2026, 10, 10)
    )
    client.force_login(campaign_manager)

    response = client.get(url(**AUTUMN, export="xlsx"))

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Phase", "Campaign", "Channel", "Deliveries sent", "Contacts reached"],
        ["Awareness", "Herbst", "Newsletter", 1, 1],
    ]


@time_machine.travel(FROZEN, tick=False)
def test_a_period_ending_before_it_starts_is_explained(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.get(url(start="2026-11-01", end="2026-10-01", granularity="month"))

    assert response.status_code == 200
    assert "The period must end after it starts." in response.content.decode()
    assert [p.label for p in response.context["view"].journey.periods][-1] == "2026-12"


def test_an_editor_cannot_download_a_chart(client, editor):
    client.force_login(editor)

    response = client.get(url(**AUTUMN, chart="phases", format="csv"))

    assert_permission_denied(response)


def test_the_map_is_computed_again_after_five_minutes(client, campaign_manager):
    client.force_login(campaign_manager)
    with time_machine.travel(FROZEN, tick=False) as clock:
        client.get(url(**AUTUMN))
        known_history()
        clock.shift(dt.timedelta(minutes=4))
        kept = client.get(url(**AUTUMN, chart="phases", format="csv"))
        clock.shift(dt.timedelta(minutes=2))
        again = client.get(url(**AUTUMN, chart="phases", format="csv"))

    assert csv_rows(kept)[-1] == ["2026-11", "0", "0", "0", "0", "0"]
    assert csv_rows(again)[-1] == ["2026-11", "4", "2", "1", "0", "0"]
