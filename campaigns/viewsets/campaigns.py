"""Campaigns in the admin: a snippet with the approval workflow, scheduling and progress.

Editing, submitting, approving and the history are Wagtail's own snippet views; the views
here act on an approved campaign through ``campaigns.services``: schedule (with every
problem listed), pause, resume, cancel, watch the progress, send a test, preview variants.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.admin.ui.tables import Column, DateColumn, UpdatedAtColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import WorkflowState
from wagtail.snippets.views.snippets import SnippetViewSet

from campaigns.measurement.results import BASELINE_DAYS, PlannedTestPower, planned_test_power
from campaigns.models import ARM_LABELS, Campaign, CampaignStatus, DeliveryState, ScheduleMode
from campaigns.personalisation import variant_label
from campaigns.segments.backends import segment_backend
from campaigns.selectors import (
    campaign_progress,
    campaign_unsent_reasons,
    segment_data_until,
    segment_members,
)
from campaigns.services.campaigns import (
    TEST_SEND_LIMIT,
    CampaignError,
    CampaignNotReady,
    campaign_cancel,
    campaign_pause,
    campaign_preview,
    campaign_problems,
    campaign_resume,
    campaign_schedule,
    campaign_test_send,
    campaign_variant_keys,
)
from campaigns.viewsets.campaign_form import CampaignForm
from campaigns.viewsets.campaign_lifecycle import (
    URL_NAMESPACE,
    CampaignEditView,
    CampaignIndexView,
    CampaignUnpublishView,
    campaign_home_url,
    locked_message,
)

PROGRESS_URL = f"{URL_NAMESPACE}:progress"
REFRESH_SECONDS = 3


def _progress_text(campaign: Campaign) -> str:
    if campaign.status in (CampaignStatus.DRAFT, CampaignStatus.APPROVED):
        return ""
    # Counted for the whole listing in one query (``get_queryset``), not per row.
    return _("%(sent)s of %(total)s sent") % {
        "sent": campaign.sent_count,
        "total": campaign.delivery_count,
    }


class CampaignViewSet(SnippetViewSet):
    model = Campaign
    icon = "mail"
    menu_label = gettext_lazy("Campaigns")
    menu_name = "campaigns"
    menu_order = 240
    add_to_admin_menu = True
    index_view_class = CampaignIndexView
    edit_view_class = CampaignEditView
    unpublish_view_class = CampaignUnpublishView
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = [
        "name",
        Column("status_label", label=gettext_lazy("Status")),
        Column("segment", label=gettext_lazy("Segment")),
        DateColumn("send_at", label=gettext_lazy("Send at")),
        Column("progress", label=gettext_lazy("Progress"), accessor=_progress_text),
        UpdatedAtColumn(label=gettext_lazy("Updated")),
    ]
    list_filter = ["status"]

    def get_queryset(self, request):
        # Workflow states prefetched: ``status_label`` asks whether one is in progress.
        return (
            Campaign.objects.select_related("segment")
            .prefetch_related(
                Prefetch(
                    "_workflow_states",
                    queryset=WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS),
                    to_attr="_current_workflow_states",
                )
            )
            .annotate(
                delivery_count=Count("deliveries"),
                sent_count=Count("deliveries", filter=Q(deliveries__state=DeliveryState.SENT)),
            )
        )

    search_fields = ["name"]
    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("name"),
                    FieldPanel("goal"),
                    FieldPanel("segment"),
                    # On its own row: beside the segment, its long choices ran off the page.
                    FieldPanel("topic"),
                    FieldPanel("channels"),
                    MultiFieldPanel(
                        [
                            FieldRowPanel([FieldPanel("sender_name"), FieldPanel("sender_email")]),
                            FieldPanel("reply_to"),
                        ],
                        heading=gettext_lazy("Sender"),
                    ),
                    MultiFieldPanel(
                        [
                            FieldPanel("cost"),
                            FieldRowPanel(
                                [FieldPanel("target_open_rate"), FieldPanel("target_click_rate")]
                            ),
                            FieldRowPanel(
                                [FieldPanel("target_orders"), FieldPanel("target_revenue")]
                            ),
                        ],
                        heading=gettext_lazy("Cost and targets"),
                    ),
                ],
                heading=gettext_lazy("Plan"),
            ),
            ObjectList(
                [
                    InlinePanel(
                        "contents",
                        heading=gettext_lazy("Newsletter, one version per language (and arm)"),
                        min_num=1,
                        panels=[
                            FieldRowPanel([FieldPanel("locale"), FieldPanel("arm")]),
                            FieldPanel("subject"),
                            FieldPanel("preheader"),
                            FieldPanel("body"),
                        ],
                    )
                ],
                heading=gettext_lazy("Newsletter"),
            ),
            ObjectList(
                [
                    InlinePanel(
                        "arms",
                        heading=gettext_lazy("Arms (share of the segment in %)"),
                        max_num=len(ARM_LABELS),
                        panels=[FieldRowPanel([FieldPanel("label"), FieldPanel("share")])],
                    ),
                    FieldPanel("holdout_percent"),
                    FieldRowPanel([FieldPanel("winner_metric"), FieldPanel("winner_after_hours")]),
                ],
                heading=gettext_lazy("A/B test and holdout"),
            ),
            ObjectList(
                [
                    FieldRowPanel(
                        [FieldPanel("placements_until"), FieldPanel("placement_priority")]
                    ),
                    InlinePanel(
                        "placements",
                        heading=gettext_lazy("Slot content, one per slot and language (and arm)"),
                        label=gettext_lazy("Slot content"),
                        panels=[
                            FieldRowPanel(
                                [FieldPanel("placement"), FieldPanel("locale"), FieldPanel("arm")]
                            ),
                            FieldPanel("body"),
                        ],
                    ),
                ],
                heading=gettext_lazy("Webshop placements"),
            ),
        ],
        base_form_class=CampaignForm,
    )

    def get_urlpatterns(self):
        from .campaign_results import CampaignResultsView  # it builds on CampaignPageMixin

        return [
            *super().get_urlpatterns(),
            path("<int:pk>/schedule/", CampaignScheduleView.as_view(), name="schedule"),
            path("<int:pk>/state/<str:action>/", CampaignStateView.as_view(), name="state"),
            path("<int:pk>/progress/", CampaignProgressView.as_view(), name="progress"),
            path("<int:pk>/results/", CampaignResultsView.as_view(), name="results"),
            path("<int:pk>/preview/", CampaignPreviewView.as_view(), name="preview_variants"),
            path("<int:pk>/test/", CampaignTestSendView.as_view(), name="test_send"),
        ]


class CampaignPageMixin(WagtailAdminTemplateMixin):
    header_icon = "mail"
    permission = "schedule_campaign"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(f"campaigns.{self.permission}"):
            raise PermissionDenied
        self.campaign = get_object_or_404(Campaign, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.campaign.name

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailsnippets_campaigns_campaign:list"), "label": _("Campaigns")},
            {"url": campaign_home_url(self.campaign), "label": self.campaign.name},
            {"url": "", "label": self.get_page_title()},
        ]


class ScheduleForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("When"), choices=ScheduleMode.choices, widget=forms.RadioSelect
    )
    send_at = forms.DateTimeField(
        label=gettext_lazy("Send at (or, for local time, the day)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    local_time = forms.TimeField(
        label=gettext_lazy("Local time of each recipient"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )


class CampaignScheduleView(CampaignPageMixin, TemplateView):
    template_name = "campaigns/campaigns/schedule.html"
    page_title = gettext_lazy("Schedule campaign")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ScheduleForm(initial={"mode": ScheduleMode.NOW}))
        context.setdefault("problems", campaign_problems(self.campaign))
        context.update(
            campaign=self.campaign,
            status_label=self.campaign.status_label,
            test_power=test_power_sentences(planned_test_power(self.campaign)),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        if form.cleaned_data["mode"] == ScheduleMode.NOW and request.POST.get("confirmed") != "1":
            return self.confirm_send_now(form)
        try:
            campaign_schedule(
                campaign=self.campaign,
                mode=form.cleaned_data["mode"],
                send_at=form.cleaned_data["send_at"],
                local_time=form.cleaned_data["local_time"],
                user=request.user,
            )
        except CampaignNotReady as error:
            return self.render_to_response(
                self.get_context_data(form=form, problems=error.problems), status=400
            )
        except CampaignError as error:
            messages.error(request, str(error))
            return redirect("wagtailsnippets_campaigns_campaign:edit", self.campaign.pk)
        messages.success(request, _("Campaign scheduled."))
        return redirect("wagtailsnippets_campaigns_campaign:progress", self.campaign.pk)

    def confirm_send_now(self, form):
        """Sending now cannot be taken back: first say to how many it goes, and ask again."""
        problems = campaign_problems(self.campaign)
        if problems:
            return self.render_to_response(
                self.get_context_data(form=form, problems=problems), status=400
            )
        if self.campaign.status != CampaignStatus.APPROVED:
            messages.error(request=self.request, message=locked_message(self.campaign))
            return redirect(campaign_home_url(self.campaign))
        backend = segment_backend()
        return TemplateResponse(
            self.request,
            "campaigns/campaigns/confirm_send_now.html",
            {
                **self.get_context_data(form=form),
                "page_title": _("Send now?"),
                "recipients": len(segment_members(self.campaign.segment, backend=backend)),
                "data_until": segment_data_until(backend),
            },
        )


def test_power_sentences(power: PlannedTestPower | None) -> list[str]:
    """What the planned A/B test can detect, and where its baseline comes from, in words."""
    if power is None:
        return []
    recipients = (
        _("%(audience)s recipients") % {"audience": power.audience}
        if power.tested == power.audience
        else _("%(audience)s recipients (%(tested)s of them in the test arms)")
        % {"audience": power.audience, "tested": power.tested}
    )
    baseline = f"{power.baseline.rate * 100:.1f}"
    if power.difference is None:
        first = _(
            "With about %(recipients)s, the audience is too small to split into the arms."
        ) % {"recipients": recipients}
    else:
        first = _(
            "With about %(recipients)s, this test can detect a difference of %(points)s "
            "points in click rate (from a baseline of %(baseline)s %%)."
        ) % {
            "recipients": recipients,
            "points": f"{power.difference * 100:.1f}",
            "baseline": baseline,
        }
    if power.baseline.is_default:
        second = _(
            "No campaign finished in the last %(days)s days has clicks to learn from, so the "
            "baseline is a typical newsletter click rate of %(baseline)s %%."
        ) % {"days": BASELINE_DAYS, "baseline": baseline}
    else:
        second = ngettext(
            "The baseline is the click rate of the campaign finished in the last %(days)s "
            "days: its unique clicks over its %(delivered)s delivered messages.",
            "The baseline is the click rate of the %(count)s campaigns finished in the last "
            "%(days)s days: their unique clicks over their %(delivered)s delivered messages.",
            power.baseline.campaigns,
        ) % {
            "count": power.baseline.campaigns,
            "days": BASELINE_DAYS,
            "delivered": power.baseline.delivered,
        }
    third = _(
        "Smaller differences may be real but will not be told apart from chance "
        "(80 %% power, 5 %% significance)."
    )
    return [first, second, third]


class CampaignStateView(CampaignPageMixin, TemplateView):
    http_method_names = ["post"]
    ACTIONS = {
        "pause": (campaign_pause, gettext_lazy("Campaign paused after the current batches.")),
        "resume": (campaign_resume, gettext_lazy("Campaign resumed.")),
        "cancel": (campaign_cancel, gettext_lazy("Campaign cancelled; nothing more is sent.")),
    }

    def post(self, request, *args, **kwargs):
        action = self.ACTIONS.get(kwargs["action"])
        if action is None:
            return HttpResponse(status=404)
        service, message = action
        try:
            service(campaign=self.campaign, user=request.user)
        except CampaignError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, str(message))
        return redirect("wagtailsnippets_campaigns_campaign:progress", self.campaign.pk)


class CampaignProgressView(CampaignPageMixin, TemplateView):
    """A progress bar (queued / sent / failed) that refreshes itself from this view's JSON."""

    template_name = "campaigns/campaigns/progress.html"
    page_title = gettext_lazy("Sending progress")
    permission = "view_campaign"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "json":
            return JsonResponse(self.state())
        return super().get(request, *args, **kwargs)

    def state(self) -> dict:
        campaign = Campaign.objects.get(pk=self.campaign.pk)
        progress = campaign_progress(campaign)
        done = sum(
            progress[state] for state in ("sent", "in_doubt", "failed", "bounced", "suppressed")
        )
        addressed = progress["total"] - progress["held_out"] - progress["cancelled"]
        return {
            "status": campaign.status,
            "status_label": campaign.status_label,
            "progress": progress,
            "percent": round(100 * done / addressed, 1) if addressed else 0,
            "unsent": campaign_unsent_reasons(campaign),
            "checked_at": timezone.now().isoformat(),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            campaign=self.campaign,
            state=self.state(),
            can_schedule=self.request.user.has_perm("campaigns.schedule_campaign"),
            json_url=f"{reverse(PROGRESS_URL, args=(self.campaign.pk,))}?format=json",
            refresh_seconds=REFRESH_SECONDS,
        )
        return context


class CampaignPreviewView(CampaignPageMixin, TemplateView):
    """Every variant of the latest version, as a sample contact of it would get it."""

    template_name = "campaigns/campaigns/preview.html"
    page_title = gettext_lazy("Preview variants")
    permission = "view_campaign"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        keys = campaign_variant_keys(self.campaign)
        key = self.request.GET.get("variant")
        key = key if key in keys else (keys[0] if keys else None)
        html, missing, error = "", [], ""
        if key is not None:
            try:
                html, missing = campaign_preview(campaign=self.campaign, key=key)
            except CampaignError as exc:
                error = str(exc)
        context.update(
            campaign=self.campaign,
            choices=[(option, variant_label(option)) for option in keys],
            key=key,
            html=html,
            missing=missing,
            error=error,
        )
        return context


class TestSendForm(forms.Form):
    variant = forms.ChoiceField(label=gettext_lazy("Variant"))
    addresses = forms.CharField(
        label=gettext_lazy("Addresses"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, keys: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        # Formatted per request: a lazy string formatted here would be fixed at import.
        self.fields["addresses"].help_text = _(
            "Up to %(limit)s, one per line or separated by commas."
        ) % {"limit": TEST_SEND_LIMIT}
        self.fields["variant"].choices = [(key, variant_label(key)) for key in keys]

    def clean_addresses(self) -> list[str]:
        raw = self.cleaned_data["addresses"].replace(",", "\n").splitlines()
        addresses = [line.strip() for line in raw if line.strip()]
        if not 1 <= len(addresses) <= TEST_SEND_LIMIT:
            raise forms.ValidationError(
                _("Give 1 to %(limit)s addresses.") % {"limit": TEST_SEND_LIMIT}
            )
        validate = forms.EmailField().clean
        for address in addresses:
            try:
                validate(address)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("“%(address)s” is not an e-mail address.") % {"address": address}
                ) from None
        return addresses


class CampaignTestSendView(CampaignPageMixin, TemplateView):
    template_name = "campaigns/campaigns/test_send.html"
    page_title = gettext_lazy("Send a test")
    permission = "send_test_campaign"

    def form(self, data=None) -> TestSendForm:
        return TestSendForm(data, keys=campaign_variant_keys(self.campaign))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.form())
        context.update(campaign=self.campaign)
        return context

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            results = campaign_test_send(
                campaign=self.campaign,
                key=form.cleaned_data["variant"],
                addresses=form.cleaned_data["addresses"],
                user=request.user,
            )
        except CampaignError as error:
            form.add_error(None, str(error))
            return self.render_to_response(self.get_context_data(form=form))
        sent = sum(result.sent for result in results)
        failed = [result.detail for result in results if not result.sent]
        if failed:
            messages.warning(
                request,
                _("%(sent)s test(s) sent; not sent: %(failed)s")
                % {"sent": sent, "failed": "; ".join(failed)},
            )
        else:
            messages.success(request, _("%(sent)s test(s) sent.") % {"sent": sent})
        return redirect("wagtailsnippets_campaigns_campaign:test_send", self.campaign.pk)
