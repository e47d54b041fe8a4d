"""The buying centre and the customer journey, defined once and used by every app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BuyingRole(models.TextChoices):
    USER = "user", _("User")
    DECISION_MAKER = "decision_maker", _("Decision maker")
    BUYER = "buyer", _("Buyer / recommender")
    INFLUENCER = "influencer", _("Influencer")
    APPROVER = "approver", _("Approver")


class JourneyPhase(models.TextChoices):
    AWARENESS = "awareness", _("Awareness")
    CONSIDERATION = "consideration", _("Consideration")
    TRANSACTION = "transaction", _("Transaction")
    EXPERIENCE = "experience", _("Experience")
    LOYALTY = "loyalty", _("Loyalty")


class Availability(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    LOW_STOCK = "low_stock", _("Low stock")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")
    ON_REQUEST = "on_request", _("On request")
    DISCONTINUED = "discontinued", _("Discontinued")


class EtimDataType(models.TextChoices):
    """ETIM's feature data types; each decides how a value is written in typed exports."""

    ALPHANUMERIC = "A", _("Alphanumeric (a value code, EV...)")
    NUMERIC = "N", _("Numeric")
    LOGICAL = "L", _("Logical (yes/no)")
    RANGE = "R", _("Range (from-to)")


class MeasureUnit(models.TextChoices):
    """Units a product sold by length, weight or volume is measured in (unit prices)."""

    GRAM = "g", _("gram")
    KILOGRAM = "kg", _("kilogram")
    MILLILITRE = "ml", _("millilitre")
    LITRE = "l", _("litre")
    CUBIC_METRE = "m3", _("cubic metre")
    CENTIMETRE = "cm", _("centimetre")
    METRE = "m", _("metre")
    SQUARE_METRE = "m2", _("square metre")


class RelationKind(models.TextChoices):
    SPARE_PART = "spare_part", _("Spare or wear part")
    ACCESSORY = "accessory", _("Accessory")
