"""Client input the hub can store: texts without NUL or lone surrogates, ISO 8601 moments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, field_validator

from core.validators import check_date_window

ISO_8601_HINT = "an ISO 8601 date-time with a time zone, e.g. 2026-11-23T10:00:00Z"


def _iso_8601(value: Any) -> Any:
    # pydantic would read a number (or "0.5") as a Unix timestamp; the API promises ISO 8601.
    if not isinstance(value, str):
        raise ValueError(ISO_8601_HINT)
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(ISO_8601_HINT) from None
    return value


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
