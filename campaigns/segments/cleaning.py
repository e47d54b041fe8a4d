"""Validation of a whole rule tree: groups, conditions, limits, and the normalised result."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from .fields import FIELDS
from .parsing import RuleError, _join, check_plain_json

MAX_DEPTH = 6
MAX_CONDITIONS = 100


def _clean_node(node: Any, path: str, depth: int, counter: list[int]) -> dict:
    if not isinstance(node, dict):
        raise RuleError(path, "give a group or a condition (an object)")
    if "field" in node or "operator" in node:
        return _clean_condition(node, path, counter)
    return _clean_group(node, path, depth, counter)


def _clean_group(node: dict, path: str, depth: int, counter: list[int]) -> dict:
    unknown = sorted(set(node) - {"op", "rules", "negate"})
    if unknown:
        raise RuleError(_join(path, unknown[0]), "unknown key; a group has op, rules, negate")
    op = node.get("op", "and")
    if op not in ("and", "or"):
        raise RuleError(_join(path, "op"), f"{op!r} is not allowed; use and, or")
    if depth > MAX_DEPTH:
        raise RuleError(path, f"groups nest at most {MAX_DEPTH} deep")
    children = node.get("rules", [])
    if not isinstance(children, list):
        raise RuleError(_join(path, "rules"), "give a list")
    negate = node.get("negate", False)
    if not isinstance(negate, bool):
        raise RuleError(_join(path, "negate"), "give true or false")
    cleaned = {
        "op": op,
        "rules": [
            _clean_node(child, f"{_join(path, 'rules')}[{index}]", depth + 1, counter)
            for index, child in enumerate(children)
        ],
    }
    if negate:
        cleaned["negate"] = True
    return cleaned


def _clean_condition(node: dict, path: str, counter: list[int]) -> dict:
    unknown = sorted(set(node) - {"field", "operator", "value"})
    if unknown:
        raise RuleError(
            _join(path, unknown[0]), "unknown key; a condition has field, operator, value"
        )
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise RuleError(path, f"a tree holds at most {MAX_CONDITIONS} conditions")
    name = node.get("field")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise RuleError(_join(path, "field"), f"{name!r} is not allowed; use {', '.join(FIELDS)}")
    operator = node.get("operator")
    if not isinstance(operator, str) or operator not in spec.operators:
        raise RuleError(
            _join(path, "operator"),
            f"{operator!r} is not allowed for field {name!r}; use {', '.join(spec.operators)}",
        )
    value = spec.operators[operator].clean(node.get("value"), _join(path, "value"))
    return {"field": name, "operator": operator, "value": value}


def clean_rules(rules: Any) -> dict:
    """The rule tree validated and normalised (defaults filled, lists sorted).

    Raises a ValidationError whose message names the place in the tree at fault.
    """
    if rules in (None, {}):
        rules = {"op": "and", "rules": []}
    try:
        check_plain_json(rules)
        return _clean_node(rules, "", 1, [0])
    except RuleError as error:
        raise ValidationError(str(error), code="invalid_rule") from None
