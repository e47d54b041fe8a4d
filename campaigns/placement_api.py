"""A shop's placements: what to show a visitor in a named slot of its pages.

Two ways in. A shop's server sends its bearer token (scope ``placements:read``) and the
visitor token (``X-Visitor-Token``). A shop's page (the JavaScript snippet) sends only the
visitor token: the API client is the one the token was issued to, and the page's origin
must be one of that client's ``allowed_origins``; the answer then carries the CORS headers
for that origin, and a preflight is answered for the origins of any active client.

The answer is the rendered variant shared by every visitor of it (cached under the content
version), personalised per request with the visitor's delivery token and offers; its ETag
covers exactly that, so a shop revalidates cheaply.
"""

from __future__ import annotations

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from ninja import Router
from ninja.security import APIKeyHeader

from campaigns.placements.serving import UnknownSlot, placement_serve
from campaigns.visitor_api import VISITOR_HEADER, VisitorAuth, _unauthorised
from campaigns.visitors import Visitor, VisitorTokenError, visitor_token_client, visitor_token_read
from channels.models import ApiClient, Scope
from channels.registry import get_channel
from core.api.conditional import etag_for
from core.api.problems import PROBLEMS, ApiProblem, Problem, bad_parameter

router = Router(tags=["shop"])

MAX_AGE = 60
LANGUAGES = {code for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES}
FORMATS = ("json", "html")
VARY = f"Authorization, {VISITOR_HEADER}, Origin"
PREFLIGHT_MAX_AGE = 600


def _origins(client: ApiClient) -> set[str]:
    return {
        line.strip().rstrip("/") for line in client.allowed_origins.splitlines() if line.strip()
    }


class BrowserVisitorAuth(APIKeyHeader):
    """The visitor token alone, from a page of one of its API client's allowed origins."""

    param_name = VISITOR_HEADER
    openapi_description = (
        f"From a shop's page: the visitor token alone in {VISITOR_HEADER}; the page's Origin "
        "must be among the allowed origins of the API client the token was issued to."
    )

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiClient | None:
        if not key:
            return None
        origin = request.headers.get("Origin", "")
        try:
            client_id = visitor_token_client(key)
        except VisitorTokenError:
            raise _unauthorised(
                "The visitor token is invalid: not issued by this hub to an API client."
            ) from None
        client = ApiClient.objects.filter(pk=client_id, is_active=True).order_by().first()
        if client is None or not client.has_scope(Scope.PLACEMENTS_READ):
            raise _unauthorised("The visitor token's API client may not read placements.")
        if not origin or origin.rstrip("/") not in _origins(client):
            raise ApiProblem(
                403, "This page's origin may not call the placement API: send a bearer token."
            )
        try:
            request.visitor = visitor_token_read(key, client_id=client.pk)
        except VisitorTokenError as error:
            if error.reason == "expired":
                raise _unauthorised("The visitor token has expired; ask for a new one.") from None
            raise _unauthorised("The visitor token is invalid.") from None
        request.cors_origin = origin
        return client


def _wants_html(request: HttpRequest, format_: str | None) -> bool:
    if format_:
        return format_ == "html"
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "application/json" not in accept


@router.get(
    "/placements/{slot}",
    auth=[VisitorAuth(Scope.PLACEMENTS_READ), BrowserVisitorAuth()],
    response={200: dict, 304: None, 401: Problem, 403: Problem, 404: Problem, **PROBLEMS},
    summary="What to show the visitor in a slot of the shop's pages",
    operation_id="placement_for_visitor",
)
def placement_for_visitor(
    request: HttpRequest, slot: str, locale: str | None = None, format: str | None = None
):
    """The campaign content for the visitor's segment in ``slot``, else the slot's default,
    else an empty answer (``source: "none"``): the shop keeps its own content then.

    ``locale``: the page's language (default: the visitor's). ``format``: ``json`` (the
    default) or ``html`` (a fragment; also for ``Accept: text/html``). The answer's
    ``impression_url`` is loaded when the content is shown; its links are tracked.
    """
    unknown = sorted(set(request.GET) - {"locale", "format"})
    if unknown:
        raise bad_parameter(unknown[0], "Unknown parameter.")
    if locale is not None and locale not in LANGUAGES:
        raise bad_parameter("locale", f"Not a content language: {', '.join(sorted(LANGUAGES))}.")
    if format is not None and format not in FORMATS:
        raise bad_parameter("format", "Give json or html.")
    client: ApiClient = request.auth
    visitor: Visitor = request.visitor
    try:
        served = placement_serve(
            channel_key=client.channel,
            slot=slot,
            contact_id=visitor.contact_id,
            price_group=visitor.price_group,
            locale=locale or "",
        )
    except UnknownSlot:
        raise ApiProblem(
            404,
            f"No slot {slot!r} on this shop's pages.",
            errors=[{"name": "slot", "location": "path", "detail": "Unknown slot."}],
        ) from None
    html = _wants_html(request, format)
    etag = etag_for(
        "placement", served.cache_key, served.visitor.token, served.visitor.offers, html
    )
    response = get_conditional_response(request, etag=etag)
    if response is None:
        data, fragment = get_channel(client.channel).personalise_placement(
            served.rendered, served.visitor
        )
        if html:
            response = HttpResponse(fragment, content_type="text/html; charset=utf-8")
        else:
            response = HttpResponse(orjson.dumps(data), content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = f"private, max-age={MAX_AGE}"
    response["Vary"] = VARY
    origin = getattr(request, "cors_origin", "")
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = "ETag"
    return response


def _origin_allowed_anywhere(origin: str) -> bool:
    origin = origin.rstrip("/")
    for client in ApiClient.objects.filter(is_active=True).only("allowed_origins", "scopes"):
        if client.has_scope(Scope.PLACEMENTS_READ) and origin in _origins(client):
            return True
    return False


@router.api_operation(
    ["OPTIONS"],
    "/placements/{slot}",
    auth=None,
    response={204: None, 403: Problem},
    summary="CORS preflight for the placement API",
    operation_id="placement_preflight",
    include_in_schema=False,
)
def placement_preflight(request: HttpRequest, slot: str):
    """Allows the visitor-token header from the origins active shops allow; which client a
    request belongs to is only known from its token, on the request itself."""
    origin = request.headers.get("Origin", "")
    if not origin or not _origin_allowed_anywhere(origin):
        raise ApiProblem(403, "This origin may not call the placement API.")
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = "GET, OPTIONS"
    response["Access-Control-Allow-Headers"] = VISITOR_HEADER
    response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    response["Vary"] = "Origin"
    return response
