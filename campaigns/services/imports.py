"""File imports as jobs: upload, map columns, dry run, import; run by a Celery task.

An import is all or nothing: the engine stores the rows that passed its checks in one
transaction, or nothing at all, and the job says which, and why.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from campaigns.importing import (
    MAX_REPORTED,
    ImportRefused,
    ImportReport,
    UnreadableFile,
    import_file,
    preview,
    suggest_mapping,
)
from campaigns.models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)


def import_job_create(
    *, kind: str, file: UploadedFile, options: Mapping[str, Any], user
) -> ImportJob:
    """Store an uploaded file as a job, with the suggested column mapping.

    Raises ``UnreadableFile`` (and stores nothing) if the file cannot be read.
    """
    file.seek(0)
    headers, _rows = preview(file, name=file.name, options=options)
    file.seek(0)
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            file=file,
            original_name=file.name,
            options=dict(options),
            mapping=suggest_mapping(kind, headers),
            created_by=user,
        )
    logger.info("import.uploaded job=%s kind=%s file=%s", job.pk, kind, job.original_name)
    return job


def import_job_preview(*, job: ImportJob) -> tuple[list[str], list[list[str]]]:
    """The file's header and first rows, for the mapping form.

    Raises ``UnreadableFile`` when the file was deleted (an erasure of a contact it named).
    """
    if not job.file:
        raise UnreadableFile(job.message or "The file of this import was deleted.")
    with job.file.open("rb") as stream:
        return preview(stream, name=job.original_name, options=job.options)


def import_job_start(
    *, job: ImportJob, dry_run: bool, user, mapping: Mapping[str, str] | None = None
) -> ImportJob:
    """Queue a dry run (any time before the import) or the import (only after a dry run)."""
    from campaigns.tasks import run_import_job

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        allowed = (
            {ImportStatus.UPLOADED, ImportStatus.PREVIEWED, ImportStatus.FAILED}
            if dry_run
            else {ImportStatus.PREVIEWED}
        )
        if job.status not in allowed:
            raise ValueError(f"An import that is {job.get_status_display()} cannot be started.")
        if not job.file:
            raise ValueError(job.message or "The file of this import was deleted.")
        if mapping is not None:
            job.mapping = {name: header for name, header in mapping.items() if header}
        job.dry_run = dry_run
        job.status = ImportStatus.QUEUED
        job.processed_rows = 0
        job.message = ""
        job.finished_at = None
        job.save()
        transaction.on_commit(lambda: run_import_job.delay(job.pk))
    logger.info("import.queued job=%s dry_run=%s user=%s", job.pk, dry_run, user.pk)
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job. Running it twice, or after it finished, does nothing.

    The job ends previewed (dry run), done, or failed with the reason; a failed import
    wrote nothing. A dry run shows its progress as it goes; an import is one transaction,
    whose progress nobody else could see, so the job shows it running until it is done.
    An error of the database connection, or any other surprise, is raised too, after the
    job is marked failed.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING
    )
    if not claimed:
        return None
    job = ImportJob.objects.get(pk=job_id)

    def progress(processed: int, total: int | None) -> None:
        ImportJob.objects.filter(pk=job_id).update(
            processed_rows=processed, total_rows=total or processed
        )

    try:
        with job.file.open("rb") as stream:
            report = import_file(
                job.kind,
                stream,
                name=job.original_name,
                mapping=job.mapping,
                options=job.options,
                dry_run=job.dry_run,
                progress=progress if job.dry_run else None,
            )
    except ImportRefused as exc:
        _fail(job, str(exc))
        logger.info("import.failed job=%s reason=%s", job.pk, exc)
        return job
    except Exception as exc:
        # The engine's transaction is rolled back: nothing of the file is stored.
        _fail(job, f"The import stopped unexpectedly: {exc}")
        logger.exception("import.crashed job=%s", job.pk)
        raise
    _record(job, report)
    return job


def _fail(job: ImportJob, message: str) -> None:
    job.status = ImportStatus.FAILED
    job.message = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "finished_at"])


def _record(job: ImportJob, report: ImportReport) -> None:
    job.refresh_from_db(fields=["total_rows"])
    job.status = ImportStatus.PREVIEWED if report.dry_run else ImportStatus.DONE
    job.total_rows = report.rows
    job.processed_rows = report.rows
    job.created_count = report.created
    job.updated_count = report.updated
    job.unchanged_count = report.unchanged
    job.error_count = report.skipped
    issues = [issue.as_dict() for issue in report.errors + report.warnings]
    job.errors = issues[: MAX_REPORTED * 2]
    job.finished_at = timezone.now()
    job.save()
    logger.info(
        "import.finished job=%s dry_run=%s created=%s updated=%s unchanged=%s skipped=%s",
        job.pk,
        report.dry_run,
        report.created,
        report.updated,
        report.unchanged,
        report.skipped,
    )
