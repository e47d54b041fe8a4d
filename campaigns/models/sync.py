"""Where each scheduled sync (CRM, ERP folder) got to, so the next run continues from there."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SyncState(models.Model):
    backend = models.CharField(_("sync"), max_length=100, unique=True)
    cursor = models.CharField(
        _("continue from"),
        max_length=255,
        blank=True,
        help_text=_("e.g. the last modification time seen, or the last file imported."),
    )
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    stats = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["backend"]
        verbose_name = _("sync state")
        verbose_name_plural = _("sync states")

    def __str__(self) -> str:
        return self.backend
