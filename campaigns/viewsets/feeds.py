"""Feeds in the admin: the receivers (a snippet), each feed's runs and readiness report, and
the actions "Generate now" and "New secret URL".

The secret URL is shown once: on the page that follows creating a feed and on the page that
follows "New secret URL" (which revokes the old one). The hub keeps only its hash, so it
cannot show it again; the page is rendered in the response, never carried in a message
cookie or a redirect.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button
from wagtail.snippets.views.snippets import CreateView, EditView, SnippetViewSet

from campaigns.feeds.push import parse_push_target
from campaigns.feeds.runs import feed_channel, feed_channels, feed_spec
from campaigns.feeds.services import feed_generate_queue, feed_token_renew
from campaigns.models import Feed, FeedRun
from content.selectors import categories_in_order

URL_NAMESPACE = "wagtailsnippets_campaigns_feed"
RUNS_SHOWN = 50
REFUSALS_PER_PAGE = 100


class FeedForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "channel" in self.fields:
            self.fields["channel"] = forms.ChoiceField(
                label=_("Format"),
                choices=[(key, channel.name) for key, channel in feed_channels().items()],
                help_text=self.fields["channel"].help_text,
            )
        if "push_secret" in self.fields:
            self.fields["push_secret"].widget = forms.Textarea(attrs={"rows": 3})
            self.initial["push_secret"] = ""
        if "category_slugs" in self.fields:
            self.fields["category_slugs"] = forms.MultipleChoiceField(
                label=_("Categories"),
                choices=[(category.slug, str(category)) for category in categories_in_order()],
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=self.fields["category_slugs"].help_text,
            )

    def clean_push_secret(self):
        # The stored secret is never sent to the browser; an empty field keeps it.
        return self.cleaned_data["push_secret"] or self.instance.push_secret

    def clean_languages(self):
        codes = [code.strip() for code in self.cleaned_data["languages"].split(",")]
        codes = [code for code in codes if code]
        known = {code for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES}
        unknown = [code for code in codes if code not in known]
        if not codes:
            raise ValidationError(_("Name at least one language."))
        if unknown:
            raise ValidationError(
                _("No content in %(codes)s; use %(known)s.")
                % {"codes": ", ".join(unknown), "known": ", ".join(sorted(known))}
            )
        return ",".join(dict.fromkeys(codes))

    def clean(self):
        cleaned = super().clean()
        key = cleaned.get("channel")
        options = cleaned.get("options")
        if key and isinstance(options, dict):
            channel = feed_channels().get(key)
            for name, problems in channel.clean_options(options).items():
                for problem in problems:
                    self.add_error("options", f"{name}: {problem}")
        if cleaned.get("push_url"):
            try:
                parse_push_target(
                    cleaned["push_url"],
                    host_key=cleaned.get("push_host_key", ""),
                    secret=cleaned.get("push_secret", ""),
                )
            except ValidationError as error:
                for name, problems in error.message_dict.items():
                    for problem in problems:
                        self.add_error(name if name in self.fields else None, problem)
        return cleaned

    def save(self, commit=True):
        feed = super().save(commit=False)
        if feed.pk is None:
            feed.new_token = feed.set_token()
            # A new feed's first file is due at once.
            feed.dirty_since = timezone.now()
        elif set(self.changed_data) & set(Feed.FILE_SETTINGS):
            # What the file says changed for every product: a full file, within a minute.
            feed.full_due = True
            feed.dirty_since = feed.dirty_since or timezone.now()
        if commit:
            feed.save()
            self.save_m2m()
        return feed


def feed_url(feed: Feed, token: str) -> str:
    """The full secret URL of ``feed``'s (first) file with ``token``."""
    spec = feed_spec(feed, generated_at=timezone.now(), since=None)
    name = feed_channel(feed).file_name_for(spec)
    path_ = reverse("feeds:file", kwargs={"token": token, "name": name})
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path_


def _secret_url_page(request, feed: Feed, token: str, *, renewed: bool) -> TemplateResponse:
    response = TemplateResponse(
        request,
        "campaigns/feeds/secret_url.html",
        {
            "feed": feed,
            "url": feed_url(feed, token),
            "renewed": renewed,
            "page_title": _("Secret URL"),
            "header_icon": "link",
            "runs_url": reverse(f"{URL_NAMESPACE}:runs", args=(feed.pk,)),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


class FeedCreateView(CreateView):
    def form_valid(self, form):
        response = super().form_valid(form)
        token = getattr(self.object, "new_token", None)
        if token is None:
            return response
        return _secret_url_page(self.request, self.object, token, renewed=False)


class FeedEditView(EditView):
    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if self.request.user.has_perm("campaigns.view_feed"):
            buttons.append(
                Button(
                    gettext_lazy("Runs and readiness"),
                    url=reverse(f"{URL_NAMESPACE}:runs", args=(self.object.pk,)),
                    icon_name="history",
                    priority=20,
                )
            )
        return buttons


class FeedPageMixin(WagtailAdminTemplateMixin):
    header_icon = "download"
    permission = "campaigns.view_feed"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        self.feed = get_object_or_404(Feed, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.feed.name

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(f"{URL_NAMESPACE}:list"), "label": _("Feeds")},
            {
                "url": reverse(f"{URL_NAMESPACE}:edit", args=(self.feed.pk,)),
                "label": self.feed.name,
            },
            {"url": "", "label": self.get_page_title()},
        ]


class FeedRunsView(FeedPageMixin, TemplateView):
    """The feed's runs, newest first, and the last run's readiness report."""

    template_name = "campaigns/feeds/runs.html"
    page_title = gettext_lazy("Runs and readiness")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        runs = list(FeedRun.objects.filter(feed=self.feed)[:RUNS_SHOWN])
        report_run = next((run for run in runs if run.status != "running"), None)
        page = None
        if report_run is not None:
            refusals = report_run.refusals.order_by("sku")
            page = Paginator(refusals, REFUSALS_PER_PAGE).get_page(self.request.GET.get("p"))
            for refusal in page:
                refusal.edit_url = reverse(
                    "wagtailsnippets_content_product:edit", args=(refusal.product_id,)
                )
        context.update(
            feed=self.feed,
            runs=runs,
            report_run=report_run,
            refusals=page,
            may_act=self.request.user.has_perm("campaigns.change_feed"),
            generate_url=reverse(f"{URL_NAMESPACE}:generate", args=(self.feed.pk,)),
            new_url_url=reverse(f"{URL_NAMESPACE}:new_url", args=(self.feed.pk,)),
        )
        return context


class FeedGenerateView(FeedPageMixin, TemplateView):
    """Queue a run now (POST); ``full=1`` asks for a full file where deltas are the rule."""

    http_method_names = ["post"]
    permission = "campaigns.change_feed"

    def post(self, request, *args, **kwargs):
        feed_generate_queue(feed=self.feed, user=request.user, full=request.POST.get("full") == "1")
        messages.success(request, _("The feed is being generated."))
        return redirect(f"{URL_NAMESPACE}:runs", self.feed.pk)


class FeedNewUrlView(FeedPageMixin, TemplateView):
    """Give the feed a new secret URL (POST): the old one stops working at once."""

    http_method_names = ["post"]
    permission = "campaigns.change_feed"

    def post(self, request, *args, **kwargs):
        token = feed_token_renew(feed=self.feed, user=request.user)
        return _secret_url_page(request, self.feed, token, renewed=True)


def _last_run_status(feed: Feed) -> str:
    # Annotated by ``FeedViewSet.get_queryset``: the model's property asks once per row.
    code = feed.last_run_code
    return FeedRun(status=code).get_status_display() if code else "—"


class FeedViewSet(SnippetViewSet):
    model = Feed
    icon = "download"
    menu_label = gettext_lazy("Feeds")
    menu_name = "feeds"
    menu_order = 242
    add_to_admin_menu = True
    add_view_class = FeedCreateView
    edit_view_class = FeedEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = [
        "name",
        Column("channel", label=gettext_lazy("Format")),
        TitleColumn(
            "last_run_status",
            label=gettext_lazy("Last run"),
            accessor=_last_run_status,
            get_url=lambda feed: reverse(f"{URL_NAMESPACE}:runs", args=(feed.pk,)),
        ),
        Column("active", label=gettext_lazy("Active")),
        DateColumn("updated_at", label=gettext_lazy("Updated"), sort_key="updated_at"),
    ]
    list_filter = ["active", "channel"]
    search_fields = ["name", "slug"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("name"), FieldPanel("slug")]),
            FieldRowPanel([FieldPanel("channel"), FieldPanel("active")]),
            FieldPanel("languages"),
            FieldPanel("category_slugs"),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("price_group"), FieldPanel("vat_rate")]),
                    FieldPanel("buyer_price_groups"),
                ],
                heading=gettext_lazy("Prices"),
            ),
            FieldRowPanel([FieldPanel("etim_release"), FieldPanel("schedule_minutes")]),
            FieldPanel("deltas"),
            FieldPanel("options"),
            MultiFieldPanel(
                [FieldPanel("push_url"), FieldPanel("push_host_key"), FieldPanel("push_secret")],
                heading=gettext_lazy("Push"),
            ),
        ],
        base_form_class=FeedForm,
    )

    def get_queryset(self, request):
        latest = FeedRun.objects.filter(feed=OuterRef("pk")).order_by("-started_at", "-pk")
        return Feed.objects.select_related("current_run").annotate(
            last_run_code=Subquery(latest.values("status")[:1])
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/runs/", FeedRunsView.as_view(), name="runs"),
            path("<int:pk>/generate/", FeedGenerateView.as_view(), name="generate"),
            path("<int:pk>/new-url/", FeedNewUrlView.as_view(), name="new_url"),
        ]
