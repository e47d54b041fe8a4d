"""Surveys in the admin: the questions (a snippet) and each survey's results.

The results page is a template view, not Wagtail's ReportView: a report lists the rows of
a queryset, while survey results are a few aggregates per group (counts per score and the
score with its interval), computed by ``campaigns.measurement.surveys``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button
from wagtail.snippets.views.snippets import EditView, SnippetViewSet

from campaigns.measurement.surveys import survey_results
from campaigns.models import Survey
from campaigns.tracking import survey_link

RESULTS_PERMISSION = "campaigns.view_survey_results"
GROUPS = (
    ("campaign", gettext_lazy("By campaign")),
    ("segment", gettext_lazy("By campaign segment")),
    ("role", gettext_lazy("By buying-centre role (when answering)")),
    ("phase", gettext_lazy("By journey phase (when answering)")),
)


class SurveyEditView(EditView):
    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if self.request.user.has_perm(RESULTS_PERMISSION):
            buttons.append(
                Button(
                    gettext_lazy("Results"),
                    url=reverse("wagtailsnippets_campaigns_survey:results", args=(self.object.pk,)),
                    icon_name="table",
                    priority=20,
                )
            )
        return buttons


class SurveyResultsView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "campaigns/surveys/results.html"
    page_title = gettext_lazy("Survey results")
    header_icon = "table"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(RESULTS_PERMISSION):
            raise PermissionDenied
        self.survey = get_object_or_404(Survey, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.survey.name

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("wagtailsnippets_campaigns_survey:list"),
                "label": Survey._meta.verbose_name_plural,
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # One grouped query per table.
        tables = [
            (label, survey_results(self.survey, group_by=group_by)) for group_by, label in GROUPS
        ]
        context.update(
            survey=self.survey,
            overall=tables[0][1].overall,
            scores=list(self.survey.scores),
            tables=[(label, results.groups) for label, results in tables],
            link=survey_link(self.survey.pk),
        )
        return context


class SurveyViewSet(SnippetViewSet):
    model = Survey
    icon = "pick"
    menu_label = gettext_lazy("Surveys")
    menu_name = "surveys"
    menu_order = 245
    add_to_admin_menu = True
    edit_view_class = SurveyEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = [
        "name",
        Column("kind", label=gettext_lazy("Kind"), accessor="get_kind_display"),
        Column("active", label=gettext_lazy("Active")),
        DateColumn("updated_at", label=gettext_lazy("Updated"), sort_key="updated_at"),
    ]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("kind")]),
        FieldPanel("active"),
        MultiFieldPanel(
            [
                FieldPanel("question_de"),
                FieldRowPanel([FieldPanel("low_label_de"), FieldPanel("high_label_de")]),
                FieldPanel("follow_up_de"),
                FieldPanel("thanks_de"),
            ],
            heading=gettext_lazy("German"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("question_en"),
                FieldRowPanel([FieldPanel("low_label_en"), FieldPanel("high_label_en")]),
                FieldPanel("follow_up_en"),
                FieldPanel("thanks_en"),
            ],
            heading=gettext_lazy("English"),
        ),
    ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/results/", SurveyResultsView.as_view(), name="results"),
        ]
