"""Files as users upload them, built in the test: CSV in any encoding, XLSX via openpyxl;
and files nobody should upload: zip bombs, zips that lie about their sizes."""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from openpyxl import Workbook

from campaigns.importing import import_file

CONTACT_HEADER = ["E-Mail", "Vorname", "Nachname", "Kundennummer", "Anrede", "Rolle", "Phase"]
ORDER_HEADER = ["Bestellnummer", "Bestelldatum", "Kundennummer", "Artikelnummer", "Menge", "Preis"]


def run(kind, data: bytes, name="file.csv", **kwargs):
    return import_file(kind, io.BytesIO(data), name=name, **kwargs)


def issues(report):
    return [(issue.line, issue.field, issue.reason) for issue in report.errors]


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


def xlsx_with_part(name: str, chunks, *, compresslevel: int = 6) -> bytes:
    """A real workbook (one sheet, header "E-Mail") with one more part, written from
    ``chunks`` (bytes) as a stream, so a part of hundreds of MB never is in memory whole.

    ``xl/sharedStrings.xml`` is registered as the workbook's shared strings, so openpyxl
    would read it whole when it opens the file.
    """
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["E-Mail"], ["erika@example.com"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as built:
        for info in base.infolist():
            data = base.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", SHARED_STRINGS_REL + b"</Relationships>")
            built.writestr(info, data)
        with built.open(name, "w") as part:
            for chunk in chunks:
                part.write(chunk)
    return out.getvalue()


SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
SHARED_STRINGS_REL = (
    b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)


def shared_strings_bomb(megabytes: int) -> bytes:
    """An .xlsx of ~1 KB per MB whose shared strings expand to ``megabytes`` MB: one string
    of the letter A, which deflate compresses about 1000:1."""
    megabyte = b"A" * (1 << 20)
    chunks = [b"<sst><si><t>", *([megabyte] * megabytes), b"</t></si></sst>"]
    return xlsx_with_part("xl/sharedStrings.xml", chunks)


def declared_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with the uncompressed size its central directory declares for ``name``
    replaced by ``size``: a zip that lies about what a part expands to."""
    end_record = data.rindex(b"PK\x05\x06")
    (entry,) = struct.unpack("<I", data[end_record + 16 : end_record + 20])
    while True:
        name_length, extra, comment = struct.unpack("<HHH", data[entry + 28 : entry + 34])
        if data[entry + 46 : entry + 46 + name_length] == name.encode():
            return data[: entry + 24] + struct.pack("<I", size) + data[entry + 28 :]
        entry += 46 + name_length + extra + comment


@contextmanager
def database_refuses(table: str, column: str, value: str) -> Iterator[None]:
    """A trigger that makes the database refuse to insert a row whose ``column`` is
    ``value``: a write that fails although every check before it passed. The names and
    the value are the test's own constants."""
    trigger = f"refuse_{table}_{column}"
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(
                f"CREATE FUNCTION {trigger}() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.{column} = '{value}' THEN "
                "RAISE EXCEPTION 'refused by the test trigger'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER {trigger} BEFORE INSERT ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {trigger}()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER {trigger} BEFORE INSERT ON {table} "
                f"WHEN NEW.{column} = '{value}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if postgres:
                cursor.execute(f"DROP TRIGGER {trigger} ON {table}")
                cursor.execute(f"DROP FUNCTION {trigger}()")
            else:
                cursor.execute(f"DROP TRIGGER {trigger}")


def xlsx_rewritten(data: bytes, part: str, change) -> bytes:
    """The workbook with one part's bytes passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as built:
        for info in source.infolist():
            content = source.read(info)
            built.writestr(info, change(content) if info.filename == part else content)
    return out.getvalue()
