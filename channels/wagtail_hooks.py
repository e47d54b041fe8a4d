"""Admin registration for channel integration: API clients and webhooks."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, ObjectList, Panel
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, StatusTagColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from core.viewsets import ReadOnlyViewSet

from .forms import ApiClientForm, WebhookEndpointForm
from .models import ApiClient, WebhookDelivery, WebhookEndpoint
from .views import (
    ApiClientCreateView,
    ApiClientEditView,
    ApiClientRotateTokenView,
    WebhookDeliveryInspectView,
    WebhookDeliveryResendView,
    WebhookEndpointCreateView,
    WebhookEndpointEditView,
    WebhookEndpointIndexView,
    WebhookEndpointRotateSecretView,
)


class ApiClientViewSet(ModelViewSet):
    model = ApiClient
    icon = "key"
    menu_label = _("API clients")
    add_view_class = ApiClientCreateView
    edit_view_class = ApiClientEditView
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = [
        "name",
        "channel",
        Column("scopes", label=_("Scopes"), accessor=lambda c: ", ".join(c.scopes)),
        BooleanColumn("is_active", label=_("Active")),
        Column("token_prefix", label=_("Token starts with")),
        DateColumn("last_used_at", label=_("Last used")),
    ]
    list_filter = ["channel", "is_active"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("channel"),
            FieldPanel("scopes"),
            FieldPanel("allowed_origins"),
            FieldPanel("is_active"),
        ],
        base_form_class=ApiClientForm,
    )

    @property
    def rotate_view(self):
        return self.construct_view(ApiClientRotateTokenView)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/rotate-token/", self.rotate_view, name="rotate_token"),
        ]


class WebhookSecretPanel(Panel):
    """The endpoint's signing secret, for the receiving system (after the endpoint exists)."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "channels/webhook_secret_panel.html"

        def is_shown(self):
            return bool(self.instance and self.instance.pk)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["secret"] = self.instance.secret
            context["rotate_url"] = reverse(
                "webhookendpoint:rotate_secret", args=(self.instance.pk,)
            )
            return context


def _event_labels(endpoint: WebhookEndpoint) -> str:
    return ", ".join(endpoint.events) or "-"


def _endpoint_status(endpoint: WebhookEndpoint) -> str:
    if endpoint.disabled_at and not endpoint.is_active:
        return f"{endpoint.status_label}: {endpoint.disabled_reason}"
    return endpoint.status_label


def _last_delivery(endpoint: WebhookEndpoint) -> str:
    status = getattr(endpoint, "last_delivery_status", None)
    return WebhookDelivery.Status(status).label if status else "-"


class WebhookEndpointViewSet(ModelViewSet):
    model = WebhookEndpoint
    icon = "link-external"
    menu_label = _("Webhook endpoints")
    index_view_class = WebhookEndpointIndexView
    add_view_class = WebhookEndpointCreateView
    edit_view_class = WebhookEndpointEditView
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = [
        "name",
        "url",
        "events",
        "is_active",
        "disabled_at",
        "disabled_reason",
        "consecutive_failures",
        "last_success_at",
        "created_at",
    ]
    list_display = [
        "name",
        "url",
        Column("events", label=_("Events"), accessor=_event_labels),
        StatusTagColumn(
            "status",
            label=_("Status"),
            accessor=_endpoint_status,
            primary=lambda endpoint: endpoint.is_active,
        ),
        Column("last_delivery_status", label=_("Last delivery"), accessor=_last_delivery),
        DateColumn("last_success_at", label=_("Last success")),
    ]
    list_filter = ["is_active"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("url"),
            FieldPanel("events"),
            FieldPanel("is_active"),
            WebhookSecretPanel(heading=_("Signing secret")),
        ],
        base_form_class=WebhookEndpointForm,
    )

    @property
    def rotate_secret_view(self):
        return self.construct_view(WebhookEndpointRotateSecretView)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/rotate-secret/", self.rotate_secret_view, name="rotate_secret"),
        ]


class WebhookDeliveryIndexView(IndexView):
    def get_base_queryset(self):
        # The endpoint column, in the listing's one query (a ModelViewSet ignores get_queryset).
        return super().get_base_queryset().select_related("endpoint")


class WebhookDeliveryViewSet(ReadOnlyViewSet):
    """Read-only: deliveries are made by the hub; the admin inspects and re-sends them."""

    model = WebhookDelivery
    icon = "list-ul"
    menu_label = _("Webhook deliveries")
    inspect_view_class = WebhookDeliveryInspectView
    inspect_view_fields = [
        "message_id",
        "endpoint",
        "event",
        "status",
        "attempt_count",
        "last_status_code",
        "last_attempt_at",
        "next_attempt_at",
        "created_at",
    ]
    list_display = [
        "__str__",
        "endpoint",
        StatusTagColumn(
            "status",
            label=_("Status"),
            accessor="get_status_display",
            primary=lambda delivery: delivery.status == WebhookDelivery.Status.SUCCEEDED,
        ),
        Column("attempt_count", label=_("Attempts")),
        Column("last_status_code", label=_("Last HTTP status")),
        DateColumn("next_attempt_at", label=_("Next attempt")),
        DateColumn("created_at", label=_("Created")),
    ]
    list_filter = ["endpoint", "status", "event"]
    index_view_class = WebhookDeliveryIndexView

    @property
    def resend_view(self):
        return WebhookDeliveryResendView.as_view()

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/resend/", self.resend_view, name="resend"),
        ]


class ChannelsViewSetGroup(ViewSetGroup):
    items = (ApiClientViewSet, WebhookEndpointViewSet, WebhookDeliveryViewSet)
    menu_icon = "globe"
    menu_label = _("Channels")
    menu_name = "channels"
    menu_order = 300


@hooks.register("register_admin_viewset")
def register_channels_viewsets():
    return ChannelsViewSetGroup()
