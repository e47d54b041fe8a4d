"""Public pages, without login: confirming a double opt-in.

The link in the confirmation mail opens a page with a button; only pressing it (a POST)
confirms. Mail scanners and link previews fetch every link in a mail, so a GET never
changes anything.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from campaigns.services.consent import (
    AddressSuppressed,
    ConsentError,
    ExpiredConsentToken,
    InvalidConsentToken,
    OptedOutSinceConfirmation,
    SupersededConsentToken,
    consent_confirm,
    consent_opt_in_again,
    consent_token_opt_in,
)


def client_ip(request) -> str | None:
    """The address the request came from, as evidence.

    REMOTE_ADDR, unless it is one of HUB_TRUSTED_PROXIES: then the nearest address in
    X-Forwarded-For that is not a trusted proxy (a client can prepend anything to it).
    """
    address = request.META.get("REMOTE_ADDR")
    trusted = set(settings.HUB_TRUSTED_PROXIES)
    if address not in trusted:
        return address
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(forwarded):
        if hop and hop not in trusted:
            return hop
    return address


def _language(contact) -> str:
    return "en" if contact.language == "en" else "de"


# A forged or mangled link is "not found"; a genuine one that no longer applies is "gone".
REFUSALS = {
    InvalidConsentToken: ("invalid", 404),
    ExpiredConsentToken: ("expired", 410),
    SupersededConsentToken: ("replaced", 410),
    AddressSuppressed: ("suppressed", 410),
    OptedOutSinceConfirmation: ("opted_out", 410),
}


def _refused(request, exc: ConsentError, token: str = ""):
    reason, status = REFUSALS.get(type(exc), ("invalid", 404))
    context = {"reason": reason}
    if reason == "opted_out":
        context["again_url"] = reverse("consent:again", kwargs={"token": token})
    return TemplateResponse(request, "campaigns/consent/refused.html", context, status=status)


# No CSRF cookie: the signed token in the URL already proves the POST comes from the mail's
# link, and the page must work in browsers that refuse cookies.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def consent_confirm_view(request, token: str):
    if request.method == "POST":
        try:
            record = consent_confirm(
                token=token,
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except ConsentError as exc:
            return _refused(request, exc, token)
        return TemplateResponse(
            request,
            "campaigns/consent/confirmed.html",
            {"lang": _language(record.contact), "contact": record.contact},
        )
    try:
        record = consent_token_opt_in(token=token)
    except ConsentError as exc:
        return _refused(request, exc, token)
    return TemplateResponse(
        request,
        "campaigns/consent/confirm.html",
        {"lang": _language(record.contact), "contact": record.contact},
    )


# Like the confirmation: the signed token proves the POST comes from the person's mail.
@csrf_exempt
@never_cache
@require_POST
def consent_again_view(request, token: str):
    """Subscribe again from a used link after an opt-out: a new double opt-in, never more."""
    try:
        record = consent_opt_in_again(
            token=token,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except ConsentError as exc:
        return _refused(request, exc, token)
    if record is None:
        return redirect("consent:confirm", token=token)
    return TemplateResponse(
        request,
        "campaigns/consent/again.html",
        {"lang": _language(record.contact), "contact": record.contact},
    )
