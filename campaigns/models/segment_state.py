"""Segment state: contact sets per day and attribute as bitmaps, order totals, product pairs.

Counting a segment over raw events scans millions of rows; these tables keep what the
rules ask for up to date instead (``campaigns.services.segment_state`` writes them,
``campaigns.segments.bitmaps`` reads them):

- ``ContactBitmap``: one set of contact ids (a serialized roaring bitmap) per day and
  metric ("events:product_view", "ordered", ...) and count level ("ordered>=2": at least
  twice that day), per month (the OR of its days; levels counted), and per contact
  attribute ("role:buyer", "reachable", "all").
- ``OrderTotals``: per day and month (hub time zone), each contact's orders and revenue in
  integer cents, packed, for thresholds such as "revenue between 1,000 and 5,000 in 365
  days".
- ``ProductPairs``: per day and month, which contact viewed or ordered which SKU, as packed
  (contact, SKU code) pairs; ``SkuCode`` numbers the SKUs. "Viewed a product but did not
  buy it" compares these instead of reading events and order lines.
- ``SegmentChange``: what an intake changed (a day of events or orders, or contacts'
  attributes) and whom it touched; the maintenance task consumes these marks.
- ``SegmentState``: one row, locked by maintenance and erasure so they never interleave.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BitmapSpan(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    ATTRIBUTE = "attribute", _("Attribute")


class ContactBitmap(models.Model):
    span = models.CharField(_("span"), max_length=10, choices=BitmapSpan.choices)
    key = models.CharField(_("key"), max_length=160)
    # The day, or the first day of the month; none for attributes.
    period = models.DateField(_("period"), null=True, blank=True)
    bits = models.BinaryField(_("bits"))
    size = models.PositiveIntegerField(_("contacts"), default=0)
    built_at = models.DateTimeField(_("built"), auto_now=True)

    class Meta:
        verbose_name = _("contact bitmap")
        verbose_name_plural = _("contact bitmaps")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "span", "period"],
                condition=models.Q(period__isnull=False),
                name="contact_bitmap_once_per_period",
            ),
            models.UniqueConstraint(
                fields=["key", "span"],
                condition=models.Q(period__isnull=True),
                name="contact_bitmap_once_per_attribute",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.span} {self.period or ''}".strip()


class PackedBlock(models.Model):
    """Integer arrays of one day or month, packed into one value (numpy, read in one go)."""

    span = models.CharField(_("span"), max_length=10, choices=BitmapSpan.choices)
    period = models.DateField(_("period"))
    data = models.BinaryField(_("data"))
    built_at = models.DateTimeField(_("built"), auto_now=True)

    class Meta:
        abstract = True


class OrderTotals(PackedBlock):
    """Who ordered on one day (or in one month), how often and for how much: three arrays of
    64-bit integers (contact ids in ascending order, order counts, revenue in cents) packed
    into one value, so a sum over a year reads thirteen values instead of a row per contact
    and day (``campaigns.segments.totals``)."""

    size = models.PositiveIntegerField(_("contacts"), default=0)

    class Meta:
        verbose_name = _("order totals")
        verbose_name_plural = _("order totals")
        constraints = [models.UniqueConstraint(fields=["span", "period"], name="order_totals_once")]

    def __str__(self) -> str:
        return f"{self.span} {self.period}"


class PairKind(models.TextChoices):
    VIEWED = "viewed", _("Viewed")
    BOUGHT = "bought", _("Bought")


class ProductPairs(PackedBlock):
    """Which contact viewed (a product view naming a SKU) or bought (an order line) which SKU
    on one day or in one month: one sorted array of 64-bit integers without repeats, each
    ``contact id * 2**32 + SKU code``, packed into one value (``campaigns.segments.pairs``)."""

    kind = models.CharField(_("kind"), max_length=10, choices=PairKind.choices)
    size = models.PositiveIntegerField(_("pairs"), default=0)

    class Meta:
        verbose_name = _("product pairs")
        verbose_name_plural = _("product pairs")
        constraints = [
            models.UniqueConstraint(fields=["kind", "span", "period"], name="product_pairs_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.span} {self.period}"


class SkuCode(models.Model):
    """A number per SKU seen in product views or order lines, so that a (contact, SKU) pair
    packs into one 64-bit integer. Codes are never reused; a SKU is not personal data."""

    id = models.AutoField(primary_key=True)
    sku = models.CharField(_("SKU"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("SKU code")
        verbose_name_plural = _("SKU codes")

    def __str__(self) -> str:
        return f"{self.sku} = {self.pk}"


class ChangeKind(models.TextChoices):
    EVENTS = "events", _("Events of a day")
    ORDERS = "orders", _("Orders of a day")
    ATTRIBUTES = "attributes", _("Contact attributes")


class SegmentChange(models.Model):
    """A mark left by an intake, in the intake's own transaction."""

    kind = models.CharField(_("kind"), max_length=12, choices=ChangeKind.choices)
    day = models.DateField(_("day"), null=True, blank=True)
    contacts = models.BinaryField(_("contacts"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("segment change")
        verbose_name_plural = _("segment changes")

    def __str__(self) -> str:
        return f"{self.kind} {self.day or ''}".strip()


class SegmentState(models.Model):
    """The single row maintenance and erasure lock; what was last built, and for which day."""

    built_at = models.DateTimeField(_("fully built"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed"), null=True, blank=True)
    # The day (hub time zone) the saved segments' memberships were computed for: when the
    # day turns, their windows move and every membership is computed again.
    segments_day = models.DateField(_("segments computed for"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment state")
        verbose_name_plural = _("segment state")

    def __str__(self) -> str:
        return f"segment state {self.refreshed_at or '-'}"
