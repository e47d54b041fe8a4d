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

The package: ``readers`` (CSV, XLSX, limits), ``fields`` (what each kind holds and is
matched by), ``values`` (cell parsers), ``engine`` (batches, transactions, writes),
``accounts``, ``contacts``, ``orders`` (one importer per kind), ``run`` (the entry points),
``reports`` (refusals and the report). The names other apps use are re-exported here.
"""

from .fields import FIELDS, KEYS, ImportField, key_field, required_fields, suggest_mapping
from .readers import FileLimits, Table, open_table, preview
from .reports import (
    MAX_REPORTED,
    ImportAborted,
    ImportRefused,
    ImportReport,
    RowIssue,
    UnreadableFile,
)
from .run import import_file, import_rows
from .values import parse_datetime, parse_decimal, parse_email

__all__ = [
    "FIELDS",
    "KEYS",
    "MAX_REPORTED",
    "FileLimits",
    "ImportAborted",
    "ImportField",
    "ImportRefused",
    "ImportReport",
    "RowIssue",
    "Table",
    "UnreadableFile",
    "import_file",
    "import_rows",
    "key_field",
    "open_table",
    "parse_datetime",
    "parse_decimal",
    "parse_email",
    "preview",
    "required_fields",
    "suggest_mapping",
]
