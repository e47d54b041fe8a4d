"""The entry points: import a file (read, map its columns) or rows already mapped to fields."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from campaigns.models import ImportKind

from .accounts import AccountImporter
from .contacts import ContactImporter
from .engine import Progress
from .fields import FIELDS, key_field, required_fields, suggest_mapping
from .orders import OrderImporter
from .readers import open_table
from .reports import ImportReport, UnreadableFile


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
