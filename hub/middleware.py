"""HTTP middleware of the hub."""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import redirect
from django.urls import reverse

from core.api.problems import problem_for_plain_error


class ApiGZipMiddleware(GZipMiddleware):
    """gzip for API responses only.

    API responses carry no secrets next to reflected input, so BREACH does not apply;
    admin pages (with CSRF tokens) stay uncompressed.
    """

    def process_response(self, request, response):
        if not request.path.startswith("/api/"):
            return response
        return super().process_response(request, response)


class ApiProblemMiddleware:
    """Every error under /api/ is application/problem+json, also those ninja never sees.

    Django answers an unknown route with its HTML 404 and ninja a method a route lacks with
    a plain-text 405: both become problem details here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/"):
            return response
        return problem_for_plain_error(request, response)


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


class RequireTwoFactorMiddleware:
    """With ``HUB_ADMIN_REQUIRE_2FA``, admin pages need a session confirmed by a code.

    A signed-in user whose session is not (no device yet, or not confirmed by one) is sent
    to the two-factor page, which enrolls or asks for a code; signing in and out, password
    reset and that page itself stay open.
    """

    OPEN = (
        "wagtailadmin_login",
        "wagtailadmin_logout",
        "wagtailadmin_password_reset",
        "hub_two_factor",
        "wagtailadmin_javascript_catalog",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.HUB_ADMIN_REQUIRE_2FA
            and request.user.is_authenticated
            and not request.user.is_verified()
            and request.path.startswith(reverse("wagtailadmin_home"))
            and not any(request.path.startswith(reverse(name)) for name in self.OPEN)
        ):
            return redirect("hub_two_factor")
        return self.get_response(request)
