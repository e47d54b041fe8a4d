"""Campaigns: what is sent to whom, approved like content, and one delivery row per recipient.

A campaign's plan and content (segment, channels, texts per language and A/B arm) go through
the "Campaign approval" workflow; approving publishes that revision, and only the published
revision is ever sent. Scheduling and sending are operational state kept outside revisions.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.fields import StreamField
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    Orderable,
    RevisionMixin,
    WorkflowMixin,
)
from wagtail.search import index

from ..blocks import NewsletterBody


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_APPROVAL = "in_approval", _("In approval")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# Before sending starts, the plan may still change (and go through approval again).
PLANNING_STATES = (CampaignStatus.DRAFT, CampaignStatus.IN_APPROVAL, CampaignStatus.APPROVED)
SENDING_STATES = (CampaignStatus.RUNNING, CampaignStatus.PAUSED)


class ScheduleMode(models.TextChoices):
    NOW = "now", _("Send now")
    AT = "at", _("At a time")
    LOCAL = "local", _("At a local time per recipient")


class AttributionBasis(models.TextChoices):
    CLICK = "click", _("A click")
    DELIVERY = "delivery", _("A delivered message")


class AttributionScope(models.TextChoices):
    CONTACT = "contact", _("The contact's own orders")
    ACCOUNT = "account", _("All orders of the contact's company")


class WinnerMetric(models.TextChoices):
    CLICK_RATE = "click_rate", _("Click rate")
    REVENUE = "revenue", _("Revenue")


ARM_LABELS = ("A", "B", "C", "D")

# Fields that are the campaign's running state, not its approved plan: publishing an
# approved revision must never roll them back.
OPERATIONAL_FIELDS = (
    "status",
    "schedule_mode",
    "send_at",
    "local_send_time",
    "snapshot",
    "scheduled_by",
    "dispatched_at",
    "finished_at",
    "winner_arm",
    "winner_significant",
    "winner_chosen_at",
    "created_by",
    "created_at",
)


class Campaign(
    WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, index.Indexed, ClusterableModel
):
    # --- the plan, approved through the workflow -------------------------------------------
    name = models.CharField(_("name"), max_length=200)
    goal = models.TextField(_("goal"), blank=True)
    segment = models.ForeignKey(
        "campaigns.Segment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("segment"),
    )
    topic = models.CharField(
        _("newsletter topic"),
        max_length=50,
        blank=True,
        help_text=_("Contacts who declined this topic on their preference page don't get it."),
    )
    channels = models.JSONField(
        _("channels"), default=list, blank=True, help_text=_("Channel keys to send through.")
    )
    cost = models.DecimalField(
        _("cost"), max_digits=12, decimal_places=2, default=0, help_text=_("For ROI, in EUR.")
    )
    target_open_rate = models.DecimalField(
        _("target open rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    target_click_rate = models.DecimalField(
        _("target click rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    target_orders = models.PositiveIntegerField(_("target orders"), null=True, blank=True)
    target_revenue = models.DecimalField(
        _("target revenue"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    sender_name = models.CharField(_("sender name"), max_length=100, default="")
    sender_email = models.EmailField(_("sender address"), default="")
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout (%)"),
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_("A share of the segment that gets nothing, to measure the campaign against."),
    )
    winner_metric = models.CharField(
        _("winner by"), max_length=20, choices=WinnerMetric.choices, blank=True
    )
    winner_after_hours = models.PositiveSmallIntegerField(
        _("choose the winner after (hours)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text=_(
            "With A/B arms: the arms go to their shares first; after this many hours the rest "
            "of the audience gets the arm that won. Empty: the arms split the whole audience."
        ),
    )

    attribution_basis = models.CharField(
        _("orders count after"),
        max_length=10,
        choices=AttributionBasis.choices,
        default=AttributionBasis.CLICK,
    )
    attribution_window_days = models.PositiveSmallIntegerField(
        _("attribution window (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_(
            "An order counts for the campaign when it follows a click (or a delivered message) "
            "within this many days. Held-out contacts are compared over this many days after "
            "dispatch."
        ),
    )
    attribution_scope = models.CharField(
        _("orders of"),
        max_length=10,
        choices=AttributionScope.choices,
        default=AttributionScope.CONTACT,
    )
    placements_until = models.DateTimeField(
        _("show in placements until"),
        null=True,
        blank=True,
        help_text=_(
            "A campaign with webshop placements fills them from the moment it is scheduled "
            "for until then (empty: until it is paused or cancelled)."
        ),
    )
    placement_priority = models.PositiveSmallIntegerField(
        _("placement priority"),
        default=100,
        help_text=_(
            "When several running campaigns fill the same slot for a visitor, the lowest "
            "number wins (then the newest campaign)."
        ),
    )
    winner_requires_significance = models.BooleanField(
        _("only a significant winner"),
        default=True,
        help_text=_(
            "Pick a winning arm only when its lead is statistically significant; otherwise the "
            "rest of the audience gets the first arm."
        ),
    )

    # --- operational state, outside revisions -------------------------------------------
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
        db_index=True,
    )
    schedule_mode = models.CharField(
        _("schedule"), max_length=10, choices=ScheduleMode.choices, blank=True
    )
    send_at = models.DateTimeField(
        _("send at"),
        null=True,
        blank=True,
        help_text=_("The moment, or in local mode the day whose local time is used."),
    )
    local_send_time = models.TimeField(_("local time"), null=True, blank=True)
    snapshot = models.ForeignKey(
        "campaigns.SegmentSnapshot",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("audience snapshot"),
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    winner_arm = models.CharField(_("winning arm"), max_length=1, blank=True)
    # Whether the winning arm's lead was statistically significant (False: the rest got the
    # control, or, without the significance rule, the arm with the better score).
    winner_significant = models.BooleanField(null=True, blank=True)
    winner_chosen_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="campaign",
        for_concrete_model=False,
    )
    revisions = GenericRelation(
        "wagtailcore.Revision",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="campaign",
        for_concrete_model=False,
    )

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.FilterField("status"),
    ]

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        permissions = [
            ("schedule_campaign", "Can schedule, pause, resume and cancel campaigns"),
            ("send_test_campaign", "Can send test messages of a campaign"),
        ]
        indexes = [models.Index(fields=["status", "send_at"], name="campaign_due")]

    def __str__(self) -> str:
        return self.name

    @property
    def sender(self) -> str:
        from email.utils import formataddr

        return formataddr((self.sender_name, self.sender_email))

    def with_content_json(self, content):
        obj = super().with_content_json(content)
        for name in OPERATIONAL_FIELDS:
            setattr(obj, name, getattr(self, name))
        return obj

    @property
    def is_approved(self) -> bool:
        """Approved through the workflow: live, from a published revision.

        ``live`` alone is Wagtail's default for rows made outside the admin; only publishing
        (the workflow's last step) sets the live revision.
        """
        return self.live and self.live_revision_id is not None

    @property
    def status_label(self) -> str:
        """The status as the admin shows it: a draft in review reads "in approval"."""
        if self.status == CampaignStatus.DRAFT and self.workflow_in_progress:
            return str(CampaignStatus.IN_APPROVAL.label)
        return str(self.get_status_display())

    @property
    def content_locked(self) -> bool:
        """Scheduled or later: what is sent (or was) is fixed; only pause, resume, cancel remain."""
        return self.status not in PLANNING_STATES

    def publish_blockers(self) -> list[str]:
        """Why this revision cannot be approved now (an approved plan is what gets sent)."""
        if self.content_locked:
            return [str(_("The campaign is already scheduled or sending; it cannot change."))]
        return []


class CampaignArm(Orderable):
    """One arm of an A/B test: its label and its share of the audience in percent."""

    campaign = ParentalKey(Campaign, on_delete=models.CASCADE, related_name="arms")
    label = models.CharField(
        _("arm"), max_length=1, choices=[(label, label) for label in ARM_LABELS]
    )
    share = models.PositiveSmallIntegerField(
        _("share (%)"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta(Orderable.Meta):
        verbose_name = _("A/B arm")
        verbose_name_plural = _("A/B arms")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "label"], name="campaign_arm_once")
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.share} %)"


class CampaignContent(Orderable):
    """The newsletter in one language, for every arm or for one arm of an A/B test."""

    campaign = ParentalKey(Campaign, on_delete=models.CASCADE, related_name="contents")
    locale = models.ForeignKey(
        "wagtailcore.Locale", on_delete=models.PROTECT, related_name="+", verbose_name=_("language")
    )
    arm = models.CharField(
        _("arm"),
        max_length=1,
        blank=True,
        choices=[(label, label) for label in ARM_LABELS],
        help_text=_("Empty: for every arm. A letter: this arm's version (subject or content)."),
    )
    subject = models.CharField(_("subject"), max_length=150)
    preheader = models.CharField(_("preheader"), max_length=150, blank=True)
    body = StreamField(NewsletterBody(), verbose_name=_("body"), blank=True)

    class Meta(Orderable.Meta):
        verbose_name = _("newsletter version")
        verbose_name_plural = _("newsletter versions")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "locale", "arm"], name="campaign_content_once_per_locale_arm"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} [{self.locale_id}{'/' + self.arm if self.arm else ''}]"


class DeliveryState(models.TextChoices):
    WAITING = "waiting", _("Waiting for the A/B winner")
    HELD_OUT = "held_out", _("Held out")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    # The connection was lost after the message was handed over and before the server
    # confirmed it: it may have been delivered. Not sent again unless HUB_SEND_IN_DOUBT says so.
    IN_DOUBT = "in_doubt", _("In doubt")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    SUPPRESSED = "suppressed", _("Not sent: no consent or suppressed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_DELIVERY_STATES = (DeliveryState.WAITING, DeliveryState.QUEUED, DeliveryState.SENDING)


class Delivery(models.Model):
    """One recipient of one campaign on one channel: the only record of what was sent.

    The unique (campaign, channel, contact) row makes a second send to the same person
    impossible, whatever the broker or a restarted worker does; its state machine
    (queued -> sending -> sent | in doubt | failed | bounced | suppressed) is the source of
    truth for progress and every metric. A batch holds its ``sending`` rows under a claim id
    with a lease (``lease_until``) that its worker renews; only rows whose lease lapsed are
    handed to another worker.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=50)
    # Erasing a contact keeps the row for the campaign's numbers, without the person.
    contact = models.ForeignKey(
        "campaigns.Contact", null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    arm = models.CharField(max_length=10, blank=True)
    variant_key = models.CharField(max_length=100, blank=True)
    state = models.CharField(
        max_length=20, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    due_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True, db_index=True)
    provider_id = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    # The first open that was not a machine's (or the first human click), and the first
    # human click: what unique opens and clicks count.
    human_opened_at = models.DateTimeField(null=True, blank=True)
    human_clicked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "channel", "contact"],
                condition=Q(contact__isnull=False),
                name="delivery_once_per_campaign_channel_contact",
            )
        ]
        indexes = [
            # The dispatcher's question: which queued rows are due, per campaign.
            models.Index(
                fields=["campaign", "due_at"],
                condition=Q(state="queued"),
                name="delivery_queued_due",
            ),
            models.Index(fields=["campaign", "state"], name="delivery_campaign_state"),
            # The ticker's question: which batches' leases lapsed (few rows are ever sending).
            models.Index(
                fields=["lease_until"],
                condition=Q(state="sending"),
                name="delivery_sending_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.channel}/{self.contact_id}: {self.state}"
