"""What contacts did: behaviour events and orders. Both are append-only facts."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    EMAIL_OPEN = "email_open", _("E-mail opened")
    EMAIL_CLICK = "email_click", _("E-mail link clicked")
    # A click on a campaign's content in any other channel (webshop placement, feed link).
    CLICK = "click", _("Campaign content clicked")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
    BOUNCE = "bounce", _("Bounced")
    COMPLAINT = "complaint", _("Complained")
    PRODUCT_VIEW = "product_view", _("Product viewed")
    CATEGORY_CLICK = "category_click", _("Product group clicked")
    CART_ABANDONED = "cart_abandoned", _("Cart abandoned")
    ORDER = "order", _("Ordered")
    SURVEY_ANSWER = "survey_answer", _("Survey answered")


class Event(models.Model):
    """One thing a contact did, at a time, maybe on a product, category or campaign.

    Erasing a contact keeps its events without the person (``contact`` becomes null), so
    campaign figures stay true. ``source`` + ``idempotency_key`` make a reported event
    count once, however often a channel system retries.
    """

    contact = models.ForeignKey(
        "campaigns.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("contact"),
    )
    account = models.ForeignKey(
        "campaigns.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("account"),
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices, verbose_name=_("kind"))
    occurred_at = models.DateTimeField(db_index=True, verbose_name=_("occurred at"))
    sku = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("The product, by SKU."),
        verbose_name=_("SKU"),
    )
    category = models.ForeignKey(
        "content.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("category"),
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("campaign"),
    )
    value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Revenue of an order, score of a survey answer."),
        verbose_name=_("value"),
    )
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    source = models.CharField(
        max_length=50,
        help_text=_("Who reported it: api:<client id>, tracking, import, crm."),
        verbose_name=_("source"),
    )
    idempotency_key = models.CharField(
        max_length=100, blank=True, verbose_name=_("idempotency key")
    )
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("received at"))

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["contact", "kind", "occurred_at"], name="event_contact_kind_at"),
            # Segments count events of a kind in a window per contact and SKU: covered.
            models.Index(
                fields=["kind", "occurred_at"], include=["contact", "sku"], name="event_kind_at"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="event_idempotency_key_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


class OrderSource(models.TextChoices):
    ERP = "erp", _("ERP")
    WEBSHOP = "webshop", _("Webshop")
    CRM = "crm", _("CRM")
    IMPORT = "import", _("File import")


class Order(models.Model):
    """An order, from the ERP, the webshop or the CRM (won opportunities), with its revenue."""

    source = models.CharField(max_length=20, choices=OrderSource.choices, verbose_name=_("source"))
    external_id = models.CharField(_("order number"), max_length=100)
    account = models.ForeignKey(
        "campaigns.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        verbose_name=_("account"),
    )
    contact = models.ForeignKey(
        "campaigns.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        verbose_name=_("contact"),
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        help_text=_("The campaign the order is attributed to."),
        verbose_name=_("campaign"),
    )
    ordered_at = models.DateTimeField(_("ordered at"))
    currency = models.CharField(max_length=3, default="EUR", verbose_name=_("currency"))
    revenue = models.DecimalField(
        _("revenue"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["-ordered_at", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["contact", "ordered_at"], name="order_contact_at"),
            models.Index(fields=["account", "ordered_at"], name="order_account_at"),
            # Order counts and revenue in a window per contact, from the index alone.
            models.Index(
                fields=["ordered_at"], include=["contact", "revenue"], name="order_at_cover"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="order_number_once_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.get_source_display()})"


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    sku = models.CharField(max_length=64, db_index=True, verbose_name=_("SKU"))
    quantity = models.DecimalField(
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0"))],
        verbose_name=_("quantity"),
    )
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("unit price"))
    line_total = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=_("line total"))

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class GroupPrice(models.Model):
    """An article's price for the accounts of one price group, as the ERP reports it.

    Newsletters show a recipient their account's price where one exists, else the list
    price of the product.
    """

    sku = models.CharField(_("SKU"), max_length=64)
    price_group = models.CharField(_("price group"), max_length=50)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["sku", "price_group"]
        verbose_name = _("price-group price")
        verbose_name_plural = _("price-group prices")
        constraints = [
            models.UniqueConstraint(fields=["sku", "price_group"], name="group_price_once")
        ]

    def __str__(self) -> str:
        return f"{self.sku} / {self.price_group}: {self.price} {self.currency}"
