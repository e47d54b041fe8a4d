"""Segments in the admin: a rule-tree editor with a live count and sample, snapshots, lists."""

from __future__ import annotations

import datetime as dt
from itertools import islice

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.forms.fields import InvalidJSONInput
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList, Panel
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views.generic import CreateView, EditView, IndexView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import log

from campaigns.models import Contact, Segment, SegmentKind, SegmentSnapshot
from campaigns.models.segments import empty_rules
from campaigns.segments import (
    clean_rules,
    field_catalogue,
    parse_rules_json,
)
from campaigns.segments.backends import segment_backend
from campaigns.selectors import segment_data_until, segment_members
from campaigns.services.segments import (
    segment_add_emails,
    segment_count_refresh,
    segment_remove_contacts,
    segment_snapshot,
)

SAMPLE_SIZE = 20


class RuleTreeWidget(forms.Textarea):
    """The rules as JSON in a textarea, driven by a small tree editor (plain JavaScript).

    Without JavaScript the textarea is the editor; validation names the place at fault.
    """

    template_name = "campaigns/segments/rule_tree_widget.html"

    class Media:
        js = ["campaigns/segment_rules.js"]
        css = {"all": ["campaigns/segment_rules.css"]}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["fields"] = field_catalogue()
        context["widget"]["fields_id"] = f"{context['widget']['attrs'].get('id', name)}-fields"
        context["widget"]["preview_url"] = reverse("segment:preview")
        context["widget"]["time_zone"] = settings.TIME_ZONE
        return context


class RuleTreeField(forms.JSONField):
    """A rule tree typed as JSON: refused with the reason when it is no plain JSON.

    Django's JSONField takes NaN and fails with a 500 on JSON nested too deeply.
    """

    def to_python(self, value):
        if self.disabled or isinstance(value, list | dict | int | float):
            return value
        if value in self.empty_values:
            return None
        return parse_rules_json(value)

    def bound_data(self, data, initial):
        # A refused tree is shown again as typed: its parsed form may not even be printable.
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return parse_rules_json(data)
        except ValidationError:
            return InvalidJSONInput(data)


class SegmentForm(WagtailAdminModelForm):
    rules = RuleTreeField(label=gettext_lazy("Rules"), required=False, widget=RuleTreeWidget)

    def clean(self):
        cleaned = super().clean()
        if "rules" in cleaned and cleaned["rules"] in (None, "", {}):
            cleaned["rules"] = empty_rules()
        if cleaned.get("kind") == SegmentKind.DYNAMIC and "rules" in cleaned:
            try:
                cleaned["rules"] = clean_rules(cleaned["rules"])
            except ValidationError as error:
                self.add_error("rules", error)
        return cleaned


class SegmentPreviewPanel(Panel):
    """Live count and a sample of the members; the latest snapshots."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "campaigns/segments/preview_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            segment = self.instance
            context["snapshots"] = (
                SegmentSnapshot.objects.filter(segment=segment).select_related("created_by")[:5]
                if segment.pk
                else []
            )
            context["members_url"] = (
                reverse("segment:members", args=(segment.pk,)) if segment.pk else None
            )
            return context


def _latest_snapshot(segment: Segment) -> str:
    if segment.latest_snapshot_at is None:
        return "-"
    local = timezone.localtime(segment.latest_snapshot_at)
    return f"{segment.latest_snapshot_size} ({local:%Y-%m-%d %H:%M})"


def _members(segment: Segment) -> str:
    """The stored count and when it was taken: counting runs the rules, so not per page view."""
    if segment.member_count_at is None:
        return _("not counted yet")
    when = date_format(timezone.localtime(segment.member_count_at), "SHORT_DATETIME_FORMAT")
    if segment.member_count is None:
        return _("cannot be counted (%(when)s): check its rules") % {"when": when}
    return _("%(count)s (counted %(when)s)") % {
        "count": number_format(segment.member_count, force_grouping=True),
        "when": when,
    }


class SegmentIndexView(IndexView):
    def get_base_queryset(self):
        latest = SegmentSnapshot.objects.filter(segment=OuterRef("pk")).order_by(
            "-created_at", "-pk"
        )
        return (
            super()
            .get_base_queryset()
            .annotate(
                latest_snapshot_size=Subquery(latest.values("size")[:1]),
                latest_snapshot_at=Subquery(latest.values("created_at")[:1]),
            )
        )


class SegmentCreateView(CreateView):
    def save_instance(self):
        self.form.instance.created_by = self.request.user
        instance = super().save_instance()
        segment_count_refresh(segment=instance)
        return instance


class SegmentEditView(EditView):
    def save_instance(self):
        instance = super().save_instance()
        segment_count_refresh(segment=instance)
        return instance

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if self.user_has_permission("change"):
            buttons.append(
                Button(
                    _("Freeze snapshot"),
                    url=reverse("segment:snapshot", args=(self.object.pk,)),
                    icon_name="lock",
                    priority=30,
                )
            )
            if self.object.kind == SegmentKind.STATIC:
                buttons.append(
                    Button(
                        _("Members"),
                        url=reverse("segment:members", args=(self.object.pk,)),
                        icon_name="group",
                        priority=35,
                    )
                )
        return buttons


def _contact_row(contact) -> dict:
    return {
        "name": " ".join(part for part in (contact.first_name, contact.last_name) if part),
        "email": contact.email,
        "account": contact.account.name if contact.account else "",
        "role": contact.get_role_display(),
        "phase": contact.get_phase_display(),
        "consent": contact.get_consent_display(),
        "url": reverse("contact:edit", args=(contact.pk,)),
    }


class SegmentPreviewView(PermissionCheckedMixin, View):
    """POST {rules, kind, include_all, segment}: the count and a sample, as JSON.

    Counts the tree being edited, before it is saved. The sample shows people, so it
    needs the right to see contacts as well as segments.
    """

    model = Segment
    any_permission_required = ["add", "change"]
    http_method_names = ["post"]

    def post(self, request):
        if not request.user.has_perm("campaigns.view_contact"):
            raise PermissionDenied
        try:
            payload = parse_rules_json(request.body or b"{}")
        except ValidationError as error:
            return JsonResponse({"errors": error.messages}, status=400)
        if not isinstance(payload, dict):
            return JsonResponse({"errors": [_("The request is not a JSON object.")]}, status=400)
        segment = Segment()
        if payload.get("segment"):
            if not str(payload["segment"]).isdigit():
                return JsonResponse({"errors": [_("segment: give the segment's id.")]}, status=400)
            segment = get_object_or_404(Segment, pk=int(payload["segment"]))
        kind = payload.get("kind") or segment.kind
        if kind not in SegmentKind.values:
            return JsonResponse({"errors": [_("Unknown kind %r.") % kind]}, status=400)
        backend = segment_backend()
        try:
            members = segment_members(
                segment,
                rules=payload.get("rules"),
                kind=kind,
                include_all=bool(payload.get("include_all", segment.include_all)),
                backend=backend,
            )
        except ValidationError as error:
            return JsonResponse({"errors": error.messages}, status=400)
        sample = (
            Contact.objects.filter(pk__in=list(islice(members, SAMPLE_SIZE)))
            .select_related("account")
            .order_by("pk")
        )
        return JsonResponse(
            {
                "count": len(members),
                "sample": [_contact_row(c) for c in sample],
                "data_until": data_until_text(segment_data_until(backend)),
            }
        )


def data_until_text(until: dt.datetime | None) -> str:
    """How fresh a count from the bitmaps is; nothing when SQL counted (exact now)."""
    if until is None:
        return ""
    when = date_format(timezone.localtime(until), "SHORT_DATETIME_FORMAT")
    return _("counted from the data up to %(when)s") % {"when": when}


class SegmentSnapshotView(PermissionCheckedMixin, View):
    """GET asks for confirmation; POST freezes the segment's membership now."""

    model = Segment
    permission_required = "change"
    http_method_names = ["get", "post"]

    def get(self, request, pk):
        segment = get_object_or_404(Segment, pk=pk)
        return TemplateResponse(
            request,
            "campaigns/segments/snapshot_confirm.html",
            {
                "segment": segment,
                "header_title": _("Freeze a snapshot of %(name)s") % {"name": segment.name},
                "edit_url": reverse("segment:edit", args=(segment.pk,)),
            },
        )

    def post(self, request, pk):
        segment = get_object_or_404(Segment, pk=pk)
        try:
            snapshot = segment_snapshot(segment=segment, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("segment:edit", segment.pk)
        log(instance=segment, action="wagtail.edit", user=request.user, content_changed=False)
        messages.success(
            request,
            _("Snapshot of “%(name)s” frozen with %(size)d contacts.")
            % {"name": segment.name, "size": snapshot.size},
        )
        return redirect("segment:edit", segment.pk)


class SegmentMembersView(PermissionCheckedMixin, View):
    """A static segment's list: add contacts by address, take them off again."""

    model = Segment
    permission_required = "change"
    http_method_names = ["get", "post"]
    per_page = 100

    def get(self, request, pk, errors=None):
        segment = get_object_or_404(Segment, pk=pk, kind=SegmentKind.STATIC)
        members = segment.members.select_related("contact", "contact__account").order_by(
            "contact__email"
        )
        page = Paginator(members, self.per_page).get_page(request.GET.get("p"))
        return TemplateResponse(
            request,
            "campaigns/segments/members.html",
            {
                "segment": segment,
                "page": page,
                "errors": errors or [],
                "header_title": _("Members of %(name)s") % {"name": segment.name},
                "edit_url": reverse("segment:edit", args=(segment.pk,)),
            },
        )

    def post(self, request, pk):
        segment = get_object_or_404(Segment, pk=pk, kind=SegmentKind.STATIC)
        if request.POST.get("action") == "remove":
            ids = [int(value) for value in request.POST.getlist("contact") if value.isdigit()]
            removed = segment_remove_contacts(segment=segment, contacts=ids, user=request.user)
            messages.success(
                request, _("%(count)d contacts taken off the list.") % {"count": removed}
            )
            return redirect("segment:members", segment.pk)
        emails = request.POST.get("emails", "").replace(",", "\n").splitlines()
        added, unknown = segment_add_emails(segment=segment, emails=emails, user=request.user)
        messages.success(request, _("%(count)d contacts added to the list.") % {"count": added})
        if unknown:
            messages.warning(
                request,
                _("No contact has these addresses, so they were skipped: %(emails)s")
                % {"emails": ", ".join(unknown)},
            )
        return redirect("segment:members", segment.pk)


class SegmentViewSet(ModelViewSet):
    model = Segment
    icon = "crosshairs"
    menu_label = gettext_lazy("Segments")
    index_view_class = SegmentIndexView
    add_view_class = SegmentCreateView
    edit_view_class = SegmentEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = [
        "name",
        Column("kind", label=gettext_lazy("Kind"), accessor="get_kind_display"),
        Column(
            "members",
            label=gettext_lazy("Members"),
            accessor=_members,
            sort_key="member_count",
        ),
        BooleanColumn("include_all", label=gettext_lazy("Everyone (analysis)")),
        Column("latest_snapshot", label=gettext_lazy("Last snapshot"), accessor=_latest_snapshot),
        DateColumn("updated_at", label=gettext_lazy("Updated"), sort_key="updated_at"),
        DateColumn("created_at", label=gettext_lazy("Created")),
    ]
    list_filter = ["kind", "include_all"]
    search_fields = ["name", "description"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("description"),
            FieldPanel("kind"),
            FieldPanel("include_all"),
            FieldPanel("rules", widget=RuleTreeWidget),
            SegmentPreviewPanel(heading=gettext_lazy("Who is in it now")),
        ],
        base_form_class=SegmentForm,
    )

    @property
    def preview_view(self):
        return SegmentPreviewView.as_view()

    @property
    def snapshot_view(self):
        return SegmentSnapshotView.as_view()

    @property
    def members_view(self):
        return SegmentMembersView.as_view()

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("preview/", self.preview_view, name="preview"),
            path("<int:pk>/snapshot/", self.snapshot_view, name="snapshot"),
            path("<int:pk>/members/", self.members_view, name="members"),
        ]
