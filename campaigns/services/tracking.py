"""What recipients do with a campaign's message: opens, clicks, unsubscribes, preferences.

Called by the public tracking views once a signed token has named the delivery, so nothing
here checks tokens or knows about HTTP. Opens, clicks and unsubscribes become events
(source ``newsletter``) through ``events_record``, so segments, journeys and KPIs read
them like any other behaviour; the delivery row keeps the first open and the first click,
of anyone or anything, and the first human open and click.

Each open and recorded click is kept as a ``TrackingHit`` (time, address, user agent),
classified by the machine rules (``campaigns.measurement.machines``): a person, Apple Mail
Privacy Protection fetching images on arrival, an image proxy fetching them when the person
opens (a real open), or a scanner. The campaign figures are added to in the same
transaction (``stats_add``): every open, first opens, first human opens (a non-machine open
or a human click), machine opens, human clicks, first human clicks and bot clicks.

Everything is idempotent and its writes are bounded, however often a mail client reloads a
pixel or a scanner follows a link: the first open is recorded once, identical clicks once a
minute, an unsubscribe once while the person is subscribed, and at most
``HITS_KEPT_PER_KIND`` hits per delivery and kind (later ones only add to the figures). A
delivery whose contact was erased records nothing at all: tracking a person who asked to be
forgotten would start a new trail.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns.measurement.intake import StatsDelta, StatsKey, stats_add
from campaigns.measurement.machines import classify, machine_rules
from campaigns.models import (
    ConsentState,
    Contact,
    Delivery,
    DeliveryState,
    EventKind,
    HitKind,
    TrackingHit,
    is_human,
)
from campaigns.models.tracking import HITS_KEPT_PER_KIND, USER_AGENT_LENGTH
from campaigns.placements.audience import placement_audience_stale_on_commit
from campaigns.services.consent import (
    LIFTED_BY_OPT_IN,
    consent_opt_in,
    consent_opt_out,
    suppression_for,
)
from campaigns.services.events import ContactRef, EventInput, events_record
from campaigns.services.segment_state import segment_state_note_contacts
from campaigns.topics import topic_keys
from channels.registry import get_channels

logger = logging.getLogger(__name__)

EVENT_SOURCE = "newsletter"
UNSUBSCRIBE_SOURCE = "newsletter:unsubscribe"
RESUBSCRIBE_SOURCE = "newsletter:resubscribe"


@dataclass(frozen=True)
class _Recipient:
    delivery_id: int
    campaign_id: int
    contact_id: int | None
    email: str
    in_doubt: bool = False
    channel: str = ""
    variant_key: str = ""
    arm: str = ""
    sent_at: datetime | None = None
    # Which of the delivery's first times were set when it was read.
    opened: bool = False
    human_opened: bool = False
    clicked: bool = False
    human_clicked: bool = False


def _recipient(delivery_id: int, *, lock: bool = False) -> _Recipient:
    """The delivery's campaign and contact; raises Delivery.DoesNotExist for an unknown id."""
    deliveries = Delivery.objects.filter(pk=delivery_id)
    if lock:
        deliveries = deliveries.select_for_update(of=("self",))
    row = deliveries.values(
        "campaign_id",
        "contact_id",
        "contact__email",
        "state",
        "channel",
        "variant_key",
        "arm",
        "sent_at",
        "updated_at",
        "opened_at",
        "human_opened_at",
        "clicked_at",
        "human_clicked_at",
    ).first()
    if row is None:
        raise Delivery.DoesNotExist(f"No delivery {delivery_id}.")
    in_doubt = row["state"] == DeliveryState.IN_DOUBT
    return _Recipient(
        delivery_id=delivery_id,
        campaign_id=row["campaign_id"],
        contact_id=row["contact_id"],
        email=row["contact__email"] or "",
        in_doubt=in_doubt,
        channel=row["channel"],
        variant_key=row["variant_key"],
        arm=row["arm"],
        # A message in doubt was handed over when it was marked so (see ``_arrived``).
        sent_at=row["updated_at"] if in_doubt and row["sent_at"] is None else row["sent_at"],
        opened=row["opened_at"] is not None,
        human_opened=row["human_opened_at"] is not None,
        clicked=row["clicked_at"] is not None,
        human_clicked=row["human_clicked_at"] is not None,
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


def _open_event(recipient: _Recipient, at: datetime, classification: str) -> EventInput:
    return _event(
        recipient,
        EventKind.EMAIL_OPEN,
        f"open:{recipient.delivery_id}",
        at,
        {"classification": classification},
    )


def _first(delivery_id: int, field: str, now: datetime) -> bool:
    """Set the delivery's ``field`` to now if it is empty; whether this call set it.

    The conditional update is the lock: of concurrent first opens, one changes the row.
    """
    return bool(
        Delivery.objects.filter(pk=delivery_id, **{f"{field}__isnull": True}).update(
            **{field: now, "updated_at": now}
        )
    )


def _address(ip: str | None) -> str | None:
    """The address if it is one (a proxy's header can hold anything), else None."""
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None


def _seconds_after(sent_at: datetime | None, at: datetime) -> int | None:
    return max(0, int((at - sent_at).total_seconds())) if sent_at is not None else None


def click_classification(
    *, delivery: Delivery | None, ip: str | None, user_agent: str | None
) -> str:
    """How the machine rules classify a click on a link of ``delivery`` now (no delivery:
    a link outside a campaign, without a sending time). Records nothing.

    For links that act on a GET, such as a survey's one-click answers, to tell whether a
    person or a mail scanner followed them.
    """
    sent_at = None
    if delivery is not None:
        sent_at = delivery.sent_at
        # A message in doubt was handed over when it was marked so (see ``_recipient``).
        if delivery.state == DeliveryState.IN_DOUBT and sent_at is None:
            sent_at = delivery.updated_at
    return classify(
        HitKind.CLICK,
        _address(ip),
        (user_agent or "")[:USER_AGENT_LENGTH],
        _seconds_after(sent_at, timezone.now()),
        machine_rules(),
    )


@dataclass(frozen=True)
class _Hit:
    kind: str
    at: datetime
    ip: str | None
    user_agent: str
    seconds_after_send: int | None
    classification: str
    url: str = ""

    @classmethod
    def classified(
        cls,
        recipient: _Recipient,
        kind: str,
        at: datetime,
        ip: str | None,
        user_agent: str | None,
        url: str = "",
    ) -> _Hit:
        ip = _address(ip)
        user_agent = (user_agent or "")[:USER_AGENT_LENGTH]
        seconds = _seconds_after(recipient.sent_at, at)
        # A placement is shown as it is served (its delivery's sending): a look or a click
        # right after is a person's, not a mail scanner's, so the timing rules do not apply.
        channel = get_channels().get(recipient.channel)
        timing = None if getattr(channel, "serves", False) else seconds
        classification = classify(kind, ip, user_agent, timing, machine_rules())
        return cls(kind, at, ip, user_agent, seconds, classification, url)

    @property
    def human(self) -> bool:
        return is_human(self.classification)

    def store(self, delivery_id: int) -> bool:
        """Keep the hit, unless the delivery has its fill of this kind; whether it was kept.

        Two requests at once may both see one place left: the bound is kept up to that.
        """
        kept = TrackingHit.objects.filter(delivery_id=delivery_id, kind=self.kind).count()
        if kept >= HITS_KEPT_PER_KIND:
            return False
        TrackingHit.objects.create(
            delivery_id=delivery_id,
            kind=self.kind,
            at=self.at,
            ip=self.ip,
            user_agent=self.user_agent,
            url=self.url,
            classification=self.classification,
            seconds_after_send=self.seconds_after_send,
        )
        return True


def _stats_key(recipient: _Recipient, at: datetime) -> StatsKey:
    return StatsKey(
        recipient.campaign_id,
        recipient.channel,
        recipient.variant_key,
        recipient.arm,
        timezone.localdate(at),
    )


def tracking_open(*, delivery_id: int, ip: str | None = None, user_agent: str = "") -> bool:
    """Record an open of a delivery: its hit, its figures, and on the first, the open event.

    The first open (of anyone or anything) sets ``opened_at`` and records one
    ``email_open`` event, whose data says how it was classified; the first human open
    (a person's, or through an image proxy) sets ``human_opened_at``. Returns whether this
    was the first open. Raises Delivery.DoesNotExist for an unknown delivery.
    """
    now = timezone.now()
    with transaction.atomic():
        recipient = _recipient(delivery_id)
        if recipient.contact_id is None:
            return False
        _arrived(recipient)
        hit = _Hit.classified(recipient, HitKind.OPEN, now, ip, user_agent)
        first = not recipient.opened and _first(delivery_id, "opened_at", now)
        first_human = (
            hit.human and not recipient.human_opened and _first(delivery_id, "human_opened_at", now)
        )
        hit.store(delivery_id)
        delta = StatsDelta()
        delta.add(
            _stats_key(recipient, now),
            opens=1,
            unique_opens=int(first),
            human_opens=int(first_human),
            machine_opens=int(not hit.human),
        )
        stats_add(delta)
        if first:
            events_record(
                source=EVENT_SOURCE, items=[_open_event(recipient, now, hit.classification)]
            )
    if first:
        logger.info(
            "tracking.opened delivery=%s campaign=%s classification=%s",
            delivery_id,
            recipient.campaign_id,
            hit.classification,
        )
    return first


def click_key(delivery_id: int, url: str, at: datetime, *, bot: bool = False) -> str:
    """Identical clicks (same delivery and URL) within one minute count once.

    A bot's click has a key of its own: a link checker that fetches the link just before
    the person's browser does must not make the person's click a repeat.
    """
    digest = hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"click:{delivery_id}:{digest}:{at:%Y%m%d%H%M}" + (":bot" if bot else "")


def tracking_click(
    *, delivery_id: int, url: str, ip: str | None = None, user_agent: str = ""
) -> bool:
    """Record a click on ``url`` (an ``email_click`` event), and the open it implies.

    Sets the delivery's ``clicked_at`` and, if still empty, ``opened_at`` (with the open
    event); a human click also its ``human_clicked_at`` and ``human_opened_at``. A bot's
    click (a scanner following every link) is recorded with ``{"bot": true}`` in its
    event's data, so it earns no order and counts only as a bot click. The same URL
    clicked again within the minute records nothing more. Returns whether the click was
    recorded. Raises Delivery.DoesNotExist for an unknown delivery.
    """
    now = timezone.now()
    with transaction.atomic():
        recipient = _recipient(delivery_id)
        if recipient.contact_id is None:
            return False
        _arrived(recipient)
        hit = _Hit.classified(recipient, HitKind.CLICK, now, ip, user_agent, url)
        if not recipient.clicked:
            _first(delivery_id, "clicked_at", now)
        first_open = not recipient.opened and _first(delivery_id, "opened_at", now)
        first_human_click = first_human_open = False
        if hit.human:
            first_human_click = not recipient.human_clicked and _first(
                delivery_id, "human_clicked_at", now
            )
            first_human_open = not recipient.human_opened and _first(
                delivery_id, "human_opened_at", now
            )
        items = [_open_event(recipient, now, hit.classification)] if first_open else []
        data = (
            {"url": url}
            if hit.human
            else {"url": url, "bot": True, "classification": hit.classification}
        )
        key = click_key(delivery_id, url, now, bot=not hit.human)
        items.append(_event(recipient, EventKind.EMAIL_CLICK, key, now, data))
        result = events_record(source=EVENT_SOURCE, items=items)
        # The open's key is new whenever the open is (``opened_at`` was empty): a shortfall
        # is the click, a repeat within the minute.
        recorded = result.accepted == len(items)
        if recorded:
            hit.store(delivery_id)
        delta = StatsDelta()
        delta.add(
            _stats_key(recipient, now),
            # The first click of a message whose pixel was not loaded is its first open.
            opens=int(first_open),
            unique_opens=int(first_open),
            machine_opens=int(first_open and not hit.human),
            human_opens=int(first_human_open),
            clicks=int(recorded and hit.human),
            unique_clicks=int(first_human_click),
            bot_clicks=int(recorded and not hit.human),
        )
        stats_add(delta)
    logger.info(
        "tracking.clicked delivery=%s campaign=%s classification=%s recorded=%s",
        delivery_id,
        recipient.campaign_id,
        hit.classification,
        recorded,
    )
    return recorded


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


class SubscriptionState(enum.StrEnum):
    """Where a contact stands, as the unsubscribe and preference pages tell them."""

    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"  # by their own opt-out: they may subscribe again
    PENDING = "pending"  # asked to subscribe again, not confirmed yet
    BLOCKED = "blocked"  # suppressed for a reason only the team can lift (bounce, complaint)


def subscription_state(contact: Contact) -> SubscriptionState:
    """The contact's state now (one query: their suppression)."""
    suppression = suppression_for(contact.email)
    if suppression is None:
        return SubscriptionState.SUBSCRIBED
    liftable = suppression.reason in LIFTED_BY_OPT_IN
    if contact.consent == ConsentState.REVOKED:
        return SubscriptionState.UNSUBSCRIBED if liftable else SubscriptionState.BLOCKED
    if contact.consent == ConsentState.PENDING and liftable:
        return SubscriptionState.PENDING
    return SubscriptionState.SUBSCRIBED


def tracking_resubscribe(
    *, contact: Contact, campaign_id: int, ip_address: str | None, user_agent: str
) -> bool:
    """Start a new double opt-in for a contact who unsubscribed (from a mail's link).

    Only an opt-in: a confirmation link is mailed, and the contact receives mail again only
    once they confirm it (``consent_confirm`` lifts their "unsubscribed" suppression). Asked
    again while pending, a new link replaces the old. Returns whether an opt-in was
    recorded (not for a subscribed contact); raises ``AddressSuppressed`` for an address an
    opt-in cannot lift, recording nothing.
    """
    if subscription_state(contact) == SubscriptionState.SUBSCRIBED:
        return False
    consent_opt_in(
        contact=contact,
        source=RESUBSCRIBE_SOURCE,
        text_version=f"campaign:{campaign_id}",
        ip_address=ip_address,
        user_agent=user_agent,
    )
    logger.info("tracking.resubscribe contact=%s campaign=%s", contact.pk, campaign_id)
    return True


def contact_preferences_save(
    *, contact: Contact, language: str, declined_topics: list[str] | tuple[str, ...]
) -> Contact:
    """Save the language and the declined newsletter topics a contact chose.

    Expects validated input (the preference form); raises ValueError for a language not in
    ``settings.LANGUAGES`` or a topic that is not a ``NewsletterTopic``, saving nothing.
    """
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unknown language {language!r}.")
    unknown = set(declined_topics) - set(topic_keys())
    if unknown:
        raise ValueError(f"Unknown newsletter topics: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        contact.language = language
        contact.declined_topics = sorted(set(declined_topics))
        contact.save(update_fields=["language", "declined_topics", "updated_at"])
        segment_state_note_contacts([contact.pk])
        placement_audience_stale_on_commit([contact.pk])
    logger.info(
        "tracking.preferences_saved contact=%s language=%s declined_topics=%s",
        contact.pk,
        language,
        ",".join(contact.declined_topics) or "-",
    )
    return contact
