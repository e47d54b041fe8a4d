"""HTTP middleware of the hub."""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.middleware.gzip import GZipMiddleware
from django.urls import reverse


class ApiGZipMiddleware(GZipMiddleware):
    """gzip for API responses only.

    API responses carry no secrets next to reflected input, so BREACH does not apply;
    admin pages (with CSRF tokens) stay uncompressed.
    """

    def process_response(self, request, response):
        if not request.path.startswith("/api/"):
            return response
        return super().process_response(request, response)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (``CONTENT_SECURITY_POLICY``), loosened for Wagtail's admin only.

    Wagtail's own admin templates print small inline scripts (date pickers, inline panels),
    so admin pages also allow 'unsafe-inline' scripts; every other page keeps scripts to
    the hub's static files.
    """

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if request.path.startswith(reverse("wagtailadmin_home")):
            parts.update = {**(parts.update or {}), "script-src": [UNSAFE_INLINE]}
        return parts
