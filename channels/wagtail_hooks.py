"""Admin registration for channel integration: API clients (and webhooks)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from .forms import ApiClientForm
from .models import ApiClient
from .views import ApiClientCreateView, ApiClientRotateTokenView


class ApiClientViewSet(ModelViewSet):
    model = ApiClient
    icon = "key"
    menu_label = _("API clients")
    add_view_class = ApiClientCreateView
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
        [FieldPanel("name"), FieldPanel("channel"), FieldPanel("scopes"), FieldPanel("is_active")],
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


class ChannelsViewSetGroup(ViewSetGroup):
    items = (ApiClientViewSet,)
    menu_icon = "globe"
    menu_label = _("Channels")
    menu_name = "channels"
    menu_order = 300


@hooks.register("register_admin_viewset")
def register_channels_viewsets():
    return ChannelsViewSetGroup()
