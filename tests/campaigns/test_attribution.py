"""Orders credited to campaigns: windows, credit once, late clicks, corrections, and the
per-day figures agreeing with the raw rows they summarise."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum
from django.utils import timezone

from campaigns.measurement.intake import results_refresh
from campaigns.models import (
    AttributionBasis,
    AttributionScope,
    CampaignDayStats,
    CampaignStatus,
    CreditKind,
    DeliveryState,
    DeliveryStateCount,
    Event,
    EventKind,
    Order,
    OrderCredit,
)
from campaigns.services.events import (
    ContactRef,
    EventInput,
    OrderInput,
    events_record,
    orders_record,
)
from tests.factories import AccountFactory, CampaignFactory, ContactFactory, DeliveryFactory

pytestmark = pytest.mark.django_db

# A Friday afternoon in March, before the switch to summer time (29 March 2026).
DISPATCH = dt.datetime(2026, 3, 20, 14, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _campaign(**fields):
    return CampaignFactory(
        status=CampaignStatus.DONE, dispatched_at=DISPATCH, finished_at=DISPATCH, **fields
    )


def _delivery(campaign, contact, *, arm="A", state=DeliveryState.SENT, sent_at=DISPATCH):
    return DeliveryFactory(
        campaign=campaign,
        contact=contact,
        arm=arm,
        variant_key=f"de:buyer:awareness:{arm or '-'}",
        state=state,
        sent_at=sent_at if state != DeliveryState.HELD_OUT else None,
    )


_keys = iter(range(10**9))


def _click(campaign, contact, at, *, bot=False):
    result = events_record(
        source="newsletter",
        items=[
            EventInput(
                key=f"click:{next(_keys)}",
                kind=EventKind.EMAIL_CLICK,
                occurred_at=at,
                contact=ContactRef(email=contact.email),
                campaign_id=campaign.pk,
                data={"bot": True} if bot else {},
            )
        ],
    )
    assert result.accepted == 1


def _order(number, at, revenue, *, contact=None, account=None):
    result = orders_record(
        source="erp",
        items=[
            OrderInput(
                order_number=number,
                ordered_at=at,
                currency="EUR",
                contact=ContactRef(email=contact.email) if contact else None,
                customer_number=account.customer_number if account else "",
                revenue=Decimal(revenue),
            )
        ],
    )
    assert not result.errors, result.errors


def _credited(campaign, kind=CreditKind.ATTRIBUTED):
    return OrderCredit.objects.filter(campaign=campaign, kind=kind)


def _figures(campaign):
    return CampaignDayStats.objects.filter(campaign=campaign).aggregate(
        conversions=Sum("conversions"), revenue=Sum("revenue")
    )


def test_an_order_within_the_window_after_a_click_is_credited_to_the_click():
    campaign = _campaign()
    contact = ContactFactory()
    _delivery(campaign, contact)
    clicked = DISPATCH + dt.timedelta(hours=2)
    _click(campaign, contact, clicked)

    _order(
        "A-1", clicked + dt.timedelta(days=7) - dt.timedelta(seconds=1), "1200.00", contact=contact
    )
    _order(
        "A-2", clicked + dt.timedelta(days=7) + dt.timedelta(seconds=1), "800.00", contact=contact
    )
    _order("A-0", clicked - dt.timedelta(seconds=1), "50.00", contact=contact)

    credits = list(_credited(campaign).values_list("order__external_id", "weight", "revenue"))
    assert credits == [("A-1", Decimal("1.000000"), Decimal("1200.00"))]
    assert _figures(campaign) == {"conversions": Decimal("1"), "revenue": Decimal("1200.00")}
    # The figure sits on the day of the order, in the hub's time zone.
    day = CampaignDayStats.objects.get(campaign=campaign, revenue__gt=0).day
    assert day == timezone.localdate(clicked + dt.timedelta(days=7) - dt.timedelta(seconds=1))


def test_the_window_is_the_campaigns_own():
    campaign = _campaign(attribution_window_days=2)
    contact = ContactFactory()
    _delivery(campaign, contact)
    _click(campaign, contact, DISPATCH)

    _order("B-1", DISPATCH + dt.timedelta(days=3), "100.00", contact=contact)

    assert not _credited(campaign).exists()


def test_an_order_is_credited_once_across_two_campaigns_to_the_last_click():
    first, second = _campaign(), _campaign()
    contact = ContactFactory()
    _delivery(first, contact)
    _delivery(second, contact)
    _click(first, contact, DISPATCH + dt.timedelta(hours=1))
    _click(second, contact, DISPATCH + dt.timedelta(hours=3))

    _order("C-1", DISPATCH + dt.timedelta(days=1), "999.99", contact=contact)

    assert not _credited(first).exists()
    assert list(_credited(second).values_list("weight", "revenue")) == [
        (Decimal("1.000000"), Decimal("999.99"))
    ]
    assert OrderCredit.objects.filter(kind=CreditKind.ATTRIBUTED).aggregate(w=Sum("weight")) == {
        "w": Decimal("1.000000")
    }


def test_linear_credit_splits_an_order_over_every_touch(settings):
    settings.HUB_ATTRIBUTION_MODEL = "linear"
    first, second = _campaign(), _campaign()
    contact = ContactFactory()
    _delivery(first, contact)
    _delivery(second, contact)
    _click(first, contact, DISPATCH + dt.timedelta(hours=1))
    _click(first, contact, DISPATCH + dt.timedelta(hours=2))
    _click(second, contact, DISPATCH + dt.timedelta(hours=3))

    _order("D-1", DISPATCH + dt.timedelta(days=1), "100.00", contact=contact)

    credits = OrderCredit.objects.filter(kind=CreditKind.ATTRIBUTED)
    assert credits.aggregate(w=Sum("weight"), r=Sum("revenue")) == {
        "w": Decimal("1.000000"),
        "r": Decimal("100.00"),
    }
    assert _figures(first)["revenue"] == Decimal("66.66")
    assert _figures(second)["revenue"] == Decimal("33.34")


def test_bot_clicks_earn_nothing():
    campaign = _campaign()
    contact = ContactFactory()
    _delivery(campaign, contact)
    _click(campaign, contact, DISPATCH + dt.timedelta(seconds=2), bot=True)

    _order("E-1", DISPATCH + dt.timedelta(days=1), "100.00", contact=contact)

    assert not _credited(campaign).exists()


def test_a_click_reported_late_earns_the_order_that_followed_it():
    campaign = _campaign()
    contact = ContactFactory()
    _delivery(campaign, contact)
    _order("F-1", DISPATCH + dt.timedelta(days=2), "300.00", contact=contact)
    assert not _credited(campaign).exists()

    _click(campaign, contact, DISPATCH + dt.timedelta(days=1))

    assert list(_credited(campaign).values_list("revenue", flat=True)) == [Decimal("300.00")]
    assert _figures(campaign)["revenue"] == Decimal("300.00")


def test_a_corrected_order_changes_the_figures_instead_of_adding_to_them():
    campaign = _campaign()
    contact = ContactFactory()
    _delivery(campaign, contact)
    _click(campaign, contact, DISPATCH)
    _order("G-1", DISPATCH + dt.timedelta(days=1), "500.00", contact=contact)

    _order("G-1", DISPATCH + dt.timedelta(days=1), "450.00", contact=contact)
    assert _figures(campaign) == {"conversions": Decimal("1"), "revenue": Decimal("450.00")}

    # Moved outside the window by the ERP: the credit and the figures go.
    _order("G-1", DISPATCH + dt.timedelta(days=9), "450.00", contact=contact)
    assert not _credited(campaign).exists()
    assert _figures(campaign) == {"conversions": Decimal("0"), "revenue": Decimal("0.00")}


def test_account_scope_credits_the_companys_orders_to_its_contacts_click():
    account = AccountFactory()
    reader, colleague = ContactFactory(account=account), ContactFactory(account=account)
    by_contact = _campaign()
    by_account = _campaign(attribution_scope=AttributionScope.ACCOUNT)
    for campaign in (by_contact, by_account):
        _delivery(campaign, reader)
        _click(campaign, reader, DISPATCH + dt.timedelta(hours=1))

    # The ERP knows only the company; a colleague placed the order.
    _order("H-1", DISPATCH + dt.timedelta(days=1), "700.00", account=account)
    _order("H-2", DISPATCH + dt.timedelta(days=2), "70.00", contact=colleague)

    assert not _credited(by_contact).exists()
    assert sorted(_credited(by_account).values_list("revenue", flat=True)) == [
        Decimal("70.00"),
        Decimal("700.00"),
    ]


def test_delivery_basis_counts_orders_after_a_message_without_a_click():
    campaign = _campaign(attribution_basis=AttributionBasis.DELIVERY)
    contact = ContactFactory()
    _delivery(campaign, contact, sent_at=DISPATCH + dt.timedelta(minutes=5))

    _order("I-1", DISPATCH + dt.timedelta(days=6), "250.00", contact=contact)

    credit = _credited(campaign).get()
    assert (credit.revenue, credit.touched_at) == (
        Decimal("250.00"),
        DISPATCH + dt.timedelta(minutes=5),
    )


def test_held_out_contacts_and_recipients_get_their_revenue_in_the_window():
    campaign = _campaign()
    recipient, held_out, late = ContactFactory(), ContactFactory(), ContactFactory()
    _delivery(campaign, recipient, arm="A")
    _delivery(campaign, held_out, arm="holdout", state=DeliveryState.HELD_OUT)
    _delivery(campaign, late, arm="A")

    _order("J-1", DISPATCH + dt.timedelta(days=1), "100.00", contact=recipient)
    _order("J-2", DISPATCH + dt.timedelta(days=3), "40.00", contact=held_out)
    _order("J-3", DISPATCH + dt.timedelta(days=8), "60.00", contact=late)

    exposed = dict(
        _credited(campaign, CreditKind.EXPOSED).values_list("delivery__contact_id", "revenue")
    )
    assert exposed == {recipient.pk: Decimal("100.00"), held_out.pk: Decimal("40.00")}
    # Nobody clicked: nothing is attributed.
    assert not _credited(campaign).exists()


def test_the_day_figures_agree_with_a_recount_from_the_raw_rows():
    """Random clicks and orders over two campaigns; the stored figures equal a brute-force
    last-touch computation over the events and orders."""
    rng = random.Random(13)
    campaigns = [_campaign(), _campaign(attribution_window_days=3)]
    contacts = [ContactFactory() for _ in range(12)]
    for campaign in campaigns:
        for contact in contacts:
            _delivery(campaign, contact, arm=rng.choice("AB"))
    for _ in range(40):
        _click(
            rng.choice(campaigns),
            rng.choice(contacts),
            DISPATCH + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 10)),
            bot=rng.random() < 0.1,
        )
    for number in range(30):
        _order(
            f"K-{number}",
            DISPATCH + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 14)),
            f"{rng.randrange(1, 5000)}.{rng.randrange(100):02d}",
            contact=rng.choice(contacts),
        )

    expected = {campaign.pk: Decimal("0.00") for campaign in campaigns}
    windows = {
        campaign.pk: dt.timedelta(days=campaign.attribution_window_days) for campaign in campaigns
    }
    clicks = [
        event
        for event in Event.objects.filter(kind=EventKind.EMAIL_CLICK)
        if not event.data.get("bot")
    ]
    for order in Order.objects.all():
        touching = [
            click
            for click in clicks
            if click.contact_id == order.contact_id
            and click.occurred_at
            <= order.ordered_at
            <= click.occurred_at + windows[click.campaign_id]
        ]
        if touching:
            last = max(touching, key=lambda click: click.occurred_at)
            expected[last.campaign_id] += order.revenue

    assert {
        campaign.pk: _figures(campaign)["revenue"] or Decimal("0.00") for campaign in campaigns
    } == expected
    assert sum(expected.values()) > 0


def test_the_recount_of_delivery_states_and_messages_sent_per_day():
    campaign = _campaign()
    before_midnight = dt.datetime(2026, 3, 20, 22, 59, tzinfo=dt.UTC)  # 23:59 in Berlin
    after_midnight = dt.datetime(2026, 3, 20, 23, 1, tzinfo=dt.UTC)  # 00:01 in Berlin
    _delivery(campaign, ContactFactory(), sent_at=before_midnight)
    _delivery(campaign, ContactFactory(), sent_at=after_midnight)
    _delivery(campaign, ContactFactory(), state=DeliveryState.BOUNCED, sent_at=after_midnight)
    _delivery(campaign, ContactFactory(), arm="holdout", state=DeliveryState.HELD_OUT)
    _delivery(campaign, ContactFactory(), state=DeliveryState.FAILED, sent_at=None)

    assert results_refresh(campaign_id=campaign.pk) == 5

    states = dict(
        DeliveryStateCount.objects.filter(campaign=campaign)
        .values_list("state")
        .annotate(n=Sum("count"))
    )
    assert states == {"sent": 2, "bounced": 1, "held_out": 1, "failed": 1}
    sent = dict(
        CampaignDayStats.objects.filter(campaign=campaign, sent__gt=0).values_list("day", "sent")
    )
    assert sent == {dt.date(2026, 3, 20): 1, dt.date(2026, 3, 21): 2}

    # A recount after a bounce moves the message, and replaces rather than adds.
    campaign.deliveries.filter(sent_at=before_midnight).update(state=DeliveryState.BOUNCED)
    results_refresh(campaign_id=campaign.pk)
    assert DeliveryStateCount.objects.get(campaign=campaign, state="bounced").count == 2
    assert (
        sum(CampaignDayStats.objects.filter(campaign=campaign).values_list("sent", flat=True)) == 3
    )
