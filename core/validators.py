"""The calendar window the hub accepts dates in, for every input: admin forms, rules, API.

Python's dates end at years 1 and 9999; a date at either end overflows once it is moved to
UTC or has days added (``0001-01-01T00:00+14:00``, ``9999-12-31`` plus a day), and
PostgreSQL's timestamps have limits of their own. Dates that far out are typing errors, so
every input is held to one window well inside all those limits, and arithmetic on an
accepted date (a time zone, a window of ``MAX_DAYS`` days) cannot overflow.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2999, 12, 31)

DATE_WINDOW_HINT = f"must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def in_date_window(value: dt.date | dt.datetime) -> bool:
    """Whether a date, or a date-time as written (in its own offset), lies in the window."""
    day = value.date() if isinstance(value, dt.datetime) else value
    return EARLIEST <= day <= LATEST


def check_date_window(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    """The value itself, or a ``ValueError`` (for pydantic validators and rule cleaners)."""
    if not in_date_window(value):
        raise ValueError(DATE_WINDOW_HINT)
    return value


def validate_date_window(value: dt.date | dt.datetime) -> None:
    """Django validator: for model and form fields."""
    if not in_date_window(value):
        raise ValidationError(
            _("Dates must lie between %(earliest)s and %(latest)s."),
            code="date_out_of_window",
            params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )
