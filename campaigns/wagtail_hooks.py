"""Admin registration for the audience: one menu group, viewsets from ``campaigns.viewsets``."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from .viewsets.audience import AccountViewSet, ContactViewSet

AUDIENCE_VIEWSETS = [AccountViewSet, ContactViewSet]


class AudienceViewSetGroup(ViewSetGroup):
    items = AUDIENCE_VIEWSETS
    menu_icon = "group"
    menu_label = _("Audience")
    menu_name = "audience"
    menu_order = 250


@hooks.register("register_admin_viewset")
def register_audience_viewsets():
    return AudienceViewSetGroup()
