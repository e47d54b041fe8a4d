"""Target groups: dynamic rule trees compiled to SQL, or static lists; frozen as snapshots."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", _("Dynamic (rules)")
    STATIC = "static", _("Static (list)")


def empty_rules() -> dict:
    return {"op": "and", "rules": []}


class Segment(models.Model):
    """A target group. Dynamic segments keep a rule tree; static ones a member list.

    Either way only consented, unsuppressed contacts are members, unless ``include_all``
    asks for everyone (analysis only: a campaign refuses such a segment).
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC
    )
    rules = models.JSONField(_("rules"), default=empty_rules, blank=True)
    include_all = models.BooleanField(
        _("include contacts without consent"),
        default=False,
        help_text=_("For analysis only: campaigns cannot be sent to such a segment."),
    )
    # Counting a segment runs its rules over every contact, so the listing shows the count
    # of the last save, snapshot or periodic recount, with the moment it was taken.
    member_count = models.PositiveIntegerField(_("members"), null=True, blank=True, editable=False)
    member_count_at = models.DateTimeField(
        _("members counted"), null=True, blank=True, editable=False
    )
    # A dynamic segment's members at ``member_count_at`` (contact ids, a serialized roaring
    # bitmap), kept up to date by the segment-state maintenance: rechecked for the contacts
    # each intake touched, and computed again when the day turns.
    member_bits = models.BinaryField(_("members (bitmap)"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class SegmentMember(models.Model):
    """A contact on a static segment's list."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey(
        "campaigns.Contact", on_delete=models.CASCADE, related_name="segment_memberships"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")
        constraints = [
            models.UniqueConstraint(fields=["segment", "contact"], name="segment_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.contact_id}"


class SegmentSnapshot(models.Model):
    """A segment's membership frozen at one moment (what a send goes to)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshots")
    rules = models.JSONField(default=dict, blank=True, help_text=_("The rules as they were."))
    size = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("segment snapshot")
        verbose_name_plural = _("segment snapshots")

    def __str__(self) -> str:
        return f"{self.segment} @ {self.created_at:%Y-%m-%d %H:%M} ({self.size})"


class SnapshotMember(models.Model):
    snapshot = models.ForeignKey(SegmentSnapshot, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey("campaigns.Contact", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("snapshot member")
        verbose_name_plural = _("snapshot members")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "contact"], name="snapshot_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{self.contact_id}"
