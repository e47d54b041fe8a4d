"""Cell values: the parsers that turn a cell's text into what is stored, each raising
``BadValue`` with the reason shown to the user."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django_countries import countries

from campaigns.models import (
    ConsentState,
    Contact,
    Salutation,
    SizeClass,
    normalise_email,
)
from content.taxonomy import BuyingRole, JourneyPhase

from .fields import fold


class BadValue(ValueError):
    """A cell that does not parse; the message is the reason shown to the user."""


def _choices(choices, *extra: tuple[str, str]) -> dict[str, str]:
    """Folded code, English label and German aliases -> code."""
    table = {}
    for code, label in choices:
        table[fold(code)] = code
        table[fold(str(label))] = code
    for alias, code in extra:
        table[fold(alias)] = code
    return table


ROLES = _choices(
    BuyingRole.choices,
    ("Anwender", "user"),
    ("Nutzer", "user"),
    ("Entscheider", "decision_maker"),
    ("Entscheidungsträger", "decision_maker"),
    ("Einkäufer", "buyer"),
    ("Einkauf", "buyer"),
    ("Empfehler", "buyer"),
    ("Buyer", "buyer"),
    ("Recommender", "buyer"),
    ("Beeinflusser", "influencer"),
    ("Genehmiger", "approver"),
    ("Freigeber", "approver"),
)
PHASES = _choices(
    JourneyPhase.choices,
    ("Aufmerksamkeit", "awareness"),
    ("Bewusstsein", "awareness"),
    ("Erwägung", "consideration"),
    ("Abwägung", "consideration"),
    ("Überlegung", "consideration"),
    ("Kauf", "transaction"),
    ("Transaktion", "transaction"),
    ("Erfahrung", "experience"),
    ("Nutzung", "experience"),
    ("Loyalität", "loyalty"),
    ("Treue", "loyalty"),
    ("Bindung", "loyalty"),
)
SALUTATIONS = _choices(
    [(code, label) for code, label in Salutation.choices if code],
    ("Herr", "mr"),
    ("Hr.", "mr"),
    ("Frau", "ms"),
    ("Fr.", "ms"),
    ("Mrs", "ms"),
    ("Miss", "ms"),
    ("Divers", "mx"),
)
CONSENTS = _choices(
    ConsentState.choices,
    ("keine", "none"),
    ("nein", "none"),
    ("no", "none"),
    ("ausstehend", "pending"),
    ("opt-in", "pending"),
    ("unbestätigt", "pending"),
    ("bestätigt", "confirmed"),
    ("double opt-in", "confirmed"),
    ("doi", "confirmed"),
    ("ja", "confirmed"),
    ("yes", "confirmed"),
    ("widerrufen", "revoked"),
    ("abgemeldet", "revoked"),
    ("opt-out", "revoked"),
)
SIZES = _choices(
    SizeClass.choices,
    ("Kleinst", "micro"),
    ("Klein", "small"),
    ("Mittel", "medium"),
    ("Groß", "large"),
    ("Konzern", "enterprise"),
)
LANGUAGES = _choices(
    settings.LANGUAGES, ("German", "de"), ("Englisch", "en"), ("deu", "de"), ("eng", "en")
)
COUNTRY_NAMES = {
    fold(name): code
    for name, code in (
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("Österreich", "AT"),
        ("Austria", "AT"),
        ("Schweiz", "CH"),
        ("Switzerland", "CH"),
    )
}


def choice_parser(table: dict[str, str], what: str) -> Callable[[str], str]:
    seen: dict[str, str] = {}  # a column repeats a handful of spellings

    def parse(text: str) -> str:
        code = seen.get(text)
        if code is not None:
            return code
        code = table.get(fold(text))
        if code is not None and len(seen) < 1000:
            seen[text] = code
        if code is None:
            codes = ", ".join(sorted(set(table.values())))
            raise BadValue(f"unknown {what} {text!r}; use one of: {codes}")
        return code

    return parse


def text_parser(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > limit:
            raise BadValue(f"longer than {limit} characters")
        return text

    return parse


def parse_email(text: str) -> str:
    email = normalise_email(text)
    try:
        validate_email(email)
    except ValidationError:
        raise BadValue(f"{text!r} is not a valid e-mail address") from None
    if len(email) > 254:
        raise BadValue("longer than 254 characters")
    return email


def parse_country(text: str) -> str:
    """An ISO 3166 code as given, or the country's German or English name turned into one."""
    name = text.strip()
    code = (
        COUNTRY_NAMES.get(fold(text))
        or countries.by_name(name, language="de")
        or countries.by_name(name, language="en")
        or name.upper()
    )
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise BadValue(f"{text!r} is not an ISO 3166 country code (two letters, e.g. DE)")
    if code not in countries:
        raise BadValue(f"{text!r} is no ISO 3166 country (two letters, e.g. DE)")
    return code


def parse_size(text: str) -> str:
    if text.isdigit():  # a head count
        employees = int(text)
        for limit, code in ((10, "micro"), (50, "small"), (250, "medium"), (1000, "large")):
            if employees < limit:
                return code
        return "enterprise"
    return choice_parser(SIZES, "size")(text)


def parse_timezone(text: str) -> str:
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise BadValue(f"{text!r} is not an IANA time zone, e.g. Europe/Berlin") from None
    if len(text) > max_length(Contact, "timezone"):
        raise BadValue(f"longer than {max_length(Contact, 'timezone')} characters")
    return text


_GERMAN_NUMBER = re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?|[+-]?\d+,\d+")
_ISO_NUMBER = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?|[+-]?\d*\.?\d+")


def parse_decimal(text: str, places: int = 2, digits: int = 12) -> Decimal:
    """ISO (``1234.56``, ``1,234.56``) or German (``1.234,56``, ``12,5``) numbers, rounded
    to ``places`` decimals, with at most ``digits`` digits in all (a database column's
    ``max_digits``: a larger number would be refused when it is written).

    A lone comma is a decimal comma (``1,5``), a lone dot a decimal point (``1.5``); so
    ``1.234`` is one point two three four: write German thousands with a decimal comma
    (``1.234,00``) or without a separator.
    """
    raw = text.replace(" ", "").replace("\u00a0", "").replace("€", "")
    if _GERMAN_NUMBER.fullmatch(raw):
        raw = raw.replace(".", "").replace(",", ".")
    elif _ISO_NUMBER.fullmatch(raw):
        raw = raw.replace(",", "")
    else:
        raise BadValue(f"{text!r} is not a number (use 1234.56 or 1.234,56)")
    too_large = BadValue(
        f"{text!r} is too large: at most {digits - places} digits before the decimal point"
    )
    try:
        value = Decimal(raw).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the decimal context holds
        raise too_large from None
    if too_many_digits(value, places, digits):
        raise too_large
    return value


def too_many_digits(value: Decimal, places: int, digits: int) -> bool:
    return value != 0 and value.adjusted() >= digits - places


def decimal_parser(model, name: str) -> Callable[[str], Decimal]:
    """The parser for a model's decimal field, within its digits."""
    spec = model._meta.get_field(name)
    return lambda text: parse_decimal(text, places=spec.decimal_places, digits=spec.max_digits)


_DATE_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y")
# Dates are taken from these years only. Outside them a date is a typing error, and near
# year 1 or 9999 a time zone offset carries it beyond what Python or the databases can hold
# (0001-01-01 in Berlin is in year 0 in UTC).
DATE_YEARS = (1900, 2999)
# What Excel shows in a cell it cannot compute; openpyxl gives "#VALUE!" for a date cell
# whose serial number is outside Excel's dates.
EXCEL_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}


def parse_datetime(text: str) -> datetime.datetime:
    """ISO 8601 (``2026-11-23``, ``2026-11-23 14:05``, with offset) or German
    (``23.11.2026``, ``23.11.2026 14:05``); without an offset, in the hub's time zone.
    Years outside ``DATE_YEARS`` are refused."""
    if text in EXCEL_ERRORS:
        raise BadValue(
            f"the cell holds the Excel error {text}, not a date (a date cell shows it when "
            "its number is outside Excel's dates)"
        )
    value = None
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        for date_format in _DATE_FORMATS:
            try:
                value = datetime.datetime.strptime(text, date_format)
                break
            except ValueError:
                continue
    if value is None:
        raise BadValue(f"{text!r} is not a date (use 2026-11-23 or 23.11.2026)")
    first, last = DATE_YEARS
    if not first <= value.year <= last:
        raise BadValue(f"{text!r} is out of range: use a date in the years {first} to {last}")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length
