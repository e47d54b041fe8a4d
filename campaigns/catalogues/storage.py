"""Where a catalogue run's files go: the default storage, under ``catalogues/<slug>/<run>/``.

The parts of the body are stored as each is rendered (``part-0001.pdf``, ...), so any worker
can assemble them; once assembled they are deleted. The finished files (a PDF per version,
the layout studio's package, preview images) stay for the last ``KEEP_RUNS`` good runs; a
failed run keeps nothing. A run never writes over another run's files.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage

from campaigns.models import Catalogue, CatalogueRun, CatalogueRunPart, CatalogueRunStatus

logger = logging.getLogger(__name__)

KEEP_RUNS = 5


def run_folder(run: CatalogueRun) -> str:
    return f"catalogues/{run.catalogue.slug}/{run.pk}"


def part_name(run: CatalogueRun, index: int) -> str:
    return f"{run_folder(run)}/part-{index + 1:04d}.pdf"


def file_store(name: str, path: Path) -> str:
    """Store the local file ``path`` as ``name``, over a file of that name (a part rendered
    again); the stored name."""
    if default_storage.exists(name):
        default_storage.delete(name)
    with path.open("rb") as file:
        return default_storage.save(name, File(file, name=Path(name).name))


def bytes_store(name: str, content: bytes) -> str:
    from django.core.files.base import ContentFile

    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(content))


def file_delete(run_id: int, name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("catalogue.file_delete_failed run=%s path=%s", run_id, name)


def parts_delete(run: CatalogueRun) -> None:
    """Delete the stored parts of ``run`` (after assembly, or when it failed)."""
    for part in CatalogueRunPart.objects.filter(run=run).exclude(path=""):
        file_delete(run.pk, part.path)
    CatalogueRunPart.objects.filter(run=run).update(path="")


def stored_names(run: CatalogueRun) -> list[str]:
    """Every file ``run`` lists: its PDFs, its layout package, its previews."""
    names = [file["path"] for file in run.files if file.get("path")]
    if run.layout_export.get("path"):
        names.append(run.layout_export["path"])
    return names + [path for path in run.previews if path]


def run_files_delete(run: CatalogueRun) -> None:
    """Delete everything ``run`` stored; the run stays in the history, its files marked gone.

    Besides what it lists, whatever is left in its folder (a file stored by an assembly that
    failed before listing it)."""
    parts_delete(run)
    for name in stored_names(run):
        file_delete(run.pk, name)
    folder = run_folder(run)
    try:
        _folders, left = default_storage.listdir(folder)
    except (OSError, NotImplementedError):
        left = []
    for name in left:
        file_delete(run.pk, f"{folder}/{name}")
    CatalogueRun.objects.filter(pk=run.pk).update(files_deleted=True)


def old_runs_prune(catalogue: Catalogue) -> None:
    """Delete the files of good runs older than the last ``KEEP_RUNS``."""
    good = CatalogueRun.objects.filter(
        catalogue=catalogue, status=CatalogueRunStatus.SUCCEEDED, files_deleted=False
    ).order_by("-finished_at", "-pk")
    for run in good[KEEP_RUNS:]:
        run_files_delete(run)
