"""Newsletter topics in the admin: campaign managers keep the keys and their labels."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import DeleteView
from wagtail.admin.viewsets.model import ModelViewSet

from campaigns.models import Campaign, NewsletterTopic
from campaigns.models.topics import label_field_name


class NewsletterTopicForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Campaigns and contacts' declined topics store the key: it stays as it was saved.
        if self.instance.pk and "key" in self.fields:
            self.fields["key"].disabled = True


class NewsletterTopicDeleteView(DeleteView):
    """A topic a campaign names stays: the campaign's recipients were filtered by it, and
    its preference links offer it. The page lists those campaigns instead of the button."""

    template_name = "campaigns/topics/confirm_delete.html"
    # Enough to find them; the campaign listing filters by topic for the rest.
    CAMPAIGNS_SHOWN = 20

    @cached_property
    def campaigns(self):
        return Campaign.objects.filter(topic=self.object.key).order_by("-pk")

    def in_use_message(self, count: int) -> str:
        return ngettext(
            "This topic cannot be deleted: %(count)s campaign names it. Give it another "
            "topic first.",
            "This topic cannot be deleted: %(count)s campaigns name it. Give them another "
            "topic first.",
            count,
        ) % {"count": count}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        count = self.campaigns.count()
        if count:
            context.update(
                is_protected=True,
                in_use=self.in_use_message(count),
                campaigns=self.campaigns[: self.CAMPAIGNS_SHOWN],
            )
        return context

    def form_valid(self, form):
        count = self.campaigns.count()
        if count:
            messages.error(self.request, self.in_use_message(count))
            return HttpResponseRedirect(self.get_delete_url())
        return super().form_valid(form)


class NewsletterTopicViewSet(ModelViewSet):
    """The topics a campaign names and a contact may decline on their preference page."""

    model = NewsletterTopic
    icon = "tag"
    menu_label = _("Newsletter topics")
    url_prefix = "newsletter-topics"
    inspect_view_enabled = False
    delete_view_class = NewsletterTopicDeleteView
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
