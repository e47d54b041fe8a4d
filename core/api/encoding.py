"""JSON in and out of the API: orjson for answers, Python's parser (with reasons) for bodies."""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.http import HttpRequest
from ninja.parser import Parser
from ninja.renderers import BaseRenderer


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=str)


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
