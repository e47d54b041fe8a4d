"""What recipients do with a campaign's message: opens, clicks, unsubscribes, preferences.

Called by the public tracking views once a signed token has named the delivery, so nothing
here checks tokens or knows about HTTP. Opens, clicks and unsubscribes become events
(source ``newsletter``) through ``events_record``, so segments, journeys and KPIs read
them like any other behaviour; the delivery row keeps the first open and the first click.

Everything is idempotent and its writes are bounded, however often a mail client reloads a
pixel or a scanner follows a link: the first open is recorded once, identical clicks once a
minute, an unsubscribe once while the person is subscribed. A delivery whose contact was
erased records nothing at all: tracking a person who asked to be forgotten would start a new
trail.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import ConsentState, Contact, Delivery, DeliveryState, EventKind
from campaigns.services.consent import consent_opt_out, suppression_for
from campaigns.services.events import ContactRef, EventInput, events_record

logger = logging.getLogger(__name__)

EVENT_SOURCE = "newsletter"
UNSUBSCRIBE_SOURCE = "newsletter:unsubscribe"


@dataclass(frozen=True)
class _Recipient:
    delivery_id: int
    campaign_id: int
    contact_id: int | None
    email: str
    in_doubt: bool = False


def _recipient(delivery_id: int, *, lock: bool = False) -> _Recipient:
    """The delivery's campaign and contact; raises Delivery.DoesNotExist for an unknown id."""
    deliveries = Delivery.objects.filter(pk=delivery_id)
    if lock:
        deliveries = deliveries.select_for_update(of=("self",))
    row = deliveries.values_list("campaign_id", "contact_id", "contact__email", "state").first()
    if row is None:
        raise Delivery.DoesNotExist(f"No delivery {delivery_id}.")
    campaign_id, contact_id, email, state = row
    return _Recipient(
        delivery_id, campaign_id, contact_id, email or "", state == DeliveryState.IN_DOUBT
    )


def _event(
    recipient: _Recipient, kind: str, key: str, at: datetime, data: dict | None = None
) -> EventInput:
    return EventInput(
        key=key,
        kind=kind,
        occurred_at=at,
        contact=ContactRef(email=recipient.email),
        campaign_id=recipient.campaign_id,
        data=data or {},
    )


def _arrived(recipient: _Recipient) -> None:
    """A message in doubt that was opened or clicked did arrive: it counts as sent.

    It was handed over when it was marked in doubt, so that is when it was sent.
    """
    if not recipient.in_doubt:
        return
    Delivery.objects.filter(pk=recipient.delivery_id, state=DeliveryState.IN_DOUBT).update(
        state=DeliveryState.SENT,
        sent_at=F("updated_at"),
        detail="Arrived (opened), though the server's confirmation was lost.",
    )


def _open_event(recipient: _Recipient, at: datetime) -> EventInput:
    return _event(recipient, EventKind.EMAIL_OPEN, f"open:{recipient.delivery_id}", at)


def tracking_open(*, delivery_id: int) -> bool:
    """Record the first open of a delivery: its ``opened_at`` and one ``email_open`` event.

    Returns whether this was the first open. Later opens write nothing. Raises
    Delivery.DoesNotExist for an unknown delivery.
    """
    now = timezone.now()
    with transaction.atomic():
        recipient = _recipient(delivery_id)
        if recipient.contact_id is None:
            return False
        _arrived(recipient)
        # The conditional update is the lock: of concurrent first opens, one changes the row.
        first = Delivery.objects.filter(pk=delivery_id, opened_at__isnull=True).update(
            opened_at=now, updated_at=now
        )
        if first:
            events_record(source=EVENT_SOURCE, items=[_open_event(recipient, now)])
    if first:
        logger.info("tracking.opened delivery=%s campaign=%s", delivery_id, recipient.campaign_id)
    return bool(first)


def click_key(delivery_id: int, url: str, at: datetime) -> str:
    """Identical clicks (same delivery and URL) within one minute count once."""
    digest = hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"click:{delivery_id}:{digest}:{at:%Y%m%d%H%M}"


def tracking_click(*, delivery_id: int, url: str) -> None:
    """Record a click on ``url`` (an ``email_click`` event), and the open it implies.

    Sets the delivery's ``clicked_at`` and, if still empty, ``opened_at`` (with the open
    event). The same URL clicked again within the minute records nothing more. Raises
    Delivery.DoesNotExist for an unknown delivery.
    """
    now = timezone.now()
    with transaction.atomic():
        recipient = _recipient(delivery_id)
        if recipient.contact_id is None:
            return
        _arrived(recipient)
        Delivery.objects.filter(pk=delivery_id, clicked_at__isnull=True).update(
            clicked_at=now, updated_at=now
        )
        first_open = Delivery.objects.filter(pk=delivery_id, opened_at__isnull=True).update(
            opened_at=now, updated_at=now
        )
        items = [_open_event(recipient, now)] if first_open else []
        items.append(
            _event(
                recipient,
                EventKind.EMAIL_CLICK,
                click_key(delivery_id, url, now),
                now,
                {"url": url},
            )
        )
        result = events_record(source=EVENT_SOURCE, items=items)
    logger.info(
        "tracking.clicked delivery=%s campaign=%s recorded=%s",
        delivery_id,
        recipient.campaign_id,
        result.accepted,
    )


class UnsubscribeOutcome(enum.Enum):
    UNSUBSCRIBED = "unsubscribed"  # this call unsubscribed the person
    ALREADY = "already"  # they were unsubscribed already: nothing recorded
    REMOVED = "removed"  # the contact was erased: nothing recorded


def tracking_unsubscribe(
    *, delivery_id: int, ip_address: str | None, user_agent: str
) -> UnsubscribeOutcome:
    """Unsubscribe the delivery's contact: opt-out evidence, suppression, ``unsubscribe`` event.

    The opt-out goes through ``consent_opt_out`` (consent revoked, address suppressed as
    unsubscribed), with the campaign as text version. However old the link, it unsubscribes
    whoever is subscribed now: a person who unsubscribed, subscribed again and then uses an
    old mail's link is unsubscribed again. A person unsubscribed already (consent revoked and
    the address suppressed) records nothing, nor does an erased contact. Raises
    Delivery.DoesNotExist for an unknown delivery.
    """
    now = timezone.now()
    with transaction.atomic():
        # Locked: two clicks on the button (or the mail client and the person) record once.
        recipient = _recipient(delivery_id, lock=True)
        if recipient.contact_id is None:
            return UnsubscribeOutcome.REMOVED
        contact = Contact.objects.select_for_update().get(pk=recipient.contact_id)
        if unsubscribed_already(contact):
            return UnsubscribeOutcome.ALREADY
        record = consent_opt_out(
            contact=contact,
            source=UNSUBSCRIBE_SOURCE,
            text_version=f"campaign:{recipient.campaign_id}",
            ip_address=ip_address,
            user_agent=user_agent,
        )
        key = f"unsubscribe:{delivery_id}:{record.pk}"
        events_record(
            source=EVENT_SOURCE, items=[_event(recipient, EventKind.UNSUBSCRIBE, key, now)]
        )
    logger.info(
        "tracking.unsubscribed delivery=%s campaign=%s contact=%s",
        delivery_id,
        recipient.campaign_id,
        recipient.contact_id,
    )
    return UnsubscribeOutcome.UNSUBSCRIBED


def unsubscribed_already(contact: Contact) -> bool:
    """Whether the contact is unsubscribed now (what the unsubscribe page tells them)."""
    return contact.consent == ConsentState.REVOKED and suppression_for(contact.email) is not None


def contact_preferences_save(
    *, contact: Contact, language: str, declined_topics: list[str] | tuple[str, ...]
) -> Contact:
    """Save the language and the declined newsletter topics a contact chose.

    Expects validated input (the preference form); raises ValueError for a language not in
    ``settings.LANGUAGES`` or a topic not in ``settings.HUB_NEWSLETTER_TOPICS``, saving nothing.
    """
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unknown language {language!r}.")
    unknown = set(declined_topics) - set(settings.HUB_NEWSLETTER_TOPICS)
    if unknown:
        raise ValueError(f"Unknown newsletter topics: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        contact.language = language
        contact.declined_topics = sorted(set(declined_topics))
        contact.save(update_fields=["language", "declined_topics", "updated_at"])
    logger.info(
        "tracking.preferences_saved contact=%s language=%s declined_topics=%s",
        contact.pk,
        language,
        ",".join(contact.declined_topics) or "-",
    )
    return contact
