"""Journey rules move contacts between phases from what they did, and say which rule did."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from campaigns.models import Contact, JourneyRule, PhaseChange
from campaigns.segments import clean_rules
from campaigns.services.journey import journey_evaluate
from tests.factories import ContactFactory, EventFactory, OrderFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def phase_of(contact) -> str:
    return Contact.objects.get(pk=contact.pk).phase


def test_the_default_rules_are_valid_rule_trees():
    rules = list(JourneyRule.objects.order_by("sort_order"))

    assert [rule.phase for rule in rules] == [
        "loyalty",
        "experience",
        "transaction",
        "consideration",
        "awareness",
    ]
    assert all(clean_rules(rule.conditions) for rule in rules)


def test_a_first_engagement_brings_a_new_contact_to_awareness(now):
    contact = ContactFactory(phase="")
    EventFactory(contact=contact, kind="email_open", occurred_at=days_ago(2))

    journey_evaluate(contact_ids=[contact.pk])

    assert phase_of(contact) == "awareness"
    change = PhaseChange.objects.get(contact=contact)
    assert (change.from_phase, change.to_phase) == ("", "awareness")
    assert change.rule.name == "Awareness: any engagement"
    assert change.changed_at == NOW


def test_repeated_product_views_without_an_order_mean_consideration(now):
    contact = ContactFactory(phase="awareness")
    for days in (3, 10):
        EventFactory(contact=contact, kind="product_view", sku="HW-1", occurred_at=days_ago(days))

    journey_evaluate()

    assert phase_of(contact) == "consideration"


def test_views_older_than_thirty_days_move_nobody(now):
    contact = ContactFactory(phase="awareness")
    for days in (31, 40):
        EventFactory(contact=contact, kind="product_view", occurred_at=days_ago(days))

    journey_evaluate()

    assert phase_of(contact) == "awareness"
    assert not PhaseChange.objects.exists()


def test_an_abandoned_cart_means_transaction(now):
    contact = ContactFactory(phase="consideration")
    EventFactory(contact=contact, kind="cart_abandoned", occurred_at=days_ago(1))

    journey_evaluate()

    assert phase_of(contact) == "transaction"


def test_an_order_means_transaction_and_the_next_run_experience(now):
    contact = ContactFactory(phase="consideration")
    OrderFactory(contact=contact, ordered_at=days_ago(1))

    journey_evaluate()
    first = phase_of(contact)
    journey_evaluate()

    assert (first, phase_of(contact)) == ("transaction", "experience")
    assert list(
        PhaseChange.objects.filter(contact=contact)
        .order_by("pk")
        .values_list("from_phase", "to_phase")
    ) == [("consideration", "transaction"), ("transaction", "experience")]


def test_two_orders_in_a_year_mean_loyalty(now):
    contact = ContactFactory(phase="experience")
    OrderFactory(contact=contact, ordered_at=days_ago(200))
    OrderFactory(contact=contact, ordered_at=days_ago(20))

    journey_evaluate()

    assert phase_of(contact) == "loyalty"


def test_a_customer_with_a_recent_order_does_not_fall_back_to_transaction(now):
    contact = ContactFactory(phase="experience")
    OrderFactory(contact=contact, ordered_at=days_ago(5))
    EventFactory(contact=contact, kind="cart_abandoned", occurred_at=days_ago(1))

    journey_evaluate()

    assert phase_of(contact) == "experience"


def test_running_again_records_no_second_move(now):
    contact = ContactFactory(phase="")
    EventFactory(contact=contact, kind="email_click", occurred_at=days_ago(1))

    journey_evaluate()
    again = journey_evaluate()

    assert again.moved_total == 0
    assert PhaseChange.objects.filter(contact=contact).count() == 1


def test_an_inactive_rule_is_skipped_and_the_next_one_decides(now):
    contact = ContactFactory(phase="experience")
    OrderFactory(contact=contact, ordered_at=days_ago(100))
    OrderFactory(contact=contact, ordered_at=days_ago(10))
    JourneyRule.objects.filter(phase="loyalty").update(is_active=False)

    journey_evaluate()

    assert phase_of(contact) == "experience"


def test_rules_are_tried_in_their_order(now):
    contact = ContactFactory(phase="")
    EventFactory(contact=contact, kind="email_open", occurred_at=days_ago(1))
    first = JourneyRule.objects.create(
        name="Everyone with an account is a decision in progress",
        phase="consideration",
        conditions={"op": "and", "rules": []},
        sort_order=0,
    )

    journey_evaluate()

    assert phase_of(contact) == "consideration"
    assert PhaseChange.objects.get(contact=contact).rule == first


def test_queries_do_not_grow_with_the_number_of_contacts(now, django_assert_max_num_queries):
    def contacts(count):
        made = ContactFactory.create_batch(count, phase="awareness")
        for contact in made:
            EventFactory(contact=contact, kind="product_view", occurred_at=days_ago(50))
        return [contact.pk for contact in made]

    few, many = contacts(3), contacts(30)

    # one batch: the rules, the contacts' phases, one query per rule
    with django_assert_max_num_queries(8):
        journey_evaluate(contact_ids=few)
    with django_assert_max_num_queries(8):
        journey_evaluate(contact_ids=many)


def test_the_nightly_task_moves_contacts_whose_time_has_come(now, settings):
    from campaigns.tasks import journey_evaluate_all

    contact = ContactFactory(phase="transaction")
    OrderFactory(contact=contact, ordered_at=days_ago(3))

    journey_evaluate_all.delay()

    assert phase_of(contact) == "experience"
    assert settings.CELERY_BEAT_SCHEDULE["journey-nightly"]["task"] == journey_evaluate_all.name
