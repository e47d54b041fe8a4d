"""Files as users upload them, built in the test: CSV in any encoding, XLSX via openpyxl."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

CONTACT_HEADER = ["E-Mail", "Vorname", "Nachname", "Kundennummer", "Anrede", "Rolle", "Phase"]


def csv_bytes(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
