"""Admin report pages of measurement: charts over a period, and a Wagtail report table with
its CSV and XLSX export.

Each page checks Django permissions itself; ``campaigns.wagtail_hooks`` registers the URLs
and the items in Wagtail's Reports menu.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from channels.registry import get_channels
from content.taxonomy import JourneyPhase
from core.spreadsheets import FormulaSafeExportMixin

from .charts import Chart, ChartCSVMixin, bar_chart, line_chart, sankey_chart
from .journey import (
    MAX_PERIODS,
    JourneyMap,
    TooManyPeriods,
    Touchpoint,
    journey_map,
    journey_periods,
)
from .periods import PeriodForm, PeriodMixin

# Contacts per phase and the campaigns they got: whoever may see contacts and campaigns.
JOURNEY_PERMISSIONS = ("campaigns.view_contact", "campaigns.view_campaign")
TOP_TOUCHPOINTS = 10
JOURNEY_CACHE_SECONDS = 5 * 60


class JourneyPeriodForm(PeriodForm):
    granularity = forms.ChoiceField(
        label=_("Per"), choices=[("week", _("Week")), ("month", _("Month"))]
    )

    @staticmethod
    def defaults() -> dict:
        """The last six calendar months, this one included, by month."""
        today = timezone.localdate()
        month = today.month - 6
        start = dt.date(today.year + month // 12, month % 12 + 1, 1)
        return {"start": start, "end": today, "granularity": "month"}

    def clean_period(self, data: dict) -> None:
        if not data.get("granularity"):
            return
        try:
            journey_periods(start=data["start"], end=data["end"], granularity=data["granularity"])
        except TooManyPeriods:
            raise forms.ValidationError(
                _("Choose at most %(count)s periods: a shorter span, or months.")
                % {"count": MAX_PERIODS}
            ) from None


def _phase_label(phase: str) -> str:
    return str(JourneyPhase(phase).label)


def _touchpoint_rows(touchpoints: list[Touchpoint]) -> list[dict]:
    names = {key: channel.name for key, channel in get_channels().items()}
    return [
        {
            "phase": touchpoint.phase,
            "phase_label": _phase_label(touchpoint.phase),
            "campaign": touchpoint.campaign,
            "channel": names.get(touchpoint.channel, touchpoint.channel),
            "deliveries": touchpoint.deliveries,
            "contacts": touchpoint.contacts,
        }
        for touchpoint in touchpoints
    ]


class JourneyReportView(PeriodMixin, FormulaSafeExportMixin, ChartCSVMixin, ReportView):
    """Customer journey: contacts per phase over time, the moves between periods (a Sankey),
    the touchpoints per phase; the touchpoints table is the report, with Wagtail's export."""

    period_form_class = JourneyPeriodForm
    page_title = _("Customer journey")
    header_icon = "resubmit"
    index_url_name = "campaigns_journey_report"
    template_name = "campaigns/measurement/journey.html"
    results_template_name = "campaigns/measurement/journey_results.html"
    paginate_by = 50
    columns = [
        Column("phase_label", label=_("Phase")),
        Column("campaign", label=_("Campaign")),
        Column("channel", label=_("Channel")),
        Column("deliveries", label=_("Deliveries sent")),
        Column("contacts", label=_("Contacts reached")),
    ]
    list_export = ["phase_label", "campaign", "channel", "deliveries", "contacts"]
    export_headings = {
        "phase_label": _("Phase"),
        "campaign": _("Campaign"),
        "channel": _("Channel"),
        "deliveries": _("Deliveries sent"),
        "contacts": _("Contacts reached"),
    }
    export_filename = "customer-journey-touchpoints"
    chart_csv_filename = "customer-journey"
    no_results_message = _("No deliveries were sent in this period.")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perms(JOURNEY_PERMISSIONS):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def journey(self) -> JourneyMap:
        # The page and each of its downloads ask for the same map within moments; on a
        # million contacts it takes seconds (campaigns.measurement.journey), so it is kept
        # for a few minutes, and the page says when it was computed.
        period = self.period
        key = "campaigns:journey-map:v1:{}:{}:{}".format(
            period["start"].isoformat(), period["end"].isoformat(), period["granularity"]
        )
        return cache.get_or_set(key, lambda: journey_map(**period), JOURNEY_CACHE_SECONDS)

    def get_queryset(self):
        return _touchpoint_rows(self.journey.top_touchpoints(TOP_TOUCHPOINTS))

    def get_charts(self) -> list[Chart]:
        journey = self.journey
        labels = [period.label for period in journey.periods]
        phases = JourneyPhase.values
        counts = line_chart(
            id="phases",
            title=_("Contacts per journey phase"),
            description=_("Contacts in each phase at the end of each period."),
            categories=labels,
            series={
                _phase_label(phase): [count[phase] for count in journey.counts] for phase in phases
            },
            category_label=_("Period"),
            stacked=True,
        )
        column = {label: index for index, label in enumerate(labels)}
        # Each phase keeps the colour of its line in the chart above.
        colour = {phase: index for index, phase in enumerate(phases)}
        nodes: dict[str, tuple[str, int, int]] = {}
        links = []
        for flow in journey.flows:
            ends = []
            for phase, period in (
                (flow.source_phase, flow.source),
                (flow.target_phase, flow.target),
            ):
                name = f"{_phase_label(phase)} ({period})"
                nodes.setdefault(name, (name, column[period], colour[phase]))
                ends.append(name)
            links.append((*ends, flow.contacts))
        flows = sankey_chart(
            id="flows",
            title=_("Moves between journey phases"),
            description=_(
                "Contacts by their phase at the end of one period and at the end of the next; "
                "a move back a phase flows to the next period like any other."
            ),
            nodes=list(nodes.values()),
            links=links,
            source_label=_("From"),
            target_label=_("To"),
            value_label=_("Contacts"),
        )
        rows = _touchpoint_rows(journey.touchpoints)
        channels = sorted({row["channel"] for row in rows})
        per_phase = [_phase_label(phase) for phase in phases]
        touchpoints = bar_chart(
            id="touchpoints",
            title=_("Touchpoints per journey phase"),
            description=_(
                "Deliveries sent in the period, by the recipient's phase when it was sent, "
                "per channel."
            ),
            categories=per_phase,
            series={
                channel: [
                    sum(
                        row["deliveries"]
                        for row in rows
                        if row["phase"] == phase and row["channel"] == channel
                    )
                    for phase in phases
                ]
                for channel in channels
            },
            category_label=_("Phase"),
            stacked=True,
        )
        return [counts, flows, touchpoints]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["period_form"] = self.period_form
        context["charts"] = self.get_charts()
        periods = self.journey.periods
        context["computed_at"] = self.journey.computed_at
        context["period_count"] = len(periods)
        context["period_first"] = periods[0].label
        context["period_last"] = periods[-1].label
        return context
