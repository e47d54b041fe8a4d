"""Validators for product identifiers."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from core.gtin import GTIN_LENGTHS, gtin_check_digit

__all__ = ["GTIN_LENGTHS", "gtin_check_digit", "validate_gtin"]


def validate_gtin(value: str) -> None:
    """A GTIN-8, -12 (UPC), -13 (EAN) or -14 with a correct GS1 check digit."""
    if not value.isdigit() or len(value) not in GTIN_LENGTHS:
        raise ValidationError(
            _("A GTIN has 8, 12, 13 or 14 digits and nothing else; got %(value)s."),
            code="gtin_format",
            params={"value": value},
        )
    expected = gtin_check_digit(value[:-1])
    if int(value[-1]) != expected:
        raise ValidationError(
            _("GTIN %(value)s has check digit %(actual)s, but %(expected)s is correct."),
            code="gtin_check_digit",
            params={"value": value, "actual": value[-1], "expected": expected},
        )


validate_etim_class = RegexValidator(
    r"^EC\d{6}$", _("An ETIM class code looks like EC000123."), code="etim_class"
)
validate_etim_feature = RegexValidator(
    r"^EF\d{6}$", _("An ETIM feature code looks like EF000123."), code="etim_feature"
)
DEFAULT_ETIM_RELEASE = "9.0"
validate_etim_release = RegexValidator(
    r"^\d{1,2}\.\d$", _("An ETIM release looks like 9.0 or 10.0."), code="etim_release"
)
validate_eprel_code = RegexValidator(
    r"^\d{1,20}$", _("An EPREL registration number has digits only."), code="eprel_code"
)
validate_sku = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
    _("A SKU uses letters, digits, '.', '_', '/' and '-', and starts with a letter or digit."),
    code="sku",
)
