"""Errors as RFC 9457 problem details (``application/problem+json``), with the field at fault.

Routes raise ``ApiProblem`` (or ``bad_parameter``); the API root turns it, and every other
error, into a problem response.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from ninja import Schema
from ninja.errors import ValidationError
from pydantic import Field

PROBLEM_JSON = "application/problem+json"


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


def _location_and_name(loc: list[Any]) -> tuple[str, str]:
    parts = [str(part) for part in loc]
    location = parts[0] if parts else "query"
    # ninja nests query and body schemas under their argument name: skip it.
    names = [part for part in parts[1:] if part not in {"query", "filters", "params", "batch"}]
    return location, ".".join(names) or location


def validation_errors(exc: ValidationError) -> list[dict[str, str]]:
    """ninja's validation errors as problem items: name, location, detail."""
    errors = []
    for error in exc.errors:
        location, name = _location_and_name(list(error.get("loc", [])))
        detail = error.get("msg", "").removeprefix("Value error, ")
        errors.append({"name": name, "location": location, "detail": detail})
    return errors


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
