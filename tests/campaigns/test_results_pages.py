"""The campaign results page and the programme report, as a campaign manager uses them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from campaigns.models import CampaignStatus, Delivery, Survey
from campaigns.services.surveys import survey_answer_record
from tests.admin_flow import assert_permission_denied
from tests.campaigns.results_setup import results_campaign
from tests.factories import CampaignFactory, ContactFactory, DeliveryFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

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


def make_survey(name: str, kind: str) -> Survey:
    return Survey.objects.create(
        name=name,
        kind=kind,
        question_de="Frage",
        question_en="Question",
        thanks_de="Danke",
        thanks_en="Thanks",
    )


def answer(survey: Survey, scores: list[int], at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        for score in scores:
            survey_answer_record(survey=survey, contact=ContactFactory(), score=score)


def test_the_programme_report_charts_each_surveys_score_per_week(client, campaign_manager):
    nps = make_survey("Weiterempfehlung", "nps")
    answer(nps, [10, 9, 3], dt.datetime(2026, 11, 17, 10, 0, tzinfo=dt.UTC))
    answer(nps, [10, 10], dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC))
    client.force_login(campaign_manager)
    url = reverse("campaigns_programme_report")

    table = rows(
        client.get(f"{url}?start=2026-11-16&end=2026-11-29&chart=survey-{nps.pk}&format=csv")
    )

    assert table[0][1:] == ["NPS", "Answers", "Low (95 %)", "High (95 %)"]
    # Week 1: 2 promoters, 1 detractor of 3 = 33.3; week 2: 2 promoters of 2 = 100.
    assert [row[1:3] for row in table[1:]] == [["33.3", "3"], ["100.0", "2"]]


def test_the_programme_report_charts_csat_and_ces_in_their_units(client, campaign_manager):
    csat = make_survey("Zufriedenheit", "csat")
    ces = make_survey("Aufwand", "ces")
    answer(csat, [5, 4, 2, 1], dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.UTC))
    answer(ces, [2, 3, 7], dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC))
    client.force_login(campaign_manager)
    url = reverse("campaigns_programme_report") + "?start=2026-11-16&end=2026-11-29"

    csat_table = rows(client.get(f"{url}&chart=survey-{csat.pk}&format=csv"))
    ces_table = rows(client.get(f"{url}&chart=survey-{ces.pk}&format=csv"))

    assert [row[1:3] for row in csat_table[1:]] == [["50.0", "4"], ["", "0"]]
    assert [row[1:3] for row in ces_table[1:]] == [["", "0"], ["4.0", "3"]]


def test_the_programme_report_leaves_out_inactive_surveys_and_surveys_without_answers(
    client, campaign_manager
):
    closed = make_survey("Alt", "nps")
    answer(closed, [9], dt.datetime(2026, 11, 17, 10, 0, tzinfo=dt.UTC))
    closed.active = False
    closed.save()
    quiet = make_survey("Ruhig", "nps")
    asked = make_survey("Gefragt", "nps")
    answer(asked, [9], dt.datetime(2026, 11, 17, 10, 0, tzinfo=dt.UTC))
    client.force_login(campaign_manager)

    page = client.get(f"{reverse('campaigns_programme_report')}?start=2026-11-16&end=2026-11-29")

    assert f'data-chart="survey-{asked.pk}"' in page.content.decode()
    assert f'data-chart="survey-{closed.pk}"' not in page.content.decode()
    assert f'data-chart="survey-{quiet.pk}"' not in page.content.decode()


def test_the_programme_report_shows_survey_scores_only_to_who_may_see_survey_results(client):
    nps = make_survey("Weiterempfehlung", "nps")
    answer(nps, [9], dt.datetime(2026, 11, 17, 10, 0, tzinfo=dt.UTC))
    viewer = UserFactory(username="viewer")
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_campaign", content_type__app_label="campaigns"),
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"),
    )
    client.force_login(viewer)

    page = client.get(f"{reverse('campaigns_programme_report')}?start=2026-11-16&end=2026-11-29")

    assert page.status_code == 200
    assert f'data-chart="survey-{nps.pk}"' not in page.content.decode()


def survey_table(page: str, name: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*data-survey-results="{name}".*?</table>', page, re.S).group(0)
    body = table.split("<tbody>", 1)[1]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", row)
        ]
        for row in re.findall(r"<tr>.*?</tr>", body, re.S)
    ]


def answer_in(campaign, survey: Survey, arm: str, scores: list[int]) -> None:
    deliveries = Delivery.objects.filter(campaign=campaign, arm=arm).select_related("contact")
    for delivery, score in zip(deliveries, scores, strict=False):
        survey_answer_record(
            survey=survey, contact=delivery.contact, score=score, campaign_id=campaign.pk
        )


def test_the_results_page_shows_each_surveys_score_by_arm(client, campaign_manager, campaign):
    nps = make_survey("Weiterempfehlung", "nps")
    answer_in(campaign, nps, "A", [10, 9, 3])
    answer_in(campaign, nps, "B", [10, 10])
    survey_answer_record(survey=nps, contact=ContactFactory(), score=0)  # by link: not here
    client.force_login(campaign_manager)

    page = client.get(results_url(campaign)).content.decode()

    # A: 33.3 +- 1.96 * sqrt((2/3 + 1/3 - 1/9) / 3) * 100 = 33.3 +- 106.7 (high clipped to 100).
    # All: 4 promoters, 1 detractor of 5: 60 +- 1.96 * sqrt((0.8 + 0.2 - 0.36) / 5) * 100.
    assert survey_table(page, "Weiterempfehlung") == [
        ["Arm A", "33.3", "-73.4 to 100.0", "3"],
        ["Arm B", "100.0", "100.0 to 100.0", "2"],
        ["All answers", "60.0", "-10.1 to 100.0", "5"],
    ]


def test_the_results_page_of_a_campaign_without_arms_shows_all_answers(client, campaign_manager):
    campaign = CampaignFactory(status=CampaignStatus.DONE)
    csat = make_survey("Zufriedenheit", "csat")
    for score in (5, 4, 2, 1):
        delivery = DeliveryFactory(campaign=campaign, sent_at=DISPATCH)
        survey_answer_record(
            survey=csat, contact=delivery.contact, score=score, campaign_id=campaign.pk
        )
    client.force_login(campaign_manager)

    page = client.get(results_url(campaign)).content.decode()

    rows_shown = survey_table(page, "Zufriedenheit")
    assert [row[0] for row in rows_shown] == ["All answers"]
    assert rows_shown[0][1] == "50.0" and rows_shown[0][3] == "4"


def test_the_results_page_shows_surveys_only_to_who_may_see_survey_results(client, campaign):
    nps = make_survey("Weiterempfehlung", "nps")
    answer_in(campaign, nps, "A", [10])
    viewer = UserFactory(username="viewer")
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_campaign", content_type__app_label="campaigns"),
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"),
    )
    client.force_login(viewer)

    response = client.get(results_url(campaign))

    assert response.status_code == 200
    assert "data-survey-results" not in response.content.decode()
