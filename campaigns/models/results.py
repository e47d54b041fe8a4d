"""What campaigns achieved, kept up to date as things happen, so result pages never scan raw rows.

Three tables, each keyed by what a result page groups by (campaign x channel x variant x
arm, and the day):

- ``CampaignDayStats``: what recipients did (opens, clicks, unsubscribes, complaints) and
  what the campaign earned (credited conversions and revenue), per day. Tracking, the event
  intake and the order intake add to it in the same transaction as the fact they record.
- ``DeliveryStateCount``: how many deliveries are in each state (sent, bounced, held out,
  ...). Recounted from the deliveries of one campaign at a time by ``results_refresh``
  after each batch and while a campaign runs, because state changes happen one row at a
  time on the send path, where an extra write per message would halve the throughput.
- ``OrderCredit``: which campaigns an order is credited to (touch-based attribution), and
  which recipients' (and held-out contacts') revenue it counts for in the holdout and A/B
  comparison. Rewritten for an order whenever the order changes.

And ``CampaignFigures``: a campaign's figures about its recipients as people (who had
bought before, who bought again), recounted with the delivery states.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

# The arm and variant of figures that cannot be tied to one delivery (e.g. an event of a
# campaign reported for a contact who got none of its messages).
UNKNOWN = ""


class CampaignDayStats(models.Model):
    """What one variant of one campaign on one channel achieved on one day (hub time zone)."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="day_stats"
    )
    channel = models.CharField(max_length=50)
    variant_key = models.CharField(max_length=100, blank=True)
    arm = models.CharField(max_length=10, blank=True)
    day = models.DateField()
    # Sent on this day (handed over to the receiving system); recounted, not incremented.
    sent = models.PositiveIntegerField(default=0)
    opens = models.PositiveIntegerField(default=0, help_text=_("Every open, machines included."))
    unique_opens = models.PositiveIntegerField(
        default=0, help_text=_("Deliveries opened for the first time (by anyone or anything).")
    )
    human_opens = models.PositiveIntegerField(
        default=0,
        help_text=_("Deliveries with their first human open: a non-machine open or a human click."),
    )
    machine_opens = models.PositiveIntegerField(
        default=0, help_text=_("Opens by privacy proxies that prefetch images, and scanners.")
    )
    clicks = models.PositiveIntegerField(default=0, help_text=_("Human clicks."))
    unique_clicks = models.PositiveIntegerField(
        default=0, help_text=_("Deliveries with their first human click.")
    )
    bot_clicks = models.PositiveIntegerField(default=0)
    unsubscribes = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)
    conversions = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        default=Decimal("0"),
        help_text=_("Orders credited to the campaign (a share of an order under linear credit)."),
    )
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        verbose_name = _("campaign figures of a day")
        verbose_name_plural = _("campaign figures per day")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "channel", "variant_key", "arm", "day"],
                name="campaign_day_stats_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.channel}/{self.variant_key}/{self.day}"


class DeliveryStateCount(models.Model):
    """How many deliveries of a campaign variant are in one state, as last recounted."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="state_counts"
    )
    channel = models.CharField(max_length=50)
    variant_key = models.CharField(max_length=100, blank=True)
    arm = models.CharField(max_length=10, blank=True)
    state = models.CharField(max_length=20)
    count = models.PositiveIntegerField(default=0)
    counted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("delivery state count")
        verbose_name_plural = _("delivery state counts")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "channel", "variant_key", "arm", "state"],
                name="delivery_state_count_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.channel}/{self.variant_key}: {self.state} {self.count}"


class CampaignFigures(models.Model):
    """A campaign's figures about its recipients' orders, recounted by ``results_refresh``.

    Repurchase: of the contacts who received the campaign and had ordered before its
    dispatch, how many ordered again within its measurement window (dispatch to dispatch +
    ``attribution_window_days``).
    """

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="figures"
    )
    repeat_customers = models.PositiveIntegerField(
        default=0, help_text=_("Recipients who had ordered before the dispatch.")
    )
    repeat_buyers = models.PositiveIntegerField(
        default=0, help_text=_("Of them, those who ordered again within the window.")
    )
    counted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("campaign figures")
        verbose_name_plural = _("campaign figures")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.repeat_buyers}/{self.repeat_customers}"


class CampaignLinkStats(models.Model):
    """How often a link of a campaign was clicked by people (bot clicks left out)."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="link_stats"
    )
    url = models.URLField(max_length=2000)
    url_hash = models.CharField(max_length=64, help_text=_("SHA-256 of the URL, for lookups."))
    clicks = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("campaign link figures")
        verbose_name_plural = _("campaign link figures")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "url_hash"], name="campaign_link_once")
        ]
        indexes = [models.Index(fields=["campaign", "-clicks"], name="campaign_link_top")]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.url} ({self.clicks})"


class CreditKind(models.TextChoices):
    # The order is credited to a touch (a click, or a delivery) of the campaign within its
    # attribution window; across all campaigns the weights of one order add up to at most 1.
    ATTRIBUTED = "attributed", _("Attributed")
    # The order falls in the campaign's measurement window of a recipient or held-out
    # contact: the revenue per contact compared between arms and against the holdout.
    EXPOSED = "exposed", _("In the measurement window")


class OrderCredit(models.Model):
    order = models.ForeignKey("campaigns.Order", on_delete=models.CASCADE, related_name="credits")
    kind = models.CharField(max_length=20, choices=CreditKind.choices)
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="order_credits"
    )
    delivery = models.ForeignKey(
        "campaigns.Delivery", null=True, on_delete=models.CASCADE, related_name="order_credits"
    )
    channel = models.CharField(max_length=50, blank=True)
    variant_key = models.CharField(max_length=100, blank=True)
    arm = models.CharField(max_length=10, blank=True)
    touched_at = models.DateTimeField(null=True, blank=True)
    ordered_at = models.DateTimeField()
    weight = models.DecimalField(max_digits=7, decimal_places=6)
    revenue = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("order credit")
        verbose_name_plural = _("order credits")
        indexes = [
            models.Index(fields=["campaign", "kind"], name="order_credit_campaign_kind"),
            models.Index(fields=["order", "kind"], name="order_credit_order_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} -> {self.campaign_id} ({self.kind}, {self.weight})"
