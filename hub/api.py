"""The HTTP API root: authentication by channel API client, errors as problem+json.

Every error answers ``application/problem+json`` (RFC 9457) with the parameter or field at
fault, never an HTML page or a bare 500.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import BaseRenderer
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, field_validator

from channels.models import ApiClient
from core.tokens import hash_token
from core.validators import check_date_window

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def _iso_8601(value: Any) -> Any:
    # pydantic would read a number (or "0.5") as a Unix timestamp; the API promises ISO 8601.
    if not isinstance(value, str):
        raise ValueError(ISO_8601_HINT)
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(ISO_8601_HINT) from None
    return value


ISO_8601_HINT = "an ISO 8601 date-time with a time zone, e.g. 2026-11-23T10:00:00Z"
# The window keeps a moment convertible to UTC and to PostgreSQL, whatever its offset.
IsoDateTime = Annotated[
    AwareDatetime, BeforeValidator(_iso_8601), AfterValidator(check_date_window)
]


def storable_text(text: str) -> str:
    """The text as it can be shown back: lone surrogates written as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def storable_json(value: Any) -> Any:
    """The value, or a ValueError if any text in it is one PostgreSQL cannot store.

    PostgreSQL stores neither NUL nor lone UTF-16 surrogates in text or jsonb.
    """
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                raise ValueError("holds a NUL character (\\u0000), which is not allowed")
            if storable_text(node) != node:
                raise ValueError("holds a lone surrogate (\\ud800-\\udfff), which is no text")
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return value


class InputSchema(Schema):
    """A schema of client input: no field takes text PostgreSQL cannot store."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        # Plain texts only: nested schemas check their own fields, so the error names them.
        return storable_json(value) if isinstance(value, str) else value


class BodyNotJSON(ValueError):
    """The request body is no JSON the hub stores; the message says why."""


class ReasonedJSONParser(Parser):
    """ninja's JSON parsing, with the reason a body is refused and no 500 for deep nesting.

    Python's parser stays (it keeps integers of any size, and NaN reaches the field that
    refuses it); what it cannot read is a 400 naming why.
    """

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return json.loads(request.body)
        except RecursionError:
            raise BodyNotJSON("The body is nested too deeply.") from None
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
            raise BodyNotJSON(f"The body is not JSON: {error}") from None


class ProblemItem(Schema):
    name: str = Field(description="The query parameter, path parameter or field at fault.")
    location: str = Field(description="Where it was: query, path, header or body.")
    detail: str


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemItem] | None = None


# What every authenticated route may answer besides its success.
PROBLEMS: dict[int, Any] = {400: Problem, 401: Problem, 403: Problem, 429: Problem}


class ApiProblem(Exception):
    """Raise from a route to answer with problem details."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def bad_parameter(name: str, detail: str, *, location: str = "query") -> ApiProblem:
    return ApiProblem(
        400,
        f"{name}: {detail}",
        errors=[{"name": name, "location": location, "detail": detail}],
    )


def problem_response(
    request: HttpRequest,
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "instance": request.path,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = HttpResponse(orjson.dumps(body), status=status, content_type=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=str)


class ApiClientAuth(HttpBearer):
    """``Authorization: Bearer <token>`` of an active API client holding ``scope``."""

    openapi_description = "A channel API client's token, issued once in the admin."

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        # One indexed lookup, no ordering: this runs on every request, 304s included.
        client = next(
            iter(
                ApiClient.objects.filter(token_hash=hash_token(token), is_active=True).order_by()[
                    :1
                ]
            ),
            None,
        )
        if client is None:
            return None
        if not client.has_scope(self.scope):
            raise AuthorizationError(message=f"This API client lacks the scope {self.scope}.")
        client.touch()
        return client


class ClientRateThrottle(SimpleRateThrottle):
    """``HUB_API_RATE_LIMIT`` requests per API client in each fixed window of the period.

    One atomic counter per client and window in the cache (Redis in production, shared by
    every worker): a request costs one ``incr``, however busy the client is. ninja's own
    sliding log would read and rewrite the client's whole request history each time.
    """

    scope = "api-client"

    def __init__(self) -> None:
        super().__init__(rate=settings.HUB_API_RATE_LIMIT)
        self._waits = threading.local()  # one instance serves every thread

    def allow_request(self, request: HttpRequest) -> bool:
        client = getattr(request, "auth", None)
        if client is None:
            return True
        # Read on each request, so an operator's change applies without a restart.
        limit, period = self.parse_rate(settings.HUB_API_RATE_LIMIT)
        now = self.timer()
        window = int(now // period)
        key = f"api-rate:{client.pk}:{period}:{window}"
        try:
            count = self.cache.incr(key)
        except ValueError:  # the window's first request
            count = 1 if self.cache.add(key, 1, timeout=period + 1) else self.cache.incr(key)
        self._waits.seconds = (window + 1) * period - now
        return count <= limit

    def wait(self) -> float | None:
        """Seconds until the window ends and the client's budget is full again."""
        return getattr(self._waits, "seconds", None)


def _location_and_name(loc: list[Any]) -> tuple[str, str]:
    parts = [str(part) for part in loc]
    location = parts[0] if parts else "query"
    # ninja nests query and body schemas under their argument name: skip it.
    names = [part for part in parts[1:] if part not in {"query", "filters", "params", "batch"}]
    return location, ".".join(names) or location


def _validation_errors(exc: ValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors:
        location, name = _location_and_name(list(error.get("loc", [])))
        detail = error.get("msg", "").removeprefix("Value error, ")
        errors.append({"name": name, "location": location, "detail": detail})
    return errors


class HubAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any):
        """The schema, with error answers documented as the problem+json they are."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content")
                    if int(status) >= 400 and content and "application/json" in content:
                        response["content"] = {PROBLEM_JSON: content.pop("application/json")}
        return schema


api = HubAPI(
    title="Content & Campaign Hub API",
    version="1",
    description=(
        "Approved, live product content and audience messages for channel systems. "
        "Authenticate with `Authorization: Bearer <token>` of an API client. Errors are "
        "`application/problem+json` (RFC 9457)."
    ),
    urls_namespace="api-v1",
    renderer=ORJSONRenderer(),
    parser=ReasonedJSONParser(),
    throttle=[ClientRateThrottle()],
)


@api.exception_handler(ApiProblem)
def _on_problem(request, exc: ApiProblem):
    return problem_response(request, exc.status, exc.detail, errors=exc.errors, headers=exc.headers)


@api.exception_handler(ValidationError)
def _on_validation_error(request, exc: ValidationError):
    errors = _validation_errors(exc)
    detail = "; ".join(f"{e['name']}: {e['detail']}" for e in errors) or "Invalid request."
    return problem_response(request, 400, detail, errors=errors)


@api.exception_handler(RequestDataTooBig)
def _on_too_big(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return problem_response(request, 413, f"The request body exceeds {limit} bytes.")


@api.exception_handler(AuthenticationError)
def _on_authentication_error(request, exc):
    return problem_response(
        request,
        401,
        "Send a valid API client token as 'Authorization: Bearer <token>'.",
        headers={"WWW-Authenticate": 'Bearer realm="hub"'},
    )


@api.exception_handler(Http404)
def _on_not_found(request, exc):
    return problem_response(request, 404, str(exc) or "Not found.")


@api.exception_handler(HttpError)
def _on_http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, BodyNotJSON):  # ninja wraps the parser's error
        detail = str(exc.__cause__)
        return problem_response(
            request,
            400,
            detail,
            errors=[{"name": "body", "location": "body", "detail": detail}],
        )
    return problem_response(request, exc.status_code, str(exc))


def problem_for_plain_error(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An error answered under /api/ outside ninja's handlers, as problem+json.

    Django's 404 for an unknown route and ninja's 405 for a method a route lacks are plain
    text or HTML; the API promises problem details for every error.
    """
    content_type = response.get("Content-Type", "")
    if response.status_code < 400 or content_type.startswith(PROBLEM_JSON):
        return response
    details = {
        404: "No API route at this address; see /api/v1/docs.",
        405: f"Use one of: {response.get('Allow', '')}.",
    }
    headers = {"Allow": response["Allow"]} if response.has_header("Allow") else {}
    return problem_response(
        request, response.status_code, details.get(response.status_code), headers=headers
    )


@api.exception_handler(Exception)
def _on_unexpected(request, exc):
    logger.exception("api.unexpected_error path=%s", request.path)
    return problem_response(request, 500, "The hub could not answer this request.")


def register_routers() -> None:
    from campaigns.api import router as activity_router
    from content.api import router as content_router

    api.add_router("/", content_router)
    api.add_router("/", activity_router)


register_routers()
