"""Two systems report the same events at the same moment: each is stored once, counted right.

PostgreSQL only: it lets one transaction wait on another's uncommitted row, which is the
race under test. The embedded SQLite runs one writer at a time, so the race cannot occur.
"""

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from campaigns.models import Event, Order
from campaigns.services.events import (
    ContactRef,
    EventInput,
    OrderInput,
    events_record,
    orders_record,
)
from tests.factories import ContactFactory

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
