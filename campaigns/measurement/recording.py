"""What the event and order intake add to the campaign figures, in their transaction."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import F

from ..models import CampaignLinkStats, Event, EventKind
from .attribution import TOUCH_KINDS, orders_credit, orders_credit_after_touch
from .intake import StatsDelta, StatsKey, deliveries_by_contact, stats_add

# Event kinds counted here, by figure. Opens and e-mail clicks are counted by tracking,
# which knows a machine from a person; ``click`` comes from the other channels.
FIGURES = {
    EventKind.UNSUBSCRIBE: "unsubscribes",
    EventKind.COMPLAINT: "complaints",
    EventKind.CLICK: "clicks",
}


def events_counted(events: Sequence[Event]) -> None:
    """Add newly stored events of campaigns to their figures; credit orders a click earns.

    An event is counted under the variant and arm of the contact's delivery of the
    campaign; one without a delivery (a channel that keeps none) under the channel the
    event names in its data, with no variant.
    """
    counted = [
        event
        for event in events
        if event.campaign_id is not None
        and event.kind in FIGURES
        and not (isinstance(event.data, dict) and event.data.get("bot"))
    ]
    if counted:
        deliveries = deliveries_by_contact(
            {event.campaign_id for event in counted},
            {event.contact_id for event in counted if event.contact_id},
        )
        delta = StatsDelta()
        for event in counted:
            delivery = deliveries.get((event.campaign_id, event.contact_id))
            if delivery is not None:
                key = StatsKey.of(delivery, event.occurred_at)
            else:
                channel = event.data.get("channel", "") if isinstance(event.data, dict) else ""
                key = StatsKey.of_channel(event.campaign_id, str(channel)[:50], event.occurred_at)
            delta.add(key, **{FIGURES[event.kind]: 1})
        stats_add(delta)
    _links_counted(events)
    touches = [
        event
        for event in events
        if event.kind in TOUCH_KINDS and event.campaign_id is not None and event.contact_id
    ]
    if touches:
        orders_credit_after_touch(
            {event.contact_id for event in touches}, min(event.occurred_at for event in touches)
        )


def _url(event: Event) -> str:
    url = event.data.get("url") if isinstance(event.data, dict) else None
    return url[:2000] if isinstance(url, str) else ""


def _links_counted(events: Sequence[Event]) -> None:
    """Add human clicks on links to the campaign's link figures: clicks, and people.

    A person counts once per link: when no earlier click of theirs on it is stored.
    """
    clicks = [
        event
        for event in events
        if event.kind in TOUCH_KINDS
        and event.campaign_id is not None
        and _url(event)
        and not event.data.get("bot")
    ]
    if not clicks:
        return
    counts: Counter = Counter()
    people: Counter = Counter()
    batch: dict[tuple, list[Event]] = defaultdict(list)
    for event in clicks:
        key = (event.campaign_id, _url(event))
        counts[key] += 1
        if event.contact_id is not None:
            batch[(*key, event.contact_id)].append(event)
    for (campaign_id, url, _contact), theirs in batch.items():
        if not _clicked_before(theirs):
            people[campaign_id, url] += 1
    for (campaign_id, url), clicks_count in counts.items():
        digest = hashlib.sha256(url.encode()).hexdigest()
        added = {"clicks": clicks_count, "people": people[campaign_id, url]}
        rows = CampaignLinkStats.objects.filter(campaign_id=campaign_id, url_hash=digest)
        updates = {name: F(name) + value for name, value in added.items()}
        if rows.update(**updates):
            continue
        try:
            with transaction.atomic():
                CampaignLinkStats.objects.create(
                    campaign_id=campaign_id, url=url, url_hash=digest, **added
                )
        except IntegrityError:
            rows.update(**updates)


def _clicked_before(theirs: Sequence[Event]) -> bool:
    """Whether the person clicked this link before these clicks of theirs (one batch)."""
    event = theirs[0]
    earlier = Event.objects.filter(
        contact_id=event.contact_id,
        kind__in=TOUCH_KINDS,
        campaign_id=event.campaign_id,
        data__url=_url(event),
    )
    for stored in theirs:
        if stored.pk is not None:
            earlier = earlier.exclude(pk=stored.pk)
        else:  # a backend that returns no ids from bulk inserts
            earlier = earlier.exclude(source=stored.source, idempotency_key=stored.idempotency_key)
    # A bot's click (a scanner that followed the link first) is not the person's.
    return any(
        not (isinstance(data, dict) and data.get("bot"))
        for data in earlier.values_list("data", flat=True).iterator()
    )


def orders_counted(order_ids: Sequence[int]) -> None:
    """Credit newly stored or changed orders to the campaigns that earned them."""
    orders_credit(order_ids)
