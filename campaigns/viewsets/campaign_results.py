"""A campaign's results page: KPIs per channel, variant, arm, role and phase, the series, the
funnel, top links, and the A/B and holdout verdicts in plain words.

Everything shown is read from the kept figures (``campaigns.measurement.results``), but the
survey scores, read from the campaign's few survey answers; the page costs a handful of
grouped queries whatever the campaign's size.
"""

from __future__ import annotations

import csv

from django.http import HttpResponse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from content.taxonomy import BuyingRole, JourneyPhase
from core.spreadsheets import neutralise_formula

from ..measurement import results
from ..measurement.charts import ChartCSVMixin, funnel_chart, line_chart
from ..measurement.surveys import campaign_survey_results
from ..personalisation import language_label, variant_label
from .campaigns import CampaignPageMixin

DIMENSION_LABELS = {
    "channel": _("Channel"),
    "arm": _("A/B arm"),
    "locale": _("Language"),
    "role": _("Role"),
    "phase": _("Journey phase"),
    "variant_key": _("Variant"),
}
DEFAULT_DIMENSIONS = ("channel", "arm")
SURVEY_RESULTS_PERMISSION = "campaigns.view_survey_results"

# The KPI table's columns: (attribute, heading, kind) where kind formats the cell.
KPI_COLUMNS = (
    ("received", _("Sent"), "count"),
    ("delivered", _("Delivered"), "count"),
    ("bounce_rate", _("Bounce rate"), "rate"),
    ("human_opens", _("Unique human opens"), "count"),
    ("open_rate", _("Open rate"), "rate"),
    ("machine_opens", _("Machine opens"), "count"),
    ("unique_clicks", _("Unique clicks"), "count"),
    ("click_rate", _("Click rate"), "rate"),
    ("click_to_open", _("Click-to-open"), "rate"),
    ("bot_clicks", _("Bot clicks"), "count"),
    ("unsubscribe_rate", _("Unsubscribe rate"), "rate"),
    ("complaint_rate", _("Complaint rate"), "rate"),
    ("conversions", _("Orders"), "decimal"),
    ("revenue", _("Revenue (EUR)"), "money"),
    ("revenue_per_recipient", _("Revenue per recipient"), "money"),
    ("held_out", _("Held out"), "count"),
)


def group_label(dimension: str, value: str) -> str:
    """A group's value as the admin shows it: languages, roles, phases and variants in words."""
    if not value:
        return "-"
    if dimension == "variant_key":
        return variant_label(value)
    if dimension == "locale":
        return language_label(value)
    if dimension == "role" and value in BuyingRole.values:
        return str(BuyingRole(value).label)
    if dimension == "phase" and value in JourneyPhase.values:
        return str(JourneyPhase(value).label)
    return value


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f} %"


def kpi_cells(kpis: results.Kpis) -> list:
    cells = []
    for name, _heading, kind in KPI_COLUMNS:
        value = getattr(kpis, name)
        if kind == "rate":
            cells.append(_percent(value))
        elif value is None:
            cells.append("")
        elif kind == "decimal":
            cells.append(f"{value.normalize():f}" if value else "0")
        else:
            cells.append(value)
    return cells


class CampaignResultsView(ChartCSVMixin, CampaignPageMixin, TemplateView):
    template_name = "campaigns/measurement/campaign_results.html"
    page_title = _("Results")
    permission = "view_campaign"
    header_icon = "doc-full"

    @cached_property
    def dimensions(self) -> tuple[str, ...]:
        wanted = [name for name in self.request.GET.getlist("by") if name in DIMENSION_LABELS]
        return tuple(dict.fromkeys(wanted)) or DEFAULT_DIMENSIONS

    @cached_property
    def table(self) -> results.ResultsTable:
        return results.campaign_kpis(self.campaign, by=self.dimensions)

    @property
    def chart_csv_filename(self) -> str:
        return f"campaign-{self.campaign.pk}"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv" and request.GET.get("table") == "kpis":
            return self.kpi_csv()
        return super().get(request, *args, **kwargs)

    def kpi_csv(self) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="campaign-{self.campaign.pk}-kpis.csv"'
        )
        writer = csv.writer(response)
        headings = [DIMENSION_LABELS[name] for name in self.dimensions]
        writer.writerow([str(h) for h in (*headings, *(c[1] for c in KPI_COLUMNS))])
        for kpis in [*self.table.rows]:
            group = [neutralise_formula(kpis.group.get(name, "")) for name in self.dimensions]
            writer.writerow([*group, *kpi_cells(kpis)])
        writer.writerow(
            [str(_("Total")), *[""] * (len(headings) - 1), *kpi_cells(self.table.total)]
        )
        return response

    def get_charts(self):
        series = results.campaign_series(self.campaign)
        days = [date_format(point.day, "SHORT_DATE_FORMAT") for point in series]
        funnel_labels = {
            "delivered": _("Delivered"),
            "opened": _("Opened (human)"),
            "clicked": _("Clicked"),
            "ordered": _("Ordered"),
        }
        return [
            line_chart(
                id="series",
                title=_("Day by day"),
                categories=days,
                series={
                    _("Sent"): [point.sent for point in series],
                    _("First human opens"): [point.human_opens for point in series],
                    _("First clicks"): [point.unique_clicks for point in series],
                    _("Orders"): [float(point.conversions) for point in series],
                },
                category_label=_("Day"),
            ),
            line_chart(
                id="revenue",
                title=_("Attributed revenue (EUR)"),
                categories=days,
                series={_("Revenue"): [float(point.revenue) for point in series]},
                category_label=_("Day"),
            ),
            funnel_chart(
                id="funnel",
                title=_("From delivered to ordered"),
                steps=[
                    (funnel_labels[step], value)
                    for step, value in results.campaign_funnel(self.table.total)
                ],
                step_label=_("Step"),
                value_label=_("Recipients"),
            ),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        total = self.table.total
        holdout = results.campaign_holdout(self.campaign)
        context.update(
            campaign=self.campaign,
            charts=self.get_charts(),
            dimensions=[(name, DIMENSION_LABELS[name]) for name in self.dimensions],
            dimension_choices=[
                (name, label, name in self.dimensions) for name, label in DIMENSION_LABELS.items()
            ],
            kpi_headings=[heading for _name, heading, _kind in KPI_COLUMNS],
            kpi_rows=[
                (
                    [group_label(name, kpis.group.get(name, "")) for name in self.dimensions],
                    kpi_cells(kpis),
                )
                for kpis in self.table.rows
            ],
            kpi_total=kpi_cells(total),
            total=total,
            headline=[
                (_("Delivered"), total.delivered),
                (_("Open rate"), _percent(total.open_rate)),
                (_("Click rate"), _percent(total.click_rate)),
                (_("Orders"), f"{total.conversions.normalize():f}" if total.conversions else "0"),
                (_("Revenue (EUR)"), total.revenue),
                (_("Cost (EUR)"), total.cost),
                (_("ROI"), "" if total.roi is None else f"{total.roi:.0f} %"),
                (_("Cost per order (EUR)"), total.cost_per_conversion or ""),
                (
                    _("Repurchase rate"),
                    repurchase_headline(results.campaign_repurchase(self.campaign)),
                ),
            ],
            top_links=results.campaign_top_links(self.campaign),
            ab=results.campaign_ab(self.campaign),
            holdout=holdout,
            holdout_verdict=uplift_verdict(holdout),
            surveys=self.surveys(),
        )
        return context

    def surveys(self) -> list[tuple[str, str, list]]:
        """Per survey answered in the campaign: its name, its score's name and its rows
        (label, score, interval, answers): by arm, when the campaign has arms, and in all.
        Only for users who may see survey results."""
        if not self.request.user.has_perm(SURVEY_RESULTS_PERMISSION):
            return []
        by_arm = self.campaign.arms.exists()
        shown = []
        for found in campaign_survey_results(self.campaign, by_arm=by_arm):
            groups = [*found.groups, found.overall] if by_arm else [found.overall]
            shown.append(
                (
                    found.survey.name,
                    found.survey.get_kind_display(),
                    [(group.label, *_score_cells(group.score)) for group in groups],
                )
            )
        return shown


def _score_cells(score) -> tuple[str, str, int]:
    if score.value is None:
        return "", "", score.answers
    interval = ""
    if score.low is not None and score.high is not None:
        interval = str(
            _("%(low)s to %(high)s") % {"low": f"{score.low:.1f}", "high": f"{score.high:.1f}"}
        )
    return f"{score.value:.1f}", interval, score.answers


def repurchase_headline(repurchase: results.Repurchase | None) -> str | None:
    """ "40.0 % (2 of 5)": of the recipients who had ordered before, those who ordered again."""
    if repurchase is None or repurchase.rate is None:
        return None
    return _("%(rate)s (%(buyers)s of %(customers)s)") % {
        "rate": _percent(repurchase.rate),
        "buyers": repurchase.buyers,
        "customers": repurchase.customers,
    }


def uplift_verdict(uplift) -> str:
    """The holdout comparison in one sentence, as a campaign manager reads it."""
    if uplift is None or uplift.difference is None:
        return str(_("Not enough data to compare with the holdout yet."))
    parts = {
        "treated": f"{uplift.treated_mean:.2f}",
        "holdout": f"{uplift.holdout_mean:.2f}",
        "diff": f"{uplift.difference:+.2f}",
        "low": f"{uplift.difference_low:+.2f}",
        "high": f"{uplift.difference_high:+.2f}",
        "level": f"{uplift.confidence * 100:.0f}",
    }
    sentence = (
        _(
            "Recipients spent %(treated)s EUR per contact, the holdout %(holdout)s EUR: "
            "%(diff)s EUR per contact, %(level)s %% interval %(low)s to %(high)s"
        )
        % parts
    )
    if uplift.relative is not None and uplift.relative_low is not None:
        sentence += _(" (%(rel)s, interval %(rlow)s to %(rhigh)s)") % {
            "rel": f"{uplift.relative * 100:+.1f} %",
            "rlow": f"{uplift.relative_low * 100:+.1f} %",
            "rhigh": f"{uplift.relative_high * 100:+.1f} %",
        }
    if uplift.incremental_revenue is not None:
        sentence += _("; incremental revenue %(amount)s EUR") % {
            "amount": f"{uplift.incremental_revenue:,.0f}"
        }
    sentence += ", " + str(_("significant") if uplift.significant else _("not significant"))
    return f"{sentence}."
