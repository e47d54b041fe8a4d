"""What an import tells its caller: the refusals (nothing written) and the report of a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_REPORTED = 1_000  # problems kept in a report; the counts are always complete


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
