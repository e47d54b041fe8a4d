"""The suppression list in the admin: searched by an address's hash, added by hand, never edited."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.views.generic import DeleteView, IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from campaigns.forms import SuppressionForm
from campaigns.models import Suppression, email_hash
from campaigns.services.consent import suppression_add
from campaigns.services.segment_state import segment_state_note_addresses


class SuppressionIndexView(IndexView):
    """The suppression list. A search for an address looks up its hash: nothing else is kept."""

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return queryset.filter(email_hash=email_hash(self.search_query))


class SuppressionCreateView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Suppress any address, a contact's or not: only its hash is stored."""

    model = Suppression
    permission_required = "add"
    template_name = "campaigns/contacts/action.html"
    header_icon = "warning"
    page_title = gettext_lazy("Suppress an address")
    http_method_names = ["get", "post"]

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("suppression:index"), "label": _("Suppressions")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", SuppressionForm())
        context.update(
            description=_(
                "The address will receive no e-mail from the hub, whether or not it is a "
                "contact yet. Only its SHA-256 hash is stored. A suppression is never lifted "
                "by an import; only a confirmed double opt-in lifts an 'unsubscribed' one."
            ),
            submit_label=_("Suppress"),
            destructive=True,
            cancel_url=reverse("suppression:index"),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = SuppressionForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        suppression = suppression_add(
            email=form.cleaned_data["email"],
            reason=form.cleaned_data["reason"],
            source=form.cleaned_data["source"],
        )
        log(
            instance=suppression,
            action="wagtail.create",
            user=request.user,
            title=str(suppression),
            data={"reason": suppression.reason, "source": suppression.source},
        )
        messages.success(
            request,
            _("The address is suppressed (%(reason)s).")
            % {"reason": suppression.get_reason_display()},
        )
        return redirect("suppression:index")


class SuppressionDeleteView(DeleteView):
    def delete_action(self):
        # The address's contacts may be mailed again: reachable in segments once more.
        with transaction.atomic():
            segment_state_note_addresses([self.object.email_hash])
            super().delete_action()


class SuppressionViewSet(ModelViewSet):
    """Suppressions are added here or by services; none is edited. Lifting one needs the
    delete permission, which no group holds (superusers only)."""

    model = Suppression
    icon = "warning"
    menu_label = gettext_lazy("Suppressions")
    url_prefix = "suppressions"
    index_view_class = SuppressionIndexView
    delete_view_class = SuppressionDeleteView
    copy_view_enabled = False
    list_per_page = 50
    list_display = [
        Column(
            "email_hash",
            label=gettext_lazy("Address hash"),
            accessor=lambda s: s.email_hash[:16] + "...",
        ),
        StatusTagColumn("reason", label=gettext_lazy("Reason"), accessor="get_reason_display"),
        Column("source", label=gettext_lazy("Source")),
        DateColumn("created_at", label=gettext_lazy("Since")),
    ]
    list_filter = ["reason"]
    search_fields = ["email_hash"]
    # Only for Wagtail's generic views, which are not routed: SuppressionCreateView adds.
    form_fields = ["reason", "source"]

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(edit_url_name=None, usage_url_name=None, **kwargs)

    def get_urlpatterns(self):
        kept = [
            pattern
            for pattern in super().get_urlpatterns()
            if pattern.name not in {"add", "edit", "usage"}
        ]
        return [*kept, path("new/", SuppressionCreateView.as_view(), name="add")]
