"""Admin listings whose cost does not grow with the page size.

Wagtail's stock pieces ask the database once per row for snippets: the status tag asks
for a scheduled revision and a workflow in progress, and simple_translation's "Translate"
button asks whether a locale is still untranslated. On a 50-row product page that was
three queries a row. Here the same answers come from annotations made in the listing's
one query, and the columns and buttons read them.
"""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.db.models import CharField, Exists, OuterRef, QuerySet
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.widgets.button import BaseButton, Button
from wagtail.contrib.simple_translation import wagtail_hooks as simple_translation_hooks
from wagtail.models import Locale, Revision, WorkflowState

from .admin_cells import FastButtonWithDropdown, FastStatusTagColumn, FastTitleColumn


def annotate_listing_state(queryset: QuerySet) -> QuerySet:
    """Annotate what the status tag and the Translate button need, for every row at once.

    ``_approved_schedule``: a revision approved to go live later exists;
    ``_workflow_in_progress``: a workflow runs on the object;
    ``_has_untranslated_locale``: some locale has no version of it yet (translatable models).
    """
    model = queryset.model
    base_type = model.get_base_content_type()
    object_id = Cast(OuterRef("pk"), output_field=CharField())
    annotations = {
        "_approved_schedule": Exists(
            Revision.objects.filter(
                base_content_type=base_type,
                object_id=object_id,
                approved_go_live_at__isnull=False,
            )
        ),
        "_workflow_in_progress": Exists(
            WorkflowState.objects.filter(
                base_content_type=base_type,
                object_id=object_id,
                status=WorkflowState.STATUS_IN_PROGRESS,
            )
        ),
    }
    if hasattr(model, "translation_key"):
        annotations["_has_untranslated_locale"] = Exists(
            Locale.objects.exclude(
                id__in=model._default_manager.filter(
                    translation_key=OuterRef(OuterRef("translation_key"))
                ).values("locale_id")
            )
        )
    return queryset.annotate(**annotations)


def status_string(instance) -> str:
    """Wagtail's ``status_string``, read from ``annotate_listing_state`` annotations."""
    scheduled = instance._approved_schedule
    in_progress = instance._workflow_in_progress
    if not instance.live:
        if instance.expired:
            return _("expired")
        if scheduled:
            return _("scheduled")
        if in_progress:
            return _("in moderation")
        return _("draft")
    if scheduled:
        return _("live + scheduled")
    if in_progress:
        return _("live + in moderation")
    if instance.has_unpublished_changes:
        return _("live + draft")
    return _("live")


class AnnotatedLiveStatusColumn(FastStatusTagColumn):
    """The live/draft status tag of ``LiveStatusTagColumn``, without a query per row."""

    def __init__(self, **kwargs):
        super().__init__(
            "status",
            label=kwargs.pop("label", _("Status")),
            sort_key=kwargs.pop("sort_key", "live"),
            primary=lambda instance: instance.live,
            **kwargs,
        )

    def get_value(self, instance):
        return status_string(instance)


class AnnotatedButtonsMixin:
    """For snippet index views: the Translate button from ``_has_untranslated_locale``.

    simple_translation's listing-button hook asks the database once per row; it is left
    out here and the same button is built from the annotation. The rest follows Wagtail's
    ``snippets.views.snippets.IndexView.get_list_buttons``.
    """

    def _get_title_column(self, field_name, column_class=FastTitleColumn, **kwargs):
        # The title cell with its buttons, written in Python (the listing's costliest cell).
        return super()._get_title_column(field_name, column_class, **kwargs)

    def _translate_buttons(self, instance):
        if getattr(instance, "_has_untranslated_locale", False) and self.request.user.has_perm(
            "simple_translation.submit_translation"
        ):
            meta = type(instance)._meta
            url = reverse(
                "simple_translation:submit_snippet_translation",
                args=[meta.app_label, meta.model_name, quote(instance.pk)],
            )
            yield MenuItem(_("Translate"), url, icon_name="globe", priority=100)

    def get_list_buttons(self, instance):
        user = self.request.user
        stock_translate = simple_translation_hooks.register_snippet_listing_buttons
        buttons = self.get_list_more_buttons(instance)
        buttons.extend(self._translate_buttons(instance))
        for hook in hooks.get_hooks("register_snippet_listing_buttons"):
            if hook is not stock_translate:
                buttons.extend(hook(instance, user, self.request.path))

        list_buttons, more_buttons = [], []
        for button in buttons:
            if isinstance(button, BaseButton) and not button.allow_in_dropdown:
                list_buttons.append(button)
            elif isinstance(button, MenuItem):
                if button.is_shown(user):
                    more_buttons.append(Button.from_menu_item(button))
            elif button.show:
                more_buttons.append(button)
        for hook in hooks.get_hooks("construct_snippet_listing_buttons"):
            hook(more_buttons, instance, user)
        if more_buttons:
            list_buttons.append(
                FastButtonWithDropdown(
                    buttons=more_buttons,
                    icon_name="dots-horizontal",
                    attrs={
                        "aria-label": _("More options for '%(title)s'") % {"title": str(instance)}
                    },
                )
            )
        return list_buttons
