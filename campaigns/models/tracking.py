"""Every open and click as it came in, and the rules that tell a machine's from a person's.

``TrackingHit`` keeps the time, address and user agent of each open and recorded click of a
delivery (at most ``HITS_KEPT_PER_KIND`` per delivery and kind: beyond that a hit is only
counted in the campaign figures), with what it was classified as. Address and user agent
are personal data: erasing a contact blanks them (classification and time stay, for the
figures), and so does ``HUB_TRACKING_HIT_RETENTION_DAYS`` after that many days.

``MachineRule`` rows are the classification, as data that campaign managers edit: an address
range, a user-agent pattern and "within N seconds of sending", each optional, all that are
set must hold. The first active rule by priority that matches decides; a hit no rule
matches is a person's.
"""

from __future__ import annotations

import ipaddress
import re
import uuid

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

# Hits stored per delivery and kind; a mail client reloading the pixel all day adds to the
# figures, not to this table.
HITS_KEPT_PER_KIND = 50
USER_AGENT_LENGTH = 400
# The cache key whose value changes whenever a rule changes: processes reload their rules.
RULES_VERSION_KEY = "campaigns.machine_rules.version"


class HitKind(models.TextChoices):
    OPEN = "open", _("Open")
    CLICK = "click", _("Click")


class HitClass(models.TextChoices):
    HUMAN = "human", _("Person")
    # Apple Mail fetches every image of a message when it arrives, opened or not.
    APPLE_MPP = "apple_mpp", _("Apple Mail Privacy Protection")
    # Gmail's and Yahoo's image proxies fetch the pixel when the person opens the message.
    PROXY = "proxy", _("Image proxy (a real open)")
    SCANNER = "scanner", _("Security scanner or bot")


# What a person did: counted as human opens and clicks. Anything else is a machine's.
HUMAN_CLASSES = frozenset({HitClass.HUMAN, HitClass.PROXY})


def is_human(classification: str) -> bool:
    return classification in HUMAN_CLASSES


class TrackingHit(models.Model):
    delivery = models.ForeignKey(
        "campaigns.Delivery",
        on_delete=models.CASCADE,
        related_name="tracking_hits",
        verbose_name=_("delivery"),
    )
    kind = models.CharField(max_length=10, choices=HitKind.choices, verbose_name=_("kind"))
    at = models.DateTimeField(verbose_name=_("time"))
    ip = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("IP address"))
    user_agent = models.CharField(
        max_length=USER_AGENT_LENGTH, blank=True, verbose_name=_("user agent")
    )
    url = models.URLField(max_length=2000, blank=True, verbose_name=_("URL"))
    classification = models.CharField(
        max_length=20, choices=HitClass.choices, verbose_name=_("classification")
    )
    seconds_after_send = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("seconds after send")
    )

    class Meta:
        verbose_name = _("tracking hit")
        verbose_name_plural = _("tracking hits")
        indexes = [
            models.Index(fields=["delivery", "kind"], name="tracking_hit_delivery_kind"),
            # The retention run's question: which old hits still hold an address.
            models.Index(
                fields=["at"], condition=models.Q(ip__isnull=False), name="tracking_hit_with_ip"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.kind} {self.classification} {self.at:%Y-%m-%d %H:%M}"


class RuleScope(models.TextChoices):
    OPEN = "open", _("Opens")
    CLICK = "click", _("Clicks")
    BOTH = "both", _("Opens and clicks")


def validate_ip_network(value: str) -> None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValidationError(
            _("%(value)s is not an address range such as 17.0.0.0/8 or 2a01:111::/32."),
            params={"value": value},
            code="invalid",
        ) from None


def validate_pattern(value: str) -> None:
    try:
        re.compile(value, re.IGNORECASE)
    except re.error as error:
        raise ValidationError(
            _("Not a valid regular expression: %(error)s."),
            params={"error": error},
            code="invalid",
        ) from None


def _new_rules_version() -> None:
    cache.set(RULES_VERSION_KEY, uuid.uuid4().hex, None)


def machine_rules_changed() -> None:
    """Make every process reload the rules (at once where the cache is shared).

    Now, for this transaction's own reads, and again once the change is committed: a
    process that reloaded in between read the rules as they were before.
    """
    _new_rules_version()
    transaction.on_commit(_new_rules_version)


class MachineRule(models.Model):
    name = models.CharField(_("name"), max_length=200)
    applies_to = models.CharField(
        _("applies to"), max_length=10, choices=RuleScope.choices, default=RuleScope.OPEN
    )
    classification = models.CharField(
        _("classify as"),
        max_length=20,
        choices=HitClass.choices,
        help_text=_(
            "For clicks, anything but 'Person' and 'Image proxy' makes the click a bot's: "
            "it is not counted as a click and earns no order."
        ),
    )
    ip_network = models.CharField(
        _("address range"),
        max_length=50,
        blank=True,
        validators=[validate_ip_network],
        help_text=_("CIDR, e.g. 17.0.0.0/8. Leave empty for any address."),
    )
    user_agent_pattern = models.CharField(
        _("user agent pattern"),
        max_length=300,
        blank=True,
        validators=[validate_pattern],
        help_text=_(
            "A regular expression searched in the user agent, ignoring case, "
            "e.g. GoogleImageProxy or ^Mozilla/5\\.0$. Leave empty for any user agent."
        ),
    )
    max_seconds_after_send = models.PositiveIntegerField(
        _("within seconds of sending"),
        null=True,
        blank=True,
        help_text=_("Only hits this soon after the message was sent. Leave empty for any time."),
    )
    priority = models.PositiveIntegerField(
        _("priority"), default=100, help_text=_("Lower numbers are tried first.")
    )
    active = models.BooleanField(_("active"), default=True)
    source = models.TextField(
        _("source"), blank=True, help_text=_("Why this rule holds: where the pattern comes from.")
    )

    class Meta:
        ordering = ["priority", "pk"]
        verbose_name = _("machine rule")
        verbose_name_plural = _("machine rules")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        machine_rules_changed()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        machine_rules_changed()
        return result

    def clean(self) -> None:
        super().clean()
        if not (
            self.ip_network or self.user_agent_pattern or self.max_seconds_after_send is not None
        ):
            raise ValidationError(
                _(
                    "Give an address range, a user agent pattern or a number of seconds: "
                    "a rule without any would classify every hit."
                )
            )
