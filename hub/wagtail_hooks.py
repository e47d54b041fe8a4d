"""Admin registration of the hub's own account pages."""

from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from hub.admin_search import HubSearchArea, admin_search_view
from hub.dashboards import panels_for
from hub.two_factor import two_factor_view


@hooks.register("register_admin_urls")
def register_two_factor_url():
    # Wagtail wraps these in its admin-access check: every signed-in admin user, for
    # their own account only.
    return [path("two-factor/", two_factor_view, name="hub_two_factor")]


@hooks.register("register_account_menu_item")
def register_two_factor_menu_item(request):
    return {
        "url": reverse("hub_two_factor"),
        "label": _("Two-factor sign-in"),
        "help_text": _("Ask for a code from an authenticator app when you sign in."),
    }


@hooks.register("insert_global_admin_js")
def load_js_catalog():
    return format_html('<script src="{}"></script>', reverse("hub_javascript_catalog"))


@hooks.register("register_admin_urls")
def register_search_url():
    return [path("search/", admin_search_view, name="hub_admin_search")]


@hooks.register("register_admin_search_area")
def register_hub_search_area():
    return HubSearchArea()


@hooks.register("construct_homepage_panels")
def add_role_panels(request, panels):
    panels.extend(panels_for(request.user))
