"""Reading CSV and XLSX files as a header and a stream of rows, within ``FileLimits``.

CSV: encoding and delimiter sniffed, every physical line bounded; XLSX: the zip checked for
bombs before openpyxl reads it in read-only mode. A file that cannot be read, or is over a
limit, raises ``UnreadableFile``.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings

from .reports import UnreadableFile

PREVIEW_ROWS = 5


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
            rows=settings.HUB_IMPORT_MAX_ROWS,
            columns=settings.HUB_IMPORT_MAX_COLUMNS,
            cell_chars=settings.HUB_IMPORT_MAX_CELL_CHARS,
            xlsx_expanded_bytes=settings.HUB_IMPORT_MAX_XLSX_EXPANDED_MB << 20,
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
