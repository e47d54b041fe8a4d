"""Optional TOTP two-factor sign-in for the admin (django-otp).

A user enrolls an authenticator app on the admin's "Two-factor sign-in" page; from then on
the sign-in form wants a current code besides the password. Users without a device sign
in as before, unless ``HUB_ADMIN_REQUIRE_2FA`` sends them to enroll first
(``hub.middleware.RequireTwoFactorMiddleware``).
"""

from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.admin import messages
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

DEVICE_NAME = "Authenticator app"


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


class LoginForm(WagtailLoginForm):
    """Wagtail's sign-in form with a code field, required once the user has a device.

    The password is checked first; a missing or wrong code then fails the sign-in like a
    wrong password, and counts towards the lockout (django-axes) the same way.
    """

    otp_token = forms.CharField(
        label=gettext_lazy("Two-factor code"),
        help_text=gettext_lazy("Only if you have set up two-factor sign-in."),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        device = confirmed_device(user)
        if device is None:
            return cleaned
        token = (cleaned.get("otp_token") or "").strip()
        if token and device.verify_token(token):
            user.otp_device = device  # django_otp marks the session verified on login
            return cleaned
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=self.request
        )
        if not token:
            raise forms.ValidationError(
                _("Enter the code from your authenticator app."), code="otp_required"
            )
        raise forms.ValidationError(
            _("That two-factor code is not valid. Please try again."), code="otp_invalid"
        )


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def two_factor_enroll(*, user, token: str) -> TOTPDevice | None:
    """Confirm the user's pending device if ``token`` is a current code of it.

    Returns the confirmed device, or None (nothing changes) for a wrong code.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None or not device.verify_token(token):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        return device


def two_factor_disable(*, user, token: str) -> bool:
    """Remove the user's devices if ``token`` is a current code; False changes nothing."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None or not device.verify_token(token):
            return False
        TOTPDevice.objects.filter(user=user).delete()
        return True


def qr_code_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@require_http_methods(["GET", "POST"])
def two_factor_view(request):
    """Enroll a device, confirm a session with a code, or turn two-factor sign-in off."""
    user = request.user
    device = confirmed_device(user)
    form = CodeForm(request.POST or None)
    action = request.POST.get("action")
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["otp_token"].strip()
        if device is None and action == "enroll":
            enrolled = two_factor_enroll(user=user, token=token)
            if enrolled is not None:
                otp_login(request, enrolled)
                messages.success(request, _("Two-factor sign-in is on."))
                return redirect("wagtailadmin_home")
        elif device is not None and action == "verify":
            if device.verify_token(token):
                otp_login(request, device)
                return redirect("wagtailadmin_home")
        elif (
            device is not None
            and action == "disable"
            and not settings.HUB_ADMIN_REQUIRE_2FA
            and two_factor_disable(user=user, token=token)
        ):
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("hub_two_factor")
        form.add_error("otp_token", _("That code is not valid. Please try again."))

    context = {"form": form, "device": device, "required": settings.HUB_ADMIN_REQUIRE_2FA}
    if device is None:
        pending, _created = TOTPDevice.objects.get_or_create(
            user=user, confirmed=False, defaults={"name": DEVICE_NAME}
        )
        context.update(
            secret=b32encode(pending.bin_key).decode(),
            uri=pending.config_url,
            qr_code=qr_code_svg(pending.config_url),
        )
    else:
        context["verified"] = user.is_verified()
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "hub/two_factor.html", context, status=status)
