"""A run's lease: how a run whose worker died stops blocking its catalogue.

An open run (queued, rendering, assembling) holds a lease that each of its tasks renews as
it starts and while it works. A run whose lease lapsed (every worker on it was killed, or
its tasks were lost) is failed by the next ``catalogue_generate_queue`` of its catalogue or
by the beat task ``catalogue_runs_sweep``; its stored files are deleted.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import CatalogueRun, CatalogueRunStatus
from campaigns.models.catalogues import OPEN_RUN_STATES

from .storage import run_files_delete

logger = logging.getLogger(__name__)


class RunLost(Exception):
    """The run is no longer open (it failed, or its lease lapsed and it was given up)."""


def lease_seconds() -> float:
    return float(getattr(settings, "HUB_CATALOGUE_RUN_LEASE_SECONDS", 1800.0))


def lease_renew(run_id: int, *, claim: tuple[str, str] | None = None) -> None:
    """Extend the lease of open run ``run_id``; ``RunLost`` when it is not open any more.

    With ``claim`` (from status, to status) only a run in the first status, which moves to
    the second: of two tasks that claim the same step, one gets ``RunLost``.
    """
    fields = {"lease_until": timezone.now() + dt.timedelta(seconds=lease_seconds())}
    runs = CatalogueRun.objects.filter(pk=run_id, status__in=OPEN_RUN_STATES)
    if claim is not None:
        runs = runs.filter(status=claim[0])
        fields["status"] = claim[1]
    if not runs.update(**fields):
        raise RunLost(_("The run was given up before it finished."))


def run_abandon(run: CatalogueRun, *, error: str) -> bool:
    """Fail ``run`` if it is still open, and delete what it stored.

    False when it was no longer open (it finished, or another process failed it).
    """
    with transaction.atomic():
        failed = CatalogueRun.objects.filter(pk=run.pk, status__in=OPEN_RUN_STATES).update(
            status=CatalogueRunStatus.FAILED,
            finished_at=timezone.now(),
            lease_until=None,
            error=error,
        )
    if failed:
        run.refresh_from_db()
        run_files_delete(run)
        logger.info("catalogue.run_failed run=%s", run.pk)
    return bool(failed)


def stale_runs_abandon() -> int:
    """Fail every open run whose lease lapsed: its workers died or its tasks were lost."""
    stale = CatalogueRun.objects.filter(status__in=OPEN_RUN_STATES, lease_until__lt=timezone.now())
    error = _("The worker stopped before the run finished (its lease lapsed).")
    return sum(run_abandon(run, error=error) for run in stale)
