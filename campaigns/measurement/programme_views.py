"""The programme: what all campaigns earned over a period, per campaign and channel, with ROI.

A Wagtail report (the per-campaign table, with its CSV and XLSX export) plus charts of
revenue per campaign and per channel over time, each active survey's score per week, and a
dashboard panel with the last 30 days. Revenue is read from the kept per-day figures, survey
scores from the answers (few next to the figures) in one grouped query.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView

from core.spreadsheets import FormulaSafeExportMixin

from ..models import CampaignDayStats, Survey, SurveyKind
from .charts import Chart, ChartCSVMixin, Table, bar_chart, line_chart
from .periods import PeriodForm, PeriodMixin
from .results import programme
from .surveys import STATISTICS, survey_weeks

PROGRAMME_PERMISSION = "campaigns.view_campaign"
SURVEY_RESULTS_PERMISSION = "campaigns.view_survey_results"
DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366


class ProgrammePeriodForm(PeriodForm):
    @staticmethod
    def defaults() -> dict:
        today = timezone.localdate()
        return {"start": today - dt.timedelta(days=DEFAULT_DAYS - 1), "end": today}

    def clean_period(self, data: dict) -> None:
        if (data["end"] - data["start"]).days >= MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of at most three years."))


def _money(value) -> str:
    return "" if value is None else f"{value:,.2f}"


def _roi(value: float | None) -> str:
    return "" if value is None else f"{value:.0f} %"


SCORE_NAMES = {
    SurveyKind.NPS: _("NPS"),
    SurveyKind.CSAT: _("CSAT (% satisfied)"),
    SurveyKind.CES: _("CES (mean effort)"),
}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _weeks(start: dt.date, end: dt.date) -> list[dt.date]:
    monday = start - dt.timedelta(days=start.weekday())
    return [monday + dt.timedelta(weeks=n) for n in range((end - monday).days // 7 + 1)]


class ProgrammeReportView(PeriodMixin, FormulaSafeExportMixin, ChartCSVMixin, ReportView):
    period_form_class = ProgrammePeriodForm
    page_title = _("Campaign programme")
    header_icon = "doc-full"
    index_url_name = "campaigns_programme_report"
    template_name = "campaigns/measurement/programme.html"
    results_template_name = "campaigns/measurement/programme_results.html"
    paginate_by = 50
    columns = [
        TitleColumn("name", label=_("Campaign"), get_url=lambda row: row["url"]),
        Column("revenue_text", label=_("Revenue (EUR)")),
        Column("conversions_text", label=_("Orders")),
        Column("cost_text", label=_("Cost (EUR)")),
        Column("roi_text", label=_("ROI")),
    ]
    list_export = ["name", "revenue", "conversions", "cost", "roi"]
    export_headings = {
        "name": _("Campaign"),
        "revenue": _("Revenue (EUR)"),
        "conversions": _("Orders"),
        "cost": _("Cost (EUR)"),
        "roi": _("ROI (%)"),
    }
    export_filename = "campaign-programme"
    chart_csv_filename = "campaign-programme"
    no_results_message = _("No campaign earned anything in this period.")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(PROGRAMME_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def figures(self):
        return programme(self.period["start"], self.period["end"])

    def get_queryset(self):
        by_campaign, _by_channel = self.figures
        return [
            {
                "name": row.name,
                "url": reverse(
                    "wagtailsnippets_campaigns_campaign:results", args=(row.campaign_id,)
                ),
                "revenue": row.revenue,
                "conversions": row.conversions,
                "cost": row.cost,
                "roi": None if row.roi is None else round(row.roi, 1),
                "revenue_text": _money(row.revenue),
                "conversions_text": f"{row.conversions.normalize():f}",
                "cost_text": _money(row.cost),
                "roi_text": _roi(row.roi),
            }
            for row in by_campaign
        ]

    def get_charts(self) -> list[Chart]:
        by_campaign, by_channel = self.figures
        start, end = self.period["start"], self.period["end"]
        weeks = _weeks(start, end)
        per_week: dict[str, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        rows = (
            CampaignDayStats.objects.filter(day__gte=start, day__lte=end)
            .order_by()
            .values("channel", "day")
            .annotate(revenue=Sum("revenue"))
        )
        for row in rows:
            monday = row["day"] - dt.timedelta(days=row["day"].weekday())
            per_week[row["channel"] or "-"][monday] += row["revenue"] or 0
        channels = sorted(per_week)
        return [
            bar_chart(
                id="campaigns",
                title=_("Revenue and cost per campaign (EUR)"),
                categories=[row.name for row in by_campaign],
                series={
                    _("Revenue"): [float(row.revenue) for row in by_campaign],
                    _("Cost"): [float(row.cost or 0) for row in by_campaign],
                },
                category_label=_("Campaign"),
            ),
            line_chart(
                id="channels",
                title=_("Attributed revenue per channel and week (EUR)"),
                categories=[date_format(week, "SHORT_DATE_FORMAT") for week in weeks],
                series={
                    channel: [float(per_week[channel].get(week, 0)) for week in weeks]
                    for channel in channels
                },
                category_label=_("Week from"),
                stacked=True,
            ),
            bar_chart(
                id="campaign-channels",
                title=_("Revenue per campaign and channel (EUR)"),
                categories=[f"{row.name} / {row.channel or '-'}" for row in by_channel],
                series={_("Revenue"): [float(row.revenue) for row in by_channel]},
                category_label=_("Campaign / channel"),
            ),
            *self.survey_charts(weeks),
        ]

    def survey_charts(self, weeks: list[dt.date]) -> list[Chart]:
        """Per active survey with answers in the period: its score per week (a line), and in
        the table also the answers and the score's 95 % interval. Only for users who may
        see survey results."""
        if not self.request.user.has_perm(SURVEY_RESULTS_PERMISSION):
            return []
        start, end = self.period["start"], self.period["end"]
        since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
        until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
        answers = survey_weeks(since, until)
        charts = []
        with_answers = [survey_id for survey_id in answers if survey_id is not None]
        for survey in Survey.objects.filter(active=True, pk__in=with_answers):
            statistic = STATISTICS[survey.kind]
            scores = [
                statistic({**dict.fromkeys(survey.scores, 0), **answers[survey.pk].get(week, {})})
                for week in weeks
            ]
            name = SCORE_NAMES[survey.kind]
            chart = line_chart(
                id=f"survey-{survey.pk}",
                title=_("%(survey)s: %(score)s per week") % {"survey": survey.name, "score": name},
                categories=[date_format(week, "SHORT_DATE_FORMAT") for week in weeks],
                series={name: [_rounded(score.value) for score in scores]},
                category_label=_("Week from"),
            )
            table = Table(
                header=(
                    *chart.table.header,
                    str(_("Answers")),
                    str(_("Low (95 %)")),
                    str(_("High (95 %)")),
                ),
                rows=tuple(
                    (*row, score.answers, _rounded(score.low), _rounded(score.high))
                    for row, score in zip(chart.table.rows, scores, strict=True)
                ),
            )
            charts.append(dataclasses.replace(chart, table=table))
        return charts

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        by_campaign, _by_channel = self.figures
        revenue = sum((row.revenue for row in by_campaign), Decimal("0.00"))
        cost = sum((row.cost or 0 for row in by_campaign), Decimal("0.00"))
        context.update(
            period_form=self.period_form,
            charts=self.get_charts(),
            total_revenue=_money(revenue),
            total_cost=_money(cost),
            total_roi=_roi(float((revenue - cost) / cost * 100) if cost else None),
        )
        return context


class ProgrammePanel(Component):
    """The home dashboard's panel: the last 30 days' best earning campaigns."""

    name = "campaign_programme"
    template_name = "campaigns/measurement/programme_panel.html"
    order = 150
    days = 30

    def get_context_data(self, parent_context=None):
        today = timezone.localdate()
        by_campaign, _by_channel = programme(today - dt.timedelta(days=self.days - 1), today)
        return {
            "rows": [(row, _money(row.revenue), _roi(row.roi)) for row in by_campaign[:5]],
            "days": self.days,
            "report_url": reverse("campaigns_programme_report"),
        }
