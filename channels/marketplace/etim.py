"""ETIM feature values as a receiver reads them: typed by the feature's ETIM data type.

An editor writes a feature's value as text ("2,5", "20 - 45", "ja"); an ETIM receiver
(a wholesaler's PIM, an e-procurement system) reads it by the feature's data type:

- ``A`` alphanumeric: one ETIM value code (``EV000080``), never the value's wording;
- ``N`` numeric: a number with a decimal point ("2.5");
- ``L`` logical: "true" or "false";
- ``R`` range: two numbers, the lower and the upper limit.

``typed_values`` turns the editor's text into the values a file carries, or says in a
sentence why it cannot, so the product is refused instead of the receiver rejecting the
file.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels.feeds import FeedFeature

from .text import EV_CODE

_NUMBER = r"[+-]?\d+(?:[.,]\d+)?"
NUMBER = re.compile(_NUMBER)
# "20-45", "20 - 45", "20..45", "-5 - 40", and with an en dash (U+2013)
RANGE = re.compile(rf"({_NUMBER})\s*(?:\.\.|-|\u2013)\s*({_NUMBER})")
TRUE_WORDS = frozenset({"true", "yes", "1", "ja", "wahr"})
FALSE_WORDS = frozenset({"false", "no", "0", "nein", "falsch"})
# How a refusal names what a type expects ("... expects a numeric value").
TYPE_NAMES = {
    "A": gettext_lazy("an alphanumeric"),
    "N": gettext_lazy("a numeric"),
    "L": gettext_lazy("a logical"),
    "R": gettext_lazy("a range"),
}


class EtimValueError(ValueError):
    """A feature value that does not fit its ETIM type; the message says why."""


def etim_number(text: str) -> str:
    """``text`` as a number with a decimal point; raises ``EtimValueError`` if it is none.

    A decimal comma is read only when it cannot be a thousands separator: "2,5" is 2.5,
    but "1,000" may be one or a thousand, and is refused.
    """
    value = text.strip()
    if not NUMBER.fullmatch(value):
        raise EtimValueError(_("“%(value)s” is not a number") % {"value": text})
    if "," in value:
        decimals = value.split(",", 1)[1]
        if len(decimals) == 3:
            raise EtimValueError(
                _("“%(value)s” is ambiguous: decimal comma or thousands separator?")
                % {"value": text}
            )
        value = value.replace(",", ".")
    return value.lstrip("+")


def typed_values(feature: FeedFeature) -> tuple[str, ...]:
    """The FVALUEs of ``feature`` by its ETIM type; raises ``EtimValueError`` when unfit."""
    value = feature.value.strip()
    kind = feature.etim_type
    if kind == "A":
        if not EV_CODE.fullmatch(value):
            raise EtimValueError(
                _("“%(value)s” is not an ETIM value code (EV…)") % {"value": feature.value}
            )
        return (value,)
    if kind == "N":
        return (etim_number(value),)
    if kind == "L":
        word = value.lower()
        if word in TRUE_WORDS:
            return ("true",)
        if word in FALSE_WORDS:
            return ("false",)
        raise EtimValueError(_("“%(value)s” is not true or false") % {"value": feature.value})
    if kind == "R":
        match = RANGE.fullmatch(value)
        if not match:
            raise EtimValueError(
                _("“%(value)s” is not a range such as “20-45” or “20..45”")
                % {"value": feature.value}
            )
        low, high = etim_number(match.group(1)), etim_number(match.group(2))
        if float(low) > float(high):
            raise EtimValueError(
                _("the range “%(value)s” starts above its end") % {"value": feature.value}
            )
        return (low, high)
    raise EtimValueError(_("the ETIM type of %(code)s is unknown") % {"code": feature.etim_feature})
