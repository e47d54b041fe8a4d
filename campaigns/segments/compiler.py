"""A rule tree compiled to one Q over Contact, so counting a segment is one SQL query."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from .cleaning import clean_rules
from .conditions import CompileContext
from .fields import FIELDS


def compile_rules(rules: Any, *, now: dt.datetime) -> Q:
    """A filter over Contact matching exactly the contacts the rule tree describes."""
    return _compile_node(clean_rules(rules), CompileContext(now=now))


def _compile_node(node: dict, ctx: CompileContext) -> Q:
    if "field" in node:
        operator = FIELDS[node["field"]].operators[node["operator"]]
        q = operator.compile(node["value"], ctx)
    elif not node["rules"]:
        # Explicit always-true / always-false terms: Q() would not negate.
        q = Q(pk__isnull=False) if node["op"] == "and" else Q(pk__isnull=True)
    else:
        children = [_compile_node(child, ctx) for child in node["rules"]]
        q = children[0]
        for child in children[1:]:
            q = (q & child) if node["op"] == "and" else (q | child)
    return ~q if node.get("negate") else q
