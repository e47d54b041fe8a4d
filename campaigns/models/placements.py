"""Webshop placements: named slots on a shop's pages that campaigns fill per segment.

A ``Placement`` is a snippet approved like a campaign (drafts, revisions, the workflow):
the slot's key (``home.hero``), the channel whose pages have it, and its default content
per language (``PlacementDefault``), shown to every visitor no running campaign is for.
Only its published revision is ever served.

A campaign fills slots with ``CampaignPlacement`` rows (per placement, language and A/B
arm), part of its approved plan; it serves them from the moment it is scheduled for until
``placements_until``, unless paused or cancelled. Among several campaigns for one visitor
the lowest ``placement_priority`` wins.

Which serving campaigns' segments a contact is in is computed ahead of time by a task
(``PlacementAudience``), never during a shop's request.
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.fields import StreamField
from wagtail.models import DraftStateMixin, LockableMixin, Orderable, RevisionMixin, WorkflowMixin
from wagtail.search import index

from ..blocks import PlacementBody
from .campaign import ARM_LABELS, Campaign

SLOT_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"


class Placement(
    WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, index.Indexed, ClusterableModel
):
    key = models.CharField(
        _("slot"),
        max_length=100,
        help_text=_("The name the shop's pages use, e.g. home.hero or cart.upsell."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=50,
        help_text=_("The channel (a webshop) whose pages have this slot."),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(
        _("description"), blank=True, help_text=_("Where the slot is and how big it is.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="placement",
        for_concrete_model=False,
    )
    revisions = GenericRelation(
        "wagtailcore.Revision",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="placement",
        for_concrete_model=False,
    )

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("key"),
    ]

    class Meta:
        ordering = ["channel", "key"]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="placement_slot_once"),
            models.CheckConstraint(
                condition=models.Q(key__regex=SLOT_PATTERN), name="placement_slot_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    @property
    def is_approved(self) -> bool:
        return self.live and self.live_revision_id is not None

    def publish_blockers(self) -> list[str]:
        """Why this revision cannot be approved now: nothing (the workflow's last step asks
        every item); what a slot shows is checked when it is served."""
        return []


class PlacementDefault(Orderable):
    """The slot's content in one language for every visitor no campaign is for."""

    placement = ParentalKey(Placement, on_delete=models.CASCADE, related_name="defaults")
    locale = models.ForeignKey(
        "wagtailcore.Locale", on_delete=models.PROTECT, related_name="+", verbose_name=_("language")
    )
    body = StreamField(PlacementBody(), verbose_name=_("content"), blank=True)

    class Meta(Orderable.Meta):
        verbose_name = _("default content")
        verbose_name_plural = _("default content")
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "locale"], name="placement_default_once_per_locale"
            )
        ]

    def __str__(self) -> str:
        return f"{self.placement_id}/{self.locale_id}"


class CampaignPlacement(Orderable):
    """What a campaign shows in one slot, in one language, for every arm or for one arm."""

    campaign = ParentalKey(Campaign, on_delete=models.CASCADE, related_name="placements")
    placement = models.ForeignKey(
        Placement, on_delete=models.PROTECT, related_name="+", verbose_name=_("placement")
    )
    locale = models.ForeignKey(
        "wagtailcore.Locale", on_delete=models.PROTECT, related_name="+", verbose_name=_("language")
    )
    arm = models.CharField(
        _("arm"),
        max_length=1,
        blank=True,
        choices=[(label, label) for label in ARM_LABELS],
        help_text=_("Empty: for every arm. A letter: this arm's version."),
    )
    body = StreamField(PlacementBody(), verbose_name=_("content"), blank=True)

    class Meta(Orderable.Meta):
        verbose_name = _("placement content")
        verbose_name_plural = _("placement content")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "placement", "locale", "arm"],
                name="campaign_placement_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.placement_id}/{self.locale_id}/{self.arm or '-'}"


class PlacementAudience(models.Model):
    """Which segments of serving placement campaigns a contact is in, computed by a task.

    ``stale`` marks a contact whose events, orders or data changed since: the refresh task
    recomputes those in batches. Until then the last answer stands.
    """

    contact = models.OneToOneField(
        "campaigns.Contact",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="placement_audience",
    )
    segment_ids = models.JSONField(default=list, blank=True)
    stale = models.BooleanField(default=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("placement audience")
        verbose_name_plural = _("placement audiences")
        indexes = [
            models.Index(
                fields=["contact"], condition=models.Q(stale=True), name="placement_audience_stale"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.segment_ids}"
