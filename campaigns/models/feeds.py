"""Feeds: the receivers of catalogue files (marketplaces, e-procurement) and their runs.

A ``Feed`` is one receiver: which format (a feed channel in ``HUB_CHANNELS``), languages,
price basis, categories and format options. Each generation is a ``FeedRun``; the products
it left out are its ``FeedRefusal`` rows (the readiness report). ``Feed.current_run`` points
at the last good run, whose stored files are what the feed's secret URL serves: switching it
is the atomic replacement of the file. ``FeedItem`` remembers what the receiver holds, so a
format with deltas gets only what changed.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.tokens import hash_token


def new_feed_token() -> str:
    """A secret for a feed's URL: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


class Feed(models.Model):
    """One receiver of the catalogue as a file, in one format."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("key"),
        max_length=100,
        unique=True,
        help_text=_("Names the feed in its files and in webhook events."),
    )
    channel = models.CharField(
        _("format"), max_length=100, help_text=_("The feed channel that writes the file.")
    )
    languages = models.CharField(
        _("languages"),
        max_length=100,
        default="de",
        help_text=_("Language codes, comma-separated; the first is the main language."),
    )
    price_group = models.CharField(
        _("price group"),
        max_length=50,
        blank=True,
        help_text=_("Whose prices the receiver gets; empty for the public list price."),
    )
    buyer_price_groups = models.CharField(
        _("buyer price groups"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated price groups a BMEcat catalogue lists per product."),
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("19"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    etim_release = models.CharField(_("ETIM release"), max_length=10, default="9.0")
    category_slugs = models.JSONField(
        _("categories"),
        default=list,
        blank=True,
        help_text=_("Products in these categories and below; all products when empty."),
    )
    options = models.JSONField(_("format options"), default=dict, blank=True)
    schedule_minutes = models.PositiveIntegerField(
        _("regenerate every (minutes)"),
        default=0,
        help_text=_("0: only when products or prices change."),
    )
    deltas = models.BooleanField(
        _("send only changes"),
        default=False,
        help_text=_(
            "For formats with deltas, and only for receivers that take every file (pushed): "
            "a receiver that fetches the URL now and then could miss a change."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    push_url = models.CharField(
        _("push to"),
        max_length=500,
        blank=True,
        help_text=_("sftp://user@host/path or s3://bucket/prefix; empty: receivers fetch the URL."),
    )
    push_host_key = models.TextField(
        _("host key"), blank=True, help_text=_("The SFTP server's public host key.")
    )
    push_secret = models.CharField(
        _("password or key"), max_length=5000, blank=True, help_text=_("Kept for pushing.")
    )
    dirty_since = models.DateTimeField(
        _("changes waiting since"), null=True, blank=True, editable=False
    )
    current_run = models.ForeignKey(
        "FeedRun",
        verbose_name=_("served run"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("feed")
        verbose_name_plural = _("feeds")

    def __str__(self) -> str:
        return self.name

    @property
    def language_codes(self) -> tuple[str, ...]:
        return tuple(code.strip() for code in self.languages.split(",") if code.strip())

    @property
    def buyer_groups(self) -> tuple[str, ...]:
        return tuple(group.strip() for group in self.buyer_price_groups.split(",") if group.strip())

    def delete(self, *args, **kwargs):
        # The runs go with the feed; their stored files once that is committed.
        from django.db import transaction

        from campaigns.feeds.storage import run_files_delete

        runs = list(self.runs.filter(files_deleted=False).exclude(parts=[]))
        result = super().delete(*args, **kwargs)
        transaction.on_commit(lambda: [run_files_delete(run) for run in runs])
        return result

    @property
    def last_run_status(self) -> str:
        run = self.runs.order_by("-started_at", "-pk").first()
        return run.get_status_display() if run else "—"

    def set_token(self) -> str:
        """Give the feed a new secret URL token; returns it (it is stored only as a hash)."""
        token = new_feed_token()
        self.token_hash = hash_token(token)
        return token

    def webhook_data(self) -> dict:
        """What the ``feed.generated`` event says: the feed and its served files."""
        run = self.current_run
        return {
            "id": self.pk,
            "feed": self.slug,
            "name": self.name,
            "format": self.channel,
            "run": run.pk if run else None,
            "kind": run.kind if run else None,
            "generated_at": run.finished_at.isoformat() if run and run.finished_at else None,
            "parts": [
                {"name": part["name"], "size": part["size"], "sha256": part["sha256"]}
                for part in (run.parts if run else [])
            ],
        }


class FeedRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    UNCHANGED = "unchanged", _("Nothing changed")
    FAILED = "failed", _("Failed")


class FeedRunKind(models.TextChoices):
    FULL = "full", _("Full file")
    DELTA = "delta", _("Changes only")


class FeedTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    CHANGE = "change", _("Changed products or prices")
    MANUAL = "manual", _("By hand")


class FeedRun(models.Model):
    """One generation of a feed's file; ``parts`` lists its stored files once it succeeded.

    A running run holds a lease (``lease_until``) that its worker renews; a run whose lease
    lapsed was given up by a dead worker and no longer blocks the feed.
    """

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The feed's ``dirty_since`` this run took on: given back when the run fails.
    changes_since = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=FeedRunStatus.choices, default=FeedRunStatus.RUNNING
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=FeedRunKind.choices, default=FeedRunKind.FULL
    )
    trigger = models.CharField(_("trigger"), max_length=10, choices=FeedTrigger.choices)
    candidates = models.PositiveIntegerField(_("candidates"), default=0)
    written = models.PositiveIntegerField(_("written"), default=0)
    withdrawn = models.PositiveIntegerField(_("withdrawn"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    # [{"name", "path", "gzip_path", "size", "gzip_size", "products", "sha256"}]
    parts = models.JSONField(_("files"), default=list, blank=True)
    files_deleted = models.BooleanField(default=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("feed run")
        verbose_name_plural = _("feed runs")
        constraints = [
            models.UniqueConstraint(
                fields=["feed"],
                condition=Q(status="running"),
                name="feed_run_one_running_per_feed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.feed} #{self.pk} ({self.get_status_display()})"

    def part(self, name: str) -> dict | None:
        return next((part for part in self.parts if part["name"] == name), None)


class FeedRefusal(models.Model):
    """A live product a run left out, with the reasons: one line of the readiness report."""

    run = models.ForeignKey(FeedRun, on_delete=models.CASCADE, related_name="refusals")
    sku = models.CharField(_("SKU"), max_length=64)
    product_id = models.PositiveIntegerField(_("product"))
    reasons = models.JSONField(_("reasons"), default=list)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("refused product")
        verbose_name_plural = _("refused products")

    def __str__(self) -> str:
        return self.sku


class FeedItem(models.Model):
    """A product the receiver holds, as of its last good file: the base of the next delta.

    ``texts`` keeps the names and URLs it was sent with per language, for the withdrawal.
    """

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64)
    price_hash = models.CharField(max_length=64)
    stock_hash = models.CharField(max_length=64)
    texts = models.JSONField(default=dict)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feed", "sku"], name="feed_item_one_per_sku")
        ]

    def __str__(self) -> str:
        return f"{self.feed_id}:{self.sku}"
