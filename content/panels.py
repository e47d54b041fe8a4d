"""Admin panels for content that are not plain fields."""

from itertools import groupby

from wagtail.admin.panels import Panel

from .selectors import product_completeness_matrix


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
