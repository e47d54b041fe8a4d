"""Template tags for the hub's admin templates."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def hub_site_name() -> str:
    """The product's name (``WAGTAIL_SITE_NAME``), for the browser tab instead of "Wagtail"."""
    return settings.WAGTAIL_SITE_NAME
