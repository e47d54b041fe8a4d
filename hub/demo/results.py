"""What recipients did with the finished demo campaign: opens, clicks, unsubscribes, orders.

Raw rows as the hub keeps them (deliveries, tracking hits classified by the machine rules,
open and click events, the opt-outs with their evidence) and ERP orders through the order
intake, which credits them; then ``campaign_results_rebuild`` computes the figures from
those rows, so the results page shows exactly what the raw rows say. Deterministic (a
fixed random seed, times relative to the campaign's dispatch) and created once, with the
campaign: a campaign that has deliveries is left as it is. Rates and links are in
``data/campaigns.json`` (``finished``).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from campaigns.measurement.machines import classify, machine_rules
from campaigns.measurement.rebuild import campaign_results_rebuild
from campaigns.models import (
    Campaign,
    Contact,
    Delivery,
    DeliveryState,
    Event,
    EventKind,
    HitKind,
    TrackingHit,
    is_human,
)
from campaigns.personalisation import variant_key
from campaigns.selectors import reachable
from campaigns.services.consent import consent_opt_out
from campaigns.services.dispatch import HOLDOUT
from campaigns.services.events import ContactRef, OrderInput, orders_record
from campaigns.services.tracking import EVENT_SOURCE, UNSUBSCRIBE_SOURCE, click_key

from .datafiles import load

SPEC = load("campaigns")["finished"]
ORDER_PREFIX = "DEMO-FA-"


class CampaignActivitySeeder:
    """Fills a finished demo campaign with what its recipients did; ``created`` counts it."""

    def __init__(self, *, campaign: Campaign, seed: int = 13) -> None:
        self.campaign = campaign
        self.random = random.Random(seed)  # noqa: S311 - demo data, not secrets
        self.rules = machine_rules()
        self.created: Counter[str] = Counter()

    def run(self) -> None:
        if Delivery.objects.filter(campaign=self.campaign).exists():
            return
        deliveries = self.seed_deliveries()
        hits, events = [], []
        clicked: dict[int, datetime] = {}
        for delivery in deliveries:
            if delivery.state == DeliveryState.SENT:
                clicked_at = self.seed_behaviour(delivery, hits, events)
                if clicked_at is not None:
                    clicked[delivery.pk] = clicked_at
        TrackingHit.objects.bulk_create(hits)
        Event.objects.bulk_create(events)
        Delivery.objects.bulk_update(
            deliveries, ["opened_at", "human_opened_at", "clicked_at", "human_clicked_at"]
        )
        self.created["tracking hits"] += len(hits)
        self.created["events"] += len(events)
        self.seed_unsubscribes(deliveries)
        self.seed_orders(deliveries, clicked)
        campaign_results_rebuild(self.campaign.pk)

    def seed_deliveries(self) -> list[Delivery]:
        """The reachable contacts split as dispatch splits them: holdout first, then the arms."""
        contacts = list(
            reachable(Contact.objects.all()).order_by("pk").only("pk", "language", "role", "phase")
        )
        self.random.shuffle(contacts)
        total = len(contacts)
        plan = [(HOLDOUT, round(total * SPEC["holdout_percent"] / 100))]
        plan += [(label, round(total * share / 100)) for label, share in SPEC["arms"].items()]
        dispatched = self.campaign.dispatched_at
        rows, position = [], 0
        for label, size in plan:
            for contact in contacts[position : position + size]:
                held_out = label == HOLDOUT
                rows.append(
                    Delivery(
                        campaign=self.campaign,
                        channel="newsletter",
                        contact=contact,
                        arm=label,
                        variant_key=variant_key(
                            contact.language, contact.role, contact.phase, "" if held_out else label
                        ),
                        state=DeliveryState.HELD_OUT if held_out else DeliveryState.SENT,
                        due_at=dispatched,
                        sent_at=None if held_out else dispatched + timedelta(seconds=len(rows)),
                        message_id="" if held_out else f"<demo-{len(rows)}@hubwerk.example>",
                    )
                )
            position += size
        Delivery.objects.bulk_create(rows)
        self.created["deliveries"] += len(rows)
        return list(
            Delivery.objects.filter(campaign=self.campaign).select_related("contact").order_by("pk")
        )

    def _hit(self, delivery: Delivery, kind: str, at: datetime, agent: dict, url: str = ""):
        seconds = int((at - delivery.sent_at).total_seconds())
        classification = classify(kind, agent["ip"], agent["user_agent"], seconds, self.rules)
        return TrackingHit(
            delivery=delivery,
            kind=kind,
            at=at,
            ip=agent["ip"],
            user_agent=agent["user_agent"],
            url=url,
            classification=classification,
            seconds_after_send=seconds,
        )

    def seed_behaviour(self, delivery: Delivery, hits: list, events: list) -> datetime | None:
        """A recipient's opens and clicks; returns the time of their first click, if any."""
        rng = self.random
        mine: list[TrackingHit] = []
        if rng.random() < SPEC["apple_mail_share"]:
            # Apple Mail fetches the images on arrival, whether or not anyone reads it.
            at = delivery.sent_at + timedelta(seconds=rng.randint(20, 600))
            mine.append(self._hit(delivery, HitKind.OPEN, at, SPEC["apple_mail"]))
        first_click = None
        if rng.random() < SPEC["open_rates"][delivery.arm]:
            person = rng.choice(SPEC["people"])
            at = delivery.sent_at + timedelta(minutes=rng.randint(30, 72 * 60))
            mine.append(self._hit(delivery, HitKind.OPEN, at, person))
            if rng.random() < SPEC["click_rates"][delivery.arm]:
                # In a browser, also for those who read their mail through an image proxy.
                browser = rng.choice(SPEC["people"][:2])
                for _ in range(rng.choice((1, 1, 2))):
                    at += timedelta(minutes=rng.randint(1, 90))
                    url = rng.choice(SPEC["links"])
                    hit = self._hit(delivery, HitKind.CLICK, at, browser, url)
                    mine.append(hit)
                    first_click = first_click or at
        if not mine:
            return None
        mine.sort(key=lambda hit: hit.at)
        human = [hit for hit in mine if is_human(hit.classification)]
        human_clicks = [hit for hit in human if hit.kind == HitKind.CLICK]
        clicks = [hit for hit in mine if hit.kind == HitKind.CLICK]
        delivery.opened_at = mine[0].at
        delivery.human_opened_at = human[0].at if human else None
        delivery.clicked_at = clicks[0].at if clicks else None
        delivery.human_clicked_at = human_clicks[0].at if human_clicks else None
        events.append(
            self._event(
                delivery,
                EventKind.EMAIL_OPEN,
                f"open:{delivery.pk}",
                mine[0].at,
                {"classification": mine[0].classification},
            )
        )
        for hit in clicks:
            bot = not is_human(hit.classification)
            data = {"url": hit.url, "bot": True} if bot else {"url": hit.url}
            key = click_key(delivery.pk, hit.url, hit.at, bot=bot)
            events.append(self._event(delivery, EventKind.EMAIL_CLICK, key, hit.at, data))
        hits.extend(mine)
        return first_click if human_clicks else None

    def _event(self, delivery: Delivery, kind: str, key: str, at: datetime, data: dict) -> Event:
        return Event(
            contact=delivery.contact,
            account_id=delivery.contact.account_id,
            kind=kind,
            occurred_at=at,
            campaign=self.campaign,
            data=data,
            source=EVENT_SOURCE,
            idempotency_key=key,
        )

    def seed_unsubscribes(self, deliveries: list[Delivery]) -> None:
        """A few readers unsubscribe through the link in the message, with the evidence."""
        openers = [d for d in deliveries if d.human_opened_at and not d.human_clicked_at]
        for delivery in self.random.sample(openers, min(SPEC["unsubscribes"], len(openers))):
            record = consent_opt_out(
                contact=delivery.contact,
                source=UNSUBSCRIBE_SOURCE,
                text_version=f"campaign:{self.campaign.pk}",
            )
            at = delivery.human_opened_at + timedelta(minutes=2)
            key = f"unsubscribe:{delivery.pk}:{record.pk}"
            Event.objects.create(
                contact=delivery.contact,
                account_id=delivery.contact.account_id,
                kind=EventKind.UNSUBSCRIBE,
                occurred_at=at,
                campaign=self.campaign,
                source=EVENT_SOURCE,
                idempotency_key=key,
            )
            self.created["unsubscribes"] += 1

    def seed_orders(self, deliveries: list[Delivery], clicked: dict[int, datetime]) -> None:
        """ERP orders of clickers, other recipients and held-out contacts within the window."""
        rng = self.random
        rates = SPEC["order_rates"]
        window = timedelta(days=SPEC["attribution_window_days"])
        items = []
        for delivery in deliveries:
            if delivery.pk in clicked:
                rate, start = rates["clicked"], clicked[delivery.pk]
            elif delivery.state == DeliveryState.HELD_OUT:
                rate, start = rates["holdout"], self.campaign.dispatched_at
            else:
                rate, start = rates["recipient"], self.campaign.dispatched_at
            if rng.random() >= rate:
                continue
            at = start + timedelta(minutes=rng.randint(10, int(window.total_seconds() // 60) - 10))
            euros = rng.randint(SPEC["order_revenue"]["low"], SPEC["order_revenue"]["high"])
            items.append(
                OrderInput(
                    order_number=f"{ORDER_PREFIX}{len(items) + 1:04d}",
                    ordered_at=min(at, self.campaign.dispatched_at + window),
                    currency="EUR",
                    contact=ContactRef(email=delivery.contact.email),
                    revenue=Decimal(euros) + Decimal(rng.randint(0, 99)) / 100,
                )
            )
        if items:
            result = orders_record(source="erp", items=items)
            if result.errors:
                raise ValueError(f"Demo orders refused: {result.errors}")
        self.created["orders"] += len(items)
