"""Scheduled intake from outside systems: the CRM sync and the ERP file import.

Both feed the one import engine (``campaigns.importing``) and keep where they got to in a
``SyncState`` row, so a run continues where the last good one ended:

- ``crm_sync`` reads accounts, then contacts, then won deals (as orders) changed since each
  kind's cursor (``SyncState`` "crm.<key>.<kind>"). A kind's cursor moves only when all of
  its changes were read and imported; a failure keeps the old cursor and records
  ``last_error``, and the next run reads the same changes again (the import writes nothing
  for rows that did not change). A failed kind stops the run: contacts refer to accounts and
  orders to both.
- ``erp_import_files`` imports the files in the ERP drop location (``campaigns.erp``).

A run claims its state row for ``LEASE`` so that two workers never read the same kind at
the same time; a crashed run's claim expires.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from campaigns.crm.base import CrmError, Row, crm_backend_keys, get_crm_backend
from campaigns.erp import (
    FAILED,
    PROCESSED,
    DropFile,
    DropLocation,
    DropLocationError,
    fingerprint,
    get_drop_location,
)
from campaigns.importing import (
    ImportRefused,
    ImportReport,
    UnreadableFile,
    import_rows,
    preview,
    suggest_mapping,
)
from campaigns.models import (
    Account,
    Contact,
    ImportJob,
    ImportKind,
    ImportStatus,
    SyncState,
    normalise_email,
)
from campaigns.services.imports import import_job_run
from core.spreadsheets import neutralise_formula

logger = logging.getLogger(__name__)

LEASE = datetime.timedelta(minutes=30)
# Problems kept in a state's stats, for the operator; the counts are complete.
KEPT_ISSUES = 20
# How each kind is matched to our rows: by the CRM's own id.
CRM_IMPORT_OPTIONS: dict[str, dict[str, str]] = {
    ImportKind.ACCOUNTS: {"key": "crm_id"},
    ImportKind.CONTACTS: {"key": "crm_id", "account_key": "crm_id"},
    ImportKind.ORDERS: {"source": "crm", "contact_key": "crm_id"},
}
# ...unless a record we hold without a CRM id has the same customer number or address.
FALLBACK_KEYS = {ImportKind.ACCOUNTS: "customer_number", ImportKind.CONTACTS: "email"}


class SyncBusy(Exception):
    """Another run holds the state row."""


@dataclass(frozen=True)
class KindResult:
    kind: str
    ok: bool
    cursor: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    error: str = ""
    issues: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class CrmSyncResult:
    backend: str
    kinds: tuple[KindResult, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.kinds)

    @property
    def error(self) -> str:
        return next((f"{r.kind}: {r.error}" for r in self.kinds if r.error), "")


# --- claiming a state row --------------------------------------------------------------------


def sync_state_claim(*, name: str) -> SyncState:
    """The state row, marked as running; raises SyncBusy while another run holds it."""
    now = timezone.now()
    with transaction.atomic():
        state, _created = SyncState.objects.select_for_update().get_or_create(backend=name)
        running_since = state.stats.get("running_since")
        if running_since and now - datetime.datetime.fromisoformat(running_since) < LEASE:
            raise SyncBusy(f"{name} is running since {running_since}.")
        state.stats = {**state.stats, "running_since": now.isoformat()}
        state.last_run_at = now
        state.save(update_fields=["stats", "last_run_at"])
    return state


def sync_state_finish(
    *, state: SyncState, cursor: str | None = None, error: str = "", stats: dict | None = None
) -> SyncState:
    """Release the claim, move the cursor if one is given, merge ``stats`` into the row's;
    without ``error`` the run counts as a success."""
    with transaction.atomic():
        state = SyncState.objects.select_for_update().get(pk=state.pk)
        kept = {k: v for k, v in state.stats.items() if k != "running_since"}
        if cursor is not None:
            state.cursor = cursor
        if error:
            state.last_error = error[:2000]
        else:
            state.last_success_at = timezone.now()
            state.last_error = ""
        state.stats = {**kept, **(stats or {})}
        state.save()
    return state


# --- the CRM -----------------------------------------------------------------------------


def crm_sync(*, backend_key: str = "salesforce") -> CrmSyncResult:
    """Import what changed in the CRM ``backend_key`` (a key of ``HUB_CRM``) since the last run.

    Raises KeyError when that backend is not configured. Errors of the CRM or of a whole
    kind are not raised: they are in the result and in the kind's ``SyncState.last_error``.
    """
    backend = get_crm_backend(backend_key)
    results: list[KindResult] = []
    try:
        for kind in backend.kinds:
            result = _crm_sync_kind(backend, kind)
            results.append(result)
            if not result.ok:
                break
    finally:
        backend.close()
    return CrmSyncResult(backend=backend_key, kinds=tuple(results))


def crm_sync_all() -> list[CrmSyncResult]:
    """Every configured CRM; an empty list (and a log line) when none is."""
    keys = crm_backend_keys()
    if not keys:
        logger.info("crm.sync.skipped reason=not_configured")
    return [crm_sync(backend_key=key) for key in keys]


def _crm_sync_kind(backend, kind: ImportKind) -> KindResult:
    name = f"crm.{backend.key}.{kind}"
    try:
        state = sync_state_claim(name=name)
    except SyncBusy as exc:
        logger.info("crm.sync.busy state=%s", name)
        return KindResult(kind=kind, ok=False, cursor="", error=str(exc))
    since = cursor = state.cursor
    counts = dict.fromkeys(("rows", "created", "updated", "unchanged", "skipped", "errors"), 0)
    issues: list[dict[str, Any]] = []
    line = 1  # rows are numbered across the whole run, for the report
    try:
        for page in backend.changes(kind, since=since):
            rows = _resolve_references(kind, page.rows)
            for key, group in _matched_by(kind, rows):
                options = {**CRM_IMPORT_OPTIONS[kind], **({"key": key} if key else {})}
                report = import_rows(kind, group, options=options, first_line=line)
                for counted in ("rows", "created", "updated", "unchanged", "skipped"):
                    counts[counted] += getattr(report, counted)
                counts["errors"] += report.error_count
                issues.extend(_issues(report, group, first_line=line))
                line += len(group)
            cursor = page.cursor
    except (CrmError, ImportRefused) as exc:
        # Pages imported before this one stay imported (each was one transaction); the
        # cursor stays before them all, and importing them again changes nothing.
        sync_state_finish(state=state, error=str(exc))
        logger.warning("crm.sync.failed state=%s error=%s", name, exc)
        return KindResult(kind=kind, ok=False, cursor=since, error=str(exc))
    except Exception as exc:
        # A bug or a database outage: record it, release the claim, and let Celery see it.
        sync_state_finish(state=state, error=f"{type(exc).__name__}: {exc}")
        raise

    sync_state_finish(state=state, cursor=cursor, stats={**counts, "issues": issues[:KEPT_ISSUES]})
    logger.info(
        "crm.sync.done state=%s rows=%s created=%s updated=%s unchanged=%s skipped=%s cursor=%s",
        name,
        counts["rows"],
        counts["created"],
        counts["updated"],
        counts["unchanged"],
        counts["skipped"],
        cursor,
    )
    return KindResult(
        kind=kind,
        ok=True,
        cursor=cursor,
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        skipped=counts["skipped"],
        issues=tuple(issues),
    )


def _matched_by(kind: str, rows: list[Row]) -> list[tuple[str, list[Row]]]:
    """The rows in groups, each with the key the import should match it by ("" = default).

    A record is matched by its CRM id. But a CRM id we have never seen, whose customer
    number (account) or e-mail address (contact) a record of ours without a CRM id holds, is
    that record: the ERP import or a sign-up got there first. Such rows are matched by the
    number or address instead, which gives the record its CRM id.
    """
    fallback = FALLBACK_KEYS.get(kind)
    if not rows or not fallback:
        return [("", rows)] if rows else []
    model = Account if kind == ImportKind.ACCOUNTS else Contact
    known = set(
        model.objects.filter(crm_id__in={row.get("crm_id", "") for row in rows}).values_list(
            "crm_id", flat=True
        )
    )
    values = {_folded(fallback, row.get(fallback, "")) for row in rows} - {""}
    adoptable = set(
        model.objects.filter(**{f"{fallback}__in": values}, crm_id__isnull=True).values_list(
            fallback, flat=True
        )
    )
    by_crm_id, adopted = [], []
    for row in rows:
        new = row.get("crm_id", "") not in known
        takes_over = new and _folded(fallback, row.get(fallback, "")) in adoptable
        (adopted if takes_over else by_crm_id).append(row)
    return [(key, group) for key, group in (("crm_id", by_crm_id), (fallback, adopted)) if group]


def _folded(field_name: str, value: str) -> str:
    """A value as the import stores it, to compare with what is stored."""
    return normalise_email(value) if field_name == "email" else value.strip()


def _resolve_references(kind: str, rows: Iterable[Row]) -> list[Row]:
    """Turn the CRM's ids of related records into the references the import matches by.

    A contact names its account by CRM id. An order names its contact by CRM id and its
    account by customer number (the import finds an order's account by nothing else), or
    through its contact. A reference to a record we do not hold (its row was rejected, or the
    CRM user may not read it) is left out, so the row is still imported, only not linked.
    """
    rows = list(rows)
    if kind not in (ImportKind.CONTACTS, ImportKind.ORDERS):
        return rows
    account_ids = {row["account_crm_id"] for row in rows if row.get("account_crm_id")}
    accounts = dict(
        Account.objects.filter(crm_id__in=account_ids).values_list("crm_id", "customer_number")
    )
    contact_ids = {row["contact_crm_id"] for row in rows if row.get("contact_crm_id")}
    contacts = set(Contact.objects.filter(crm_id__in=contact_ids).values_list("crm_id", flat=True))
    resolved = []
    for original in rows:
        row = {k: v for k, v in original.items() if k not in ("account_crm_id", "contact_crm_id")}
        account = original.get("account_crm_id", "")
        if account and account not in accounts:
            logger.info("crm.sync.account_unknown kind=%s account=%s", kind, account)
        elif account and kind == ImportKind.CONTACTS:
            row["account"] = account
        elif account and accounts[account]:
            row["account"] = accounts[account]
        contact = original.get("contact_crm_id", "")
        if contact in contacts:
            row["contact"] = contact
        resolved.append(row)
    return resolved


def _issues(report: ImportReport, rows: list[Row], *, first_line: int) -> list[dict[str, Any]]:
    """The report's problems, each with the CRM id of its row."""
    issues = []
    for issue in (*report.errors, *report.warnings):
        entry = issue.as_dict()
        index = issue.line - first_line
        if 0 <= index < len(rows):
            entry["crm_id"] = rows[index].get("crm_id") or rows[index].get("external_id", "")
        issues.append(entry)
    return issues


# --- the ERP drop location -------------------------------------------------------------------

ERP_STATE = "erp.files"
# Fingerprints ("<sha256> <name>") of the files imported lately: a file that reappears
# (its move failed, or someone copied it back) is moved on without a second import.
KEPT_FINGERPRINTS = 1000
ERP_IMPORT_OPTIONS: dict[str, dict[str, str]] = {ImportKind.ORDERS: {"source": "erp"}}


@dataclass(frozen=True)
class ErpFileResult:
    name: str
    kind: str
    status: str  # "imported", "failed" (unreadable) or "duplicate" (imported before)
    moved_to: str = ""
    job_id: int | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    message: str = ""


@dataclass(frozen=True)
class ErpImportResult:
    location: str
    files: tuple[ErpFileResult, ...] = ()
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def erp_import_files() -> ErpImportResult | None:
    """Import every file waiting in ``HUB_ERP_IMPORT_LOCATION``, in name order.

    Each file becomes an ImportJob (shown under Imports, with its copy of the file) run by
    the import engine, all or nothing, then moves to ``processed/``, or to ``failed/`` when
    it could not be read or imported (nothing of it is written); its problems go to
    ``<file>.errors.csv`` or ``.errors.txt`` beside it. None when the location is not set.
    """
    location = get_drop_location()
    if location is None:
        logger.info("erp.import.skipped reason=not_configured")
        return None
    try:
        state = sync_state_claim(name=ERP_STATE)
    except SyncBusy as exc:
        logger.info("erp.import.busy location=%s", location.url)
        return ErpImportResult(location=location.url, error=str(exc))
    results: list[ErpFileResult] = []
    error = ""
    try:
        for drop_file in location.files():
            results.append(_erp_import_file(location, drop_file, state))
    except DropLocationError as exc:
        error = str(exc)
        logger.warning("erp.import.failed location=%s error=%s", location.url, exc)
    except Exception as exc:
        sync_state_finish(state=state, error=f"{type(exc).__name__}: {exc}")
        raise
    failed = [f"{r.moved_to}: {r.message}" for r in results if r.status == "failed"]
    error = "; ".join([*([error] if error else []), *failed])
    last_run = [
        {key: value for key, value in vars(result).items() if value not in ("", None)}
        for result in results
    ]
    imported = [r.name for r in results if r.status == "imported"]
    sync_state_finish(
        state=state,
        cursor=imported[-1] if imported else None,
        error=error,
        stats={"files": last_run[-100:]},
    )
    return ErpImportResult(location=location.url, files=tuple(results), error=error)


def _erp_import_file(
    location: DropLocation, drop_file: DropFile, state: SyncState
) -> ErpFileResult:
    name = drop_file.name
    with location.open(name) as stream:
        token = f"{fingerprint(stream)} {name}"
        if token in state.stats.get("imported", []):
            moved_to = location.move_to(name, PROCESSED)
            logger.info("erp.import.duplicate file=%s moved_to=%s", name, moved_to)
            return ErpFileResult(
                name=name, kind=drop_file.kind, status="duplicate", moved_to=moved_to
            )
        job = _erp_job(drop_file, stream)
    job = import_job_run(job_id=job.pk) or job
    if job.status != ImportStatus.DONE:
        # Nothing of it was written (the import is one transaction), so the same file put
        # back after a fix, or after a limit was raised, is imported then.
        moved_to = location.move_to(name, FAILED)
        message = job.message or f"the import ended {job.get_status_display()}"
        location.write(f"{moved_to}.errors.txt", f"{name}: {message}\n".encode())
        logger.warning("erp.import.unreadable file=%s job=%s reason=%s", name, job.pk, message)
        return ErpFileResult(
            name=name,
            kind=drop_file.kind,
            status="failed",
            moved_to=moved_to,
            job_id=job.pk,
            message=message,
        )
    _remember(state, token)
    moved_to = location.move_to(name, PROCESSED)
    if job.errors:
        location.write(f"{moved_to}.errors.csv", _errors_csv(job.errors))
    logger.info(
        "erp.import.done file=%s job=%s created=%s updated=%s unchanged=%s skipped=%s",
        name,
        job.pk,
        job.created_count,
        job.updated_count,
        job.unchanged_count,
        job.error_count,
    )
    return ErpFileResult(
        name=name,
        kind=drop_file.kind,
        status="imported",
        moved_to=moved_to,
        job_id=job.pk,
        created=job.created_count,
        updated=job.updated_count,
        unchanged=job.unchanged_count,
        skipped=job.error_count,
    )


def _erp_job(drop_file: DropFile, stream) -> ImportJob:
    """A queued import of the file, with the columns matched by their headers."""
    options = ERP_IMPORT_OPTIONS.get(drop_file.kind, {})
    mapping: dict[str, str] = {}
    try:
        headers, _rows = preview(stream, name=drop_file.name, options=options)
        mapping = suggest_mapping(drop_file.kind, headers)
    except UnreadableFile:
        pass  # the import itself fails with the reason, and records it on the job
    stream.seek(0)
    with transaction.atomic():
        return ImportJob.objects.create(
            kind=drop_file.kind,
            file=File(stream, name=drop_file.name),
            original_name=drop_file.name,
            options=dict(options),
            mapping=mapping,
            status=ImportStatus.QUEUED,
            dry_run=False,
        )


def _remember(state: SyncState, token: str) -> None:
    """Keep the file's fingerprint at once, so a crash before the move cannot re-import it."""
    with transaction.atomic():
        locked = SyncState.objects.select_for_update().get(pk=state.pk)
        imported = [*locked.stats.get("imported", []), token][-KEPT_FINGERPRINTS:]
        locked.stats = {**locked.stats, "imported": imported}
        locked.save(update_fields=["stats"])
    state.stats = locked.stats


def _errors_csv(issues: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "field", "reason", "level"])
    for issue in issues:
        writer.writerow(
            [neutralise_formula(issue.get(k, "")) for k in ("line", "field", "reason", "level")]
        )
    return out.getvalue().encode("utf-8-sig")
