"""Recording what the mail provider reports back: bounces and complaints.

The newsletter channel verifies and reads the provider's notifications; this module decides
what they mean for the audience. A permanent bounce or a complaint suppresses the address
for good; a transient bounce is only counted. Each report is an ``Event`` under a key the
provider's notification gives it, so a notification delivered twice counts once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from campaigns.models import (
    Contact,
    Delivery,
    DeliveryState,
    Event,
    EventKind,
    SuppressionReason,
    email_hash,
)
from campaigns.services.consent import suppression_add
from channels.newsletter.sns import MailFeedback

logger = logging.getLogger(__name__)

SOURCE = "ses"
EVENT_KINDS = {"bounce": EventKind.BOUNCE, "complaint": EventKind.COMPLAINT}
SUPPRESSION_REASONS = {
    "bounce": SuppressionReason.HARD_BOUNCE,
    "complaint": SuppressionReason.COMPLAINT,
}


@dataclass(frozen=True)
class FeedbackResult:
    recorded: bool  # a new event was stored
    suppressed: bool  # the address is suppressed because of this feedback
    duplicate: bool  # the same notification and recipient was recorded before: nothing done


def mail_feedback_record(
    *, feedback: MailFeedback, notification_id: str, index: int
) -> FeedbackResult:
    """Count one recipient's bounce or complaint once, and suppress the address if it is final.

    The event goes to the contact with that address, or to no contact if there is none (the
    bounce still counts); its data keeps the provider's and our Message-ID, so it can be
    tied to the mail later. A permanent bounce suppresses the address as a hard bounce, a
    complaint as a complaint; a transient bounce suppresses nothing. The same
    ``notification_id`` and ``index`` recorded again change nothing and report a duplicate.
    """
    key = f"{notification_id}:{index}"
    with transaction.atomic():
        if Event.objects.filter(source=SOURCE, idempotency_key=key).exists():
            return _duplicate(key)
        contact = (
            Contact.objects.filter(email_hash=email_hash(feedback.email)).order_by("pk").first()
        )
        # Our Message-ID names the delivery (and so the campaign) the feedback is about.
        delivery = (
            Delivery.objects.filter(message_id=feedback.message_id).first()
            if feedback.message_id
            else None
        )
        try:
            # A concurrent delivery of the same notification may store the key first.
            with transaction.atomic():
                Event.objects.create(
                    contact=contact,
                    account_id=contact.account_id if contact else None,
                    campaign_id=delivery.campaign_id if delivery else None,
                    kind=EVENT_KINDS[feedback.kind],
                    occurred_at=feedback.occurred_at,
                    source=SOURCE,
                    idempotency_key=key,
                    data={
                        "permanent": feedback.permanent,
                        "detail": feedback.detail,
                        "provider_message_id": feedback.provider_message_id,
                        "message_id": feedback.message_id,
                        "feedback_id": feedback.feedback_id,
                    },
                )
        except IntegrityError:
            return _duplicate(key)
        if delivery is not None and feedback.kind == "bounce" and feedback.permanent:
            Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENT).update(
                state=DeliveryState.BOUNCED, detail=feedback.detail[:500]
            )
        if feedback.permanent:
            suppression_add(
                email=feedback.email, reason=SUPPRESSION_REASONS[feedback.kind], source=SOURCE
            )
    logger.info(
        "mail_feedback.recorded key=%s kind=%s permanent=%s contact=%s",
        key,
        feedback.kind,
        feedback.permanent,
        contact.pk if contact else None,
    )
    return FeedbackResult(recorded=True, suppressed=feedback.permanent, duplicate=False)


def _duplicate(key: str) -> FeedbackResult:
    logger.info("mail_feedback.duplicate key=%s", key)
    return FeedbackResult(recorded=False, suppressed=False, duplicate=True)
