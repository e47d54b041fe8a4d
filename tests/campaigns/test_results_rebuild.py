"""Rebuilding a campaign's figures from the raw rows gives what was kept as things happened,
and repairs a figure that went wrong."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command

from campaigns.measurement.intake import results_refresh
from campaigns.measurement.rebuild import campaign_results_rebuild
from campaigns.models import (
    AttributionScope,
    CampaignDayStats,
    CampaignLinkStats,
    CampaignStatus,
    DeliveryState,
    DeliveryStateCount,
    EventKind,
    OrderCredit,
)
from campaigns.services.events import (
    ContactRef,
    EventInput,
    OrderInput,
    events_record,
    orders_record,
)
from campaigns.services.privacy import contact_erase
from campaigns.services.tracking import tracking_click, tracking_open, tracking_unsubscribe
from tests.factories import AccountFactory, CampaignFactory, ContactFactory, DeliveryFactory

pytestmark = pytest.mark.django_db

DISPATCH = dt.datetime(2026, 3, 20, 14, 0, tzinfo=dt.UTC)
FIGURES = (
    "sent",
    "opens",
    "unique_opens",
    "human_opens",
    "machine_opens",
    "clicks",
    "unique_clicks",
    "bot_clicks",
    "unsubscribes",
    "complaints",
    "conversions",
    "revenue",
)
AGENTS = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", None),
    ("Mozilla/5.0", "172.225.1.1"),  # Apple Mail Privacy Protection
    ("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko (via ggpht.com GoogleImageProxy)", None),
    ("Barracuda Sentinel (EE)", "64.235.144.1"),
]
URLS = ["https://shop.example.com/p/SKU-1", "https://shop.example.com/p/SKU-2"]


def kept() -> dict[str, object]:
    """Every kept figure of every campaign, without ids and recount times."""
    days = {
        (row.campaign_id, row.channel, row.variant_key, row.arm, row.day): tuple(
            getattr(row, name) for name in FIGURES
        )
        for row in CampaignDayStats.objects.all()
        if any(getattr(row, name) for name in FIGURES)
    }
    return {
        "days": days,
        "links": sorted(
            CampaignLinkStats.objects.values_list(
                "campaign_id", "url", "url_hash", "clicks", "people"
            )
        ),
        "credits": sorted(
            OrderCredit.objects.values_list(
                "order_id",
                "kind",
                "campaign_id",
                "delivery_id",
                "arm",
                "variant_key",
                "touched_at",
                "weight",
                "revenue",
            )
        ),
        "states": sorted(
            DeliveryStateCount.objects.values_list(
                "campaign_id", "channel", "variant_key", "arm", "state", "count"
            )
        ),
    }


def _campaigns_with_activity(seed: int):
    """Two campaigns to overlapping audiences, and a random mix of what recipients did."""
    rng = random.Random(seed)
    account = AccountFactory()
    contacts = [ContactFactory(account=account if n % 4 == 0 else None) for n in range(14)]
    spring = CampaignFactory(
        status=CampaignStatus.DONE,
        dispatched_at=DISPATCH,
        attribution_window_days=14,
        attribution_scope=AttributionScope.ACCOUNT,
    )
    summer = CampaignFactory(
        status=CampaignStatus.DONE,
        dispatched_at=DISPATCH + dt.timedelta(days=3),
        attribution_window_days=10,
    )
    deliveries = []
    for campaign, dispatched in ((spring, DISPATCH), (summer, DISPATCH + dt.timedelta(days=3))):
        for n, contact in enumerate(contacts):
            arm = ("A", "B", "holdout")[n % 3]
            held_out = arm == "holdout"
            delivery = DeliveryFactory(
                campaign=campaign,
                contact=contact,
                arm=arm,
                variant_key=f"de:buyer:awareness:{arm}",
                state=DeliveryState.HELD_OUT if held_out else DeliveryState.SENT,
                sent_at=None if held_out else dispatched + dt.timedelta(minutes=n),
            )
            if not held_out:
                deliveries.append(delivery)
    moments = sorted(rng.sample(range(60, 20 * 86400), 90))
    for n, after in enumerate(moments):
        at = DISPATCH + dt.timedelta(seconds=after)
        delivery = rng.choice(deliveries)
        if delivery.sent_at > at:
            continue
        user_agent, ip = rng.choice(AGENTS)
        choice = rng.random()
        with time_machine.travel(at, tick=False):
            if choice < 0.35:
                tracking_open(delivery_id=delivery.pk, ip=ip, user_agent=user_agent)
            elif choice < 0.7:
                tracking_click(
                    delivery_id=delivery.pk, url=rng.choice(URLS), ip=ip, user_agent=user_agent
                )
            elif choice < 0.75:
                tracking_unsubscribe(delivery_id=delivery.pk, ip_address=ip, user_agent=user_agent)
            elif choice < 0.8:
                # Another channel's click and a complaint, reported as events.
                contact = rng.choice(contacts)
                kind = rng.choice([EventKind.CLICK, EventKind.COMPLAINT])
                events_record(
                    source="webshop",
                    items=[
                        EventInput(
                            key=f"e-{seed}-{n}",
                            kind=kind,
                            occurred_at=at,
                            contact=ContactRef(email=contact.email),
                            campaign_id=delivery.campaign_id,
                            data={"url": rng.choice(URLS), "channel": "webshop"},
                        )
                    ],
                )
            else:
                contact = rng.choice(contacts)
                orders_record(
                    source="erp",
                    items=[
                        OrderInput(
                            order_number=f"O-{seed}-{n}",
                            ordered_at=at,
                            currency="EUR",
                            contact=ContactRef(email=contact.email),
                            revenue=Decimal(rng.randrange(1000, 90000)) / 100,
                        )
                    ],
                )
    for campaign in (spring, summer):
        results_refresh(campaign_id=campaign.pk)
    return spring, summer


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rebuilding_changes_none_of_the_figures_kept_as_things_happened(seed):
    spring, summer = _campaigns_with_activity(seed)
    before = kept()

    campaign_results_rebuild(spring.pk)
    after_spring = kept()
    campaign_results_rebuild(summer.pk)

    assert before["days"] and before["links"] and before["credits"]
    assert after_spring == before
    assert kept() == before


def test_rebuilding_repairs_a_corrupted_figure():
    spring, _ = _campaigns_with_activity(7)
    before = kept()
    row = CampaignDayStats.objects.filter(campaign=spring, opens__gt=0).first()
    CampaignDayStats.objects.filter(pk=row.pk).update(opens=row.opens + 7, unique_clicks=0)
    CampaignDayStats.objects.filter(campaign=spring, revenue__gt=0).update(
        revenue=Decimal("1.00"), conversions=Decimal("3")
    )
    CampaignLinkStats.objects.filter(campaign=spring).update(clicks=1, people=0)
    OrderCredit.objects.filter(campaign=spring).first().delete()

    campaign_results_rebuild(spring.pk)

    assert kept() == before


def test_the_command_rebuilds_the_campaigns_named_or_all():
    spring, summer = _campaigns_with_activity(3)
    before = kept()
    CampaignDayStats.objects.filter(campaign__in=[spring, summer]).update(opens=999)
    output = io.StringIO()

    call_command("rebuild_campaign_results", "--campaign", str(spring.pk), stdout=output)
    assert kept()["days"] != before["days"]
    call_command("rebuild_campaign_results", "--all", stdout=output)

    assert kept() == before
    assert f"Campaign #{summer.pk}:" in output.getvalue()


def test_the_command_refuses_an_unknown_campaign():
    with pytest.raises(CommandError, match="No campaign with id 424242"):
        call_command("rebuild_campaign_results", "--campaign", "424242")


def test_a_person_whose_link_a_scanner_followed_first_counts_among_the_people_who_clicked():
    delivery = DeliveryFactory(sent_at=DISPATCH, arm="A", variant_key="de:buyer:awareness:A")
    scanner, person = AGENTS[3], AGENTS[0]
    with time_machine.travel(DISPATCH + dt.timedelta(seconds=30), tick=False):
        tracking_click(delivery_id=delivery.pk, url=URLS[0], ip=scanner[1], user_agent=scanner[0])

    with time_machine.travel(DISPATCH + dt.timedelta(hours=2), tick=False):
        tracking_click(delivery_id=delivery.pk, url=URLS[0], user_agent=person[0])

    link = CampaignLinkStats.objects.get(campaign=delivery.campaign)
    assert (link.clicks, link.people) == (1, 1)


def test_an_erased_contacts_order_keeps_its_credit_through_a_rebuild():
    spring, _ = _campaigns_with_activity(2)
    # A contact without a company: erasing them changes no one else's share of an order.
    credit = OrderCredit.objects.filter(
        campaign=spring, kind="attributed", delivery__contact__account=None
    ).first()
    contact = credit.delivery.contact
    before = kept()["credits"]

    contact_erase(contact=contact, user=None, reason="Ticket 4711")
    campaign_results_rebuild(spring.pk)

    assert kept()["credits"] == before
