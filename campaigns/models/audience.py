"""Accounts (companies), their contacts (people), consent evidence and suppressions."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from content.taxonomy import BuyingRole, JourneyPhase


def normalise_email(email: str) -> str:
    """The form an address is stored, compared and hashed in: trimmed, lower case."""
    return (email or "").strip().lower()


def email_hash(email: str) -> str:
    """SHA-256 of the normalised address: what a suppression keeps after erasure.

    Unsalted on purpose: a tombstone must match the same address years later, across
    SECRET_KEY rotations and restores, and a hash alone tells nobody the address.
    """
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


class SizeClass(models.TextChoices):
    MICRO = "micro", _("Micro (< 10 employees)")
    SMALL = "small", _("Small (10-49)")
    MEDIUM = "medium", _("Medium (50-249)")
    LARGE = "large", _("Large (250-999)")
    ENTERPRISE = "enterprise", _("Enterprise (1000+)")


class Salutation(models.TextChoices):
    MR = "mr", _("Mr")
    MS = "ms", _("Ms")
    MX = "mx", _("Mx")
    NONE = "", _("None")


class ConsentState(models.TextChoices):
    """Only ``confirmed`` counts as consent to marketing e-mail (double opt-in)."""

    NONE = "none", _("No consent")
    PENDING = "pending", _("Opt-in not yet confirmed")
    CONFIRMED = "confirmed", _("Confirmed (double opt-in)")
    REVOKED = "revoked", _("Revoked")


class ConsentKind(models.TextChoices):
    OPT_IN = "opt_in", _("Opt-in")
    CONFIRMATION = "confirmation", _("Confirmation")
    OPT_OUT = "opt_out", _("Opt-out")


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    HARD_BOUNCE = "hard_bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Spam complaint")
    MANUAL = "manual", _("Suppressed by hand")


country_code = RegexValidator(r"^[A-Z]{2}$", _("Use an ISO 3166 country code, e.g. DE."))


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166 countries (django-countries' data), named and sorted in the active language.

    A callable, so each request gets its own language and migrations keep no list of names.
    """
    return [(country.code, country.name) for country in countries]


class Account(models.Model):
    """A customer company. Its contacts form its buying centre."""

    name = models.CharField(_("name"), max_length=200)
    customer_number = models.CharField(
        _("customer number"), max_length=50, unique=True, null=True, blank=True
    )
    erp_id = models.CharField(_("ERP id"), max_length=100, unique=True, null=True, blank=True)
    crm_id = models.CharField(_("CRM id"), max_length=100, unique=True, null=True, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True, db_index=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        choices=country_choices,
        validators=[country_code],
        db_index=True,
    )
    size_class = models.CharField(
        _("size"), max_length=20, choices=SizeClass.choices, blank=True, db_index=True
    )
    price_group = models.CharField(_("price group"), max_length=50, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country="") | models.Q(country=Upper("country")),
                name="account_country_upper_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer_number})" if self.customer_number else self.name


class Contact(models.Model):
    """A person at an account, in a buying-centre role and a journey phase.

    ``consent`` and the journey ``phase`` are kept current by the services that record
    their evidence (ConsentRecord, PhaseChange); a suppression lives apart, keyed by the
    address's hash, so it outlives the contact.
    """

    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        verbose_name=_("account"),
    )
    email = models.EmailField(_("e-mail"), unique=True)
    email_hash = models.CharField(max_length=64, db_index=True, editable=False)
    salutation = models.CharField(
        _("salutation"), max_length=4, choices=Salutation.choices, blank=True
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    role = models.CharField(
        _("buying-centre role"), max_length=20, choices=BuyingRole.choices, blank=True
    )
    phase = models.CharField(
        _("journey phase"), max_length=20, choices=JourneyPhase.choices, blank=True
    )
    phase_changed_at = models.DateTimeField(_("phase since"), null=True, blank=True)
    consent = models.CharField(
        _("consent"), max_length=12, choices=ConsentState.choices, default=ConsentState.NONE
    )
    consent_changed_at = models.DateTimeField(_("consent since"), null=True, blank=True)
    declined_topics = models.JSONField(
        _("declined newsletter topics"),
        default=list,
        blank=True,
        help_text=_("Keys of the newsletter topics the contact chose not to receive."),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=50,
        blank=True,
        help_text=_("IANA name, e.g. Europe/Berlin. Blank: derived from the account's country."),
    )
    crm_id = models.CharField(_("CRM id"), max_length=100, unique=True, null=True, blank=True)
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The id in the system this contact was imported from."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["role", "phase"], name="contact_role_phase"),
            # Segments start from reachable contacts; the hash serves the suppression check.
            models.Index(
                fields=["role", "phase"],
                include=["email_hash"],
                condition=models.Q(consent="confirmed"),
                name="contact_reachable_role_phase",
            ),
            # Every segment count joins its matches to the reachable contacts: this partial
            # index holds them with every column a condition reads, so no count opens the
            # table itself.
            models.Index(
                fields=["id"],
                include=["account", "role", "phase", "language", "email_hash"],
                condition=models.Q(consent="confirmed"),
                name="contact_reachable",
            ),
            models.Index(fields=["consent"], name="contact_consent"),
            models.Index(fields=["language"], name="contact_language"),
        ]
        permissions = [
            ("export_contact", _("Can export a contact's personal data (GDPR)")),
            ("erase_contact", _("Can erase a contact (GDPR)")),
        ]

    def __str__(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return f"{name} <{self.email}>" if name else self.email

    def save(self, *args, **kwargs) -> None:
        self.email = normalise_email(self.email)
        self.email_hash = email_hash(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "email_hash"}
        super().save(*args, **kwargs)

    @property
    def is_consented(self) -> bool:
        return self.consent == ConsentState.CONFIRMED


class PhaseChange(models.Model):
    """One move of a contact between journey phases, and why."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="phase_changes", verbose_name=_("contact")
    )
    from_phase = models.CharField(
        max_length=20, choices=JourneyPhase.choices, blank=True, verbose_name=_("from phase")
    )
    to_phase = models.CharField(
        max_length=20, choices=JourneyPhase.choices, verbose_name=_("to phase")
    )
    changed_at = models.DateTimeField(
        default=timezone.now, db_index=True, verbose_name=_("changed at")
    )
    rule = models.ForeignKey(
        "campaigns.JourneyRule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The rule that moved the contact; blank when set by hand or import."),
        verbose_name=_("rule"),
    )
    reason = models.CharField(max_length=255, blank=True, verbose_name=_("reason"))

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("phase change")
        verbose_name_plural = _("phase changes")

    def __str__(self) -> str:
        return f"{self.from_phase or '-'} -> {self.to_phase}"


class ConsentRecord(models.Model):
    """Evidence of one opt-in, confirmation or opt-out (UWG section 7, GDPR Art. 7(1)).

    Append-only. The contact's ``consent`` field is the state these rows add up to.
    """

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="consents", verbose_name=_("contact")
    )
    kind = models.CharField(max_length=12, choices=ConsentKind.choices, verbose_name=_("kind"))
    at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("time"))
    ip_address = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("IP address"))
    user_agent = models.CharField(max_length=300, blank=True, verbose_name=_("user agent"))
    source = models.CharField(
        max_length=50,
        help_text=_("Where it happened: web form, import, API, admin, CRM."),
        verbose_name=_("source"),
    )
    text_version = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The version of the form or consent text the contact saw."),
        verbose_name=_("text version"),
    )
    token_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("Hash of the confirmation link's token."),
        verbose_name=_("token hash"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    mailed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the confirmation link was mailed (opt-ins)."),
        verbose_name=_("mailed at"),
    )
    # The confirmation mail's Message-ID, by which a bounce of it is known to be the hub's.
    message_id = models.CharField(
        max_length=200, blank=True, db_index=True, verbose_name=_("message ID")
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class Suppression(models.Model):
    """An address that must never be mailed again: survives deletion and erasure.

    Keyed by the address's hash only, so it holds no personal data once the contact is gone.
    """

    email_hash = models.CharField(max_length=64, unique=True, verbose_name=_("email hash"))
    reason = models.CharField(
        max_length=20, choices=SuppressionReason.choices, verbose_name=_("reason")
    )
    source = models.CharField(max_length=50, blank=True, verbose_name=_("source"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.email_hash[:12]}...)"


class IgnoredFeedbackReason(models.TextChoices):
    TOPIC_NOT_ALLOWED = "topic_not_allowed", _("Topic not allowed")
    NOT_SENT_BY_HUB = "not_sent_by_hub", _("No matching mail from the hub")


class IgnoredFeedback(models.Model):
    """A bounce or complaint the hub did not act on, so an operator can see what came in.

    Either its SNS topic is not one of ``HUB_SES_SNS_TOPIC_ARNS``, or it names an address
    the hub sent nothing to (by Message-ID or recently). Like a suppression it keeps only
    the address's hash: these are mostly people the hub never mailed. One row per
    notification and recipient, so a notification delivered twice is recorded once.
    """

    notification_id = models.CharField(_("notification"), max_length=100)
    index = models.PositiveSmallIntegerField(_("recipient position"), default=0)
    reason = models.CharField(_("reason"), max_length=20, choices=IgnoredFeedbackReason.choices)
    topic_arn = models.CharField(_("topic"), max_length=256)
    kind = models.CharField(_("kind"), max_length=20, blank=True)
    permanent = models.BooleanField(_("permanent"), default=False)
    email_hash = models.CharField(_("address hash"), max_length=64, blank=True, db_index=True)
    message_id = models.CharField(_("Message-ID"), max_length=200, blank=True)
    provider_message_id = models.CharField(_("provider's message id"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("occurred"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("ignored bounce or complaint")
        verbose_name_plural = _("ignored bounces and complaints")
        constraints = [
            models.UniqueConstraint(
                fields=["notification_id", "index"], name="ignored_feedback_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind or 'notification'} ({self.get_reason_display()})"
