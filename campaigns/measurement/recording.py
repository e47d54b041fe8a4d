"""What the event and order intake add to the campaign figures, in their transaction."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Event, EventKind
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
    touches = [
        event
        for event in events
        if event.kind in TOUCH_KINDS and event.campaign_id is not None and event.contact_id
    ]
    if touches:
        orders_credit_after_touch(
            {event.contact_id for event in touches}, min(event.occurred_at for event in touches)
        )


def orders_counted(order_ids: Sequence[int]) -> None:
    """Credit newly stored or changed orders to the campaigns that earned them."""
    orders_credit(order_ids)
