"""Rules that move contacts between journey phases."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from content.taxonomy import JourneyPhase


class JourneyRule(models.Model):
    """When a contact matches ``conditions`` (the segment rule language), move it to ``phase``.

    Rules are tried in ``sort_order``; the first that matches decides. ``from_phases``
    limits a rule to contacts currently in one of those phases (empty: any phase). A rule
    that cannot be evaluated is skipped, and ``last_error`` says why.
    """

    name = models.CharField(_("name"), max_length=200)
    phase = models.CharField(_("move to phase"), max_length=20, choices=JourneyPhase.choices)
    conditions = models.JSONField(_("conditions"), default=dict)
    from_phases = models.JSONField(
        _("only from phases"),
        default=list,
        blank=True,
        help_text=_("Leave empty to apply whatever the contact's phase."),
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Set by the journey evaluation when it had to skip the rule; cleared once it runs again.
    last_error = models.TextField(
        _("problem"),
        blank=True,
        editable=False,
        help_text=_("Why the last journey evaluation skipped this rule; empty when it ran."),
    )
    last_error_at = models.DateTimeField(_("problem seen"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("journey rule")
        verbose_name_plural = _("journey rules")

    def __str__(self) -> str:
        return self.name
