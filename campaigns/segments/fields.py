"""The allow-list: every field a condition may name, its operators, cleaners and compilers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from content.taxonomy import BuyingRole, JourneyPhase

from ..models import ConsentState, EventKind, SizeClass, SurveyKind
from ..models.audience import country_choices
from .conditions import (
    CompileContext,
    _account_q,
    _aggregate_q,
    _cart_abandoned_without_order,
    _choice_q,
    _event_has,
    _orders_since,
    _survey_answer,
    _viewed_not_bought,
)
from .values import (
    _aggregate_value,
    _category,
    _choices,
    _clean_event,
    _clean_survey_answer,
    _date,
    _days,
    _object,
    _strings,
    _text,
    clean_window,
    day_start,
)


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
    # Or a callable, for choices named in the request's language (countries).
    choices: tuple[tuple[str, str], ...] | Callable[[], list[tuple[str, str]]] = ()


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


def _account_field(label: str, column: str, clean, choices=(), widget: str = "") -> FieldSpec:
    q = _account_q(column)
    return FieldSpec(
        label,
        {
            "in": Operator(_("is one of"), clean, q["in"]),
            "not_in": Operator(_("is none of"), clean, q["not_in"]),
        },
        widget or ("choices" if choices else "strings"),
        choices if callable(choices) else tuple((value, name) for value, name in choices if value),
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
    # Offered as a list of ISO 3166 countries; any two-letter code stays valid in stored rules.
    "account.country": _account_field(
        _("Account country"),
        "country",
        _strings(upper=True, length=2),
        country_choices,
        widget="countries",
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
                clean_window,
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
    "survey_answer": FieldSpec(
        _("Survey answer"),
        {
            "has": Operator(_("has given"), _clean_survey_answer, _survey_answer),
            "has_not": Operator(
                _("has not given"),
                _clean_survey_answer,
                lambda value, ctx: ~_survey_answer(value, ctx),
            ),
        },
        "survey",
        tuple(SurveyKind.choices),
    ),
}


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
            "choices": [
                [value, str(label)]
                for value, label in (spec.choices() if callable(spec.choices) else spec.choices)
            ],
        }
        for name, spec in FIELDS.items()
    ]
