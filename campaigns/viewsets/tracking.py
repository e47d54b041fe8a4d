"""Opens and clicks in the admin: the hits as recorded (read-only), and the machine rules.

The rules say which hits are a machine's and are edited as data by campaign managers; the
hits show what the rules made of each open and click.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, StatusTagColumn
from wagtail.admin.viewsets.model import ModelViewSet

from campaigns.models import MachineRule, TrackingHit
from core.viewsets import ReadOnlyViewSet


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


class TrackingHitViewSet(ReadOnlyViewSet):
    """Each open and click with its classification; facts, so nothing here changes them."""

    model = TrackingHit
    icon = "view"
    menu_label = _("Opens and clicks")
    url_prefix = "tracking-hits"
    list_filter = ["kind", "classification"]
    list_display = [
        DateColumn("at", label=_("When"), sort_key="at"),
        Column("kind", label=_("What"), accessor="get_kind_display"),
        StatusTagColumn(
            "classification", label=_("Classified as"), accessor="get_classification_display"
        ),
        Column("seconds_after_send", label=_("Seconds after sending")),
        Column("campaign", label=_("Campaign"), accessor=lambda hit: hit.delivery.campaign),
        Column("user_agent", label=_("User agent")),
    ]
    inspect_view_fields = [
        "delivery",
        "kind",
        "at",
        "classification",
        "seconds_after_send",
        "ip",
        "user_agent",
        "url",
    ]

    def get_queryset(self, request):
        return TrackingHit.objects.select_related("delivery__campaign").order_by("-at", "-pk")
