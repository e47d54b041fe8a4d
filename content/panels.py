"""Admin panels for content that are not plain fields."""

from itertools import groupby

from wagtail.admin.panels import Panel

from .selectors import product_completeness_matrix
from .translation_state import (
    field_labels,
    language_versions,
    requested_changes,
    translate_url,
    untranslated_fields,
)


class CompletenessPanel(Panel):
    """Completeness of the product per channel x locale, with the missing fields."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "content/panels/completeness.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            matrix = product_completeness_matrix(self.instance)
            context["rows"] = [
                (locale, list(cells)) for locale, cells in groupby(matrix, key=lambda c: c.locale)
            ]
            context["channels"] = (
                [cell.channel_name for cell in context["rows"][0][1]] if matrix else []
            )
            return context


class EditorBriefingPanel(Panel):
    """At the top of the edit form: what a reviewer asked to change, the language being
    edited with links to the other languages, and the fields still to translate."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "content/panels/editor_briefing.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            obj = self.instance
            context["feedback"] = requested_changes(obj)
            if obj.pk is None:
                return context
            request = self.request
            versions = language_versions(obj)
            context["current"] = next((v for v in versions if v.current), None)
            context["others"] = [v for v in versions if not v.current]
            context["translate_url"] = (
                translate_url(obj)
                if request.user.has_perm("simple_translation.submit_translation")
                else None
            )
            pending = untranslated_fields(obj)
            context["untranslated"] = field_labels(type(obj), pending)
            if pending and "translation_confirmed" in self.form.fields:
                context["confirm_field"] = self.form["translation_confirmed"]
            return context
