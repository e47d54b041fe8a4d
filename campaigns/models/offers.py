"""What the offers engine keeps per account, so a shop's request reads rows, not orders."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OfferKind(models.TextChoices):
    """The kinds of ``channels.placements.OFFER_KINDS`` the engine stores per account.

    "viewed" is not stored: it is the contact's own recent product views, read live.
    """

    REORDER = "reorder", _("Re-order")
    SPARE_PART = "spare_part", _("Spare part")
    ACCESSORY = "accessory", _("Accessory")
    COMPLEMENTARY = "complementary", _("Complementary product")


class AccountOffer(models.Model):
    """One product the engine would offer an account, and the facts of its reason.

    Rebuilt per account by ``campaigns.offers.refresh.offers_refresh`` after the account's
    orders change and every night. Products are named by SKU; whether one is live, its
    name, price and picture are read when the offer is served, so a withdrawn product is
    never offered. ``params`` holds what the reason sentence needs (interval, last order
    date, the product bought, the category), ``due_on`` when a re-order is due.
    """

    account = models.ForeignKey(
        "campaigns.Account", on_delete=models.CASCADE, related_name="offers"
    )
    kind = models.CharField(max_length=20, choices=OfferKind.choices)
    sku = models.CharField(max_length=64)
    score = models.FloatField(default=0.0, help_text=_("Higher is offered first."))
    due_on = models.DateField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "kind", "-score", "sku"]
        verbose_name = _("account offer")
        verbose_name_plural = _("account offers")
        indexes = [models.Index(fields=["account", "kind", "due_on"], name="account_offer_read")]
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "sku"], name="account_offer_once")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.kind} {self.sku}"
