"""API clients of channel systems, and the webhooks the hub sends them."""

from __future__ import annotations

import base64
import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tokens import hash_token

TOKEN_PREFIX = "hub_"  # noqa: S105 - a public format marker, not a credential
# What the admin shows of a token after creation: enough to tell tokens apart.
TOKEN_DISPLAY_LENGTH = len(TOKEN_PREFIX) + 6


class Scope(models.TextChoices):
    CONTENT_READ = "content:read", _("Read approved content")
    EVENTS_WRITE = "events:write", _("Report events")
    ORDERS_WRITE = "orders:write", _("Report orders")
    # Without it a client's orders live in its own namespace and cannot touch the ERP's.
    ORDERS_WRITE_ERP = "orders:write:erp", _("Report orders as the ERP's (the ERP connector)")
    PRICES_WRITE = "prices:write", _("Report price-group prices")
    # The ERP connector's alone: list prices and stock are what every channel sells at.
    ERP_FACTS_WRITE = "erp-facts:write", _("Report list prices and stock (the ERP)")
    # A shop's: visitor tokens for its logged-in customers, and their account's catalogue.
    VISITORS_WRITE = "visitors:write", _("Issue visitor tokens (a shop)")
    CATALOGUE_READ = "catalogue:read", _("Read a visitor's account catalogue")
    PLACEMENTS_READ = "placements:read", _("Read placements and offers for visitors (a shop)")


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
    allowed_origins = models.TextField(
        _("browser origins"),
        blank=True,
        help_text=_(
            "One per line, e.g. https://shop.example.com: pages of these origins may call the "
            "placement API from the browser (the JavaScript snippet)."
        ),
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


# --- webhooks -----------------------------------------------------------------------------

WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks format marker


class WebhookEvent(models.TextChoices):
    PRODUCT_PUBLISHED = "product.published", _("Product published")
    PRODUCT_UNPUBLISHED = "product.unpublished", _("Product unpublished")
    MESSAGE_PUBLISHED = "message.published", _("Audience message published")
    MESSAGE_UNPUBLISHED = "message.unpublished", _("Audience message unpublished")
    FEED_GENERATED = "feed.generated", _("Feed generated")


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_webhook_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookEndpoint(models.Model):
    """A URL of a channel system that the hub tells about content going live or offline.

    The secret is kept in clear: the hub needs it to sign, and the receiving system needs
    it to verify, so the admin shows it to whoever may change the endpoint.
    """

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"), max_length=500, help_text=_("Where the hub POSTs events (http or https).")
    )
    secret = models.CharField(
        _("signing secret"), max_length=100, default=new_webhook_secret, editable=False
    )
    events = models.JSONField(_("events"), default=list, blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Untick to stop sending. Ticking it again re-enables a disabled endpoint."),
    )
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(
        _("disabled because"), max_length=300, blank=True, editable=False
    )
    consecutive_failures = models.PositiveIntegerField(
        _("failed attempts in a row"), default=0, editable=False
    )
    last_success_at = models.DateTimeField(
        _("last successful delivery"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name

    def subscribes_to(self, event: str) -> bool:
        return event in (self.events or [])

    @property
    def status_label(self) -> str:
        if self.is_active:
            return str(_("Active"))
        if self.disabled_at:
            return str(_("Disabled"))
        return str(_("Inactive"))


class WebhookDelivery(models.Model):
    """One event for one endpoint: the signed message and where its delivery stands.

    The message id is stable across attempts, so receivers can drop duplicates.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed, will retry")
        ABANDONED = "abandoned", _("Abandoned")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event = models.CharField(_("event"), max_length=50, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"))
    message_id = models.CharField(
        _("message id"), max_length=40, unique=True, default=new_webhook_message_id
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    attempt_count = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The retry scan: due deliveries that are still to be sent.
            models.Index(fields=["status", "next_attempt_at"], name="channels_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        data = (self.payload or {}).get("data", {})
        subject = data.get("sku") or data.get("id") or ""
        locale = data.get("locale")
        return f"{self.event} {subject}" + (f" ({locale})" if locale else "")


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, as the receiver answered it (or why it could not)."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="attempts",
        verbose_name=_("delivery"),
    )
    started_at = models.DateTimeField(_("started"))
    succeeded = models.BooleanField(_("succeeded"), default=False)
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    response_excerpt = models.TextField(_("response excerpt"), blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        return f"{self.delivery.message_id} @ {self.started_at:%Y-%m-%d %H:%M:%S}"


class SendRateState(models.Model):
    """The shared "next free moment" of one mail transport's send rate.

    Kept by ``channels/newsletter/throttle.py`` when ``HUB_SEND_RATE_URL`` is the database;
    Redis holds it otherwise.
    """

    key = models.CharField(_("transport"), max_length=100, primary_key=True)
    # Seconds since the epoch: the earliest moment the next message may go out.
    next_free_at = models.FloatField(_("next free at"))

    class Meta:
        verbose_name = _("send rate state")
        verbose_name_plural = _("send rate states")

    def __str__(self) -> str:
        return self.key
