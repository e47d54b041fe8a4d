"""Reads about translations: which languages an item has, which of its text is still the
source language's, and what a reviewer last asked its editor to change."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.admin.utils import quote
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from wagtail.models import Locale, TaskState, WorkflowState

from .models import ContentModel, Product, TranslationProgress

_WHITESPACE = re.compile(r"\s+")

# What ``annotate_translation_state`` puts on each row: the pending field names, or None.
PENDING_ANNOTATION = "_pending_translation"


def normalized_text(value: object) -> str:
    """The words of a text or rich text value: no markup, entities decoded, spaces collapsed.

    Two values with the same words are the same text: saving rich text through the editor
    adds block keys and may re-wrap it without changing what a reader sees.
    """
    text = html.unescape(strip_tags(str(value or "")))
    return _WHITESPACE.sub(" ", text).strip()


def text_snapshot(obj: ContentModel) -> dict[str, str]:
    """The translatable text fields of ``obj``, normalised."""
    return {field: normalized_text(getattr(obj, field)) for field in obj.translatable_text_fields}


def _progress_filter(obj_or_model) -> str:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    return "product" if issubclass(model, Product) else "message"


def translation_progress(obj: ContentModel) -> TranslationProgress | None:
    """The record of ``obj`` as a translated copy, or None when it was not made by Translate."""
    if obj.pk is None:
        return None
    return TranslationProgress.objects.filter(**{_progress_filter(obj): obj.pk}).first()


def untranslated_fields(obj: ContentModel) -> tuple[str, ...]:
    """The text fields of ``obj`` still the source language's text, in field order.

    No query for a row from ``annotate_translation_state``.
    """
    if hasattr(obj, PENDING_ANNOTATION):
        pending = getattr(obj, PENDING_ANNOTATION) or []
    else:
        progress = translation_progress(obj)
        pending = progress.pending if progress else []
        if obj.pk is not None:
            # Remembered on the object: the edit view asks for it from the form, the
            # banner and the completeness panel.
            setattr(obj, PENDING_ANNOTATION, pending)
    return tuple(field for field in obj.translatable_text_fields if field in pending)


def annotate_translation_state(queryset: QuerySet) -> QuerySet:
    """Annotate each row's untranslated fields (``untranslated_fields`` reads them)."""
    return queryset.annotate(**{PENDING_ANNOTATION: F("translation_progress__pending")})


def needing_translation_q() -> Q:
    """Rows (products or messages) with text still in the source language."""
    return Q(translation_progress__isnull=False) & ~Q(translation_progress__pending=[])


def field_labels(model: type[ContentModel], fields) -> list[str]:
    return [str(model._meta.get_field(field).verbose_name) for field in fields]


@dataclass(frozen=True)
class LanguageVersion:
    """One content language of an item: its edit link, or where to create it."""

    locale: Locale
    current: bool
    edit_url: str | None


def language_versions(obj: ContentModel) -> list[LanguageVersion]:
    """Every content language, in order, with the version of ``obj`` in it (if any)."""
    existing: dict[int, object] = {}
    if obj.pk is not None:
        existing = dict(
            type(obj)
            .objects.filter(translation_key=obj.translation_key)
            .values_list("locale_id", "pk")
        )
    edit_url_name = obj.snippet_viewset.get_url_name("edit")
    return [
        LanguageVersion(
            locale=locale,
            current=locale.pk == obj.locale_id,
            edit_url=(
                reverse(edit_url_name, args=[quote(existing[locale.pk])])
                if locale.pk in existing
                else None
            ),
        )
        for locale in Locale.objects.order_by("pk")
    ]


def translate_url(obj: ContentModel) -> str:
    """simple_translation's "Translate" form for ``obj``."""
    meta = type(obj)._meta
    return reverse(
        "simple_translation:submit_snippet_translation",
        args=[meta.app_label, meta.model_name, quote(obj.pk)],
    )


@dataclass(frozen=True)
class ReviewFeedback:
    """What a reviewer asked the editor to change."""

    reviewer: str
    at: datetime
    comment: str
    task: str


def requested_changes(obj: ContentModel) -> ReviewFeedback | None:
    """The reviewer's comment while ``obj`` waits for changes; None once it is resubmitted."""
    if obj.pk is None:
        return None
    state = (
        WorkflowState.objects.for_instance(obj)
        .filter(status=WorkflowState.STATUS_NEEDS_CHANGES)
        .select_related("current_task_state__finished_by", "current_task_state__task")
        .first()
    )
    task_state = state.current_task_state if state else None
    if task_state is None or task_state.status != TaskState.STATUS_REJECTED:
        return None
    reviewer = task_state.finished_by
    return ReviewFeedback(
        reviewer=(reviewer.get_full_name() or reviewer.get_username()) if reviewer else "",
        at=task_state.finished_at,
        comment=task_state.get_comment(),
        task=task_state.task.name,
    )


def approval_outcome(obj: ContentModel) -> str:
    """What approving did to ``obj`` (its row re-read after the approval), for the reviewer."""
    state = obj.current_workflow_state
    values = {"object": str(obj)}
    if state is not None and state.status == WorkflowState.STATUS_IN_PROGRESS:
        task_state = state.current_task_state
        values["task"] = task_state.task.name if task_state else ""
        return _("“%(object)s” approved - waiting for %(task)s.") % values
    if state is not None and state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        feedback = requested_changes(obj)
        values["reason"] = feedback.comment if feedback else ""
        return _("“%(object)s” could not go live and went back to its editor: %(reason)s") % values
    if obj.live and not obj.has_unpublished_changes:
        return _("“%(object)s” approved - now live.") % values
    if obj.go_live_at and obj.go_live_at > timezone.now():
        values["at"] = formats.date_format(timezone.localtime(obj.go_live_at), "DATETIME_FORMAT")
        return _("“%(object)s” approved - goes live on %(at)s.") % values
    return _("“%(object)s” approved.") % values
