"""Where a run's files go: a temporary folder while written, the default storage once good.

A writer streams its parts into a ``channels.feeds.DirectorySink`` (a temporary folder of
the worker). A
run whose parts all validated copies each part, and a gzip copy of it, to Django's default
storage (local files or S3 through django-storages) under ``feeds/<slug>/<run id>/``; a run
never writes over another run's files, so what a reader is streaming stays whole while the
next run is stored. Files of good runs older than the last ``KEEP_RUNS`` are deleted.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import shutil
from pathlib import Path
from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage

from campaigns.models import Feed, FeedRefusal, FeedRun, FeedRunStatus
from channels.feeds import FeedPart

logger = logging.getLogger(__name__)

KEEP_RUNS = 3
# A run's readiness report (its refusals) is kept for the last few runs, and the runs
# themselves, without their report, for the history page: a feed regenerated every few
# minutes would otherwise pile up a report of every left-out product per run.
KEEP_REPORTS = 5
KEEP_HISTORY = 200
CHUNK = 1024 * 1024


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file at ``path``, hex, read a chunk at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _gzip(path: Path) -> Path:
    target = path.with_name(path.name + ".gz")
    # mtime=0: the same bytes give the same gzip file.
    with (
        path.open("rb") as source,
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed,
    ):
        shutil.copyfileobj(source, compressed, CHUNK)
    return target


def stored_file(path: str) -> IO[bytes]:
    """A stored file opened for streaming reads.

    On S3 (django-storages) the object's body is read as it arrives: the storage's own
    ``open()`` would first download the whole object into a spooled file (in memory unless
    ``AWS_S3_MAX_MEMORY_SIZE`` is set), a whole catalogue per request.
    """
    bucket = getattr(default_storage, "bucket", None)
    if bucket is not None:
        from storages.utils import clean_name

        key = default_storage._normalize_name(clean_name(path))
        return bucket.Object(key).get()["Body"]
    return default_storage.open(path, "rb")


def run_folder(run: FeedRun) -> str:
    return f"feeds/{run.feed.slug}/{run.pk}"


def parts_store(run: FeedRun, parts: list[FeedPart]) -> list[dict]:
    """Copy ``parts`` and their gzip copies to the default storage; their descriptions.

    Every file stored is listed in ``run.parts`` as soon as it is stored, so a run that
    fails after storing some of them can delete them.
    """
    folder = run_folder(run)
    stored: list[dict] = []
    for part in parts:
        packed = _gzip(part.path)
        entry = {
            "name": part.name,
            "size": part.size,
            "products": part.products,
            "sha256": file_sha256(part.path),
            "gzip_size": packed.stat().st_size,
        }
        with part.path.open("rb") as file:
            entry["path"] = default_storage.save(f"{folder}/{part.name}", File(file))
        stored.append(entry)
        run.parts = stored
        run.save(update_fields=["parts"])
        with packed.open("rb") as file:
            entry["gzip_path"] = default_storage.save(f"{folder}/{part.name}.gz", File(file))
        run.save(update_fields=["parts"])
    return stored


def run_files_delete(run: FeedRun) -> None:
    """Delete ``run``'s stored files; the run stays in the history, its files marked gone."""
    for part in run.parts:
        for key in ("path", "gzip_path"):
            if part.get(key):
                try:
                    default_storage.delete(part[key])
                except OSError:
                    logger.warning("feed.file_delete_failed run=%s path=%s", run.pk, part[key])
    FeedRun.objects.filter(pk=run.pk).update(files_deleted=True)


def old_runs_prune(feed: Feed) -> None:
    """Delete the files of good runs older than the last ``KEEP_RUNS`` (never the served one),
    the reports of runs older than the last ``KEEP_REPORTS``, and runs older than the last
    ``KEEP_HISTORY``."""
    good = FeedRun.objects.filter(
        feed=feed, status=FeedRunStatus.SUCCEEDED, files_deleted=False
    ).order_by("-finished_at", "-pk")
    for run in good[KEEP_RUNS:]:
        if run.pk != feed.current_run_id:
            run_files_delete(run)
    finished = FeedRun.objects.filter(feed=feed).exclude(status=FeedRunStatus.RUNNING)
    finished = finished.exclude(pk=feed.current_run_id).order_by("-started_at", "-pk")
    old_reports = finished[KEEP_REPORTS:].values_list("pk", flat=True)
    FeedRefusal.objects.filter(run_id__in=list(old_reports)).delete()
    for run in finished[KEEP_HISTORY:]:
        if run.parts and not run.files_deleted:
            run_files_delete(run)
        run.delete()
