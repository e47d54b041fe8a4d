"""The rule language: each field and operator, in SQL and in the Python evaluator alike."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Contact
from campaigns.segment_evaluator import evaluate_many, load_catalogue, load_contact_facts
from campaigns.segments import clean_rules, compile_rules
from tests.factories import (
    AccountFactory,
    CategoryFactory,
    ContactFactory,
    EventFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def matching(rules: dict) -> set[int]:
    """The contacts the compiled query returns; the evaluator must agree on every call."""
    in_sql = set(Contact.objects.filter(compile_rules(rules, now=NOW)).values_list("pk", flat=True))
    in_python = evaluate_many(rules, load_contact_facts(), now=NOW, catalogue=load_catalogue())
    assert in_sql == in_python, "compiler and evaluator disagree"
    return in_sql


def cond(field: str, operator: str, value) -> dict:
    return {"op": "and", "rules": [{"field": field, "operator": operator, "value": value}]}


def test_an_empty_tree_matches_every_contact():
    contacts = ContactFactory.create_batch(3)

    assert matching({"op": "and", "rules": []}) == {c.pk for c in contacts}


def test_an_empty_or_group_matches_nobody():
    ContactFactory()

    assert matching({"op": "or", "rules": []}) == set()


def test_role_in_and_not_in():
    buyer = ContactFactory(role="buyer")
    user = ContactFactory(role="user")
    unknown = ContactFactory(role="")

    assert matching(cond("role", "in", ["buyer"])) == {buyer.pk}
    assert matching(cond("role", "not_in", ["buyer"])) == {user.pk, unknown.pk}


def test_phase_language_and_consent_filter_the_contact_itself():
    match = ContactFactory(phase="consideration", language="en", consent="pending")
    ContactFactory(phase="consideration", language="de", consent="pending")
    ContactFactory(phase="awareness", language="en", consent="pending")

    rules = {
        "op": "and",
        "rules": [
            {"field": "phase", "operator": "in", "value": ["consideration"]},
            {"field": "language", "operator": "in", "value": ["en"]},
            {"field": "consent", "operator": "in", "value": ["pending"]},
        ],
    }

    assert matching(rules) == {match.pk}


def test_account_fields_and_contacts_without_an_account():
    german = ContactFactory(account=AccountFactory(country="DE", industry="Chemie"))
    austrian = ContactFactory(account=AccountFactory(country="AT", size_class="large"))
    loner = ContactFactory(account=None)

    assert matching(cond("account.country", "in", ["de"])) == {german.pk}
    assert matching(cond("account.country", "not_in", ["DE"])) == {austrian.pk, loner.pk}
    assert matching(cond("account.industry", "in", ["Chemie"])) == {german.pk}
    assert matching(cond("account.size_class", "in", ["large"])) == {austrian.pk}
    assert matching(cond("account.price_group", "not_in", ["A"])) == {loner.pk}


def test_event_has_at_least_n_times_within_days():
    twice = ContactFactory()
    EventFactory.create_batch(2, contact=twice, kind="email_click", occurred_at=days_ago(3))
    once = ContactFactory()
    EventFactory(contact=once, kind="email_click", occurred_at=days_ago(3))
    old = ContactFactory()
    EventFactory.create_batch(2, contact=old, kind="email_click", occurred_at=days_ago(40))

    rules = cond("event", "has", {"kind": "email_click", "min_count": 2, "within_days": 30})

    assert matching(rules) == {twice.pk}
    assert matching(cond("event", "has", {"kind": "email_click"})) == {twice.pk, once.pk, old.pk}


def test_event_has_not_means_fewer_than_min_count():
    clicker = ContactFactory()
    EventFactory(contact=clicker, kind="email_click", occurred_at=days_ago(1))
    quiet = ContactFactory()

    assert matching(cond("event", "has_not", {"kind": "email_click"})) == {quiet.pk}
    assert matching(cond("event", "has_not", {"kind": "email_click", "min_count": 2})) == {
        clicker.pk,
        quiet.pk,
    }


def test_event_on_a_sku():
    match = ContactFactory()
    EventFactory(contact=match, sku="HW-1", occurred_at=days_ago(1))
    other = ContactFactory()
    EventFactory(contact=other, sku="HW-2", occurred_at=days_ago(1))

    assert matching(cond("event", "has", {"kind": "product_view", "sku": "HW-1"})) == {match.pk}


def test_event_in_a_category_includes_its_subtree_and_products_in_it():
    tools = CategoryFactory(slug="tools")
    drills = CategoryFactory(slug="drills", parent=tools)
    CategoryFactory(slug="garden")
    drill = ProductFactory(sku="DRILL-1")
    drill.categories.add(drills)
    drill.save()  # a ParentalManyToManyField writes its links on save
    by_category = ContactFactory()
    EventFactory(contact=by_category, kind="category_click", category=drills)
    by_product = ContactFactory()
    EventFactory(contact=by_product, kind="category_click", sku="DRILL-1")
    elsewhere = ContactFactory()
    EventFactory(contact=elsewhere, kind="category_click", sku="SPADE-1")

    rules = cond("event", "has", {"kind": "category_click", "category": "tools"})

    assert matching(rules) == {by_category.pk, by_product.pk}


def test_order_count_counts_orders_in_the_window_and_none_as_zero():
    frequent = ContactFactory()
    OrderFactory.create_batch(3, contact=frequent, ordered_at=days_ago(10))
    rare = ContactFactory()
    OrderFactory(contact=rare, ordered_at=days_ago(10))
    OrderFactory.create_batch(3, contact=rare, ordered_at=days_ago(400))
    never = ContactFactory()

    assert matching(cond("order_count", "gte", {"value": 2, "within_days": 365})) == {frequent.pk}
    assert matching(cond("order_count", "lte", {"value": 1, "within_days": 365})) == {
        rare.pk,
        never.pk,
    }
    assert matching(cond("order_count", "between", {"value": [0, 0]})) == {never.pk}


def test_revenue_bands_sum_the_contacts_orders():
    big = ContactFactory()
    OrderFactory(contact=big, revenue=Decimal("6000.00"), ordered_at=days_ago(5))
    OrderFactory(contact=big, revenue=Decimal("5000.00"), ordered_at=days_ago(5))
    middle = ContactFactory()
    OrderFactory(contact=middle, revenue=Decimal("2500.50"), ordered_at=days_ago(5))
    never = ContactFactory()

    assert matching(cond("revenue", "gte", {"value": "10000"})) == {big.pk}
    assert matching(cond("revenue", "between", {"value": ["1000", "5000"]})) == {middle.pk}
    assert matching(cond("revenue", "lte", {"value": 3000})) == {middle.pk, never.pk}


def test_last_order_before_after_and_within_days():
    recent = ContactFactory()
    OrderFactory(contact=recent, ordered_at=days_ago(3))
    OrderFactory(contact=recent, ordered_at=days_ago(300))
    lapsed = ContactFactory()
    OrderFactory(contact=lapsed, ordered_at=days_ago(200))
    ContactFactory()  # never ordered: no last order to compare

    assert matching(cond("last_order", "within_days", 30)) == {recent.pk}
    assert matching(cond("last_order", "not_within_days", 90)) == {lapsed.pk}
    assert matching(cond("last_order", "before", "2026-01-01")) == {lapsed.pk}
    assert matching(cond("last_order", "after", "2026-06-01")) == {recent.pk}


def test_last_order_after_a_date_excludes_that_day():
    on_the_day = ContactFactory()
    OrderFactory(contact=on_the_day, ordered_at=dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC))

    assert matching(cond("last_order", "after", "2026-06-01")) == set()
    assert matching(cond("last_order", "after", "2026-05-31")) == {on_the_day.pk}


def test_cart_abandoned_without_a_later_order():
    abandoned = ContactFactory()
    EventFactory(contact=abandoned, kind="cart_abandoned", occurred_at=days_ago(2))
    OrderFactory(contact=abandoned, ordered_at=days_ago(5))  # before the cart: still open
    recovered = ContactFactory()
    EventFactory(contact=recovered, kind="cart_abandoned", occurred_at=days_ago(2))
    OrderFactory(contact=recovered, ordered_at=days_ago(1))
    long_ago = ContactFactory()
    EventFactory(contact=long_ago, kind="cart_abandoned", occurred_at=days_ago(60))

    assert matching(cond("cart_abandoned_without_order", "is", {})) == {abandoned.pk, long_ago.pk}
    assert matching(cond("cart_abandoned_without_order", "is", {"within_days": 7})) == {
        abandoned.pk
    }


def test_viewed_not_bought_in_the_window():
    browser = ContactFactory()
    EventFactory(contact=browser, kind="product_view", sku="HW-1", occurred_at=days_ago(3))
    buyer = ContactFactory()
    EventFactory(contact=buyer, kind="product_view", sku="HW-1", occurred_at=days_ago(3))
    OrderLineFactory(order=OrderFactory(contact=buyer, ordered_at=days_ago(1)), sku="HW-1")
    bought_other = ContactFactory()
    EventFactory(contact=bought_other, kind="product_view", sku="HW-1", occurred_at=days_ago(3))
    OrderLineFactory(order=OrderFactory(contact=bought_other, ordered_at=days_ago(1)), sku="HW-9")
    too_old = ContactFactory()
    EventFactory(contact=too_old, kind="product_view", sku="HW-1", occurred_at=days_ago(45))

    rules = cond("viewed_not_bought", "is", {"within_days": 30})

    assert matching(rules) == {browser.pk, bought_other.pk}
    assert matching(cond("viewed_not_bought", "is", {"within_days": 30, "sku": "HW-9"})) == set()


def test_nested_groups_with_or_and_negate():
    buyer_de = ContactFactory(role="buyer", account=AccountFactory(country="DE"))
    user_at = ContactFactory(role="user", account=AccountFactory(country="AT"))
    user_de = ContactFactory(role="user", account=AccountFactory(country="DE"))

    rules = {
        "op": "or",
        "rules": [
            {"field": "role", "operator": "in", "value": ["buyer"]},
            {
                "op": "and",
                "negate": True,
                "rules": [{"field": "account.country", "operator": "in", "value": ["DE"]}],
            },
        ],
    }

    assert matching(rules) == {buyer_de.pk, user_at.pk}
    assert user_de.pk not in matching(rules)


def test_a_negated_empty_group_matches_nobody():
    ContactFactory()

    assert matching({"op": "and", "negate": True, "rules": []}) == set()


def test_counting_a_segment_is_one_query():
    contact = ContactFactory()
    EventFactory(contact=contact, kind="cart_abandoned")
    rules = {
        "op": "or",
        "rules": [
            {"field": "role", "operator": "in", "value": ["buyer"]},
            {"field": "event", "operator": "has", "value": {"kind": "email_open", "min_count": 3}},
            {"field": "revenue", "operator": "lte", "value": {"value": 50}},
            {"field": "cart_abandoned_without_order", "operator": "is", "value": {}},
            {"field": "viewed_not_bought", "operator": "is", "value": {"within_days": 30}},
            {"field": "account.industry", "operator": "in", "value": ["Chemie"]},
        ],
    }
    queryset = Contact.objects.filter(compile_rules(rules, now=NOW))

    with CaptureQueriesContext(connection) as queries:
        count = queryset.count()

    assert count == 1
    assert len(queries) == 1


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            {"op": "and", "rules": [{"field": "role", "operator": "like", "value": ["x"]}]},
            "rules[0].operator: 'like' is not allowed for field 'role'; use in, not_in",
        ),
        (
            {"op": "and", "rules": [{"field": "password", "operator": "in", "value": ["x"]}]},
            "rules[0].field: 'password' is not allowed",
        ),
        (
            {"op": "xor", "rules": []},
            "op: 'xor' is not allowed; use and, or",
        ),
        (
            {
                "op": "and",
                "rules": [
                    {"field": "role", "operator": "in", "value": ["buyer"]},
                    {
                        "op": "or",
                        "rules": [{"field": "role", "operator": "in", "value": ["boss"]}],
                    },
                ],
            },
            "rules[1].rules[0].value[0]: 'boss' is not one of",
        ),
        (
            cond("event", "has", {"kind": "email_open", "min_count": 0}),
            "rules[0].value.min_count: must be between 1 and",
        ),
        (
            cond("event", "has", {"kind": "email_open", "within": 3}),
            "rules[0].value.within: unknown key",
        ),
        (
            cond("event", "has", {"min_count": 2}),
            "rules[0].value.kind: is required",
        ),
        (
            cond("event", "has", {"kind": "email_open", "category": "nope"}),
            "rules[0].value.category: no category with slug 'nope'",
        ),
        (
            cond("revenue", "between", {"value": [500, 100]}),
            "rules[0].value.value: the lowest must not be above the highest",
        ),
        (
            cond("revenue", "gte", {"value": "lots"}),
            "rules[0].value.value: give an amount, not 'lots'",
        ),
        (
            cond("last_order", "before", "yesterday"),
            "rules[0].value: give a date as YYYY-MM-DD",
        ),
        (
            cond("account.country", "in", ["Germany"]),
            "rules[0].value[0]: 'GERMANY' must have 2 letters",
        ),
        (
            cond("viewed_not_bought", "is", {}),
            "rules[0].value.within_days: is required",
        ),
        (
            {
                "op": "and",
                "rules": [{"field": "role", "operator": "in", "value": ["buyer"], "sql": "1"}],
            },
            "rules[0].sql: unknown key",
        ),
        ("role = 'buyer'", "give a group or a condition"),
    ],
)
def test_bad_rules_are_a_validation_error_naming_the_place(rules, message):
    with pytest.raises(ValidationError) as error:
        compile_rules(rules, now=NOW)

    assert message in error.value.messages[0]


def test_trees_nest_only_so_deep():
    tree = {"op": "and", "rules": []}
    for _level in range(8):
        tree = {"op": "and", "rules": [tree]}

    with pytest.raises(ValidationError) as error:
        clean_rules(tree)

    assert "nest at most" in error.value.messages[0]


def test_clean_rules_fills_defaults_and_normalises_values():
    cleaned = clean_rules(
        {
            "op": "and",
            "rules": [
                {"field": "event", "operator": "has", "value": {"kind": "email_open"}},
                {"field": "account.country", "operator": "in", "value": [" at", "DE", "de"]},
                {"field": "revenue", "operator": "gte", "value": {"value": 1000}},
            ],
        }
    )

    assert cleaned["rules"][0]["value"] == {"kind": "email_open", "min_count": 1}
    assert cleaned["rules"][1]["value"] == ["AT", "DE"]
    assert cleaned["rules"][2]["value"] == {"value": "1000.00"}
