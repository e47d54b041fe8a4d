"""Admin views for API clients (the token is shown once, never stored in clear) and webhooks."""

import datetime
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin.views.generic import CreateView, EditView, IndexView, InspectView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import log
from wagtail.permissions import policy_registry

from .exceptions import EndpointInactive
from .models import ApiClient, WebhookDelivery, WebhookEndpoint
from .services import webhook_delivery_resend, webhook_endpoint_rotate_secret


def show_token_once(request, *, client: ApiClient, token: str, index_url: str):
    """The page that shows a new token, as the answer to the POST that made it.

    The token never passes through a redirect, a message cookie or the session, and the
    page is not cached.
    """
    response = TemplateResponse(
        request,
        "channels/api_client_token.html",
        {
            "client": client,
            "token": token,
            "index_url": index_url,
            "header_title": _("Token for %(name)s") % {"name": client.name},
        },
    )
    response["Cache-Control"] = "no-store"
    return response


class ApiClientCreateView(CreateView):
    def form_valid(self, form):
        client = form.save(commit=False)
        token = client.issue_token()
        client.save()
        log(instance=client, action="wagtail.create", user=self.request.user)
        return show_token_once(
            self.request, client=client, token=token, index_url=reverse(self.index_url_name)
        )


class ApiClientEditView(EditView):
    @cached_property
    def header_more_buttons(self):
        return [
            *super().header_more_buttons,
            Button(
                _("Rotate token"),
                url=reverse("apiclient:rotate_token", args=(self.object.pk,)),
                icon_name="key",
                priority=40,
            ),
        ]


class ApiClientRotateTokenView(PermissionCheckedMixin, View):
    """GET asks for confirmation; POST gives the client a new token, the old one stops."""

    permission_required = "change"
    http_method_names = ["get", "post"]
    model = ApiClient
    index_url_name = None

    def get(self, request, pk):
        client = get_object_or_404(ApiClient, pk=pk)
        return TemplateResponse(
            request,
            "channels/api_client_rotate_token.html",
            {
                "client": client,
                "header_title": _("Rotate the token of %(name)s") % {"name": client.name},
                "edit_url": reverse("apiclient:edit", args=(client.pk,)),
            },
        )

    def post(self, request, pk):
        client = get_object_or_404(ApiClient, pk=pk)
        token = client.issue_token()
        client.save(update_fields=["token_hash", "token_prefix"])
        log(instance=client, action="wagtail.edit", user=request.user, content_changed=True)
        return show_token_once(
            request, client=client, token=token, index_url=reverse(self.index_url_name)
        )


def can_manage_endpoints(user) -> bool:
    """Re-sending and rotating act on an endpoint: they need the right to change endpoints."""
    return policy_registry.get_by_type(WebhookEndpoint).user_has_permission(user, "change")


class WebhookEndpointIndexView(IndexView):
    def get_base_queryset(self):
        latest = WebhookDelivery.objects.filter(endpoint=OuterRef("pk")).order_by(
            "-created_at", "-pk"
        )
        return (
            super()
            .get_base_queryset()
            .annotate(
                last_delivery_status=Subquery(latest.values("status")[:1]),
                last_delivery_at=Subquery(latest.values("created_at")[:1]),
            )
        )


class WebhookEndpointCreateView(CreateView):
    success_message = gettext_lazy(
        "Webhook endpoint '%(object)s' created. Give its signing secret to the receiving system."
    )

    def get_success_url(self):
        # To the edit page, where the generated signing secret is shown.
        return reverse(self.edit_url_name, args=(self.object.pk,))


class WebhookEndpointEditView(EditView):
    @cached_property
    def header_more_buttons(self):
        return [
            *super().header_more_buttons,
            Button(
                _("Rotate secret"),
                url=reverse("webhookendpoint:rotate_secret", args=(self.object.pk,)),
                icon_name="key",
                priority=40,
            ),
            Button(
                _("Deliveries"),
                url=reverse("webhookdelivery:index") + f"?endpoint={self.object.pk}",
                icon_name="list-ul",
                priority=50,
            ),
        ]


class WebhookEndpointRotateSecretView(PermissionCheckedMixin, View):
    """GET asks for confirmation; POST gives the endpoint a new secret at once."""

    permission_required = "change"
    model = WebhookEndpoint
    http_method_names = ["get", "post"]

    def get(self, request, pk):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        return TemplateResponse(
            request,
            "channels/webhook_rotate_secret.html",
            {
                "endpoint": endpoint,
                "edit_url": reverse("webhookendpoint:edit", args=(endpoint.pk,)),
                "header_title": _("Rotate the secret of %(name)s") % {"name": endpoint.name},
            },
        )

    def post(self, request, pk):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        webhook_endpoint_rotate_secret(endpoint=endpoint, user=request.user)
        messages.success(
            request,
            _("New signing secret for '%(name)s'. The old one no longer verifies.")
            % {"name": endpoint.name},
        )
        return redirect("webhookendpoint:edit", endpoint.pk)


class WebhookDeliveryInspectView(InspectView):
    template_name = "channels/webhook_delivery_inspect.html"

    def get_object(self, queryset=None):
        return get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=self.pk)

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        # Wagtail's inspect template formats datetimes as stored (UTC); show local time,
        # like the attempts table below.
        if isinstance(value, datetime.datetime):
            return timezone.localtime(value)
        return value

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["attempts"] = self.object.attempts.all()
        context["payload_json"] = json.dumps(self.object.payload, indent=2, ensure_ascii=False)
        if can_manage_endpoints(self.request.user):
            context["resend_url"] = reverse("webhookdelivery:resend", args=(self.object.pk,))
        return context


class WebhookDeliveryResendView(View):
    """Queue a delivery again (POST). Its earlier attempts stay listed."""

    http_method_names = ["post"]

    def post(self, request, pk):
        if not can_manage_endpoints(request.user):
            raise PermissionDenied
        delivery = get_object_or_404(WebhookDelivery, pk=pk)
        try:
            webhook_delivery_resend(delivery=delivery, user=request.user)
        except EndpointInactive as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Delivery %(id)s queued again.") % {"id": delivery.message_id}
            )
        return redirect("webhookdelivery:inspect", delivery.pk)
