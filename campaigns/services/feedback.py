"""Recording what channels' providers report back: bounces and complaints.

A channel adapter verifies and reads its provider's notifications into the contract's
``DeliveryFeedback`` and hands it to ``channels.registry.report_feedback``, which calls
``feedback_record`` here (``settings.HUB_CHANNEL_FEEDBACK_RECEIVER``); this module decides
what the feedback means for the audience and knows no adapter.

Feedback counts only for a mail the hub sent: a campaign delivery or a double opt-in
confirmation with the Message-ID the notification names, or else one sent to that address
within ``HUB_SES_FEEDBACK_WINDOW_DAYS`` before it. Then a permanent bounce or a complaint
suppresses the address for good and a transient bounce is only counted, each as an
``Event`` stored through the event service, so the journey rules look at the contact as
after any other event. Anything else is kept as an ``IgnoredFeedback`` row (the address
only as its hash) and changes nothing. Both are stored under a key the provider's
notification gives them, so a notification delivered twice counts once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from campaigns.models import (
    ConsentKind,
    ConsentRecord,
    Contact,
    Delivery,
    DeliveryState,
    Event,
    EventKind,
    IgnoredFeedback,
    IgnoredFeedbackReason,
    SuppressionReason,
    email_hash,
)
from campaigns.services.consent import suppression_add
from campaigns.services.events import events_record_resolved
from channels.base import DeliveryFeedback, FeedbackNotice, FeedbackResult

logger = logging.getLogger(__name__)

EVENT_KINDS = {"bounce": EventKind.BOUNCE, "complaint": EventKind.COMPLAINT}
SUPPRESSION_REASONS = {
    "bounce": SuppressionReason.HARD_BOUNCE,
    "complaint": SuppressionReason.COMPLAINT,
}


@dataclass(frozen=True)
class SentMail:
    """The hub's mail a piece of feedback is about."""

    matched_by: str  # "message_id" or "recent_mail"
    delivery: Delivery | None  # the campaign delivery, when it is known which one


def feedback_window() -> dt.timedelta:
    return dt.timedelta(days=settings.HUB_SES_FEEDBACK_WINDOW_DAYS)


def sent_mail_for(feedback: DeliveryFeedback) -> SentMail | None:
    """The hub's mail ``feedback`` is about, or None if the hub sent that address nothing.

    By our Message-ID first (a delivery's, or a double opt-in confirmation's); else a
    delivery or confirmation to the address sent within the window before the feedback.
    Among those, a delivery with the provider's message id is the one (SES's id, recorded
    when SES accepted the mail); otherwise no single delivery is named.
    """
    if feedback.message_id:
        delivery = Delivery.objects.filter(message_id=feedback.message_id).first()
        if delivery is not None:
            return SentMail("message_id", delivery)
        confirmation = ConsentRecord.objects.filter(
            kind=ConsentKind.OPT_IN, message_id=feedback.message_id
        )
        if confirmation.exists():
            return SentMail("message_id", None)
    address = email_hash(feedback.email)
    since = feedback.occurred_at - feedback_window()
    recent = Delivery.objects.filter(contact__email_hash=address, sent_at__gte=since)
    if feedback.provider_message_id:
        delivery = recent.filter(provider_id=feedback.provider_message_id).first()
        if delivery is not None:
            return SentMail("message_id", delivery)
    confirmations = ConsentRecord.objects.filter(
        kind=ConsentKind.OPT_IN, contact__email_hash=address, mailed_at__gte=since
    )
    if recent.exists() or confirmations.exists():
        return SentMail("recent_mail", None)
    return None


def _key(notice: FeedbackNotice) -> str:
    return f"{notice.report_id}:{notice.index}"


def _handled_before(notice: FeedbackNotice) -> bool:
    return (
        Event.objects.filter(source=notice.source, idempotency_key=_key(notice)).exists()
        or IgnoredFeedback.objects.filter(
            notification_id=notice.report_id, index=notice.index
        ).exists()
    )


def feedback_record(*, notice: FeedbackNotice, feedback: DeliveryFeedback | None) -> FeedbackResult:
    """Record one piece of delivery feedback once: the receiver of every channel's feedback.

    Feedback from an origin not allowed (``notice.origin_allowed`` False) is kept aside as
    ignored and acts on nothing (``feedback`` may then be None: the notice named no
    recipient, or could not be read); else ``feedback`` is required and recorded as
    ``_record`` says.
    """
    if not notice.origin_allowed:
        return _record_foreign_origin(notice=notice, feedback=feedback)
    if feedback is None:
        raise ValueError("Feedback from an allowed origin must name its recipient.")
    return _record(notice=notice, feedback=feedback)


def _record(*, notice: FeedbackNotice, feedback: DeliveryFeedback) -> FeedbackResult:
    """Count one recipient's bounce or complaint once, and suppress the address if it is final.

    Only feedback about a mail the hub sent (``sent_mail_for``) counts: the event goes to
    the contact with that address, or to no contact if there is none any more (the bounce
    still counts), and to the campaign whose delivery it names; its data keeps the
    provider's and our Message-ID. A permanent bounce suppresses the address as a hard
    bounce and marks that delivery bounced, a complaint suppresses it as a complaint; a
    transient bounce suppresses nothing. Feedback about anything else is recorded as
    ignored (``IgnoredFeedback``) and changes nothing. The same notice (report id and
    index) handled again changes nothing and reports a duplicate.
    """
    key = _key(notice)
    with transaction.atomic():
        if _handled_before(notice):
            return _duplicate(key)
        sent = sent_mail_for(feedback)
        if sent is None:
            return _ignore(
                notice=notice, feedback=feedback, reason=IgnoredFeedbackReason.NOT_SENT_BY_HUB
            )
        contact = (
            Contact.objects.filter(email_hash=email_hash(feedback.email)).order_by("pk").first()
        )
        delivery = sent.delivery
        event = Event(
            contact=contact,
            account_id=contact.account_id if contact else None,
            campaign_id=delivery.campaign_id if delivery else None,
            kind=EVENT_KINDS[feedback.kind],
            occurred_at=feedback.occurred_at,
            source=notice.source,
            idempotency_key=key,
            data={
                "permanent": feedback.permanent,
                "detail": feedback.detail,
                "provider_message_id": feedback.provider_message_id,
                "message_id": feedback.message_id,
                "feedback_id": feedback.feedback_id,
                "matched_by": sent.matched_by,
            },
        )
        # A concurrent delivery of the same notification may store the key first: then
        # the event service counts this one as a duplicate.
        if not events_record_resolved(events=[event]).accepted:
            return _duplicate(key)
        if delivery is not None and feedback.kind == "bounce" and feedback.permanent:
            Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENT).update(
                state=DeliveryState.BOUNCED, detail=feedback.detail[:500]
            )
        if feedback.permanent:
            suppression_add(
                email=feedback.email,
                reason=SUPPRESSION_REASONS[feedback.kind],
                source=notice.source,
            )
    logger.info(
        "mail_feedback.recorded key=%s channel=%s kind=%s permanent=%s contact=%s matched_by=%s",
        key,
        feedback.channel,
        feedback.kind,
        feedback.permanent,
        contact.pk if contact else None,
        sent.matched_by,
    )
    return FeedbackResult(recorded=True, suppressed=feedback.permanent, duplicate=False)


def _record_foreign_origin(
    *, notice: FeedbackNotice, feedback: DeliveryFeedback | None
) -> FeedbackResult:
    """Record, once, feedback from an origin not allowed (an SNS topic not in
    HUB_SES_SNS_TOPIC_ARNS); act on nothing.

    ``feedback`` is None when the notification names no bounced or complaining recipient
    (or cannot be read); the row then keeps only the origin and the reason.
    """
    with transaction.atomic():
        if _handled_before(notice):
            return _duplicate(_key(notice))
        return _ignore(
            notice=notice, feedback=feedback, reason=IgnoredFeedbackReason.TOPIC_NOT_ALLOWED
        )


def _ignore(
    *,
    notice: FeedbackNotice,
    feedback: DeliveryFeedback | None,
    reason: IgnoredFeedbackReason | str,
) -> FeedbackResult:
    reason = IgnoredFeedbackReason(reason)
    fields = {"topic_arn": notice.origin[:256], "reason": reason}
    if feedback is not None:
        # Never the address itself, nor the diagnostic text (it often repeats the address).
        fields.update(
            kind=feedback.kind,
            permanent=feedback.permanent,
            email_hash=email_hash(feedback.email),
            message_id=feedback.message_id[:200],
            provider_message_id=feedback.provider_message_id[:200],
            occurred_at=feedback.occurred_at,
        )
    try:
        with transaction.atomic():
            IgnoredFeedback.objects.create(
                notification_id=notice.report_id[:100], index=notice.index, **fields
            )
    except IntegrityError:
        return _duplicate(_key(notice))
    logger.info(
        "mail_feedback.ignored key=%s reason=%s origin=%s kind=%s",
        _key(notice),
        reason.value,
        notice.origin,
        fields.get("kind", ""),
    )
    return FeedbackResult(recorded=False, suppressed=False, duplicate=False, ignored=True)


def _duplicate(key: str) -> FeedbackResult:
    logger.info("mail_feedback.duplicate key=%s", key)
    return FeedbackResult(recorded=False, suppressed=False, duplicate=True)
