"""Newsletter topics in the admin: campaign managers keep the keys and their labels."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet

from campaigns.models import NewsletterTopic
from campaigns.models.topics import label_field_name


class NewsletterTopicForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Campaigns and contacts' declined topics store the key: it stays as it was saved.
        if self.instance.pk and "key" in self.fields:
            self.fields["key"].disabled = True


class NewsletterTopicViewSet(ModelViewSet):
    """The topics a campaign names and a contact may decline on their preference page."""

    model = NewsletterTopic
    icon = "tag"
    menu_label = _("Newsletter topics")
    url_prefix = "newsletter-topics"
    inspect_view_enabled = False
    list_display = [
        Column("label", label=_("Topic"), accessor="label"),
        Column("key", label=_("Key")),
        Column("sort_order", label=pgettext_lazy("position in a list", "Order")),
    ]
    search_fields = ["key", *(label_field_name(code) for code, _name in settings.LANGUAGES)]
    edit_handler = ObjectList(
        [
            FieldPanel("key"),
            MultiFieldPanel(
                [FieldPanel(label_field_name(code)) for code, _name in settings.LANGUAGES],
                heading=_("Label per language"),
            ),
            FieldPanel("sort_order"),
        ],
        base_form_class=NewsletterTopicForm,
    )
