"""The machine rules in the admin: which opens and clicks are a machine's, edited as data."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.viewsets.model import ModelViewSet

from campaigns.models import MachineRule


def _conditions(rule: MachineRule) -> str:
    parts = []
    if rule.ip_network:
        parts.append(str(_("from %(range)s")) % {"range": rule.ip_network})
    if rule.user_agent_pattern:
        parts.append(str(_("user agent ~ %(pattern)s")) % {"pattern": rule.user_agent_pattern})
    if rule.max_seconds_after_send is not None:
        parts.append(
            str(_("within %(seconds)s s of sending")) % {"seconds": rule.max_seconds_after_send}
        )
    return "; ".join(parts)


class MachineRuleViewSet(ModelViewSet):
    """Campaign managers edit the rules; the next open or click is classified by them."""

    model = MachineRule
    icon = "cogs"
    menu_label = _("Machine rules")
    url_prefix = "machine-rules"
    copy_view_enabled = True
    inspect_view_enabled = False
    list_display = [
        Column("priority", label=_("Priority")),
        "name",
        Column("applies_to", label=_("Applies to"), accessor="get_applies_to_display"),
        Column("classification", label=_("Classify as"), accessor="get_classification_display"),
        Column("conditions", label=_("When"), accessor=_conditions),
        BooleanColumn("active", label=_("Active")),
    ]
    list_filter = ["applies_to", "classification", "active"]
    search_fields = ["name", "user_agent_pattern", "ip_network"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldRowPanel([FieldPanel("applies_to"), FieldPanel("classification")]),
            MultiFieldPanel(
                [
                    FieldPanel("ip_network"),
                    FieldPanel("user_agent_pattern"),
                    FieldPanel("max_seconds_after_send"),
                ],
                heading=_("When (all that are given must hold)"),
            ),
            FieldRowPanel([FieldPanel("priority"), FieldPanel("active")]),
            FieldPanel("source"),
        ]
    )
