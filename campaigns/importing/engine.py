"""The engine every kind of import runs on: rows in batches, parsed and checked, each batch
written in a transaction of its own inside the run's one transaction, and the report.

A kind (``accounts``, ``contacts``, ``orders``) subclasses ``Importer`` and says how a batch
of parsed rows becomes writes (``plan``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import InterfaceError, OperationalError, connection, models, transaction
from django.utils import timezone

from .fields import key_field
from .reports import MAX_REPORTED, ImportAborted, ImportReport, RowIssue
from .values import BadValue

logger = logging.getLogger(__name__)

BATCH_SIZE = 1_000

Progress = Callable[[int, int | None], None]

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
class Batch:
    """What one batch will write, worked out before anything is written."""

    create: list = field(default_factory=list)
    update: list = field(default_factory=list)
    update_fields: set[str] = field(default_factory=set)
    unchanged: int = 0
    after_create: list[Callable[[], Iterable]] = field(default_factory=list)
    items: list = field(default_factory=list)  # orders: the service's inputs
    groups: list = field(default_factory=list)  # orders: their rows, by item index
    result: Any = None  # orders: what the service did with the items


class Importer:
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
            except BadValue as exc:
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

    def plan(self, rows) -> Batch:
        raise NotImplementedError

    def store(self, batch: Batch, rows) -> None:
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

    def rows_written(self, batch: Batch) -> int:
        return len(batch.create) + len(batch.update)

    def count(self, batch: Batch) -> None:
        self.created += len(batch.create)
        self.updated += len(batch.update)
        self.unchanged += batch.unchanged

    def write(self, batch: Batch) -> None:
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
