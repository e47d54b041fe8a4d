"""Assembling a catalogue run: real page numbers, front and back matter, a file per version.

Once every part is rendered, on one worker:

1. The parts are fetched from storage. A part that laid out more or fewer pages than its
   plan shifts every part after it: those are rendered again, one after the other, with
   their real first page (and stored over their earlier file), so the numbers run on.
2. The table of contents comes from the parts' real chapter pages, the index from their
   product pages; the back matter (the index) is rendered after the body.
3. Per version (the default one, then each buying-centre role of the catalogue) only the
   front matter is rendered ("render once per variant"), joined with the body and the back
   matter, and validated: any message from the channel fails the run.
4. Only when every version validated are the PDFs, the layout studio's package and the
   preview images stored and listed in the run, which succeeds in the same update; the
   parts are then deleted and the files of older runs pruned.

A failure at any step fails the run and deletes what it stored; the previous run's files
stay as they were.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from campaigns.feeds.storage import file_sha256
from campaigns.models import CatalogueRun, CatalogueRunPart, CatalogueRunStatus
from channels.documents import (
    Chapter,
    DocumentChannel,
    DocumentSpec,
    IndexEntry,
    TocEntry,
)

from .leases import RunLost, lease_renew
from .runs import document_channel, part_plan, part_record, render_and_store, run_fail
from .source import chapters, document_spec, run_catalogue
from .storage import (
    bytes_store,
    file_delete,
    file_store,
    old_runs_prune,
    parts_delete,
    run_folder,
)

logger = logging.getLogger(__name__)

PREVIEW_PAGES = 4


@dataclass
class Version:
    role: str
    name: str
    path: Path
    pages: int


def versions(roles: list[str]) -> list[str]:
    """The default version ("") and each role's, each once, in the catalogue's order."""
    found = [""]
    for role in roles:
        if role and role not in found:
            found.append(role)
    return found


def _fetch_parts(parts: list[CatalogueRunPart], folder: Path) -> dict[int, Path]:
    paths = {}
    for part in parts:
        if not part.path:
            raise ValueError(
                _("Part %(number)s of the body is missing.") % {"number": part.index + 1}
            )
        path = folder / f"part-{part.index + 1:04d}.pdf"
        with default_storage.open(part.path, "rb") as stored, path.open("wb") as local:
            shutil.copyfileobj(stored, local)
        paths[part.index] = path
    return paths


def _renumber(
    run: CatalogueRun,
    parts: list[CatalogueRunPart],
    paths: dict[int, Path],
    channel: DocumentChannel,
    spec: DocumentSpec,
    folder: Path,
) -> int:
    """Render again each part whose first page moved; the page after the body."""
    expected = parts[0].first_page if parts else 1
    for part in parts:
        if part.first_page != expected:
            logger.info(
                "catalogue.part_renumbered run=%s part=%s first_page=%s was=%s",
                run.pk,
                part.index,
                expected,
                part.first_page,
            )
            lease_renew(run.pk)
            plan = part_plan(part, first_page=expected)
            rendered, stored, path = render_and_store(run, part, channel, spec, plan, folder)
            with transaction.atomic():
                part_record(run, part, rendered, path=stored, first_page=expected)
            part.refresh_from_db()
            paths[part.index] = path
        expected += part.pages or 0
    return expected


def _toc(parts: list[CatalogueRunPart], body: list[Chapter]) -> list[TocEntry]:
    titles = {chapter.key: chapter.title for chapter in body}
    return [
        TocEntry(key, titles.get(key, key), part.chapter_pages[key])
        for part in parts
        for key in part.chapter_keys
        if key in part.chapter_pages
    ]


def _index(parts: list[CatalogueRunPart], body: list[Chapter], language: str) -> list[IndexEntry]:
    names = {}
    for chapter in body:
        for product in chapter.products:
            text = product.text(language)
            names[product.sku] = text.name if text else ""
    pages = {sku: page for part in parts for sku, page in part.product_pages.items()}
    return [IndexEntry(sku, names.get(sku, ""), pages[sku]) for sku in sorted(pages)]


def _render_versions(run, channel, parts, paths, body, folder, back_first_page) -> list[Version]:
    catalogue = run.catalogue
    default = document_spec(catalogue, run)
    toc = _toc(parts, body)
    back = folder / "back.pdf"
    with back.open("wb") as out:
        channel.render_back(default, _index(parts, body, default.language), back_first_page, out)
    roles = list(run_catalogue(run).roles or [])
    done = []
    for role in versions(roles):
        lease_renew(run.pk)
        spec = default if not role else document_spec(catalogue, run, role=role)
        front = folder / f"front-{role or 'default'}.pdf"
        with front.open("wb") as out:
            channel.render_front(spec, toc, out)
        name = f"{catalogue.slug}-{slugify(role)}.pdf" if role else f"{catalogue.slug}.pdf"
        path = folder / name
        files = [front, *(paths[part.index] for part in parts), back]
        with path.open("wb") as out:
            pages = channel.assemble(spec, files, out)
        errors = [str(message) for message in channel.validate(spec, path)]
        if errors:
            raise ValueError(
                _("%(name)s does not pass the check of its profile: %(errors)s")
                % {"name": name, "errors": "; ".join(errors[:20])}
            )
        done.append(Version(role, name, path, pages))
    return done


def _store(run, channel, done: list[Version], body, folder: Path, stored: list[str]) -> dict:
    """Store the run's files (each name in ``stored`` as soon as it is); what lists them."""
    prefix = run_folder(run)
    files = []
    for version in done:
        name = file_store(f"{prefix}/{version.name}", version.path)
        stored.append(name)
        files.append(
            {
                "role": version.role,
                "name": version.name,
                "path": name,
                "size": version.path.stat().st_size,
                "pages": version.pages,
                "sha256": file_sha256(version.path),
            }
        )
    default = document_spec(run.catalogue, run)
    package = folder / f"{run.catalogue.slug}-indesign.zip"
    with package.open("wb") as out:
        records = channel.layout_export(default, body, out)
    name = file_store(f"{prefix}/{package.name}", package)
    stored.append(name)
    layout = {
        "name": package.name,
        "path": name,
        "size": package.stat().st_size,
        "records": records,
    }
    previews = []
    for number, image in enumerate(channel.preview(done[0].path, pages=PREVIEW_PAGES), start=1):
        name = bytes_store(f"{prefix}/preview-{number}.png", image)
        stored.append(name)
        previews.append(name)
    return {"files": files, "layout_export": layout, "previews": previews}


def run_assemble(run_id: int) -> None:
    """Assemble run ``run_id`` (see the module's docstring); nothing unless it is assembling."""
    run = CatalogueRun.objects.select_related("catalogue", "revision").filter(pk=run_id).first()
    if run is None or run.status != CatalogueRunStatus.ASSEMBLING:
        return
    stored: list[str] = []
    try:
        lease_renew(run_id)
        channel = document_channel()
        parts = list(CatalogueRunPart.objects.filter(run=run).order_by("index"))
        with tempfile.TemporaryDirectory(prefix="hub-catalogue-") as name:
            folder = Path(name)
            paths = _fetch_parts(parts, folder)
            spec = document_spec(run.catalogue, run)
            after_body = _renumber(run, parts, paths, channel, spec, folder)
            keys = [key for part in parts for key in part.chapter_keys]
            # The body's products as they are, with their original images: for the
            # contents, the index and the layout studio's package.
            body = chapters(run, keys, originals=True)
            done = _render_versions(run, channel, parts, paths, body, folder, after_body)
            lease_renew(run_id)
            listed = _store(run, channel, done, body, folder, stored)
        printed = {
            product.sku: product.updated_at.isoformat() if product.updated_at else ""
            for chapter in body
            for product in chapter.products
        }
        with transaction.atomic():
            finished = CatalogueRun.objects.filter(
                pk=run_id, status=CatalogueRunStatus.ASSEMBLING
            ).update(
                status=CatalogueRunStatus.SUCCEEDED,
                finished_at=timezone.now(),
                lease_until=None,
                pages=done[0].pages,
                products=len(printed),
                chapters_done=len(keys),
                printed=printed,
                **listed,
            )
        if not finished:
            raise RunLost(_("The run was given up before it finished."))
    except RunLost:
        logger.info("catalogue.assembly_void run=%s", run_id)
        for name in stored:
            file_delete(run_id, name)
        return
    except Exception as exc:
        run_fail(run, exc)
        for name in stored:
            file_delete(run_id, name)
        return
    parts_delete(run)
    old_runs_prune(run.catalogue)
    logger.info(
        "catalogue.run_succeeded run=%s catalogue=%s pages=%s versions=%s",
        run_id,
        run.catalogue.slug,
        done[0].pages,
        len(done),
    )
