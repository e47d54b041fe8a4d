"""The campaign, as far as the audience needs it: events and orders are attributed to one.

Planning, approval, scheduling and sending come with the campaigns issue.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name
