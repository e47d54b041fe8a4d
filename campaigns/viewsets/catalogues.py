"""Print catalogues in the admin: a snippet with the approval workflow, and its runs.

Editing, submitting, approving and the history are Wagtail's own snippet views; publishing
happens only through the "Campaign approval" workflow (no group is granted
``publish_catalogue``). The views in ``catalogue_runs`` act on a catalogue's generations:
the runs ("History"), one run's report and previews, the downloads, "Generate".
"""

from __future__ import annotations

from django import forms
from django.db.models import Max, OuterRef, Q, Subquery
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn, UpdatedAtColumn
from wagtail.snippets.views.snippets import EditView, SnippetViewSet

from campaigns.models import Catalogue, CatalogueRun, CatalogueRunStatus, PriceBasis
from campaigns.viewsets.actions import HeaderActionsMixin
from content.taxonomy import BuyingRole

from .catalogue_runs import (
    URL_NAMESPACE,
    CatalogueChangesView,
    CatalogueDownloadView,
    CatalogueGenerateView,
    CataloguePreviewImageView,
    CatalogueProgressView,
    CatalogueRunsView,
    CatalogueRunView,
)


class CatalogueForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "roles" in self.fields:
            self.fields["roles"] = forms.MultipleChoiceField(
                label=_("Versions per buying-centre role"),
                choices=BuyingRole.choices,
                widget=forms.CheckboxSelectMultiple,
                required=False,
                help_text=self.fields["roles"].help_text,
            )

    def clean_roles(self) -> list[str]:
        # In the order of the choices, whatever order the browser sent them in.
        chosen = set(self.cleaned_data["roles"])
        return [role for role in BuyingRole.values if role in chosen]

    def clean(self):
        cleaned = super().clean()
        basis = cleaned.get("price_basis")
        group = (cleaned.get("price_group") or "").strip()
        if basis == PriceBasis.GROUP and not group:
            self.add_error(
                "price_group",
                _("Name the price group whose prices the catalogue shows."),
            )
        elif basis != PriceBasis.GROUP:
            # A group is only read with the "price group" basis; keeping one would mislead.
            cleaned["price_group"] = ""
        else:
            cleaned["price_group"] = group
        chapters = self.formsets.get("chapters")
        if chapters is not None and chapters.is_valid():
            seen = set()
            for form in chapters.forms:
                data = form.cleaned_data or {}
                category = data.get("category")
                if category is None or data.get("DELETE"):
                    continue
                if category.pk in seen:
                    form.add_error(
                        "category",
                        _("“%(category)s” is a chapter already; each category is one chapter.")
                        % {"category": category},
                    )
                seen.add(category.pk)
        return cleaned


def _last_run_label(catalogue: Catalogue) -> str:
    if catalogue.last_run_status is None:
        return _("Never generated")
    return str(CatalogueRunStatus(catalogue.last_run_status).label)


class CatalogueEditView(HeaderActionsMixin, EditView):
    """The snippet editor, with "Generate" and "History" in its header."""

    ACTIONS = [
        ("changes", gettext_lazy("Generate"), "doc-full", ("generate_catalogue",)),
        ("runs", gettext_lazy("History"), "history", ("view_catalogue", "view_cataloguerun")),
    ]
    URL_NAMESPACE = URL_NAMESPACE


class CatalogueViewSet(SnippetViewSet):
    model = Catalogue
    icon = "doc-full"
    menu_label = gettext_lazy("Print catalogues")
    menu_name = "print-catalogues"
    # Right after "Campaigns" (240) in the menu.
    menu_order = 241
    add_to_admin_menu = True
    edit_view_class = CatalogueEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = [
        "title",
        Column("language", label=gettext_lazy("Language"), accessor="get_language_display"),
        Column("profile", label=gettext_lazy("Print profile"), accessor="get_profile_display"),
        TitleColumn(
            "last_run_status",
            label=gettext_lazy("Last run"),
            accessor=_last_run_label,
            get_url=lambda catalogue: reverse(f"{URL_NAMESPACE}:runs", args=(catalogue.pk,)),
        ),
        DateColumn("last_generated", label=gettext_lazy("Last generated")),
        UpdatedAtColumn(label=gettext_lazy("Updated")),
    ]
    list_filter = ["language", "profile"]
    search_fields = ["title"]
    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("title"),
                    FieldRowPanel([FieldPanel("slug"), FieldPanel("language")]),
                    FieldPanel("subtitle"),
                    FieldPanel("cover_image"),
                    InlinePanel(
                        "chapters",
                        heading=gettext_lazy("Chapters, one per category, in this order"),
                        label=gettext_lazy("Chapter"),
                        min_num=1,
                        panels=[FieldPanel("category", widget=forms.Select)],
                    ),
                ],
                heading=gettext_lazy("Catalogue"),
            ),
            ObjectList(
                [
                    FieldPanel("intro_headline"),
                    FieldPanel("intro"),
                    FieldPanel("intro_phase"),
                    FieldPanel("roles"),
                ],
                heading=gettext_lazy("Introduction and roles"),
            ),
            ObjectList(
                [
                    FieldRowPanel([FieldPanel("profile"), FieldPanel("layout")]),
                    MultiFieldPanel(
                        [FieldRowPanel([FieldPanel("price_basis"), FieldPanel("price_group")])],
                        heading=gettext_lazy("Prices"),
                    ),
                    FieldPanel("show_lead_time"),
                    FieldPanel("data_merge_encoding"),
                ],
                heading=gettext_lazy("Print and export"),
            ),
        ],
        base_form_class=CatalogueForm,
    )

    def get_queryset(self, request):
        runs = CatalogueRun.objects.filter(catalogue=OuterRef("pk")).order_by("-started_at", "-pk")
        return Catalogue.objects.annotate(
            last_run_status=Subquery(runs.values("status")[:1]),
            last_generated=Max("runs__finished_at", filter=Q(runs__status="succeeded")),
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/runs/", CatalogueRunsView.as_view(), name="runs"),
            path("<int:pk>/progress/", CatalogueProgressView.as_view(), name="progress"),
            path("<int:pk>/runs/<int:run>/", CatalogueRunView.as_view(), name="run"),
            path(
                "<int:pk>/runs/<int:run>/files/<str:name>",
                CatalogueDownloadView.as_view(),
                name="download",
            ),
            path(
                "<int:pk>/runs/<int:run>/previews/<int:index>.png",
                CataloguePreviewImageView.as_view(),
                name="preview",
            ),
            path("<int:pk>/generate/", CatalogueChangesView.as_view(), name="changes"),
            path("<int:pk>/generate/queue/", CatalogueGenerateView.as_view(), name="generate"),
        ]
