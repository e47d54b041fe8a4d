"""Webshop placements in the admin: a snippet with the approval workflow, like catalogues.

Editing, submitting, approving and the history are Wagtail's own snippet views; a
placement's default content is served only once the "Campaign approval" workflow has
published it (no group is granted ``publish_placement``).
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, ObjectList
from wagtail.admin.ui.tables import Column, UpdatedAtColumn
from wagtail.snippets.views.snippets import SnippetViewSet

from campaigns.models import Placement
from campaigns.models.placements import SLOT_PATTERN
from channels.registry import get_channels
from core.admin_listings import AnnotatedLiveStatusColumn, annotate_listing_state


def serving_channels() -> list[tuple[str, str]]:
    """The configured channels that serve placements (webshops), as form choices."""
    return [(key, channel.name) for key, channel in get_channels().items() if channel.serves]


def _channel_name(placement: Placement) -> str:
    channel = get_channels().get(placement.channel)
    return channel.name if channel is not None else placement.channel


class PlacementForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "channel" in self.fields:
            self.fields["channel"] = forms.ChoiceField(
                label=_("Channel"),
                choices=serving_channels(),
                help_text=self.fields["channel"].help_text,
            )

    def clean_key(self) -> str:
        key = (self.cleaned_data.get("key") or "").strip()
        # The database refuses a bad slot too; say what a good one looks like first.
        if not re.fullmatch(SLOT_PATTERN, key):
            raise forms.ValidationError(
                _(
                    "“%(key)s” is not a slot name: lower-case letters, digits and underscores, "
                    "in parts separated by dots, each starting with a letter (e.g. home.hero)."
                )
                % {"key": key},
                code="slot_format",
            )
        return key

    def clean(self):
        cleaned = super().clean()
        key, channel = cleaned.get("key"), cleaned.get("channel")
        if key and channel:
            others = Placement.objects.filter(key=key, channel=channel).exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error("key", _("The channel has a slot “%(key)s” already.") % {"key": key})
        return cleaned


class PlacementViewSet(SnippetViewSet):
    model = Placement
    icon = "placeholder"
    menu_label = gettext_lazy("Placements")
    menu_name = "placements"
    # Right after "Print catalogues" (241) in the menu.
    menu_order = 242
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = [
        "key",
        Column("channel", label=gettext_lazy("Channel"), accessor=_channel_name),
        "name",
        AnnotatedLiveStatusColumn(),
        UpdatedAtColumn(label=gettext_lazy("Updated")),
    ]
    list_filter = ["channel"]
    search_fields = ["name", "key"]

    def get_queryset(self, request):
        # The status tag reads annotations instead of asking per row.
        return annotate_listing_state(Placement.objects.all())

    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("key"), FieldPanel("channel")]),
            FieldPanel("name"),
            FieldPanel("description"),
            InlinePanel(
                "defaults",
                heading=gettext_lazy("Default content, one per language"),
                label=gettext_lazy("Default content"),
                panels=[FieldPanel("locale"), FieldPanel("body")],
            ),
        ],
        base_form_class=PlacementForm,
    )
