"""Imports of accounts, contacts and orders from CSV and XLSX files: one engine for all.

Readers stream a file's rows (``csv`` with encoding and delimiter sniffing, openpyxl in
read-only mode) within ``FileLimits``; a mapping says which column holds which field; every
row is validated and each problem is reported with its line, field and reason; good rows
are upserted in batches, writing only rows that actually changed, so importing the same
file twice writes nothing the second time.

A run is all or nothing: its batches are written in one transaction, and a write that fails
although its rows passed the checks undoes the whole run (``ImportAborted``). A dry run
writes and rolls back each batch, so it meets the same refusals.

``import_rows`` is the entry point for code that already has rows as ``{field: text}``
(the CRM sync, the ERP folder import); ``import_file`` reads a file, maps its columns and
calls the same code. A file that cannot be read at all, or is over a limit, raises
``UnreadableFile`` before anything is written.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import logging
import re
import struct
import zipfile
import zlib
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import InterfaceError, OperationalError, connection, models, transaction
from django.utils import timezone

from content.taxonomy import BuyingRole, JourneyPhase

from .models import (
    Account,
    ConsentKind,
    ConsentRecord,
    ConsentState,
    Contact,
    ImportKind,
    Order,
    OrderLine,
    OrderSource,
    PhaseChange,
    Salutation,
    SizeClass,
    Suppression,
    email_hash,
    normalise_email,
)
from .services.events import ContactRef, OrderInput, OrderLineInput, orders_record

logger = logging.getLogger(__name__)

BATCH_SIZE = 1_000
MAX_REPORTED = 1_000  # problems kept in a report; the counts are always complete
PREVIEW_ROWS = 5

Progress = Callable[[int, int | None], None]


class ImportRefused(Exception):
    """Nothing of the file or rows was imported; the message says why, for the person who
    sent them."""


class UnreadableFile(ImportRefused):
    """The file cannot be imported at all (format, encoding, header, mapping, a limit).
    Nothing was written."""


class ImportAborted(ImportRefused):
    """Writing failed for a reason the checks could not foresee (a concurrent change, a
    database rule): the whole run was rolled back, nothing was written."""


@dataclass(frozen=True)
class RowIssue:
    """One problem in one row: ``line`` is the row's number in the file (header = 1)."""

    line: int
    field: str
    reason: str
    warning: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "field": self.field,
            "reason": self.reason,
            "level": "warning" if self.warning else "error",
        }


@dataclass(frozen=True)
class ImportReport:
    """What an import did, or what it would do (``dry_run``).

    ``created``/``updated``/``unchanged`` count records (accounts, contacts, orders; an
    order may span several rows); ``skipped`` counts rows not imported because of an error.
    ``errors`` and ``warnings`` hold the first ``MAX_REPORTED`` of each; ``error_count``
    all of them.
    """

    kind: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    error_count: int
    errors: tuple[RowIssue, ...]
    warnings: tuple[RowIssue, ...]


class _BadValue(ValueError):
    """A cell that does not parse; the message is the reason shown to the user."""


# PostgreSQL refuses NUL in text, which Python's csv module reads from a file; no driver
# encodes a lone surrogate, which JSON (the CRM's rows) can carry as "\ud800".
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _describe(exc: Exception) -> str:
    """An exception in one line, for a message shown to the user (a driver's message may
    run over several lines and quote a whole statement)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if len(text) > 300:
        text = text[:300] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --- the fields of each kind, with the column names that suggest them -------------------------


@dataclass(frozen=True)
class ImportField:
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False  # on every row, whatever the key


ACCOUNT_FIELDS = (
    ImportField("customer_number", "Customer number", ("kundennummer", "kundennr", "debitor")),
    ImportField("erp_id", "ERP id", ("erp", "erpnummer")),
    ImportField("crm_id", "CRM id", ("crm", "crmnummer")),
    ImportField("name", "Name", ("firma", "firmenname", "company", "unternehmen", "account")),
    ImportField("industry", "Industry", ("branche", "sector")),
    ImportField("country", "Country", ("land", "laenderkennzeichen", "countrycode")),
    ImportField("size_class", "Size", ("groesse", "größe", "unternehmensgröße", "mitarbeiter")),
    ImportField("price_group", "Price group", ("preisgruppe",)),
)

CONTACT_FIELDS = (
    ImportField("email", "E-mail", ("mail", "emailadresse", "mailadresse", "emailaddress")),
    ImportField("external_id", "External id", ("externeid", "kontaktnummer", "id")),
    ImportField("crm_id", "CRM id", ("crm", "crmnummer")),
    ImportField(
        "account",
        "Account (customer number)",
        ("kundennummer", "kundennr", "customernumber", "accountnumber"),
    ),
    ImportField("salutation", "Salutation", ("anrede", "title")),
    ImportField("first_name", "First name", ("vorname", "firstname", "givenname")),
    ImportField("last_name", "Last name", ("nachname", "lastname", "surname", "familienname")),
    ImportField("language", "Language", ("sprache", "lang", "locale")),
    ImportField("role", "Buying-centre role", ("rolle", "role", "buyingrole")),
    ImportField("phase", "Journey phase", ("phase", "journeyphase", "phasestatus")),
    ImportField("consent", "Consent", ("einwilligung", "optin", "newsletter")),
    ImportField("timezone", "Time zone", ("zeitzone", "tz")),
)

ORDER_FIELDS = (
    ImportField(
        "external_id",
        "Order number",
        ("bestellnummer", "auftragsnummer", "ordernumber", "orderid", "belegnummer"),
        required=True,
    ),
    ImportField(
        "ordered_at",
        "Ordered at",
        ("bestelldatum", "auftragsdatum", "orderdate", "date", "datum"),
        required=True,
    ),
    ImportField("account", "Account (customer number)", ("kundennummer", "kundennr")),
    ImportField("contact", "Contact (e-mail)", ("email", "mail", "emailadresse")),
    ImportField("currency", "Currency", ("waehrung", "währung")),
    ImportField("revenue", "Order revenue", ("umsatz", "auftragswert", "total", "ordertotal")),
    ImportField(
        "sku", "SKU", ("artikelnummer", "artikelnr", "sku", "productnumber"), required=True
    ),
    ImportField("quantity", "Quantity", ("menge", "anzahl", "qty"), required=True),
    ImportField(
        "unit_price", "Unit price", ("preis", "einzelpreis", "price", "stückpreis"), required=True
    ),
)

FIELDS: dict[str, tuple[ImportField, ...]] = {
    ImportKind.ACCOUNTS: ACCOUNT_FIELDS,
    ImportKind.CONTACTS: CONTACT_FIELDS,
    ImportKind.ORDERS: ORDER_FIELDS,
}

# What each kind can be matched by, the first being the default.
KEYS: dict[str, tuple[str, ...]] = {
    ImportKind.ACCOUNTS: ("customer_number", "erp_id", "crm_id"),
    ImportKind.CONTACTS: ("email", "external_id", "crm_id"),
    ImportKind.ORDERS: ("external_id",),
}


ACCOUNT_KEY_NAMES = {
    "customer_number": "customer number",
    "erp_id": "ERP id",
    "crm_id": "CRM id",
}


def _fold(text: str) -> str:
    """A header or label as compared: case- and punctuation-blind, umlauts spelled out."""
    text = text.casefold().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = text.replace("ß", "ss")
    return re.sub(r"[\W_]+", "", text)


def key_field(kind: str, options: Mapping[str, Any]) -> str:
    key = options.get("key") or KEYS[kind][0]
    if key not in KEYS[kind]:
        raise UnreadableFile(
            f"Cannot match {kind} by {key!r}; use one of: {', '.join(KEYS[kind])}."
        )
    return key


def required_fields(kind: str, options: Mapping[str, Any]) -> list[str]:
    """The fields a mapping must name: the key, and what every row needs."""
    key = key_field(kind, options)
    return [key, *(f.name for f in FIELDS[kind] if f.required and f.name != key)]


def suggest_mapping(kind: str, headers: Iterable[str]) -> dict[str, str]:
    """Field -> header, for each field whose name, label or alias matches a header."""
    free = {}
    for header in headers:
        if header and _fold(header) not in free:
            free[_fold(header)] = header
    mapping = {}
    for spec in FIELDS[kind]:
        for candidate in (spec.name, spec.label, *spec.aliases):
            header = free.get(_fold(candidate))
            if header is not None and header not in mapping.values():
                mapping[spec.name] = header
                break
    return mapping


# --- reading files -------------------------------------------------------------------------


@dataclass(frozen=True)
class FileLimits:
    """What a file may hold before it is refused (``HUB_IMPORT_MAX_*`` settings).

    Rows count the non-blank data rows; columns and cell length are checked on every row
    read; ``xlsx_expanded_bytes`` is what the parts of an .xlsx may expand to in all, checked
    in the zip's directory before openpyxl reads any of it.
    """

    rows: int
    columns: int
    cell_chars: int
    xlsx_expanded_bytes: int

    @classmethod
    def from_settings(cls) -> FileLimits:
        return cls(
            rows=getattr(settings, "HUB_IMPORT_MAX_ROWS", 1_000_000),
            columns=getattr(settings, "HUB_IMPORT_MAX_COLUMNS", 200),
            cell_chars=getattr(settings, "HUB_IMPORT_MAX_CELL_CHARS", 32_767),
            xlsx_expanded_bytes=getattr(settings, "HUB_IMPORT_MAX_XLSX_EXPANDED_MB", 100) << 20,
        )

    @property
    def csv_line_chars(self) -> int:
        """The longest physical CSV line a file within the limits can have: every column
        filled to the cell limit, quoted, with its delimiter."""
        return self.columns * (self.cell_chars + 3)

    def too_many_rows(self) -> UnreadableFile:
        return UnreadableFile(
            f"The file has more than {self.rows:,} rows, the limit (HUB_IMPORT_MAX_ROWS); "
            "split it into several files."
        )

    def too_many_columns(self, line: int, columns: str) -> UnreadableFile:
        return UnreadableFile(
            f"Line {line} has {columns} columns; the limit is {self.columns:,} "
            "(HUB_IMPORT_MAX_COLUMNS)."
        )

    def check_cells(self, line: int, cells: list[str]) -> None:
        if cells and max(map(len, cells)) > self.cell_chars:
            column, length = next(
                (n, len(c)) for n, c in enumerate(cells, 1) if len(c) > self.cell_chars
            )
            raise UnreadableFile(
                f"Line {line}, column {column}: the cell holds {length:,} characters; the "
                f"limit is {self.cell_chars:,} (HUB_IMPORT_MAX_CELL_CHARS)."
            )


# Sanity checks of an .xlsx's zip structure, whatever the settings: a workbook has a few
# dozen parts, and its XML compresses about 5-25:1; a zip bomb compresses 1000:1.
XLSX_MAX_ENTRIES = 1_000
XLSX_MAX_RATIO = 100
XLSX_RATIO_FROM_BYTES = 1 << 20  # small parts may compress better; they cannot hurt
# Excel's last row; openpyxl would count up to any row number a file claims.
EXCEL_MAX_ROWS = 1_048_576


@dataclass
class Table:
    """A file's header row and a stream of its data rows as ``(line, cells)``."""

    headers: list[str]
    records: Iterator[tuple[int, list[str]]]
    encoding: str = ""
    delimiter: str = ""


def _is_xlsx(head: bytes, name: str) -> bool:
    return head.startswith(b"PK\x03\x04") or name.lower().endswith((".xlsx", ".xlsm"))


def _check_header(headers: list[str]) -> list[str]:
    headers = [header.strip() for header in headers]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise UnreadableFile("The file is empty: it has no header row.")
    seen = set()
    for header in headers:
        if header and header in seen:
            raise UnreadableFile(f"The column {header!r} appears twice in the header row.")
        seen.add(header)
    return headers


def _sniff_encoding(stream: IO[bytes], forced: str = "") -> str:
    if forced:
        try:
            codecs.lookup(forced)
        except LookupError:
            raise UnreadableFile(f"Unknown encoding {forced!r}.") from None
        return forced
    head = stream.read(4096)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise UnreadableFile("This is not a CSV or XLSX file (it holds binary data).")
    # The whole file is decoded once, chunk by chunk, so a bad byte on the last line is
    # found before the first row is written.
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            stream.seek(0)
        return encoding
    raise UnreadableFile(
        "The file is neither UTF-8 nor Windows-1252 (cp1252) text; save it as CSV UTF-8."
    )


def _sniff_delimiter(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in (";", ",", "\t", "|")}
    delimiter = max(counts, key=counts.get)
    return delimiter if counts[delimiter] else ","


def _bounded_lines(text: IO[str], limits: FileLimits) -> Iterator[str]:
    """The physical lines of a text, refusing one longer than any file within the limits
    can hold, before it is in memory whole (a 2 GB file without a line break)."""
    longest = limits.csv_line_chars
    number = 0
    while line := text.readline(longest + 1):
        number += 1
        if len(line) > longest:
            raise UnreadableFile(
                f"Line {number} is longer than {longest:,} characters: more than "
                f"{limits.columns:,} columns (HUB_IMPORT_MAX_COLUMNS) of "
                f"{limits.cell_chars:,} characters (HUB_IMPORT_MAX_CELL_CHARS)."
            )
        yield line


def _csv_row_checked(line: int, row: list[str], limits: FileLimits) -> list[str]:
    if len(row) > limits.columns:
        width = len(row)
        while width and not row[width - 1].strip():
            width -= 1
        if width > limits.columns:
            raise limits.too_many_columns(line, f"{width:,}")
        del row[width:]
    limits.check_cells(line, row)
    return row


def _csv_error(line: int, exc: csv.Error, limits: FileLimits) -> UnreadableFile:
    if "field larger than field limit" in str(exc):
        # The csv module's own guard, below or above ours: name ours.
        most = min(limits.cell_chars, csv.field_size_limit())
        return UnreadableFile(
            f"Line {line}: a cell holds more than {most:,} characters; the limit is "
            f"{limits.cell_chars:,} (HUB_IMPORT_MAX_CELL_CHARS)."
        )
    return UnreadableFile(f"Line {line}: {exc}")


@contextmanager
def _csv_table(
    stream: IO[bytes], options: Mapping[str, Any], limits: FileLimits
) -> Iterator[Table]:
    encoding = _sniff_encoding(stream, options.get("encoding", ""))
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        try:
            delimiter = options.get("delimiter") or _sniff_delimiter(
                text.readline(limits.csv_line_chars)
            )
        except UnicodeDecodeError:
            raise UnreadableFile(f"Line 1: not {encoding} text.") from None
        if delimiter == "\\t":
            delimiter = "\t"
        text.seek(0)
        reader = csv.reader(_bounded_lines(text, limits), delimiter=delimiter)
        try:
            headers = next((row for row in reader if any(cell.strip() for cell in row)), [])
        except csv.Error as exc:
            raise _csv_error(reader.line_num, exc, limits) from None
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                f"Line {reader.line_num + 1}: not {encoding} text ({exc.reason})."
            ) from None
        header_line = reader.line_num
        headers = _csv_row_checked(header_line, headers, limits)

        def records() -> Iterator[tuple[int, list[str]]]:
            line, rows = header_line, 0
            try:
                for row in reader:
                    line += 1
                    if any(cell.strip() for cell in row):
                        rows += 1
                        if rows > limits.rows:
                            raise limits.too_many_rows()
                        yield line, _csv_row_checked(line, row, limits)
            except csv.Error as exc:
                raise _csv_error(line + 1, exc, limits) from None
            except UnicodeDecodeError as exc:
                raise UnreadableFile(
                    f"Line {line + 1}: not {encoding} text ({exc.reason})."
                ) from None

        yield Table(_check_header(headers), records(), encoding=encoding, delimiter=delimiter)
    finally:
        # Closing the wrapper would close the caller's file.
        text.detach()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _check_xlsx_archive(stream: IO[bytes], limits: FileLimits) -> None:
    """Refuse an .xlsx whose zip would expand beyond the limits, from its directory alone.

    openpyxl reads the shared strings and styles whole, so a small file expanding to
    gigabytes must never reach it. The sizes checked are the ones the zip declares; Python's
    ``zipfile`` never expands a part beyond its declared size (it stops, and the CRC check
    fails), so a file that lies about them is refused as damaged while it is read.
    """
    entries = _zip_entry_count(stream)
    if entries > XLSX_MAX_ENTRIES:
        raise UnreadableFile(
            f"The XLSX file holds {entries:,} parts; a workbook has at most "
            f"{XLSX_MAX_ENTRIES:,}. It is not a spreadsheet saved by Excel."
        )
    try:
        with zipfile.ZipFile(stream) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(f"This is not a readable XLSX file ({exc}).") from None
    finally:
        stream.seek(0)
    expanded = sum(part.file_size for part in parts)
    if expanded > limits.xlsx_expanded_bytes:
        raise UnreadableFile(
            f"The XLSX file expands to {_megabytes(expanded)} when opened; the limit is "
            f"{_megabytes(limits.xlsx_expanded_bytes)} (HUB_IMPORT_MAX_XLSX_EXPANDED_MB). "
            "Save it as CSV, or split it."
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > XLSX_RATIO_FROM_BYTES and ratio > XLSX_MAX_RATIO:
            raise UnreadableFile(
                f"The XLSX part {part.filename} expands {ratio:,.0f} times "
                f"({part.compress_size:,} bytes to {_megabytes(part.file_size)}); a workbook "
                f"expands at most {XLSX_MAX_RATIO} times. It is not a spreadsheet saved by Excel."
            )


def _zip_entry_count(stream: IO[bytes]) -> int:
    """The number of entries a zip's end record declares, read before ``zipfile`` builds
    an object for each of them (a zip of a million empty entries is a few MB)."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    tail_size = min(size, 22 + 0xFFFF)  # the end record, and a comment of at most 64 KB
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    stream.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise UnreadableFile("This is not a readable XLSX file (it is not a zip archive).")
    (entries,) = struct.unpack("<H", tail[at + 10 : at + 12])
    # 0xFFFF means "see the zip64 record": more entries than any workbook has.
    return entries if entries != 0xFFFF else 0xFFFF


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MB"


# What openpyxl raises on a damaged workbook while it reads the rows: a part that fails its
# CRC check, XML that does not parse (lxml's and expat's errors are SyntaxErrors),
# references to shared strings or styles that do not exist.
_XLSX_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    SyntaxError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    OverflowError,
)


def _xlsx_rows(rows: Iterator[tuple]) -> Iterator[tuple]:
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except _XLSX_DAMAGE as exc:
            raise UnreadableFile(f"The XLSX file is damaged ({exc}).") from None
        yield values


@contextmanager
def _xlsx_table(
    stream: IO[bytes], options: Mapping[str, Any], limits: FileLimits
) -> Iterator[Table]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_xlsx_archive(stream, limits)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, OSError, *_XLSX_DAMAGE) as exc:
        raise UnreadableFile(f"This is not a readable XLSX file ({exc}).") from None
    try:
        sheet_name = options.get("sheet")
        if sheet_name and sheet_name not in workbook.sheetnames:
            raise UnreadableFile(
                f"The workbook has no sheet {sheet_name!r}; it has: "
                f"{', '.join(workbook.sheetnames)}."
            )
        if not workbook.worksheets:
            raise UnreadableFile("The workbook has no sheet.")
        sheet = workbook[sheet_name] if sheet_name else workbook.worksheets[0]
        # The size a sheet declares may be wrong (some exporters write "A1"); openpyxl would
        # silently stop there. Read what is there instead, within our own limits.
        sheet.reset_dimensions()
        # The header row decides the width: a cell right of it can be in no mapped column,
        # so data rows are read only that wide, whatever column a cell claims.
        headers: list[str] = []
        header_line = 0
        scan = _xlsx_rows(sheet.iter_rows(max_col=limits.columns + 1, values_only=True))
        for line, values in enumerate(scan, start=1):
            if line > EXCEL_MAX_ROWS:
                break
            cells = [_cell_text(value) for value in values]
            if any(cells):
                if cells[limits.columns :] and any(cells[limits.columns :]):
                    raise limits.too_many_columns(line, f"more than {limits.columns:,}")
                limits.check_cells(line, cells)
                headers, header_line = cells, line
                break
        headers = _check_header(headers)

        def records() -> Iterator[tuple[int, list[str]]]:
            rows = _xlsx_rows(
                sheet.iter_rows(min_row=header_line + 1, max_col=len(headers), values_only=True)
            )
            count = 0
            for line, values in enumerate(rows, start=header_line + 1):
                if line > EXCEL_MAX_ROWS:
                    raise UnreadableFile(
                        f"The sheet has rows beyond row {EXCEL_MAX_ROWS:,}, Excel's last; "
                        "it is damaged."
                    )
                cells = [_cell_text(value) for value in values]
                if any(cells):
                    count += 1
                    if count > limits.rows:
                        raise limits.too_many_rows()
                    limits.check_cells(line, cells)
                    yield line, cells

        yield Table(headers, records())
    finally:
        workbook.close()


@contextmanager
def open_table(
    stream: IO[bytes],
    *,
    name: str = "",
    options: Mapping[str, Any] | None = None,
    limits: FileLimits | None = None,
) -> Iterator[Table]:
    """The rows of a CSV or XLSX file given as a binary, seekable file object.

    A file over ``limits`` (by default the ``HUB_IMPORT_MAX_*`` settings) raises
    ``UnreadableFile``: an .xlsx whose parts would expand too far as it is opened, any file
    once a row over a limit is read.
    """
    options = options or {}
    limits = limits or FileLimits.from_settings()
    # Django's File objects wrap the real file object; io.TextIOWrapper wants the latter.
    while not isinstance(stream, io.IOBase) and hasattr(stream, "file"):
        stream = stream.file
    head = stream.read(8)
    stream.seek(0)
    if not head:
        raise UnreadableFile("The file is empty.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("Old Excel files (.xls) cannot be read; save the file as .xlsx.")
    if _is_xlsx(head, name):
        with _xlsx_table(stream, options, limits) as table:
            yield table
    else:
        with _csv_table(stream, options, limits) as table:
            yield table


def preview(
    stream: IO[bytes], *, name: str, options: Mapping[str, Any], rows: int = PREVIEW_ROWS
) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows of a file, for the mapping form."""
    with open_table(stream, name=name, options=options) as table:
        first = []
        for _line, cells in table.records:
            first.append(cells)
            if len(first) == rows:
                break
        return table.headers, first


def _column_indexes(
    kind: str, headers: list[str], mapping: Mapping[str, str], options: Mapping[str, Any]
) -> dict[str, int]:
    known = {spec.name for spec in FIELDS[kind]}
    indexes = {}
    for field_name, header in mapping.items():
        if not header:
            continue
        if field_name not in known:
            raise UnreadableFile(f"{kind.capitalize()} have no field {field_name!r}.")
        if header not in headers:
            raise UnreadableFile(f"The file has no column {header!r} (mapped to {field_name}).")
        indexes[field_name] = headers.index(header)
    missing = [name for name in required_fields(kind, options) if name not in indexes]
    if missing:
        raise UnreadableFile(
            "No column is mapped to the required field(s): " + ", ".join(missing) + "."
        )
    return indexes


def _mapped(
    records: Iterable[tuple[int, list[str]]], indexes: Mapping[str, int]
) -> Iterator[tuple[int, dict[str, str]]]:
    for line, cells in records:
        yield (
            line,
            {name: cells[index] if index < len(cells) else "" for name, index in indexes.items()},
        )


def import_file(
    kind: str,
    stream: IO[bytes],
    *,
    name: str = "",
    mapping: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import (or dry-run) a CSV or XLSX file. Without a mapping, the suggested one is used.

    The file is read once in full before anything is written, so a file that cannot be read
    or is over a limit raises ``UnreadableFile`` having changed nothing; a failed write
    raises ``ImportAborted``, having changed nothing either.
    """
    options = {**(options or {})}
    options.setdefault("file_name", name)
    with open_table(stream, name=name, options=options) as table:
        if mapping is None:
            mapping = suggest_mapping(kind, table.headers)
        indexes = _column_indexes(kind, table.headers, mapping, options)
        total = sum(1 for _ in table.records)
    stream.seek(0)
    with open_table(stream, name=name, options=options) as table:
        return _run(kind, _mapped(table.records, indexes), options, dry_run, progress, total=total)


def import_rows(
    kind: str,
    rows: Iterable[Mapping[str, str]],
    *,
    options: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    first_line: int = 1,
    total: int | None = None,
) -> ImportReport:
    """Import rows already mapped to fields (``{"email": "...", "role": "Einkäufer"}``).

    Values are text, as in a file; they are validated and reported like a file's rows,
    numbered from ``first_line``. Same upserts, batches and report as a file import.
    """
    options = dict(options or {})
    key_field(kind, options)
    return _run(kind, enumerate(rows, start=first_line), options, dry_run, progress, total=total)


def _run(kind, numbered_rows, options, dry_run, progress, *, total) -> ImportReport:
    importer = {
        ImportKind.ACCOUNTS: AccountImporter,
        ImportKind.CONTACTS: ContactImporter,
        ImportKind.ORDERS: OrderImporter,
    }[kind](options=options, dry_run=dry_run)
    return importer.run(numbered_rows, progress=progress, total=total)


# --- values --------------------------------------------------------------------------------


def _choices(choices, *extra: tuple[str, str]) -> dict[str, str]:
    """Folded code, English label and German aliases -> code."""
    table = {}
    for code, label in choices:
        table[_fold(code)] = code
        table[_fold(str(label))] = code
    for alias, code in extra:
        table[_fold(alias)] = code
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
    _fold(name): code
    for name, code in (
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("Österreich", "AT"),
        ("Austria", "AT"),
        ("Schweiz", "CH"),
        ("Switzerland", "CH"),
    )
}


def _choice(table: dict[str, str], what: str) -> Callable[[str], str]:
    seen: dict[str, str] = {}  # a column repeats a handful of spellings

    def parse(text: str) -> str:
        code = seen.get(text)
        if code is not None:
            return code
        code = table.get(_fold(text))
        if code is not None and len(seen) < 1000:
            seen[text] = code
        if code is None:
            codes = ", ".join(sorted(set(table.values())))
            raise _BadValue(f"unknown {what} {text!r}; use one of: {codes}")
        return code

    return parse


def _text(max_length: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > max_length:
            raise _BadValue(f"longer than {max_length} characters")
        return text

    return parse


def parse_email(text: str) -> str:
    email = normalise_email(text)
    try:
        validate_email(email)
    except ValidationError:
        raise _BadValue(f"{text!r} is not a valid e-mail address") from None
    if len(email) > 254:
        raise _BadValue("longer than 254 characters")
    return email


def parse_country(text: str) -> str:
    code = COUNTRY_NAMES.get(_fold(text), text.upper())
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise _BadValue(f"{text!r} is not an ISO 3166 country code (two letters, e.g. DE)")
    return code


def parse_size(text: str) -> str:
    if text.isdigit():  # a head count
        employees = int(text)
        for limit, code in ((10, "micro"), (50, "small"), (250, "medium"), (1000, "large")):
            if employees < limit:
                return code
        return "enterprise"
    return _choice(SIZES, "size")(text)


def parse_timezone(text: str) -> str:
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _BadValue(f"{text!r} is not an IANA time zone, e.g. Europe/Berlin") from None
    if len(text) > _max_length(Contact, "timezone"):
        raise _BadValue(f"longer than {_max_length(Contact, 'timezone')} characters")
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
        raise _BadValue(f"{text!r} is not a number (use 1234.56 or 1.234,56)")
    too_large = _BadValue(
        f"{text!r} is too large: at most {digits - places} digits before the decimal point"
    )
    try:
        value = Decimal(raw).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the decimal context holds
        raise too_large from None
    if _too_many_digits(value, places, digits):
        raise too_large
    return value


def _too_many_digits(value: Decimal, places: int, digits: int) -> bool:
    return value != 0 and value.adjusted() >= digits - places


def _decimal(model, name: str) -> Callable[[str], Decimal]:
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
        raise _BadValue(
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
        raise _BadValue(f"{text!r} is not a date (use 2026-11-23 or 23.11.2026)")
    first, last = DATE_YEARS
    if not first <= value.year <= last:
        raise _BadValue(f"{text!r} is out of range: use a date in the years {first} to {last}")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def insert_rows(model, rows: list[dict[str, Any]]) -> None:
    """Insert new rows, given as ``{attname: value}``, with one ``executemany``.

    What ``bulk_create`` does, without a model instance per row and without compiling every
    value through the ORM's insert compiler: both cost more than the database's own work at
    100,000 rows (see ``bench/imports.py``). Missing values take the field's default,
    ``auto_now`` fields the time of the batch, and every value goes through the field's
    ``get_db_prep_save``; the SQL names only the model's table and columns, never anything
    from the file. Ids are not set: see ``assign_pks``.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - model metadata only
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    now = timezone.now()
    columns = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            values = [now] * len(rows)
        elif f.has_default() and callable(f.default):
            values = [row[f.attname] if f.attname in row else f.get_default() for row in rows]
        else:
            default = f.get_default()
            values = [row.get(f.attname, default) for row in rows]
        prepare = _preparer(f)
        columns.append(values if prepare is None else [prepare(value) for value in values])
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(zip(*columns, strict=True)))


def _preparer(field) -> Callable[[Any], Any] | None:
    """How a field's values become database values: None where they already are.

    Text and integer values go to the driver as they are (what their ``get_db_prep_save``
    returns for a ``str`` or an ``int``); other values are prepared once per distinct value,
    since a batch repeats the same timestamps and prices."""
    if isinstance(field, models.CharField | models.TextField | models.IntegerField):
        return None
    if isinstance(field, models.ForeignKey) and isinstance(
        field.target_field, models.AutoField | models.BigAutoField | models.IntegerField
    ):
        return None
    cache: dict = {}

    def prepare(value):
        try:
            return cache[value]
        except KeyError:
            cache[value] = prepared = field.get_db_prep_save(value, connection)
            return prepared
        except TypeError:  # unhashable, e.g. a dict for a JSONField
            return field.get_db_prep_save(value, connection)

    return prepare


# --- the importers -------------------------------------------------------------------------


@dataclass
class _Batch:
    """What one batch will write, worked out before anything is written."""

    create: list = field(default_factory=list)
    update: list = field(default_factory=list)
    update_fields: set[str] = field(default_factory=set)
    unchanged: int = 0
    after_create: list[Callable[[], Iterable]] = field(default_factory=list)
    items: list = field(default_factory=list)  # orders: the service's inputs
    groups: list = field(default_factory=list)  # orders: their rows, by item index
    result: Any = None  # orders: what the service did with the items


class _Importer:
    kind: str
    model: type
    parsers: dict[str, Callable[[str], Any]]

    def __init__(self, *, options: Mapping[str, Any], dry_run: bool) -> None:
        self.options = options
        self.dry_run = dry_run
        self.key = key_field(self.kind, options)
        self.now = timezone.now()
        self.seen: dict[Any, int] = {}  # key -> first line, across batches
        # (unique field, value) -> first line, across batches: a dry run, whose batches
        # are rolled back, must find a value taken by an earlier batch as the run does.
        self.unique_seen: dict[tuple[str, Any], int] = {}
        self.created = self.updated = self.unchanged = self.skipped = 0
        self.error_count = 0
        self.errors: list[RowIssue] = []
        self.warnings: list[RowIssue] = []

    # reporting

    def error(self, line: int, field_name: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(RowIssue(line, field_name, reason))

    def warn(self, line: int, field_name: str, reason: str) -> None:
        if len(self.warnings) < MAX_REPORTED:
            self.warnings.append(RowIssue(line, field_name, reason, warning=True))

    def parse(self, line: int, raw: Mapping[str, str]) -> dict[str, Any] | None:
        """The row's non-blank cells as values, or None (and errors) if any is bad.

        A blank cell leaves the stored value as it is: files often carry empty columns.
        """
        values, ok = {}, True
        for name, text in raw.items():
            parser = self.parsers.get(name)
            if parser is None:
                continue
            text = (text or "").strip()
            if not text:
                continue
            if _UNSTORABLE.search(text):
                self.error(
                    line,
                    name,
                    "holds a character no database can store (NUL, or half of a UTF-16 pair)",
                )
                ok = False
                continue
            try:
                values[name] = parser(text)
            except _BadValue as exc:
                self.error(line, name, str(exc))
                ok = False
        return values if ok else None

    def first_time(self, line: int, key: Any, field_name: str) -> bool:
        first = self.seen.setdefault(key, line)
        if first != line:
            self.error(line, field_name, f"{key} appears again (first on line {first})")
            return False
        return True

    # the loop

    def batches(self, numbered_rows) -> Iterator[list[tuple[int, Mapping[str, str]]]]:
        batch = []
        for item in numbered_rows:
            batch.append(item)
            if len(batch) >= BATCH_SIZE:
                yield batch
                batch = []
        if batch:
            yield batch

    def run(self, numbered_rows, *, progress: Progress | None, total: int | None) -> ImportReport:
        """Import (or dry-run) the rows, batch by batch; the report of what was done.

        A real run is one transaction: either every row that passed the checks is stored,
        or, should writing fail anyway, nothing is (``ImportAborted``). A dry run writes each
        batch just as the run would and rolls it back, so it meets every refusal the run
        would meet, and reports it on the batch's lines.
        """
        if self.dry_run:
            processed = self.loop(numbered_rows, progress, total)
        else:
            with transaction.atomic():
                processed = self.loop(numbered_rows, progress, total)
        report = ImportReport(
            kind=self.kind,
            dry_run=self.dry_run,
            rows=processed,
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            skipped=self.skipped,
            error_count=self.error_count,
            errors=tuple(self.errors),
            warnings=tuple(self.warnings),
        )
        logger.info(
            "import.finished kind=%s dry_run=%s rows=%s created=%s updated=%s unchanged=%s "
            "skipped=%s",
            self.kind,
            self.dry_run,
            report.rows,
            report.created,
            report.updated,
            report.unchanged,
            report.skipped,
        )
        return report

    def loop(self, numbered_rows, progress: Progress | None, total: int | None) -> int:
        processed = 0
        for rows in self.batches(numbered_rows):
            self.store(self.plan(rows), rows)
            processed += len(rows)
            if progress:
                progress(processed, total)
        return processed

    def plan(self, rows) -> _Batch:
        raise NotImplementedError

    def store(self, batch: _Batch, rows) -> None:
        """Write the batch in a transaction of its own (rolled back in a dry run), count it.

        The checks looked at every value and at what is stored, so a write that fails
        anyway (a concurrent change, a database rule) cannot be answered row by row: a real
        run stops and is rolled back whole; a dry run reports the batch and goes on.
        """
        if batch.create or batch.update or batch.items:
            try:
                with transaction.atomic():
                    self.write(batch)
                    if self.dry_run:
                        transaction.set_rollback(True)
            except (OperationalError, InterfaceError):
                raise  # the database is away: no fault of these rows
            except Exception as exc:
                logger.exception(
                    "import.batch_failed kind=%s dry_run=%s lines=%s-%s",
                    self.kind,
                    self.dry_run,
                    rows[0][0],
                    rows[-1][0],
                )
                if not self.dry_run:
                    raise ImportAborted(
                        f"Nothing was imported: writing lines {rows[0][0]}-{rows[-1][0]} "
                        f"failed ({_describe(exc)}), so the whole import was undone."
                    ) from exc
                self.error(
                    rows[0][0],
                    "",
                    f"lines {rows[0][0]}-{rows[-1][0]} would not be imported: writing them "
                    f"failed ({_describe(exc)}); the import would stop and import nothing",
                )
                self.skipped += self.rows_written(batch)
                return
        self.count(batch)

    def rows_written(self, batch: _Batch) -> int:
        return len(batch.create) + len(batch.update)

    def count(self, batch: _Batch) -> None:
        self.created += len(batch.create)
        self.updated += len(batch.update)
        self.unchanged += batch.unchanged

    def write(self, batch: _Batch) -> None:
        if batch.create:
            insert_rows(self.model, batch.create)
            self.assign_pks(batch.create)
        if batch.update:
            now = timezone.now()  # bulk_update leaves auto_now alone
            # Only rows that changed become model instances, as bulk_update needs them.
            objs = [self.model(**{**row, "updated_at": now}) for row in batch.update]
            self.model.objects.bulk_update(objs, sorted({*batch.update_fields, "updated_at"}))
        for make in batch.after_create:
            for model, rows in make():
                insert_rows(model, rows)

    def assign_pks(self, rows: list[dict[str, Any]]) -> None:
        """Give new rows their ids, where later writes of the batch refer to them."""

    # shared by accounts and contacts: rows are dicts of attname -> value

    UNIQUE: tuple[str, ...] = ()

    def keyed(self, rows, noun: str) -> list[tuple[int, dict]]:
        """The parsed rows that carry their key, each key once; the others reported, skipped."""
        parsed = []
        for line, raw in rows:
            values = self.parse(line, raw)
            if values is None:
                self.skipped += 1
                continue
            if self.key not in values:
                self.error(line, self.key, f"required: the key to match {noun} by")
                self.skipped += 1
                continue
            if not self.first_time(line, values[self.key], self.key):
                self.skipped += 1
                continue
            parsed.append((line, values))
        return parsed

    def owners(self, parsed: list[tuple[int, dict]]) -> dict[str, dict[Any, dict[str, Any]]]:
        """For each unique field, the stored value -> the stored row holding it."""
        owners = {}
        for name in self.UNIQUE:
            values = {values[name] for _line, values in parsed if name in values}
            stored = self.model.objects.filter(**{f"{name}__in": values}).values()
            owners[name] = {row[name]: row for row in stored} if values else {}
        return owners

    def unique_clash(self, line: int, values: dict, target: dict | None, owners: dict) -> bool:
        clash = False
        for name in self.UNIQUE:
            if name == self.key or name not in values:
                continue
            # An earlier row of the file first: in a real run the database holds that row
            # by now, in a dry run it does not, and both must say the same.
            first = self.unique_seen.setdefault((name, values[name]), line)
            if first != line:
                self.error(line, name, f"{values[name]} appears again (first on line {first})")
                clash = True
                continue
            owner = owners[name].get(values[name])
            if owner is not None and (target is None or owner["id"] != target["id"]):
                self.error(
                    line,
                    name,
                    f"{values[name]} already belongs to another {self.model._meta.verbose_name}",
                )
                clash = True
        return clash

    def apply(self, row: dict[str, Any], values: dict[str, Any]) -> set[str]:
        changed = set()
        for name, value in values.items():
            if row.get(name) != value:
                row[name] = value
                changed.add(name)
        return changed


class AccountImporter(_Importer):
    kind = ImportKind.ACCOUNTS
    model = Account
    UNIQUE = ("customer_number", "erp_id", "crm_id")
    parsers = {
        "customer_number": _text(_max_length(Account, "customer_number")),
        "erp_id": _text(_max_length(Account, "erp_id")),
        "crm_id": _text(_max_length(Account, "crm_id")),
        "name": _text(_max_length(Account, "name")),
        "industry": _text(_max_length(Account, "industry")),
        "country": parse_country,
        "size_class": parse_size,
        "price_group": _text(_max_length(Account, "price_group")),
    }

    def plan(self, rows) -> _Batch:
        batch = _Batch()
        parsed = self.keyed(rows, "accounts")
        owners = self.owners(parsed)
        for line, values in parsed:
            target = owners[self.key].get(values[self.key])
            if self.unique_clash(line, values, target, owners):
                self.skipped += 1
                continue
            if target is None:
                if not values.get("name"):
                    self.error(line, "name", "required for a new account")
                    self.skipped += 1
                    continue
                batch.create.append(values)
                continue
            changed = self.apply(target, values)
            if changed:
                batch.update.append(target)
                batch.update_fields |= changed
            else:
                batch.unchanged += 1
        return batch


class ContactImporter(_Importer):
    kind = ImportKind.CONTACTS
    model = Contact
    UNIQUE = ("email", "external_id", "crm_id")
    parsers = {
        "email": parse_email,
        "external_id": _text(_max_length(Contact, "external_id")),
        "crm_id": _text(_max_length(Contact, "crm_id")),
        "account": _text(_max_length(Account, "crm_id")),
        "salutation": _choice(SALUTATIONS, "salutation"),
        "first_name": _text(_max_length(Contact, "first_name")),
        "last_name": _text(_max_length(Contact, "last_name")),
        "language": _choice(LANGUAGES, "language"),
        "role": _choice(ROLES, "role"),
        "phase": _choice(PHASES, "phase"),
        "consent": _choice(CONSENTS, "consent"),
        "timezone": parse_timezone,
    }
    CONSENT_KINDS = {
        ConsentState.PENDING: ConsentKind.OPT_IN,
        ConsentState.CONFIRMED: ConsentKind.CONFIRMATION,
        ConsentState.REVOKED: ConsentKind.OPT_OUT,
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text_version = (
            self.options.get("consent_text_version") or self.options.get("file_name") or ""
        )[:100]
        # What the account column holds: customer numbers unless a sync names another id.
        self.account_key = self.options.get("account_key") or "customer_number"
        if self.account_key not in ACCOUNT_KEY_NAMES:
            raise UnreadableFile(
                f"Accounts cannot be referred to by {self.account_key!r}; use one of: "
                f"{', '.join(ACCOUNT_KEY_NAMES)}."
            )

    def plan(self, rows) -> _Batch:
        batch = _Batch()
        parsed = self.keyed(rows, "contacts")
        owners = self.owners(parsed)
        accounts = dict(
            Account.objects.filter(
                **{f"{self.account_key}__in": {v["account"] for _l, v in parsed if "account" in v}}
            ).values_list(self.account_key, "pk")
        )
        suppressed = set(
            Suppression.objects.filter(
                email_hash__in={email_hash(v["email"]) for _l, v in parsed if "email" in v}
            ).values_list("email_hash", flat=True)
        )
        evidence: list[tuple[dict, str, str, str]] = []  # contact row, what, from, to
        for line, values in parsed:
            target = owners[self.key].get(values[self.key])
            if self.unique_clash(line, values, target, owners):
                self.skipped += 1
                continue
            if "account" in values:
                number = values.pop("account")
                account_id = accounts.get(number)
                if account_id is None:
                    self.error(
                        line,
                        "account",
                        f"no account has the {ACCOUNT_KEY_NAMES[self.account_key]} {number}",
                    )
                    self.skipped += 1
                    continue
                values["account_id"] = account_id
            consent = values.pop("consent", None)
            phase = values.pop("phase", None)
            if target is None:
                if "email" not in values:
                    self.error(line, "email", "required for a new contact")
                    self.skipped += 1
                    continue
                contact = {
                    **values,
                    "email_hash": email_hash(values["email"]),
                    "consent": ConsentState.NONE,
                    "phase": "",
                }
                changed = set()
            else:
                contact = target
                changed = self.apply(contact, values)
                if "email" in changed:
                    contact["email_hash"] = email_hash(contact["email"])
                    changed.add("email_hash")
            suppressed_address = contact["email_hash"] in suppressed
            if consent and consent != ConsentState.NONE and consent != contact["consent"]:
                if suppressed_address and consent != ConsentState.REVOKED:
                    self.warn(
                        line,
                        "consent",
                        "the address is suppressed: consent not imported, it stays suppressed",
                    )
                else:
                    evidence.append((contact, "consent", contact["consent"], consent))
                    contact["consent"] = consent
                    contact["consent_changed_at"] = self.now
                    changed |= {"consent", "consent_changed_at"}
            elif suppressed_address and target is None:
                self.warn(line, "email", "the address is suppressed: it stays suppressed")
            if phase and phase != contact["phase"]:
                evidence.append((contact, "phase", contact["phase"], phase))
                contact["phase"] = phase
                contact["phase_changed_at"] = self.now
                changed |= {"phase", "phase_changed_at"}
            if target is None:
                batch.create.append(contact)
            elif changed:
                batch.update.append(contact)
                batch.update_fields |= changed
            else:
                batch.unchanged += 1
        if evidence:
            batch.after_create.append(lambda: self.evidence(evidence))
        return batch

    def assign_pks(self, rows: list[dict[str, Any]]) -> None:
        ids = dict(
            Contact.objects.filter(email__in=[row["email"] for row in rows]).values_list(
                "email", "pk"
            )
        )
        for row in rows:
            row["id"] = ids[row["email"]]

    def evidence(self, evidence):
        """Consent records and phase changes, once the new contacts have their ids."""
        consents, phases = [], []
        for contact, what, before, after in evidence:
            if what == "consent":
                consents.append(
                    {
                        "contact_id": contact["id"],
                        "kind": self.CONSENT_KINDS[after],
                        "at": self.now,
                        "source": "import",
                        "text_version": self.text_version,
                    }
                )
            else:
                phases.append(
                    {
                        "contact_id": contact["id"],
                        "from_phase": before,
                        "to_phase": after,
                        "changed_at": self.now,
                        "reason": "import",
                    }
                )
        return [(ConsentRecord, consents), (PhaseChange, phases)]


@dataclass
class _OrderRows:
    line: int  # of the first row
    values: dict[str, Any]  # order-level values, from the first row
    lines: list[OrderLineInput] = field(default_factory=list)
    bad: bool = False
    row_count: int = 0


class OrderImporter(_Importer):
    """One row per order line; the rows of one order follow each other.

    Rows are parsed and grouped here; the orders are stored by ``orders_record``, the one
    service that writes orders (it keeps each order's ``order`` event in step), so a file
    import and the intake API store orders alike. A dry run runs it too, and rolls back.
    """

    kind = ImportKind.ORDERS
    model = Order
    parsers = {
        "external_id": _text(_max_length(Order, "external_id")),
        "ordered_at": parse_datetime,
        "account": _text(_max_length(Account, "customer_number")),
        "contact": parse_email,
        "currency": lambda text: _currency(text),
        "revenue": _decimal(Order, "revenue"),
        "sku": _text(_max_length(OrderLine, "sku")),
        "quantity": lambda text: _quantity(text),
        "unit_price": _decimal(OrderLine, "unit_price"),
    }
    # (decimal places, digits) of the stored totals: more would be refused when written.
    LINE_TOTAL_DIGITS = (
        OrderLine._meta.get_field("line_total").decimal_places,
        OrderLine._meta.get_field("line_total").max_digits,
    )
    REVENUE_DIGITS = (
        Order._meta.get_field("revenue").decimal_places,
        Order._meta.get_field("revenue").max_digits,
    )
    # The service's field names -> the import's.
    FIELD_NAMES = {
        "order_number": "external_id",
        "customer_number": "account",
        "contact.email": "contact",
        "contact.external_id": "contact",
        "contact.crm_id": "contact",
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        source = self.options.get("source") or OrderSource.IMPORT
        if source not in OrderSource.values:
            raise UnreadableFile(
                f"Orders cannot come from {source!r}; use one of: {', '.join(OrderSource.values)}."
            )
        self.source = source
        # What the contact column holds: e-mail addresses unless a sync names another id.
        self.contact_key = self.options.get("contact_key") or "email"
        if self.contact_key not in KEYS[ImportKind.CONTACTS]:
            raise UnreadableFile(
                f"Contacts cannot be referred to by {self.contact_key!r}; use one of: "
                f"{', '.join(KEYS[ImportKind.CONTACTS])}."
            )
        if self.contact_key != "email":
            self.parsers = {**self.parsers, "contact": _text(_max_length(Contact, "crm_id"))}

    def batches(self, numbered_rows):
        # A batch ends between two orders, never inside one.
        batch, last = [], None
        for line, raw in numbered_rows:
            number = (raw.get("external_id") or "").strip()
            if len(batch) >= BATCH_SIZE and number != last:
                yield batch
                batch = []
            batch.append((line, raw))
            last = number
        if batch:
            yield batch

    def plan(self, rows) -> _Batch:
        groups: dict[str, _OrderRows] = {}
        last = None
        for line, raw in rows:
            values = self.parse(line, raw)
            number = (raw.get("external_id") or "").strip()
            group = groups.get(number) if number == last else None
            last = number
            if group is None and number:
                if self.seen.setdefault(number, line) != line:
                    self.error(
                        line,
                        "external_id",
                        f"rows of order {number} must follow each other "
                        f"(it began on line {self.seen[number]})",
                    )
                    self.skipped += 1
                    continue
                group = groups[number] = _OrderRows(line=line, values=values or {})
            if group is None:
                self.error(line, "external_id", "required: the order number")
                self.skipped += 1
                continue
            group.row_count += 1
            if values is None:
                group.bad = True
                continue
            missing = [
                name
                for name in ("ordered_at", "sku", "quantity", "unit_price")
                if name not in values
            ]
            for name in missing:
                self.error(line, name, "required")
            if missing:
                group.bad = True
                continue
            order_line = OrderLineInput(
                sku=values["sku"], quantity=values["quantity"], unit_price=values["unit_price"]
            )
            if _too_many_digits(order_line.line_total, *self.LINE_TOTAL_DIGITS):
                self.error(
                    line,
                    "unit_price",
                    f"quantity times unit price, {order_line.line_total}, is too large for an "
                    "order line",
                )
                group.bad = True
                continue
            group.lines.append(order_line)

        batch = _Batch()
        for number, group in groups.items():
            if group.bad:
                self.skipped += group.row_count
                self.error(group.line, "external_id", f"order {number} skipped: a row is bad")
                continue
            values = group.values
            if "revenue" not in values and _too_many_digits(
                sum((line.line_total for line in group.lines), Decimal(0)), *self.REVENUE_DIGITS
            ):
                self.skipped += group.row_count
                self.error(
                    group.line, "revenue", f"order {number}: the sum of its lines is too large"
                )
                continue
            batch.items.append(
                OrderInput(
                    order_number=number,
                    ordered_at=values["ordered_at"],
                    currency=values.get("currency", "EUR"),
                    lines=tuple(group.lines),
                    contact=(
                        ContactRef(**{self.contact_key: values["contact"]})
                        if "contact" in values
                        else None
                    ),
                    customer_number=values.get("account", ""),
                    revenue=values.get("revenue"),
                )
            )
            batch.groups.append(group)
        return batch

    def write(self, batch: _Batch) -> None:
        batch.result = orders_record(source=self.source, items=batch.items, reported_by="import")

    def rows_written(self, batch: _Batch) -> int:
        return sum(group.row_count for group in batch.groups)

    def count(self, batch: _Batch) -> None:
        result = batch.result
        if result is None:
            return
        for problem in result.errors:
            group = batch.groups[problem.index]
            field_name = self.FIELD_NAMES.get(problem.field or "", problem.field or "")
            self.error(group.line, field_name, problem.detail)
            self.skipped += group.row_count
        self.created += result.created
        self.updated += result.updated
        self.unchanged += result.unchanged


def _currency(text: str) -> str:
    code = "EUR" if text == "€" else text.upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise _BadValue(f"{text!r} is not an ISO 4217 currency code, e.g. EUR")
    return code


def _quantity(text: str) -> Decimal:
    value = _decimal(OrderLine, "quantity")(text)
    if value < 0:
        raise _BadValue("must not be negative")
    return value
