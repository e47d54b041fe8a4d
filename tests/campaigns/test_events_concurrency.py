"""Two systems report the same events at the same moment: each is stored once, counted right.

Likewise two opens of one message at once (a mail client and its image proxy).

PostgreSQL only: it lets one transaction wait on another's uncommitted row, which is the
race under test. The embedded SQLite runs one writer at a time, so the race cannot occur.
"""

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from campaigns.models import CampaignDayStats, Delivery, Event, Order, TrackingHit
from campaigns.services.events import (
    ContactRef,
    EventInput,
    OrderInput,
    events_record,
    orders_record,
)
from campaigns.services.tracking import tracking_open
from tests.factories import ContactFactory, DeliveryFactory

# serialized_rollback: a transactional test's flush would otherwise recreate content types
# through post_migrate, and the browser tests' restore of the migrated data would clash.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def batch(email, keys):
    return [
        EventInput(
            key=key,
            kind="product_view",
            occurred_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
            contact=ContactRef(email=email),
        )
        for key in keys
    ]


def wait_until_a_session_waits_on_a_lock(deadline_seconds=10):
    """Poll pg_locks (live, unlike pg_stat_activity, which a transaction sees frozen)."""
    until = time.monotonic() + deadline_seconds
    with connection.cursor() as cursor:
        while time.monotonic() < until:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
    raise AssertionError("the second batch never waited for the first")


def test_a_batch_racing_an_uncommitted_one_counts_its_duplicates():
    contact = ContactFactory()
    results = {}

    def second():
        try:
            results["second"] = events_record(
                source="api:1", items=batch(contact.email, ["a", "b", "c"])
            )
        finally:
            connections.close_all()

    racer = threading.Thread(target=second)
    with transaction.atomic():
        results["first"] = events_record(source="api:1", items=batch(contact.email, ["b", "c"]))
        racer.start()
        wait_until_a_session_waits_on_a_lock()
    racer.join(timeout=30)

    assert (results["first"].accepted, results["first"].duplicates) == (2, 0)
    assert (results["second"].accepted, results["second"].duplicates) == (1, 2)
    assert sorted(Event.objects.values_list("idempotency_key", flat=True)) == ["a", "b", "c"]


def test_an_order_racing_its_uncommitted_twin_is_stored_once():
    contact = ContactFactory()
    order = OrderInput(
        order_number="WS-1",
        ordered_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        currency="EUR",
        contact=ContactRef(email=contact.email),
        revenue=Decimal("10.00"),
    )
    results = {}

    def second():
        try:
            results["second"] = orders_record(source="webshop", items=[order])
        finally:
            connections.close_all()

    racer = threading.Thread(target=second)
    with transaction.atomic():
        results["first"] = orders_record(source="webshop", items=[order])
        racer.start()
        wait_until_a_session_waits_on_a_lock()
    racer.join(timeout=30)

    assert (results["first"].created, results["second"].created) == (1, 0)
    assert results["second"].unchanged == 1
    assert Order.objects.count() == 1
    assert Event.objects.filter(kind="order").count() == 1


def test_two_first_opens_at_once_count_one_unique_and_one_human_open():
    delivery = DeliveryFactory()
    browser = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
    results = {}

    def second():
        try:
            results["second"] = tracking_open(
                delivery_id=delivery.pk, ip="198.51.100.2", user_agent=browser
            )
        finally:
            connections.close_all()

    racer = threading.Thread(target=second)
    with transaction.atomic():
        results["first"] = tracking_open(
            delivery_id=delivery.pk, ip="198.51.100.1", user_agent=browser
        )
        racer.start()
        wait_until_a_session_waits_on_a_lock()
    racer.join(timeout=30)

    assert (results["first"], results["second"]) == (True, False)
    stats = CampaignDayStats.objects.get(campaign=delivery.campaign)
    assert (stats.opens, stats.unique_opens, stats.human_opens) == (2, 1, 1)
    assert TrackingHit.objects.filter(delivery=delivery).count() == 2
    assert Delivery.objects.get(pk=delivery.pk).human_opened_at is not None
    assert Event.objects.filter(kind="email_open").count() == 1
