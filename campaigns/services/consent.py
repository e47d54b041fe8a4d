"""Consent with evidence (double opt-in) and suppression.

What the hub promises (UWG section 7, GDPR Art. 7(1)):

- Every opt-in, confirmation and opt-out is a ConsentRecord row: time, IP address, user
  agent, source, text version and the hash of the confirmation link's token.
- Only a confirmed double opt-in counts as consent. An opt-in sets the contact to
  ``pending`` and mails a signed confirmation link; following the link and pressing the
  button (a POST: mail scanners prefetch links) records the confirmation.
- The link is signed with its own salt and is valid for ``HUB_CONSENT_CONFIRM_MAX_AGE``
  seconds after the opt-in, counted from the opt-in record's time. It is derived from the
  record's ids, so the mail task needs only ids and sends the same link when retried. A newer
  opt-in or a later opt-out replaces it.
- A suppressed address gets no confirmation mail, with one exception: an address the person
  unsubscribed themselves may opt in again, and their *confirmed* double opt-in lifts that
  "unsubscribed" suppression. A hard bounce, a spam complaint or a suppression by hand
  (erasure included) is never lifted by an opt-in: someone in the team must decide that.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.branding import brand_for, brand_settings
from campaigns.models import (
    ConsentKind,
    ConsentRecord,
    ConsentState,
    Contact,
    Suppression,
    SuppressionReason,
    email_hash,
)
from campaigns.personalisation import greeting
from campaigns.placements.audience import placement_audience_stale_on_commit
from campaigns.services.segment_state import (
    segment_state_note_addresses,
    segment_state_note_contacts,
)
from channels.base import TransactionalMessage
from channels.exceptions import TransportError
from channels.registry import get_transactional_channel
from core.tokens import hash_token

logger = logging.getLogger(__name__)

CONFIRM_SALT = "campaigns.consent.confirm"
# Suppressions that the person's own confirmed double opt-in may lift.
LIFTED_BY_OPT_IN = frozenset({SuppressionReason.UNSUBSCRIBED})


class ConsentError(Exception):
    """A consent step that cannot be taken; the message says why, for the person or the user."""


class InvalidConsentToken(ConsentError):
    """The link is forged or mangled."""


class SupersededConsentToken(ConsentError):
    """The link was genuine but a newer opt-in or an opt-out has replaced it."""


class ExpiredConsentToken(ConsentError):
    """The link was genuine but is older than HUB_CONSENT_CONFIRM_MAX_AGE."""


class OptedOutSinceConfirmation(ConsentError):
    """The link was used to confirm, and the person has unsubscribed since."""


class AddressSuppressed(ConsentError):
    """The address must not be mailed (hard bounce, complaint, suppressed by hand)."""


def recipient_language(contact: Contact | None) -> str:
    """The language the hub speaks to a contact in: theirs, else ``LANGUAGE_CODE``."""
    languages = dict(settings.LANGUAGES)
    if contact is not None and contact.language in languages:
        return contact.language
    return settings.LANGUAGE_CODE


def confirm_max_age() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.HUB_CONSENT_CONFIRM_MAX_AGE)


def confirmation_token(record: ConsentRecord) -> str:
    """The signed token of an opt-in's confirmation link (the same for the same record)."""
    # Signer, not signing.dumps: no timestamp in it, so the mail task, given only ids, makes
    # the very token whose hash the opt-in stored. Its age is checked against the record.
    return signing.Signer(salt=CONFIRM_SALT).sign_object({"c": record.contact_id, "r": record.pk})


def confirmation_url(record: ConsentRecord) -> str:
    path = reverse("consent:confirm", kwargs={"token": confirmation_token(record)})
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def suppression_for(email: str) -> Suppression | None:
    return Suppression.objects.filter(email_hash=email_hash(email)).first()


def _check_not_blocked(contact: Contact) -> Suppression | None:
    """The contact's suppression if an opt-in may lift it; raise if it may not."""
    suppression = suppression_for(contact.email)
    if suppression is not None and suppression.reason not in LIFTED_BY_OPT_IN:
        raise AddressSuppressed(
            _("This address is suppressed (%(reason)s) and gets no marketing e-mail.")
            % {"reason": suppression.get_reason_display()}
        )
    return suppression


def _set_consent(contact: Contact, state: ConsentState, at: datetime.datetime) -> None:
    contact.consent = state
    contact.consent_changed_at = at
    contact.save(update_fields=["consent", "consent_changed_at", "updated_at"])
    segment_state_note_contacts([contact.pk])


@transaction.atomic
def consent_opt_in(
    *,
    contact: Contact,
    source: str,
    text_version: str,
    ip_address: str | None = None,
    user_agent: str = "",
    user=None,
) -> ConsentRecord:
    """Record an opt-in and mail the confirmation link once the transaction commits.

    The contact becomes ``pending`` unless already confirmed (then the row is recorded as
    evidence and no mail is sent). Raises AddressSuppressed, recording nothing, for an
    address that an opt-in cannot un-suppress.
    """
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    _check_not_blocked(contact)
    record = ConsentRecord.objects.create(
        contact=contact,
        kind=ConsentKind.OPT_IN,
        source=source[:50],
        text_version=text_version[:100],
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:300],
        recorded_by=user,
    )
    if contact.consent == ConsentState.CONFIRMED:
        logger.info("consent.opt_in contact=%s record=%s already_confirmed", contact.pk, record.pk)
        return record
    record.token_hash = hash_token(confirmation_token(record))
    record.save(update_fields=["token_hash"])
    _set_consent(contact, ConsentState.PENDING, record.at)
    logger.info("consent.opt_in contact=%s record=%s source=%s", contact.pk, record.pk, source)

    from campaigns.tasks import send_consent_confirmation

    transaction.on_commit(lambda: send_consent_confirmation.delay(record.pk))
    placement_audience_stale_on_commit([contact.pk])
    return record


def _pending_opt_in(token: str) -> ConsentRecord:
    """The opt-in a token belongs to, if it is genuine; raise InvalidConsentToken if not."""
    try:
        payload = signing.Signer(salt=CONFIRM_SALT).unsign_object(token)
        contact_id, record_id = int(payload["c"]), int(payload["r"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidConsentToken(_("This confirmation link is not valid.")) from exc
    record = (
        ConsentRecord.objects.select_related("contact")
        .filter(pk=record_id, contact_id=contact_id, kind=ConsentKind.OPT_IN)
        .first()
    )
    if record is None or record.token_hash != hash_token(token):
        raise InvalidConsentToken(_("This confirmation link is not valid."))
    return record


def consent_token_contact(*, token: str) -> Contact | None:
    """The contact a genuine confirmation link names (used or not); None for a forged one."""
    try:
        return _pending_opt_in(token).contact
    except InvalidConsentToken:
        return None


def consent_token_opt_in(*, token: str) -> ConsentRecord:
    """The opt-in a confirmation link belongs to, without changing anything (for the page).

    Raises the ConsentError that consent_confirm would raise for the token.
    """
    record = _pending_opt_in(token)
    if (confirmation := _confirmation_of(record)) is None:
        _check_still_open(record)
    else:
        _check_not_opted_out_since(confirmation, record.contact)
    return record


def _confirmation_of(record: ConsentRecord) -> ConsentRecord | None:
    return ConsentRecord.objects.filter(
        contact_id=record.contact_id,
        kind=ConsentKind.CONFIRMATION,
        token_hash=record.token_hash,
    ).first()


def _check_not_opted_out_since(confirmation: ConsentRecord, contact: Contact) -> None:
    """A used link says "confirmed" only while that is true: not after an opt-out."""
    if contact.consent == ConsentState.CONFIRMED:
        return  # subscribed (again) now, whatever happened in between
    opted_out = ConsentRecord.objects.filter(
        Q(at__gt=confirmation.at) | Q(at=confirmation.at, pk__gt=confirmation.pk),
        contact_id=confirmation.contact_id,
        kind=ConsentKind.OPT_OUT,
    )
    if opted_out.exists():
        raise OptedOutSinceConfirmation(
            _("You unsubscribed after confirming this subscription. You can subscribe again.")
        )


def _check_still_open(record: ConsentRecord) -> None:
    later = ConsentRecord.objects.filter(
        Q(at__gt=record.at) | Q(at=record.at, pk__gt=record.pk),
        contact_id=record.contact_id,
        kind__in=[ConsentKind.OPT_IN, ConsentKind.OPT_OUT],
    )
    if later.exists():
        raise SupersededConsentToken(
            _("This confirmation link has been replaced by a newer request or an opt-out.")
        )
    if timezone.now() - record.at > confirm_max_age():
        raise ExpiredConsentToken(
            _("This confirmation link has expired. Please sign up again to get a new one.")
        )


@transaction.atomic
def consent_confirm(*, token: str, ip_address: str | None, user_agent: str) -> ConsentRecord:
    """Record the confirmation of a double opt-in and make the contact ``confirmed``.

    Confirming twice with the same link returns the first confirmation and records nothing;
    once the person opted out after confirming, the used link raises
    OptedOutSinceConfirmation and never subscribes them again. Raises InvalidConsentToken,
    SupersededConsentToken, ExpiredConsentToken or AddressSuppressed, recording nothing.
    """
    record = _pending_opt_in(token)
    contact = Contact.objects.select_for_update().get(pk=record.contact_id)
    if (earlier := _confirmation_of(record)) is not None:
        _check_not_opted_out_since(earlier, contact)
        return earlier
    _check_still_open(record)
    suppression = _check_not_blocked(contact)
    if suppression is not None:
        logger.info("suppression.lifted contact=%s reason=%s", contact.pk, suppression.reason)
        suppression.delete()
        segment_state_note_addresses([suppression.email_hash])
    confirmation = ConsentRecord.objects.create(
        contact=contact,
        kind=ConsentKind.CONFIRMATION,
        source=record.source,
        text_version=record.text_version,
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:300],
        token_hash=record.token_hash,
    )
    _set_consent(contact, ConsentState.CONFIRMED, confirmation.at)
    placement_audience_stale_on_commit([contact.pk])
    logger.info("consent.confirmed contact=%s record=%s", contact.pk, confirmation.pk)
    return confirmation


@transaction.atomic
def consent_opt_in_again(
    *, token: str, ip_address: str | None, user_agent: str
) -> ConsentRecord | None:
    """Opt in anew from a used confirmation link of someone who unsubscribed since.

    Only pending until confirmed: a new confirmation link is mailed, as for any opt-in.
    Returns the new opt-in, or None when nothing was to be done (the person is subscribed,
    an opt-in waits for confirmation, or the link was never used). Raises
    InvalidConsentToken for a forged link and AddressSuppressed for an address an opt-in
    cannot lift, recording nothing.
    """
    record = _pending_opt_in(token)
    contact = Contact.objects.select_for_update().get(pk=record.contact_id)
    confirmation = _confirmation_of(record)
    if confirmation is None or contact.consent == ConsentState.PENDING:
        return None
    try:
        _check_not_opted_out_since(confirmation, contact)
    except OptedOutSinceConfirmation:
        return consent_opt_in(
            contact=contact,
            source="consent:again",
            text_version=record.text_version,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    return None


@transaction.atomic
def consent_opt_out(
    *,
    contact: Contact,
    source: str,
    text_version: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
    user=None,
) -> ConsentRecord:
    """Record an opt-out: the contact is ``revoked`` and its address suppressed (unsubscribed)."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    record = ConsentRecord.objects.create(
        contact=contact,
        kind=ConsentKind.OPT_OUT,
        source=source[:50],
        text_version=text_version[:100],
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:300],
        recorded_by=user,
    )
    _set_consent(contact, ConsentState.REVOKED, record.at)
    placement_audience_stale_on_commit([contact.pk])
    suppression_add(email=contact.email, reason=SuppressionReason.UNSUBSCRIBED, source=source)
    logger.info("consent.opt_out contact=%s record=%s source=%s", contact.pk, record.pk, source)
    return record


@transaction.atomic
def suppression_add(*, email: str, reason: SuppressionReason | str, source: str) -> Suppression:
    """Suppress an address for good. Idempotent by the address's hash.

    An existing suppression stays as it is, except that "unsubscribed" (which the person's
    own double opt-in may lift) is hardened by any other reason (bounce, complaint, manual).
    """
    reason = SuppressionReason(reason)
    suppression, created = Suppression.objects.select_for_update().get_or_create(
        email_hash=email_hash(email), defaults={"reason": reason, "source": source[:50]}
    )
    if created:
        segment_state_note_addresses([suppression.email_hash])
        placement_audience_stale_on_commit(
            Contact.objects.filter(email_hash=suppression.email_hash).values_list("pk", flat=True)
        )
    if not created and suppression.reason in LIFTED_BY_OPT_IN and reason not in LIFTED_BY_OPT_IN:
        suppression.reason = reason
        suppression.source = source[:50]
        suppression.save(update_fields=["reason", "source"])
    logger.info(
        "suppression.added suppression=%s reason=%s source=%s created=%s",
        suppression.pk,
        suppression.reason,
        source,
        created,
    )
    return suppression


def consent_confirmation_send(*, record_id: int) -> bool:
    """Mail the confirmation link of an opt-in, if it is still the one to confirm.

    The one place that sends consent mail (plain text and HTML, in the contact's language),
    through the channel that sends transactional messages (``get_transactional_channel``),
    or Django's e-mail backend where none is configured. Returns whether a mail was sent.
    Safe to run twice: the opt-in row is locked while it is mailed and remembers that it was.
    """
    with transaction.atomic():
        record = (
            ConsentRecord.objects.select_for_update(of=("self",))
            .select_related("contact")
            .filter(pk=record_id, kind=ConsentKind.OPT_IN, mailed_at__isnull=True)
            .exclude(token_hash="")
            .first()
        )
        if record is None:
            return False
        message_id = _confirmation_mail(record)
        if message_id is None:
            return False
        record.mailed_at = timezone.now()
        # Kept so that a bounce of this mail is known to be about a mail the hub sent.
        record.message_id = message_id[:200]
        record.save(update_fields=["mailed_at", "message_id"])
    return True


def _confirmation_mail(record: ConsentRecord) -> str | None:
    """Send the mail; its Message-ID ("" when the backend does not say), or None if not sent."""
    if _confirmation_of(record) is not None:
        return None
    try:
        _check_still_open(record)
        _check_not_blocked(record.contact)
    except ConsentError:
        return None
    contact = record.contact
    language = recipient_language(contact)
    brand = brand_settings()
    # The sender of the brand settings, else the one configured for the hub's own mail.
    sender = (brand.sender if brand is not None else "") or settings.DEFAULT_FROM_EMAIL
    reply_to = brand.reply_to if brand is not None else ""
    context = {
        "contact": contact,
        "greeting": greeting(contact, language),
        "brand": brand_for(brand, language),
        "confirm_url": confirmation_url(record),
        "valid_days": max(1, settings.HUB_CONSENT_CONFIRM_MAX_AGE // 86400),
    }
    # One set of templates, in the contact's language: never both languages in one mail.
    with translation.override(language):
        subject = render_to_string("campaigns/consent/confirmation_subject.txt", context)
        subject = " ".join(subject.split())
        text = render_to_string("campaigns/consent/confirmation.txt", context)
        html = render_to_string("campaigns/consent/confirmation.html", context)
    try:
        channel = get_transactional_channel()
    except ImproperlyConfigured:
        channel = None
    if channel is None:
        # Without a channel for transactional mail, Django's own e-mail backend sends it.
        mail = EmailMultiAlternatives(
            subject, text, sender, [contact.email], reply_to=[reply_to] if reply_to else None
        )
        mail.attach_alternative(html, "text/html")
        mail.send()
        message_id = ""
    else:
        # A TransportError propagates: the task retries later and nothing is marked mailed.
        result = channel.send_transactional(
            TransactionalMessage(
                to=contact.email,
                subject=subject,
                text=text,
                html=html,
                sender=sender,
                reply_to=reply_to,
            )
        )
        if result.in_doubt:
            # It may have arrived: a second confirmation mail is worse than a missing one,
            # which the person can ask for again.
            logger.warning(
                "consent.confirmation_in_doubt contact=%s record=%s detail=%r",
                contact.pk,
                record.pk,
                result.detail,
            )
        elif not result.sent and not result.permanent:
            raise TransportError(result.detail, transient=True)
        elif not result.sent:
            logger.warning(
                "consent.confirmation_refused contact=%s record=%s detail=%r",
                contact.pk,
                record.pk,
                result.detail,
            )
            return None
        message_id = result.message_id
    logger.info("consent.confirmation_sent contact=%s record=%s", contact.pk, record.pk)
    return message_id
