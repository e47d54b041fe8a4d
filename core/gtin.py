"""GS1 trade item numbers (GTIN-8, -12/UPC, -13/EAN, -14): the check digit, for every app."""

from __future__ import annotations

GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(body: str) -> int:
    """The GS1 check digit for ``body`` (all digits of a GTIN but the last)."""
    total = sum(
        int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body))
    )
    return (10 - total % 10) % 10


def gtin_is_valid(value: str) -> bool:
    """Whether ``value`` is 8, 12, 13 or 14 digits with a correct check digit."""
    return (
        value.isascii()
        and value.isdigit()
        and len(value) in GTIN_LENGTHS
        and int(value[-1]) == gtin_check_digit(value[:-1])
    )
