"""What the three import commands share: arguments, the progress bar, the summary."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns.importing import FIELDS, KEYS, ImportRefused, import_file

ERRORS_SHOWN = 20
BAR_WIDTH = 30


class ImportCommand(BaseCommand):
    kind: str = ""

    def add_arguments(self, parser: CommandParser) -> None:
        fields = ", ".join(spec.name for spec in FIELDS[self.kind])
        parser.add_argument("file", help="A CSV (UTF-8 or Windows-1252, ; or ,) or XLSX file.")
        parser.add_argument(
            "--mapping",
            nargs="+",
            default=[],
            metavar="FIELD=HEADER",
            help=f"Which column holds a field, e.g. email=E-Mail (fields: {fields}). "
            "Unmapped fields are matched by their header names.",
        )
        parser.add_argument(
            "--key",
            choices=KEYS[self.kind],
            default=KEYS[self.kind][0],
            help="The field that finds an existing record (default: %(default)s).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count, write nothing."
        )
        parser.add_argument("--delimiter", help="CSV delimiter (default: sniffed, ; or ,).")
        parser.add_argument("--encoding", help="CSV encoding (default: UTF-8, else cp1252).")
        parser.add_argument("--sheet", help="XLSX sheet (default: the first).")

    def options_for_engine(self, options) -> dict:
        engine = {"key": options["key"]}
        for name in ("delimiter", "encoding", "sheet"):
            if options.get(name):
                engine[name] = options[name]
        return engine

    def handle(self, *args, **options):
        from campaigns.importing import open_table, suggest_mapping

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        engine_options = self.options_for_engine(options)
        mapping = {}
        for item in options["mapping"]:
            field_name, sep, header = item.partition("=")
            if not sep:
                raise CommandError(f"--mapping {item!r}: write FIELD=HEADER.")
            mapping[field_name.strip()] = header.strip()
        started = time.perf_counter()
        try:
            with path.open("rb") as stream:
                with open_table(stream, name=path.name, options=engine_options) as table:
                    mapping = {**suggest_mapping(self.kind, table.headers), **mapping}
                stream.seek(0)
                report = import_file(
                    self.kind,
                    stream,
                    name=path.name,
                    mapping=mapping,
                    options=engine_options,
                    dry_run=options["dry_run"],
                    progress=self.progress,
                )
        except ImportRefused as exc:
            self.stderr.write("")
            message = str(exc)
            if not message.startswith("Nothing was imported"):
                message += " Nothing was imported."
            raise CommandError(f"{path.name}: {message}") from None
        self.stderr.write("")
        seconds = time.perf_counter() - started
        self.stdout.write(
            ("Dry run, nothing written. " if report.dry_run else "")
            + f"{report.rows} rows in {seconds:.1f} s: {report.created} created, "
            f"{report.updated} updated, {report.unchanged} unchanged, "
            f"{report.skipped} rows skipped."
        )
        for issue in report.errors[:ERRORS_SHOWN]:
            self.stdout.write(f"  line {issue.line}: {issue.field}: {issue.reason}")
        if report.error_count > ERRORS_SHOWN:
            self.stdout.write(f"  ... and {report.error_count - ERRORS_SHOWN} more errors.")
        for issue in report.warnings[:ERRORS_SHOWN]:
            self.stdout.write(f"  warning, line {issue.line}: {issue.field}: {issue.reason}")

    def progress(self, processed: int, total: int | None) -> None:
        total = total or processed
        done = round(BAR_WIDTH * processed / total) if total else BAR_WIDTH
        percent = round(100 * processed / total) if total else 100
        self.stderr.write(
            f"\r[{'#' * done}{'.' * (BAR_WIDTH - done)}] {percent:3d}% {processed}/{total} rows",
            ending="",
        )
        self.stderr.flush()
