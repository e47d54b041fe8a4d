"""The HTTP API root: mounts the apps' routers, answers every error as problem+json.

Every error answers ``application/problem+json`` (RFC 9457) with the parameter or field at
fault, never an HTML page or a bare 500. The plumbing the routers share lives in
``core.api`` (inputs, problems, encoding, throttling, paging, conditional requests); the
API-client bearer authentication in ``channels.api_auth``. Only ``hub/urls.py`` imports
this module.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from core.api.encoding import BodyNotJSON, ORJSONRenderer, ReasonedJSONParser
from core.api.problems import PROBLEM_JSON, ApiProblem, problem_response, validation_errors
from core.api.throttling import ClientRateThrottle

logger = logging.getLogger(__name__)


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
    errors = validation_errors(exc)
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


@api.exception_handler(Exception)
def _on_unexpected(request, exc):
    logger.exception("api.unexpected_error path=%s", request.path)
    return problem_response(request, 500, "The hub could not answer this request.")


def register_routers() -> None:
    from campaigns.api import router as activity_router
    from campaigns.offer_api import router as offers_router
    from campaigns.placement_api import router as placement_router
    from campaigns.visitor_api import router as shop_router
    from content.api import router as content_router

    api.add_router("/", content_router)
    api.add_router("/", activity_router)
    api.add_router("/", shop_router)
    api.add_router("/", offers_router)
    api.add_router("/", placement_router)


register_routers()
