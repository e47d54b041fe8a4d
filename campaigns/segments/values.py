"""Value cleaners: each takes a condition's raw JSON value and its path, returns it cleaned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from content.selectors import category_exists
from core.validators import DATE_WINDOW_HINT, in_date_window

from ..models import SCORES, EventKind, Survey, SurveyKind
from .parsing import RuleError, _join

MAX_DAYS = 36_500
MAX_AMOUNT = Decimal("999999999999.99")


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


MAX_HOURS = 7 * 24


def _hours(value: Any, path: str) -> int:
    return _int(value, path, minimum=1, maximum=MAX_HOURS)


def _one_window(cleaned: dict, path: str) -> dict:
    """A condition is windowed by whole days or by hours, not both."""
    if "within_days" in cleaned and "within_hours" in cleaned:
        raise RuleError(_join(path, "within_hours"), "give within_days or within_hours, not both")
    return cleaned


def clean_window(value: Any, path: str) -> dict:
    """``{"within_days"}`` or ``{"within_hours"}`` (or neither: ever)."""
    return _one_window(
        _object(value, path, {"within_days": (False, _days), "within_hours": (False, _hours)}),
        path,
    )


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
            "within_hours": (False, _hours),
            "sku": (False, _text),
            "category": (False, _category),
        },
    )
    cleaned.setdefault("min_count", 1)
    return _one_window(cleaned, path)


def _survey_kind(value: Any, path: str) -> str:
    if value not in SurveyKind.values:
        raise RuleError(path, f"{value!r} is not one of {', '.join(SurveyKind.values)}")
    return value


def _survey(value: Any, path: str) -> int:
    survey_id = _int(value, path, minimum=1)
    if not Survey.objects.filter(pk=survey_id).exists():
        raise RuleError(path, f"no survey {survey_id}")
    return survey_id


def _clean_survey_answer(value: Any, path: str) -> dict:
    """``{"kind", "min_score", "max_score", "within_days", "survey"}``: an answer to a survey
    of that kind (or that survey) with a score in [min_score, max_score]."""
    score = lambda v, p: _int(v, p, minimum=0, maximum=10)  # noqa: E731
    cleaned = _object(
        value,
        path,
        {
            "kind": (True, _survey_kind),
            "min_score": (True, score),
            "max_score": (True, score),
            "within_days": (False, _days),
            "survey": (False, _survey),
        },
    )
    scale = SCORES[cleaned["kind"]]
    for key in ("min_score", "max_score"):
        if cleaned[key] not in scale:
            raise RuleError(
                _join(path, key),
                f"{cleaned['kind']} scores run from {scale[0]} to {scale[-1]}",
            )
    if cleaned["min_score"] > cleaned["max_score"]:
        raise RuleError(_join(path, "max_score"), "must not be below min_score")
    if "survey" in cleaned:
        kind = Survey.objects.filter(pk=cleaned["survey"]).values_list("kind", flat=True).get()
        if kind != cleaned["kind"]:
            raise RuleError(_join(path, "survey"), f"survey {cleaned['survey']} is not {kind}")
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


def local_day(moment: dt.datetime) -> dt.date:
    """The calendar day a moment falls on in the hub's time zone."""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def window_first_day(now: dt.datetime, days: int) -> dt.date:
    """The first day of "the last ``days`` days": windows are whole days in the hub's time
    zone, from midnight ``days`` days before today up to now (and beyond: events dated in
    the future count too)."""
    return local_day(now) - dt.timedelta(days=days)


def window_start(now: dt.datetime, days: int) -> dt.datetime:
    """The first moment of "the last ``days`` days" (see ``window_first_day``)."""
    return day_start(window_first_day(now, days))
