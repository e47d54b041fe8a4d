"""Every write to product content and audience messages outside the admin's own views.

The admin writes through Wagtail's views; these services do the same things for commands,
imports and tests, through the same Wagtail machinery, so the audit log and revisions are
identical whichever way a change came in. The ERP's facts (price, stock) are the exception:
they are no editorial content, have no revisions and are written straight to the rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import Revision, WorkflowState

from .exceptions import NotAReviewer, NotInReview, WorkflowNotConfigured
from .models import ERP_FIELDS, ContentModel, Product, TranslationProgress
from .translation_state import (
    PENDING_ANNOTATION,
    normalized_text,
    text_snapshot,
    translation_progress,
)


@transaction.atomic
def content_save_draft(*, obj: ContentModel, user) -> Revision:
    """Save ``obj`` as a new draft revision. A live item's published version is untouched."""
    is_new = obj.pk is None
    if is_new or not obj.live:
        if is_new:
            obj.live = False
        obj.save()
    revision = obj.save_revision(user=user, log_action=False)
    translation_progress_record(obj=obj, user=user)
    log(
        instance=obj,
        action="wagtail.create" if is_new else "wagtail.edit",
        user=user,
        revision=revision,
        content_changed=True,
    )
    return revision


@transaction.atomic
def content_submit(*, obj: ContentModel, user) -> WorkflowState:
    """Save ``obj`` as a draft and start its approval workflow at the first step."""
    workflow = obj.get_workflow()
    if workflow is None:
        raise WorkflowNotConfigured(
            f"No approval workflow is assigned to {obj._meta.verbose_name}."
        )
    content_save_draft(obj=obj, user=user)
    # After "Request changes", a resubmission goes through every step again.
    current = obj.current_workflow_state
    if current is not None and current.status == WorkflowState.STATUS_NEEDS_CHANGES:
        current.cancel(user=user)
    return workflow.start(type(obj).objects.get(pk=obj.pk), user)


def _current_task(obj: ContentModel, user):
    task_state = obj.current_workflow_task_state
    if task_state is None:
        raise NotInReview(f"{obj} is not awaiting review.")
    task = task_state.task.specific
    if not any(name for name, *_ in task.get_actions(obj, user)):
        raise NotAReviewer(f"{user} does not review the step {task.name!r}.")
    return task_state, task


@transaction.atomic
def content_approve(*, obj: ContentModel, user, comment: str = "") -> WorkflowState:
    """Approve the current step; approving the last step publishes the reviewed revision."""
    task_state, task = _current_task(obj, user)
    task.on_action(task_state, user, "approve", comment=comment)
    return task_state.workflow_state


@transaction.atomic
def content_reject(*, obj: ContentModel, user, comment: str) -> WorkflowState:
    """Send the item back to its editor with a comment saying what to change."""
    task_state, task = _current_task(obj, user)
    task.on_action(task_state, user, "reject", comment=comment)
    return task_state.workflow_state


# --- translations ---------------------------------------------------------------------------


@transaction.atomic
def content_translate(*, obj: ContentModel, locales: Sequence, user) -> list[ContentModel]:
    """Copy ``obj`` (its latest version) into each of ``locales`` as an unapproved draft.

    Each copy remembers the source's text: its text fields need translating until their
    text differs from the source's or an editor confirms it (``translation_progress_record``).
    Fields empty in the source need nothing.
    """
    source_text = text_snapshot(obj)
    copies = []
    for locale in locales:
        copy = obj.copy_for_translation(locale)
        copy.save()
        TranslationProgress.objects.create(
            **{_progress_field(copy): copy},
            source_locale=obj.locale,
            source_text=source_text,
            pending=[field for field, text in source_text.items() if text],
        )
        log(instance=copy, action="wagtail.create", user=user)
        copies.append(copy)
    return copies


def _progress_field(obj: ContentModel) -> str:
    return "product" if isinstance(obj, Product) else "message"


@transaction.atomic
def translation_progress_record(
    *, obj: ContentModel, user, confirmed: Sequence[str] = ()
) -> TranslationProgress | None:
    """After ``obj`` (a draft, saved or not) was saved: drop from its untranslated fields
    those whose text now differs from the source's, and those in ``confirmed`` (the editor
    says they read the same in both languages). A translated field stays translated."""
    progress = translation_progress(obj)
    if progress is None or not progress.pending:
        return progress
    confirmed = [field for field in confirmed if field in progress.pending]
    progress.pending = [
        field
        for field in progress.pending
        if field not in confirmed
        and normalized_text(getattr(obj, field)) == progress.source_text.get(field, "")
    ]
    if confirmed:
        progress.confirmed = [*progress.confirmed, *confirmed]
        progress.confirmed_by = user
    progress.save()
    setattr(obj, PENDING_ANNOTATION, progress.pending)
    return progress


# --- the ERP's facts ------------------------------------------------------------------------

# What the ERP sends for a SKU; ``erp_updated_at`` is the hub's record of when it last changed.
ERP_FACTS = tuple(name for name in ERP_FIELDS if name != "erp_updated_at")


@dataclass(frozen=True)
class ErpFactsInput:
    """The ERP's facts about one SKU: only the fields in ``facts`` are written.

    ``facts`` maps names of ``ERP_FACTS`` to values as the model stores them: ``price`` a
    Decimal or None (no price), ``availability`` an ``Availability`` value or "" (none).
    """

    sku: str
    facts: Mapping[str, Any]


@dataclass(frozen=True)
class ErpFactsError:
    """Why the item at ``index`` was not stored (``key``: its SKU)."""

    index: int
    key: str
    field: str | None
    detail: str


@dataclass
class ErpFactsResult:
    """Counted per SKU. Nothing is ever created: the ERP's facts do not make products."""

    updated: int = 0
    unchanged: int = 0
    errors: list[ErpFactsError] = field(default_factory=list)


@transaction.atomic
def erp_facts_record(*, items: Sequence[ErpFactsInput]) -> ErpFactsResult:
    """Store the ERP's list price, currency, availability and lead time of each SKU.

    Every locale row of the SKU gets the same facts, drafts included: they are the ERP's,
    not editorial, so no revision is made and no workflow is touched (publishing an older
    revision keeps them, ``Product.with_content_json``). Only the fields an item gives are
    written; within a batch a SKU's items apply in order, so the last value of each field
    wins. A row is written only when a fact differs, and then ``erp_updated_at`` and
    ``updated_at`` move: the content API's ETags, ``Last-Modified`` and ``updated_since``
    are built on ``updated_at``, and a new price is a change its readers must see. A SKU
    no product has is reported in ``errors`` by index and SKU; the others are stored.
    The caller marks the feeds changed when ``updated`` (content does not know feeds).
    """
    latest: dict[str, dict[str, Any]] = {}
    for item in items:
        unknown = set(item.facts) - set(ERP_FACTS)
        if unknown:
            raise ValueError(f"Not an ERP fact: {', '.join(sorted(unknown))}.")
        latest.setdefault(item.sku, {}).update(item.facts)
    rows: dict[str, list[Product]] = {}
    # In primary-key order, so two batches touching the same SKUs lock them alike.
    for row in Product.objects.select_for_update().filter(sku__in=latest).order_by("pk"):
        rows.setdefault(row.sku, []).append(row)
    result = ErpFactsResult()
    for index, item in enumerate(items):
        if item.sku not in rows:
            result.errors.append(
                ErpFactsError(index, item.sku, "sku", f"No product with SKU {item.sku!r}.")
            )
    now = timezone.now()
    changed: list[Product] = []
    written: set[str] = set()
    for sku, facts in latest.items():
        stale = [
            row
            for row in rows.get(sku, ())
            if any(getattr(row, name) != value for name, value in facts.items())
        ]
        for row in stale:
            for name, value in facts.items():
                setattr(row, name, value)
            row.erp_updated_at = row.updated_at = now
        if stale:
            changed += stale
            written.update(facts)
            result.updated += 1
        elif sku in rows:
            result.unchanged += 1
    if changed:
        # Plain UPDATEs: no save(), so no revision, log entry or workflow signal.
        Product.objects.bulk_update(
            changed, [*sorted(written), "erp_updated_at", "updated_at"], batch_size=500
        )
    return result
