"""Template tags for the hub's admin templates."""

from django import template
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.search import SearchForm

register = template.Library()


@register.simple_tag
def hub_site_name() -> str:
    """The product's name (``WAGTAIL_SITE_NAME``), for the browser tab instead of "Wagtail"."""
    return settings.WAGTAIL_SITE_NAME


@register.simple_tag
def hub_search_form():
    """The dashboard's search box, worded for what the hub's search finds."""
    return SearchForm(placeholder=_("Search products, messages, contacts, campaigns…"))
