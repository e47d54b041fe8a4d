"""What a user does to a catalogue: queue a run, see what changed since the last one.

``catalogue_generate_queue`` refuses what cannot be generated (a catalogue never approved,
one without chapters, one whose run is under way) with ``CatalogueRefused``, whose message
the admin shows as it is. A run whose worker died (its lease lapsed) no longer blocks the
catalogue: it is failed here, and the new run starts.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from campaigns.models import Catalogue, CatalogueRun, CatalogueRunStatus
from campaigns.models.catalogues import OPEN_RUN_STATES

from .leases import lease_seconds, run_abandon
from .source import live_catalogue, printable_products

logger = logging.getLogger(__name__)


class CatalogueRefused(ValueError):
    """The catalogue cannot be generated now; the message says why, translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProductChange:
    sku: str
    name: str
    product_id: int | None
    change: Literal["changed", "added", "removed"]


def catalogue_generate_queue(catalogue: Catalogue, *, user) -> CatalogueRun:
    """Create a queued run of ``catalogue``'s published revision and queue its planning once
    this transaction commits; ``CatalogueRefused`` when it cannot be generated now."""
    from campaigns.tasks import catalogue_plan

    with transaction.atomic():
        locked = Catalogue.objects.select_for_update().get(pk=catalogue.pk)
        if not locked.is_approved:
            raise CatalogueRefused(
                _("The catalogue has no approved version yet: only approved content is printed.")
            )
        revision = locked.live_revision
        live = live_catalogue(locked, revision)
        if not list(live.chapters.all()):
            raise CatalogueRefused(_("The catalogue has no chapters: choose its categories."))
        now = timezone.now()
        for open_run in CatalogueRun.objects.filter(catalogue=locked, status__in=OPEN_RUN_STATES):
            if open_run.lease_until is not None and open_run.lease_until >= now:
                raise CatalogueRefused(
                    _("The catalogue is being generated already; wait for that run to finish.")
                )
            run_abandon(
                open_run, error=_("The worker stopped before the run finished (its lease lapsed).")
            )
        try:
            with transaction.atomic():
                run = CatalogueRun.objects.create(
                    catalogue=locked,
                    revision=revision,
                    requested_by=user,
                    started_at=now,
                    lease_until=now + dt.timedelta(seconds=lease_seconds()),
                    status=CatalogueRunStatus.QUEUED,
                    profile=live.profile,
                    chapters_total=len(live.chapters.all()),
                )
        except IntegrityError:
            raise CatalogueRefused(
                _("The catalogue is being generated already; wait for that run to finish.")
            ) from None
        run_id = run.pk
        transaction.on_commit(lambda: catalogue_plan.delay(run_id))
        log(instance=locked, action="campaigns.catalogue.generate", user=user)
    logger.info(
        "catalogue.queued catalogue=%s run=%s user=%s",
        catalogue.slug,
        run.pk,
        getattr(user, "pk", None),
    )
    return run


def catalogue_changes(catalogue: Catalogue) -> list[ProductChange]:
    """The products of ``catalogue``'s chapters that changed, came or went since its last
    good run, by SKU; every printable product is "added" when it never ran."""
    last = (
        CatalogueRun.objects.filter(catalogue=catalogue, status=CatalogueRunStatus.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .first()
    )
    printed: dict = dict(last.printed) if last is not None else {}
    revision = catalogue.live_revision if catalogue.is_approved else None
    current = {
        candidate.product.sku: candidate for candidate in printable_products(catalogue, revision)
    }
    changes: list[ProductChange] = []
    for sku in sorted(set(current) | set(printed)):
        candidate = current.get(sku)
        if candidate is None:
            changes.append(ProductChange(sku, "", None, "removed"))
            continue
        product = candidate.product
        text = next(iter(product.texts.values()), None)
        name = text.name if text else ""
        if sku not in printed:
            change = "added"
        elif _iso(product.updated_at) != printed[sku]:
            change = "changed"
        else:
            continue
        changes.append(ProductChange(sku, name, candidate.product_id, change))
    return changes


def _iso(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""
