"""API clients of channel systems, and the webhooks the hub sends them."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "hub_"  # noqa: S105 - a public format marker, not a credential
# What the admin shows of a token after creation: enough to tell tokens apart.
TOKEN_DISPLAY_LENGTH = len(TOKEN_PREFIX) + 6


class Scope(models.TextChoices):
    CONTENT_READ = "content:read", _("Read approved content")
    EVENTS_WRITE = "events:write", _("Report events")
    ORDERS_WRITE = "orders:write", _("Report orders")


def hash_token(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a plain SHA-256 is enough (no salt, no
    # stretching) and survives a SECRET_KEY rotation.
    return hashlib.sha256(token.encode()).hexdigest()


class ApiClient(models.Model):
    """A channel system (webshop, marketplace connector, print service) that calls the API.

    Only a hash of the token is stored; the token itself is shown once, on creation.
    """

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(
        _("channel"), max_length=50, help_text=_("The channel this system belongs to.")
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Revoke access at once by unticking.")
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("token starts with"), max_length=16, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.channel})"

    def issue_token(self) -> str:
        """Give the client a new token and return it; the old one stops working on save."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        self.token_prefix = token[:TOKEN_DISPLAY_LENGTH]
        return token

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    def touch(self, *, every_seconds: int = 60) -> None:
        """Record use, at most once a minute so reads don't turn into writes."""
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() >= every_seconds:
            ApiClient.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
