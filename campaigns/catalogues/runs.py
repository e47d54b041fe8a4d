"""A catalogue run: planned, its body rendered in parts on any worker, then assembled.

What it promises (``channels.documents`` describes the adapter's side):

- ``run_plan``: the run's chapters (categories with live, complete products) are planned by
  the print channel into parts of about ``HUB_CATALOGUE_PART_PAGES`` pages; a
  ``CatalogueRunPart`` per part, and one ``catalogue_render_part`` task per part, queued
  together so several workers render them in parallel. Left-out products and empty
  categories are the run's ``CatalogueProblem`` rows.
- ``part_render``: renders one part into a temporary file, stores it over its own earlier
  file (a task delivered twice renders its part again and touches nothing else), records
  what it really laid out, and counts its chapters done. The part that finds every part
  rendered, in one transaction with the run's row locked, moves the run to assembling and
  queues ``catalogue_assemble``: exactly once, whatever order the parts finish in.
- ``run_assemble`` (``assembly``): the rest.

Anything that fails fails the run with its error and deletes what it stored; the last good
run's files stay as they were.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import (
    CatalogueProblem,
    CatalogueRun,
    CatalogueRunPart,
    CatalogueRunStatus,
)
from channels.documents import DocumentChannel, DocumentSpec, PartPlan, RenderedPart
from channels.registry import get_channel

from .leases import RunLost, lease_renew, run_abandon
from .source import CHANNEL_KEY, chapter_outlines, chapters, document_spec
from .storage import file_delete, file_store, part_name

logger = logging.getLogger(__name__)

PLAN_FIELDS = ("completeness", "chapter")


def document_channel() -> DocumentChannel:
    """The print channel (``HUB_CHANNELS["print"]``), which lays catalogues out."""
    try:
        channel = get_channel(CHANNEL_KEY)
    except KeyError:
        raise ValueError(_("No print channel is configured in HUB_CHANNELS.")) from None
    if not isinstance(channel, DocumentChannel):
        raise ValueError(_("The print channel in HUB_CHANNELS does not lay out documents."))
    return channel


def part_pages() -> int:
    return max(1, int(getattr(settings, "HUB_CATALOGUE_PART_PAGES", 40)))


def error_text(exc: Exception) -> str:
    message = str(exc)
    if not message:
        return type(exc).__name__
    if isinstance(exc, (ValueError, RunLost)):
        return message
    return f"{type(exc).__name__}: {message}"


def run_fail(run: CatalogueRun, exc: Exception) -> None:
    logger.exception("catalogue.run_failed run=%s", run.pk)
    run_abandon(run, error=error_text(exc))


# --- planning -------------------------------------------------------------------------------


def run_plan(run_id: int) -> None:
    """Plan queued run ``run_id`` and queue its parts; nothing when it is not queued."""
    from campaigns.tasks import catalogue_render_part

    run = CatalogueRun.objects.select_related("catalogue", "revision").filter(pk=run_id).first()
    if run is None or run.status != CatalogueRunStatus.QUEUED:
        return
    try:
        lease_renew(run_id, claim=(CatalogueRunStatus.QUEUED, CatalogueRunStatus.RENDERING))
    except RunLost:
        return  # planned by another delivery of this task
    try:
        channel = document_channel()
        spec = document_spec(run.catalogue, run)
        outline = chapter_outlines(run)
        # Listed first: a run that prints nothing shows why.
        CatalogueProblem.objects.bulk_create(
            CatalogueProblem(
                run=run,
                sku=problem.sku,
                product_id=problem.product_id,
                field=problem.field,
                message=problem.message[:500],
            )
            for problem in outline.problems
        )
        if not outline.outlines:
            raise ValueError(_("No chapter of the catalogue has a live product to print."))
        plan = channel.plan(spec, outline.outlines, part_pages=part_pages())
        with transaction.atomic():
            CatalogueRunPart.objects.bulk_create(
                CatalogueRunPart(
                    run=run,
                    index=part.index,
                    chapter_keys=list(part.chapter_keys),
                    first_page=part.first_page,
                    planned_pages=part.pages,
                )
                for part in plan.parts
            )
            run.plan = {
                "parts": [
                    {
                        "index": part.index,
                        "chapter_keys": list(part.chapter_keys),
                        "first_page": part.first_page,
                        "pages": part.pages,
                    }
                    for part in plan.parts
                ],
                "chapter_pages": dict(plan.chapter_pages),
                "skus": outline.skus,
            }
            run.chapters_total = len(outline.outlines)
            run.chapters_done = 0
            run.products = sum(outline.products for outline in outline.outlines)
            run.save(update_fields=["plan", "chapters_total", "chapters_done", "products"])
            indexes = [part.index for part in plan.parts]
            transaction.on_commit(
                lambda: [catalogue_render_part.delay(run_id, index) for index in indexes]
            )
        logger.info(
            "catalogue.run_planned run=%s parts=%s chapters=%s pages=%s",
            run_id,
            len(plan.parts),
            len(outline.outlines),
            plan.body_pages,
        )
    except Exception as exc:
        run_fail(run, exc)


# --- parts ----------------------------------------------------------------------------------


def part_plan(part: CatalogueRunPart, *, first_page: int | None = None) -> PartPlan:
    return PartPlan(
        index=part.index,
        chapter_keys=tuple(part.chapter_keys),
        first_page=part.first_page if first_page is None else first_page,
        pages=part.planned_pages,
    )


def render_and_store(
    run: CatalogueRun,
    part: CatalogueRunPart,
    channel: DocumentChannel,
    spec: DocumentSpec,
    plan: PartPlan,
    folder: Path,
) -> tuple[RenderedPart, str, Path]:
    """Render ``part`` as ``plan`` says into ``folder`` and store it over its earlier file."""
    path = folder / f"part-{part.index + 1:04d}.pdf"
    with path.open("wb") as out:
        rendered = channel.render_part(spec, plan, chapters(run, plan.chapter_keys), out)
    return rendered, file_store(part_name(run, part.index), path), path


def part_record(
    run: CatalogueRun, part: CatalogueRunPart, rendered: RenderedPart, *, path: str, first_page: int
) -> bool:
    """Record what ``part`` laid out and its problems, in the caller's transaction; True when
    it was rendered for the first time."""
    first_time = CatalogueRunPart.objects.filter(pk=part.pk, pages__isnull=True).exists()
    CatalogueRunPart.objects.filter(pk=part.pk).update(
        first_page=first_page,
        pages=rendered.pages,
        chapter_pages=dict(rendered.chapter_pages),
        product_pages=dict(rendered.product_pages),
        path=path,
        rendered_at=timezone.now(),
    )
    # A part rendered again reports its problems again: replace its products' problems, and
    # add a problem about no product only once.
    skus = [sku for key in part.chapter_keys for sku in run.plan.get("skus", {}).get(key, ())]
    CatalogueProblem.objects.filter(run=run, sku__in=skus).exclude(field__in=PLAN_FIELDS).delete()
    for problem in rendered.problems:
        fields = {"sku": problem.sku, "field": str(problem.field)[:50]}
        message = str(problem.message)[:500]
        if (
            problem.sku
            or not CatalogueProblem.objects.filter(run=run, message=message, **fields).exists()
        ):
            CatalogueProblem.objects.create(run=run, message=message, **fields)
    return first_time


def part_render(run_id: int, index: int) -> None:
    """Render part ``index`` of run ``run_id``; the last part done queues the assembly."""
    from campaigns.tasks import catalogue_assemble

    run = CatalogueRun.objects.select_related("catalogue", "revision").filter(pk=run_id).first()
    if run is None or run.status != CatalogueRunStatus.RENDERING:
        return
    part = CatalogueRunPart.objects.get(run=run, index=index)
    stored = ""
    try:
        lease_renew(run_id)
        CatalogueRunPart.objects.filter(pk=part.pk).update(attempts=F("attempts") + 1)
        channel = document_channel()
        spec = document_spec(run.catalogue, run)
        with tempfile.TemporaryDirectory(prefix="hub-catalogue-") as folder:
            rendered, stored, _path = render_and_store(
                run, part, channel, spec, part_plan(part), Path(folder)
            )
        with transaction.atomic():
            locked = CatalogueRun.objects.select_for_update().get(pk=run_id)
            if locked.status != CatalogueRunStatus.RENDERING:
                raise RunLost(_("The run was given up before it finished."))
            if part_record(locked, part, rendered, path=stored, first_page=part.first_page):
                CatalogueRun.objects.filter(pk=run_id).update(
                    chapters_done=F("chapters_done") + len(part.chapter_keys)
                )
            last = not CatalogueRunPart.objects.filter(run=run, pages__isnull=True).exists()
            if last and CatalogueRun.objects.filter(
                pk=run_id, status=CatalogueRunStatus.RENDERING
            ).update(status=CatalogueRunStatus.ASSEMBLING):
                transaction.on_commit(lambda: catalogue_assemble.delay(run_id))
        logger.info(
            "catalogue.part_rendered run=%s part=%s pages=%s planned=%s last=%s",
            run_id,
            index,
            rendered.pages,
            part.planned_pages,
            last,
        )
    except RunLost:
        logger.info("catalogue.part_void run=%s part=%s", run_id, index)
        run.refresh_from_db()
        if stored and not run.is_open:
            # Stored after the run was given up (and its files deleted): not kept either.
            file_delete(run.pk, stored)
    except Exception as exc:
        run_fail(run, exc)


def run_assemble(run_id: int) -> None:
    from .assembly import run_assemble as assemble

    assemble(run_id)
