"""The demo audience is consistent: evidence for consent, lines for orders, history for phases."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Sum

from campaigns.models import (
    Account,
    ConsentKind,
    ConsentRecord,
    ConsentState,
    Contact,
    Event,
    Order,
    PhaseChange,
    Segment,
    Suppression,
)
from hub.demo.audience import AudienceSeeder
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    CategoryFactory(slug="schrauben")
    for index in range(6):
        ProductFactory(sku=f"DEMO-SKU-{index}", live=True, price=Decimal("2.50") + index)
    seeder = AudienceSeeder()
    seeder.run()
    return seeder


def test_every_confirmed_contact_has_an_opt_in_and_a_confirmation(seeded):
    kinds = defaultdict(set)
    for contact_id, kind in ConsentRecord.objects.values_list("contact_id", "kind"):
        kinds[contact_id].add(kind)

    confirmed = Contact.objects.filter(consent=ConsentState.CONFIRMED)

    assert confirmed.count() > 50
    assert all(
        {ConsentKind.OPT_IN, ConsentKind.CONFIRMATION} <= kinds[pk]
        for pk in confirmed.values_list("pk", flat=True)
    )


def test_every_revoked_contact_is_suppressed(seeded):
    revoked = Contact.objects.filter(consent=ConsentState.REVOKED)

    hashes = set(Suppression.objects.values_list("email_hash", flat=True))

    assert revoked.exists()
    assert set(revoked.values_list("email_hash", flat=True)) <= hashes


def test_order_revenue_is_the_sum_of_its_lines_and_uses_demo_skus(seeded):
    orders = Order.objects.annotate(lines_total=Sum("lines__line_total"))

    assert orders.exists()
    assert all(order.revenue == order.lines_total for order in orders)
    assert Event.objects.filter(kind="order").count() == orders.count()


def test_each_contact_phase_is_where_its_history_ends(seeded):
    last = {}
    for change in PhaseChange.objects.order_by("changed_at", "pk"):
        last[change.contact_id] = change.to_phase

    contacts = Contact.objects.all()

    assert all(last[contact.pk] == contact.phase for contact in contacts)


def test_seeding_again_creates_nothing(seeded):
    counts = (Account.objects.count(), Contact.objects.count(), Event.objects.count())

    again = AudienceSeeder()
    again.run()

    assert not again.created
    assert (Account.objects.count(), Contact.objects.count(), Event.objects.count()) == counts


def test_the_demo_segments_are_valid_and_find_contacts(seeded):
    from campaigns.segments import clean_rules
    from campaigns.selectors import segment_contacts

    segments = list(Segment.objects.all())

    assert len(segments) == 5
    assert all(clean_rules(segment.rules) == segment.rules for segment in segments)
    assert segment_contacts(Segment.objects.get(name__startswith="DACH")).exists()
