"""The segment rule language: validation, the SQL compiler and a plain-Python evaluator.

A rule tree is JSON, the same for segments (``Segment.rules``) and journey rules
(``JourneyRule.conditions``)::

    group:     {"op": "and" | "or", "rules": [node, ...], "negate": false}
    condition: {"field": "role", "operator": "in", "value": ["buyer", "user"]}

An empty "and" group matches every contact, an empty "or" group none. Fields and their
operators come from one allow-list (``FIELDS``); anything else is a ``ValidationError``
naming the place in the tree, e.g. ``rules[1].rules[0].operator: 'like' is not allowed for
field 'role'; use in, not_in``. Nothing from the tree reaches SQL except as a parameter.

``compile_rules`` turns a tree into one ``Q`` over ``Contact`` built from ``Exists`` and
``pk IN (subquery)`` terms, so ``.count()`` is one SQL query. ``evaluate_rules``
(``segment_evaluator``) answers the same question for one contact's facts in plain
Python; it is written separately from the compiler on purpose: the property test holds
the two to the same answers.

Conditions (``D`` days are counted back from ``now``; a window includes its start):

- ``role``, ``phase``, ``language``, ``consent``: ``in`` / ``not_in`` a list of choices.
- ``account.industry``, ``account.country``, ``account.size_class``,
  ``account.price_group``: ``in`` / ``not_in`` a list of strings. A contact without an
  account never matches ``in`` and always matches ``not_in``.
- ``event``: ``has`` / ``has_not`` with ``{"kind", "min_count" (1), "within_days", "sku",
  "category"}``: at least (``has``) or fewer than (``has_not``) ``min_count`` events of that
  kind. ``category`` is a category slug and includes its subtree: an event matches when its
  category is in the subtree or its SKU is a product in the subtree.
- ``order_count``, ``revenue``: ``gte`` / ``lte`` / ``between`` with ``{"value": n or
  [lo, hi], "within_days"}``, over the contact's orders (none count as 0).
- ``last_order``: ``before`` / ``after`` an ISO date from 1900 to 2999 (the day itself
  excluded, in ``TIME_ZONE``), ``within_days`` / ``not_within_days`` N. All need at least one order.
- ``cart_abandoned_without_order``: ``is`` with ``{"within_days"}``: a cart was abandoned
  (in the window) and the contact placed no order at or after that moment.
- ``viewed_not_bought``: ``is`` with ``{"within_days", "sku", "category"}``: a product
  viewed in the window that no order of the contact placed since the window's start contains.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.translation import gettext_lazy as _

from content.selectors import category_exists, category_subtree, skus_in_categories
from content.taxonomy import BuyingRole, JourneyPhase
from core.validators import DATE_WINDOW_HINT, in_date_window

from .models import (
    Account,
    ConsentState,
    Event,
    EventKind,
    Order,
    OrderLine,
    SizeClass,
)

MAX_DEPTH = 6
MAX_CONDITIONS = 100
MAX_DAYS = 36_500
# A tree of MAX_DEPTH groups is about 16 JSON levels deep; anything far deeper is no tree.
MAX_JSON_DEPTH = 32
# Whole numbers and amounts in rules stay well inside what SQL columns and Decimal hold.
MAX_NUMBER = 10**15
MAX_AMOUNT = Decimal("999999999999.99")


class RuleError(Exception):
    """One problem at one place of the tree; collected into a ValidationError."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --- plain JSON: what any tree must be before its rules are read -------------------------------


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


# --- value validators: take the raw JSON value and a path, return the cleaned value ------------


def _choices(choices: Iterable[tuple[str, Any]]) -> Callable[[Any, str], list[str]]:
    allowed = [value for value, _label in choices if value]

    def clean(value: Any, path: str) -> list[str]:
        if not isinstance(value, list) or not value:
            raise RuleError(path, "give a non-empty list")
        for index, item in enumerate(value):
            if item not in allowed:
                raise RuleError(f"{path}[{index}]", f"{item!r} is not one of {', '.join(allowed)}")
        return sorted(set(value))

    return clean


def _strings(*, upper: bool = False, length: int | None = None) -> Callable[[Any, str], list]:
    def clean(value: Any, path: str) -> list[str]:
        if not isinstance(value, list) or not value:
            raise RuleError(path, "give a non-empty list")
        cleaned = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise RuleError(f"{path}[{index}]", "give a non-empty text")
            item = item.strip().upper() if upper else item.strip()
            if length is not None and len(item) != length:
                raise RuleError(f"{path}[{index}]", f"{item!r} must have {length} letters")
            cleaned.append(item)
        return sorted(set(cleaned))

    return clean


def _int(value: Any, path: str, *, minimum: int, maximum: int = 10**9) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(path, f"give a whole number, not {value!r}")
    if not minimum <= value <= maximum:
        raise RuleError(path, f"must be between {minimum} and {maximum}")
    return value


def _days(value: Any, path: str) -> int:
    return _int(value, path, minimum=1, maximum=MAX_DAYS)


def _text(value: Any, path: str, max_length: int = 100) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise RuleError(path, f"give a text of 1 to {max_length} characters")
    return value.strip()


def _category(value: Any, path: str) -> str:
    slug = _text(value, path)
    if not category_exists(slug):
        raise RuleError(path, f"no category with slug {slug!r}")
    return slug


def _object(value: Any, path: str, keys: dict[str, tuple[bool, Callable]]) -> dict:
    """A JSON object with known keys: (required, cleaner) each; unknown keys are errors."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise RuleError(path, "give an object")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise RuleError(
            _join(path, unknown[0]), f"unknown key; use {', '.join(sorted(keys)) or 'none'}"
        )
    cleaned = {}
    for key, (required, cleaner) in keys.items():
        if value.get(key) is None:
            if required:
                raise RuleError(_join(path, key), "is required")
            continue
        cleaned[key] = cleaner(value[key], _join(path, key))
    return cleaned


def _event_kind(value: Any, path: str) -> str:
    if value not in EventKind.values:
        raise RuleError(path, f"{value!r} is not one of {', '.join(EventKind.values)}")
    return value


def _clean_event(value: Any, path: str) -> dict:
    cleaned = _object(
        value,
        path,
        {
            "kind": (True, _event_kind),
            "min_count": (False, lambda v, p: _int(v, p, minimum=1, maximum=10_000)),
            "within_days": (False, _days),
            "sku": (False, _text),
            "category": (False, _category),
        },
    )
    cleaned.setdefault("min_count", 1)
    return cleaned


def _number(kind: str) -> Callable[[Any, str], int | str]:
    def clean(value: Any, path: str):
        if kind == "count":
            return _int(value, path, minimum=0)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise RuleError(path, f"give an amount, not {value!r}")
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise RuleError(path, f"give an amount, not {value!r}") from None
        if not amount.is_finite():
            raise RuleError(path, "give a finite amount")
        if abs(amount) > MAX_AMOUNT:
            raise RuleError(path, f"give an amount between -{MAX_AMOUNT} and {MAX_AMOUNT}")
        return str(amount.quantize(Decimal("0.01")))

    return clean


def _aggregate_value(kind: str, operator: str) -> Callable[[Any, str], dict]:
    number = _number(kind)

    def bounds(value: Any, path: str):
        if operator != "between":
            return number(value, path)
        if not isinstance(value, list) or len(value) != 2:
            raise RuleError(path, "give [lowest, highest]")
        low, high = number(value[0], f"{path}[0]"), number(value[1], f"{path}[1]")
        if Decimal(low) > Decimal(high):
            raise RuleError(path, "the lowest must not be above the highest")
        return [low, high]

    def clean(value: Any, path: str) -> dict:
        return _object(value, path, {"value": (True, bounds), "within_days": (False, _days)})

    return clean


def _date(value: Any, path: str) -> str:
    try:
        date = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RuleError(path, f"give a date as YYYY-MM-DD, not {value!r}") from None
    if not in_date_window(date):
        raise RuleError(path, f"{value!r} {DATE_WINDOW_HINT}")
    return date.isoformat()


def day_start(date: str | dt.date) -> dt.datetime:
    """The first moment of a calendar day in the hub's time zone."""
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    return dt.datetime.combine(date, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


# --- the compiler: one Q over Contact per condition -------------------------------------------


@dataclass
class CompileContext:
    now: dt.datetime
    _subtrees: dict[str, list[int]] = field(default_factory=dict)

    def since(self, days: int) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    def category_subtree(self, slug: str) -> list[int]:
        if slug not in self._subtrees:
            self._subtrees[slug] = category_subtree(slug)
        return self._subtrees[slug]


def _choice_q(column: str) -> dict[str, Callable]:
    return {
        "in": lambda value, ctx: Q(**{f"{column}__in": value}),
        "not_in": lambda value, ctx: ~Q(**{f"{column}__in": value}),
    }


def _account_q(column: str) -> dict[str, Callable]:
    # Exists keeps the logic two-valued: contacts without an account are simply "not in".
    def in_(value, ctx):
        return Q(
            Exists(Account.objects.filter(pk=OuterRef("account_id"), **{f"{column}__in": value}))
        )

    return {"in": in_, "not_in": lambda value, ctx: ~in_(value, ctx)}


def _event_match(value: dict, ctx: CompileContext, *, kind: str | None = None) -> Q:
    """The events a condition is about, as a filter over Event."""
    q = Q(kind=kind or value["kind"])
    if "within_days" in value:
        q &= Q(occurred_at__gte=ctx.since(value["within_days"]))
    if "sku" in value:
        q &= Q(sku=value["sku"])
    if "category" in value:
        subtree = ctx.category_subtree(value["category"])
        q &= Q(category_id__in=subtree) | Q(sku__in=skus_in_categories(subtree))
    return q


def _event_has(value: dict, ctx: CompileContext) -> Q:
    events = Event.objects.filter(_event_match(value, ctx)).order_by()
    if value["min_count"] == 1:
        return Q(Exists(events.filter(contact=OuterRef("pk"))))
    counted = (
        events.filter(contact__isnull=False)
        .values("contact_id")
        .annotate(n=Count("*"))
        .filter(n__gte=value["min_count"])
        .values("contact_id")
    )
    return Q(pk__in=counted)


def _aggregate_q(kind: str, operator: str) -> Callable[[dict, CompileContext], Q]:
    aggregate = Count("*") if kind == "count" else Sum("revenue")

    def compile_(value: dict, ctx: CompileContext) -> Q:
        bound = value["value"]
        if operator == "gte":
            having = Q(total__gte=bound)
            zero_matches = Decimal(bound) <= 0
        elif operator == "lte":
            having = Q(total__lte=bound)
            zero_matches = Decimal(bound) >= 0
        else:
            having = Q(total__gte=bound[0], total__lte=bound[1])
            zero_matches = Decimal(bound[0]) <= 0 <= Decimal(bound[1])
        orders = Order.objects.filter(contact__isnull=False).order_by()
        if "within_days" in value:
            orders = orders.filter(ordered_at__gte=ctx.since(value["within_days"]))
        totals = orders.values("contact_id").annotate(total=aggregate)
        # A contact without orders has a total of 0 and no group: when 0 satisfies the
        # condition, exclude the contacts whose total fails it instead of listing matches.
        if zero_matches:
            return ~Q(pk__in=totals.filter(~having).values("contact_id"))
        return Q(pk__in=totals.filter(having).values("contact_id"))

    return compile_


def _orders_since(moment: dt.datetime | None = None) -> Q:
    orders = Order.objects.filter(contact=OuterRef("pk"))
    if moment is not None:
        orders = orders.filter(ordered_at__gte=moment)
    return Q(Exists(orders))


def _cart_abandoned_without_order(value: dict, ctx: CompileContext) -> Q:
    carts = Event.objects.filter(_event_match(value, ctx, kind=EventKind.CART_ABANDONED))
    later_order = Order.objects.filter(
        contact=OuterRef("contact_id"), ordered_at__gte=OuterRef("occurred_at")
    )
    return Q(Exists(carts.filter(contact=OuterRef("pk")).filter(~Exists(later_order))))


def _viewed_not_bought(value: dict, ctx: CompileContext) -> Q:
    since = ctx.since(value["within_days"])
    views = Event.objects.filter(_event_match(value, ctx, kind=EventKind.PRODUCT_VIEW)).exclude(
        sku=""
    )
    bought = OrderLine.objects.filter(
        order__contact=OuterRef("contact_id"), order__ordered_at__gte=since, sku=OuterRef("sku")
    )
    return Q(Exists(views.filter(contact=OuterRef("pk")).filter(~Exists(bought))))


# --- the allow-list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Operator:
    label: str
    clean: Callable[[Any, str], Any]
    compile: Callable[[Any, CompileContext], Q]


@dataclass(frozen=True)
class FieldSpec:
    label: str
    operators: dict[str, Operator]
    # What the admin's rule editor offers as the value: "choices", "strings", "event", ...
    widget: str
    choices: tuple[tuple[str, str], ...] = ()


def _choice_field(label: str, column: str, choices) -> FieldSpec:
    clean = _choices(choices)
    q = _choice_q(column)
    return FieldSpec(
        label,
        {
            "in": Operator(_("is one of"), clean, q["in"]),
            "not_in": Operator(_("is none of"), clean, q["not_in"]),
        },
        "choices",
        tuple((value, name) for value, name in choices if value),
    )


def _account_field(label: str, column: str, clean, choices=()) -> FieldSpec:
    q = _account_q(column)
    return FieldSpec(
        label,
        {
            "in": Operator(_("is one of"), clean, q["in"]),
            "not_in": Operator(_("is none of"), clean, q["not_in"]),
        },
        "choices" if choices else "strings",
        tuple((value, name) for value, name in choices if value),
    )


def _aggregate_field(label: str, kind: str) -> FieldSpec:
    return FieldSpec(
        label,
        {
            operator: Operator(text, _aggregate_value(kind, operator), _aggregate_q(kind, operator))
            for operator, text in (
                ("gte", _("at least")),
                ("lte", _("at most")),
                ("between", _("between")),
            )
        },
        kind,
    )


def _no_order_since(days_or_date: Callable[[Any, CompileContext], dt.datetime]) -> Callable:
    return lambda value, ctx: _orders_since() & ~_orders_since(days_or_date(value, ctx))


FIELDS: dict[str, FieldSpec] = {
    "role": _choice_field(_("Buying-centre role"), "role", BuyingRole.choices),
    "phase": _choice_field(_("Journey phase"), "phase", JourneyPhase.choices),
    "language": _choice_field(_("Language"), "language", settings.LANGUAGES),
    "consent": _choice_field(_("Consent"), "consent", ConsentState.choices),
    "account.industry": _account_field(_("Account industry"), "industry", _strings()),
    "account.country": _account_field(
        _("Account country"), "country", _strings(upper=True, length=2)
    ),
    "account.size_class": _account_field(
        _("Account size"), "size_class", _choices(SizeClass.choices), SizeClass.choices
    ),
    "account.price_group": _account_field(_("Account price group"), "price_group", _strings()),
    "event": FieldSpec(
        _("Event"),
        {
            "has": Operator(_("has"), _clean_event, _event_has),
            "has_not": Operator(_("has not"), _clean_event, lambda v, ctx: ~_event_has(v, ctx)),
        },
        "event",
        tuple(EventKind.choices),
    ),
    "order_count": _aggregate_field(_("Number of orders"), "count"),
    "revenue": _aggregate_field(_("Revenue"), "revenue"),
    "last_order": FieldSpec(
        _("Last order"),
        {
            "before": Operator(
                _("before"),
                _date,
                _no_order_since(lambda value, ctx: day_start(value)),
            ),
            "after": Operator(
                _("after"),
                _date,
                lambda value, ctx: _orders_since(
                    day_start(dt.date.fromisoformat(value) + dt.timedelta(days=1))
                ),
            ),
            "within_days": Operator(
                _("within the last days"), _days, lambda value, ctx: _orders_since(ctx.since(value))
            ),
            "not_within_days": Operator(
                _("not within the last days"),
                _days,
                _no_order_since(lambda value, ctx: ctx.since(value)),
            ),
        },
        "last_order",
    ),
    "cart_abandoned_without_order": FieldSpec(
        _("Cart abandoned, no order since"),
        {
            "is": Operator(
                _("is true"),
                lambda value, path: _object(value, path, {"within_days": (False, _days)}),
                _cart_abandoned_without_order,
            )
        },
        "window",
    ),
    "viewed_not_bought": FieldSpec(
        _("Viewed a product but did not buy it"),
        {
            "is": Operator(
                _("is true"),
                lambda value, path: _object(
                    value,
                    path,
                    {
                        "within_days": (True, _days),
                        "sku": (False, _text),
                        "category": (False, _category),
                    },
                ),
                _viewed_not_bought,
            )
        },
        "viewed",
    ),
}


# --- validation ---------------------------------------------------------------------------------


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


def field_catalogue() -> list[dict]:
    """The allow-list as the admin's rule editor needs it: fields, operators, choices."""
    return [
        {
            "name": name,
            "label": str(spec.label),
            "widget": spec.widget,
            "operators": [
                {"name": operator_name, "label": str(operator.label)}
                for operator_name, operator in spec.operators.items()
            ],
            "choices": [[value, str(label)] for value, label in spec.choices],
        }
        for name, spec in FIELDS.items()
    ]
