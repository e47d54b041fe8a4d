"""Admin sign-in hardening around Wagtail's own account views.

Failed sign-ins are counted by django-axes (see ``AXES_*`` in the settings); this module
adds the lockout page's view of the world and the throttle on password reset requests.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _
from wagtail.admin.views.account import PasswordResetView

from campaigns.views import client_ip


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets (``AXES_LOCKOUT_CALLABLE``): 429, how long to wait."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "hub/lockout.html", context, status=429)


def _over_limit(key: str) -> bool:
    """Count one request under ``key``; True once the window holds more than the limit."""
    window = settings.HUB_PASSWORD_RESET_WINDOW_MINUTES * 60
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first of a new window
        cache.set(key, 1, timeout=window)
        count = 1
    return count > settings.HUB_PASSWORD_RESET_LIMIT


class ThrottledPasswordResetView(PasswordResetView):
    """Wagtail's password reset form, refusing floods from one address or at one mailbox.

    Each valid request counts against the client's address and against the e-mail address
    asked for (hashed, so the cache holds no addresses). Past either limit, no mail goes out
    and the form says to wait; it never tells whether the address has an account.
    """

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        keys = [
            f"hub:password-reset:ip:{client_ip(self.request)}",
            "hub:password-reset:email:" + hashlib.sha256(email.encode()).hexdigest(),
        ]
        # Both counters move on every request, so neither can be used to probe the other.
        refused = [_over_limit(key) for key in keys]
        if any(refused):
            form.add_error(
                None,
                _(
                    "Too many password reset requests. Please wait %(minutes)d minutes "
                    "before you try again."
                )
                % {"minutes": settings.HUB_PASSWORD_RESET_WINDOW_MINUTES},
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)
