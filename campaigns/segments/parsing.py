"""Plain JSON: what any rule tree must be before its rules are read, and the editor's parser."""

from __future__ import annotations

import json
import math
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A tree of MAX_DEPTH groups (``cleaning``) is about 16 JSON levels deep; anything far
# deeper is no tree.
MAX_JSON_DEPTH = 32
# Whole numbers and amounts in rules stay well inside what SQL columns and Decimal hold.
MAX_NUMBER = 10**15


class RuleError(Exception):
    """One problem at one place of the tree; collected into a ValidationError."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check_text(text: str, path: str) -> None:
    # PostgreSQL stores neither NUL nor unpaired UTF-16 halves, in text or in jsonb.
    if "\x00" in text:
        raise RuleError(path, "holds a NUL character (\\u0000), which is not allowed")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RuleError(
            path, "holds a lone surrogate (\\ud800-\\udfff), which is no text"
        ) from None


def check_plain_json(value: Any, path: str = "") -> None:
    """Refuse what no database column holds: deep nesting, NaN, huge numbers, broken text.

    Walks the value without recursion, so no nesting makes it fail on its own.
    """
    stack = [(value, path, 1)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise RuleError(where, f"nested more than {MAX_JSON_DEPTH} levels deep")
        if isinstance(node, dict):
            for key, child in node.items():
                if not isinstance(key, str):
                    raise RuleError(where, "object keys must be texts")
                _check_text(key, where)
                stack.append((child, _join(where, key), depth + 1))
        elif isinstance(node, list):
            stack.extend(
                (child, f"{where}[{index}]", depth + 1) for index, child in enumerate(node)
            )
        elif isinstance(node, str):
            _check_text(node, where)
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int | float):
            if not math.isfinite(node):
                raise RuleError(where, "give a finite number, not NaN or Infinity")
            if abs(node) > MAX_NUMBER:
                raise RuleError(where, f"numbers must lie between -{MAX_NUMBER} and {MAX_NUMBER}")
        else:
            raise RuleError(where, f"{type(node).__name__} is not plain JSON")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_rules_json(text: str | bytes) -> Any:
    """Parse a rule editor's JSON; a ValidationError says what is wrong with it.

    NaN and Infinity (which Python's parser accepts) are refused, and so is anything
    ``check_plain_json`` refuses.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValidationError(_("The JSON is nested too deeply."), code="invalid_json") from None
    except json.JSONDecodeError as error:
        raise ValidationError(
            _("This is not JSON: %(reason)s (line %(line)s, column %(column)s)."),
            code="invalid_json",
            params={"reason": error.msg, "line": error.lineno, "column": error.colno},
        ) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationError(
            _("This is not JSON: %(reason)s."), code="invalid_json", params={"reason": error}
        ) from None
    try:
        check_plain_json(value)
    except RuleError as error:
        raise ValidationError(str(error), code="invalid_json") from None
    return value
