"""Public tracking pages, without login: open pixel, click redirect, unsubscribe, preferences.

Each URL carries a recipient's signed delivery token (``campaigns.tracking``); a forged or
altered token, or one of a delivery that no longer exists, is "not found" and records
nothing. Mail scanners and link previews fetch every link in a mail, so a GET of the
unsubscribe page never changes anything: only its POST does (however old the mail: it
unsubscribes whoever is subscribed now), which is also what mail
clients send for one-click unsubscribe (RFC 8058, ``List-Unsubscribe=One-Click``, without
cookies), hence no CSRF check there. The preference page is an ordinary form with CSRF.

A test mail's links carry a test token instead (``campaigns.tracking.token_of_test_send``):
its pixel answers and its clicks redirect without recording anything, and its unsubscribe,
preference and survey links show a page saying it was a test and nothing was changed.
"""

from __future__ import annotations

import base64
import functools
import logging
from urllib.parse import urlsplit

from csp.decorators import csp_update
from django import forms
from django.conf import settings
from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from campaigns.models import Contact, Delivery
from campaigns.services.campaigns import CampaignError, campaign_test_web_version
from campaigns.services.consent import AddressSuppressed, recipient_language
from campaigns.services.tracking import (
    SubscriptionState,
    UnsubscribeOutcome,
    contact_preferences_save,
    subscription_state,
    tracking_click,
    tracking_open,
    tracking_resubscribe,
    tracking_unsubscribe,
)
from campaigns.topics import topic_choices, topic_keys
from campaigns.tracking import (
    TokenOfTestSend,
    delivery_id_from_token,
    delivery_id_from_web_version_token,
    link_from_token,
    read_test_send_token,
    read_web_version_token_of_test_send,
)
from campaigns.views import client_ip, public_page, request_language
from campaigns.web_version import WebVersionUnavailable, delivery_web_version

logger = logging.getLogger(__name__)

# A transparent 1x1 GIF, the smallest image every mail client shows.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
REDIRECT_SCHEMES = frozenset({"http", "https"})


def _delivery_id(token: str) -> int:
    try:
        return delivery_id_from_token(token)
    except signing.BadSignature as exc:
        raise Http404("Not a valid link.") from exc


def _test_send(token: str) -> TokenOfTestSend | None:
    """The test mail a token was made for; None for a delivery's token or a forged one."""
    try:
        return read_test_send_token(token)
    except signing.BadSignature:
        return None


def page_of_test_send(request, test: TokenOfTestSend) -> HttpResponse:
    """What a test mail's unsubscribe, preference or survey link shows: nothing was changed."""
    return _page(request, "test_send.html", {}, test.language)


def _delivery(token: str) -> Delivery:
    """The delivery a token names, with its contact (None once erased); 404 if there is none."""
    delivery = Delivery.objects.select_related("contact").filter(pk=_delivery_id(token)).first()
    if delivery is None:
        raise Http404("Not a valid link.")
    return delivery


def _page(request, template: str, context: dict, lang: str, status: int = 200) -> HttpResponse:
    # Rendered in the contact's language, so Django's own texts (form errors) match.
    return public_page(request, f"campaigns/tracking/{template}", context, lang, status)


def _friendly_not_found(view):
    """A page that says the link is not valid (status 404) instead of the bare 404."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404:
            # Nobody known: the page speaks the browser's language (else LANGUAGE_CODE).
            return _page(request, "invalid.html", {}, request_language(request), status=404)

    return wrapper


def masked_email(email: str) -> str:
    """An address as the unsubscribe page shows it: ``m***@example.com``."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else f"{local[:1]}***"


# --- open and click --------------------------------------------------------------------------


def _visitor(request) -> dict[str, str | None]:
    """Who fetched a pixel or a link: what the machine rules classify."""
    return {"ip": client_ip(request), "user_agent": request.META.get("HTTP_USER_AGENT", "")}


@require_GET
def open_pixel(request, token: str):
    if _test_send(token) is None:  # a test mail's open counts nowhere
        delivery_id = _delivery_id(token)
        try:
            tracking_open(delivery_id=delivery_id, **_visitor(request))
        except Delivery.DoesNotExist as exc:
            raise Http404("Not a valid link.") from exc
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, private"
    return response


def _redirect_target(url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.scheme.lower() in REDIRECT_SCHEMES
        and bool(parts.netloc)
        and not any(ord(char) < 32 or ord(char) == 127 for char in url)
    )


@never_cache
@_friendly_not_found
@require_GET
def click(request, token: str, link: str):
    try:
        campaign_id, url = link_from_token(link)
    except signing.BadSignature as exc:
        raise Http404("Not a valid link.") from exc
    test = _test_send(token)
    if test is not None:
        # Redirected like a recipient's click, and counted nowhere: a test is no result.
        if test.campaign_id != campaign_id or not _redirect_target(url):
            raise Http404("Not a valid link.")
        return HttpResponseRedirect(url)
    delivery_id = _delivery_id(token)
    delivery_campaign = (
        Delivery.objects.filter(pk=delivery_id).values_list("campaign_id", flat=True).first()
    )
    # A genuine link of another campaign is not a link of this message: no open redirect.
    if delivery_campaign is None or delivery_campaign != campaign_id or not _redirect_target(url):
        raise Http404("Not a valid link.")
    try:
        # A bot's click is redirected like anyone's: it is only counted apart.
        tracking_click(delivery_id=delivery_id, url=url, **_visitor(request))
    except Delivery.DoesNotExist as exc:  # deleted since the check above
        raise Http404("Not a valid link.") from exc
    return HttpResponseRedirect(url)


# --- the web version ("view in browser") ------------------------------------------------------


# A mail's images may come from anywhere the campaign's content links to (a shop's CDN).
@csp_update({"img-src": ["https:"]})
@never_cache
@_friendly_not_found
@require_GET
def web_version(request, token: str):
    """The message one recipient received, in the browser; its own token, nobody else's mail."""
    try:
        test = read_web_version_token_of_test_send(token)
    except signing.BadSignature:
        test = None
    if test is not None:
        try:
            html = campaign_test_web_version(test=test)
        except CampaignError as exc:
            raise Http404("No web version.") from exc
    else:
        try:
            delivery_id = delivery_id_from_web_version_token(token)
        except signing.BadSignature as exc:
            raise Http404("Not a valid link.") from exc
        delivery = (
            Delivery.objects.select_related("campaign", "contact__account")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            raise Http404("Not a valid link.")
        if delivery.contact is None:
            return _page(request, "removed.html", {}, settings.LANGUAGE_CODE)
        try:
            html = delivery_web_version(delivery=delivery)
        except WebVersionUnavailable as exc:
            raise Http404("No web version.") from exc
    # The message's own line ends are CRLF (as mail requires); a web page has plain ones.
    response = HttpResponse(html.replace("\r\n", "\n"))
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The address carries the recipient's token: never pass it on to the links' targets.
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- unsubscribe -----------------------------------------------------------------------------


# No CSRF check: mail clients POST one-click unsubscribes without cookies (RFC 8058), and the
# signed token in the URL already proves the request comes from the mail.
@csrf_exempt
@never_cache
@_friendly_not_found
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    test = _test_send(token)
    if test is not None:
        return page_of_test_send(request, test)
    delivery = _delivery(token)
    contact = delivery.contact
    lang = recipient_language(contact)
    if contact is None:
        return _page(request, "removed.html", {}, lang)
    links = _links(token)
    email = masked_email(contact.email)
    if request.method == "POST":
        try:
            outcome = tracking_unsubscribe(
                delivery_id=delivery.pk,
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except Delivery.DoesNotExist as exc:  # deleted since it was read
            raise Http404("Not a valid link.") from exc
        if outcome is UnsubscribeOutcome.REMOVED:  # erased since it was read
            return _page(request, "removed.html", {}, lang)
        contact.refresh_from_db()
        return _page(
            request,
            "unsubscribed.html",
            {
                **links,
                "email": email,
                "outcome": outcome.value,
                "state": subscription_state(contact),
            },
            lang,
        )
    state = subscription_state(contact)
    if state != SubscriptionState.SUBSCRIBED:
        return _page(
            request,
            "unsubscribed.html",
            {**links, "email": email, "state": state},
            lang,
        )
    return _page(request, "unsubscribe.html", {**links, "email": email}, lang)


def _links(token: str) -> dict[str, str]:
    """The public pages of one recipient's mail, for links and forms between them."""
    return {
        name: reverse(f"tracking:{name.removesuffix('_url')}", kwargs={"token": token})
        for name in ("unsubscribe_url", "preferences_url", "resubscribe_url")
    }


# Like the one-click unsubscribe: the signed token proves the POST comes from the mail.
@csrf_exempt
@never_cache
@_friendly_not_found
@require_http_methods(["POST"])
def resubscribe(request, token: str):
    """Subscribe again after unsubscribing: a new double opt-in (a confirmation mail)."""
    test = _test_send(token)
    if test is not None:
        return page_of_test_send(request, test)
    delivery = _delivery(token)
    contact = delivery.contact
    lang = recipient_language(contact)
    if contact is None:
        return _page(request, "removed.html", {}, lang)
    try:
        asked = tracking_resubscribe(
            contact=contact,
            campaign_id=delivery.campaign_id,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except AddressSuppressed:
        asked = False
    if not asked:  # subscribed already, or an address only the team can unblock
        return HttpResponseRedirect(_links(token)["unsubscribe_url"])
    return public_page(
        request,
        "campaigns/consent/again.html",
        {"email": masked_email(contact.email)},
        lang,
    )


# --- preferences -----------------------------------------------------------------------------


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(choices=())
    topics = forms.MultipleChoiceField(
        choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read per form, not at import: the choices are settings.
        self.fields["language"].choices = settings.LANGUAGES
        # Labels resolve when shown: in the language the page is rendered in.
        self.fields["topics"].choices = topic_choices()

    @classmethod
    def for_contact(cls, contact: Contact) -> PreferencesForm:
        declined = set(contact.declined_topics or ())
        return cls(
            initial={
                "language": contact.language,
                "topics": [key for key in topic_keys() if key not in declined],
            }
        )

    def declined_topics(self) -> list[str]:
        wanted = set(self.cleaned_data["topics"])
        return sorted(key for key in topic_keys() if key not in wanted)


@never_cache
@_friendly_not_found
@ensure_csrf_cookie
@csrf_protect
@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    test = _test_send(token)
    if test is not None:
        return page_of_test_send(request, test)
    delivery = _delivery(token)
    contact = delivery.contact
    lang = recipient_language(contact)
    if contact is None:
        return _page(request, "removed.html", {}, lang)
    context = {
        **_links(token),
        "email": masked_email(contact.email),
        "state": subscription_state(contact),
    }
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            contact = contact_preferences_save(
                contact=contact,
                language=form.cleaned_data["language"],
                declined_topics=form.declined_topics(),
            )
            return _page(
                request,
                "preferences.html",
                {**context, "form": PreferencesForm.for_contact(contact), "saved": True},
                recipient_language(contact),
            )
        return _page(request, "preferences.html", {**context, "form": form}, lang)
    form = PreferencesForm.for_contact(contact)
    return _page(request, "preferences.html", {**context, "form": form}, lang)
