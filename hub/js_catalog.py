"""The apps' JavaScript strings (djangojs catalogues), in the user's preferred admin language
as Wagtail's own catalogue is.

Like Wagtail's ``jsi18n/``, it needs no sign-in: the admin's sign-in page loads it too, and
it holds only the apps' interface strings. Served from the hub itself, so the CSP's 'self'
covers it.
"""

from django.views.i18n import JavaScriptCatalog
from wagtail.admin.localization import get_localized_response

_js_catalog = JavaScriptCatalog.as_view(packages=["campaigns"])


def js_catalog_view(request, *args, **kwargs):
    return get_localized_response(_js_catalog, request, *args, **kwargs)
