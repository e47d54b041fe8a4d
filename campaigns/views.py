"""Public pages, without login: confirming a double opt-in.

The link in the confirmation mail opens a page with a button; only pressing it (a POST)
confirms. Mail scanners and link previews fetch every link in a mail, so a GET never
changes anything.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
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
    consent_token_contact,
    consent_token_opt_in,
    recipient_language,
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


# A forged or mangled link is "not found"; a genuine one that no longer applies is "gone".
REFUSALS = {
    InvalidConsentToken: ("invalid", 404),
    ExpiredConsentToken: ("expired", 410),
    SupersededConsentToken: ("replaced", 410),
    AddressSuppressed: ("suppressed", 410),
    OptedOutSinceConfirmation: ("opted_out", 410),
}


def request_language(request) -> str:
    """The language of a page for nobody known (a forged link): the browser's, if we speak it."""
    return translation.get_language_from_request(request)


def public_page(request, template: str, context: dict, language: str, status: int = 200):
    """A public page rendered in ``language`` (its texts, Django's own, ``<html lang>``)."""
    with translation.override(language):
        return render(request, template, context, status=status)


def _refused(request, exc: ConsentError, token: str = ""):
    reason, status = REFUSALS.get(type(exc), ("invalid", 404))
    context = {"reason": reason}
    if reason == "opted_out":
        context["again_url"] = reverse("consent:again", kwargs={"token": token})
    # A genuine link that no longer applies still names its contact: their language.
    contact = consent_token_contact(token=token) if reason != "invalid" else None
    language = recipient_language(contact) if contact is not None else request_language(request)
    return public_page(request, "campaigns/consent/refused.html", context, language, status)


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
        return public_page(
            request,
            "campaigns/consent/confirmed.html",
            {"contact": record.contact},
            recipient_language(record.contact),
        )
    try:
        record = consent_token_opt_in(token=token)
    except ConsentError as exc:
        return _refused(request, exc, token)
    return public_page(
        request,
        "campaigns/consent/confirm.html",
        {"contact": record.contact},
        recipient_language(record.contact),
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
    return public_page(
        request,
        "campaigns/consent/again.html",
        {"email": record.contact.email},
        recipient_language(record.contact),
    )
