"""Property: for random contacts, events, orders, rule trees and moments (around midnight
and the DST changes in the hub's time zone), the three ways of answering a rule agree: the
compiled SQL query, the bitmap backend over freshly built segment state, and the
plain-Python evaluator."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.models import Account, Contact, Event, Order, OrderLine
from campaigns.segment_evaluator import evaluate_many, load_catalogue, load_contact_facts
from campaigns.segments import compile_rules
from campaigns.segments.backends import BitmapBackend
from campaigns.segments.bitmaps import LEVELS
from campaigns.services.segment_state import segment_state_rebuild
from content.taxonomy import BuyingRole, JourneyPhase
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
# Moments the windows are counted back from (TIME_ZONE is Europe/Berlin): noon, just
# before and after local midnight, and the days the clocks change (29 March 2026: the
# night has 23 hours; 25 October 2026: 25 hours), and a day after each.
MOMENTS = [
    NOW,
    dt.datetime(2026, 6, 15, 21, 59, tzinfo=dt.UTC),  # 23:59 in Berlin
    dt.datetime(2026, 6, 15, 22, 0, tzinfo=dt.UTC),  # 00:00 in Berlin, the next day
    dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC),  # 01:30 CET, before the change
    dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC),  # 03:30 CEST, after it
    dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC),  # 02:30 CEST
    dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC),  # 02:30 CET, the hour again
    dt.datetime(2026, 10, 26, 22, 59, tzinfo=dt.UTC),  # 23:59 CET
]
SKUS = ["S1", "S2", "S3"]
KINDS = ["product_view", "cart_abandoned", "email_click", "category_click"]
ACCOUNTS = [
    {"industry": "Chemie", "country": "DE", "size_class": "small", "price_group": "A"},
    {"industry": "Bau", "country": "AT", "size_class": "large", "price_group": "B"},
    {"industry": "Chemie", "country": "CH", "size_class": "large", "price_group": ""},
]
CATEGORIES = ["tools", "drills", "garden"]

# Often within the same day or two (repeats on a day: the count levels), else over 45 days.
hours = st.one_of(
    st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=24 * 45)
)
days = st.sampled_from([1, 7, 30])

event = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(KINDS),
        "hours_ago": hours,
        "sku": st.sampled_from(["", *SKUS]),
        "category": st.sampled_from([None, *CATEGORIES]),
    }
)
order = st.fixed_dictionaries(
    {
        "hours_ago": hours,
        "revenue": st.integers(min_value=0, max_value=6).map(lambda n: Decimal(n * 50)),
        "skus": st.sets(st.sampled_from(SKUS), max_size=2),
    }
)
SURVEY_SCALES = {"nps": (0, 10), "csat": (1, 5)}
answer = st.sampled_from(sorted(SURVEY_SCALES)).flatmap(
    lambda kind: st.fixed_dictionaries(
        {
            "kind": st.just(kind),
            "score": st.integers(*SURVEY_SCALES[kind]),
            "hours_ago": hours,
        }
    )
)
contact = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["", *BuyingRole.values[:3]]),
        "phase": st.sampled_from(["", *JourneyPhase.values[:3]]),
        "language": st.sampled_from(["de", "en"]),
        "consent": st.sampled_from(["none", "confirmed"]),
        "account": st.sampled_from([None, 0, 1, 2]),
        "events": st.lists(event, max_size=LEVELS + 2),
        "orders": st.lists(order, max_size=3),
        "answers": st.lists(answer, max_size=2),
    }
)


def condition(field, operator, value):
    operators = st.just(operator) if isinstance(operator, str) else operator
    return st.fixed_dictionaries({"field": st.just(field), "operator": operators, "value": value})


def some(values):
    return st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True)


def optional(key, strategy):
    return st.one_of(st.just({}), strategy.map(lambda value: {key: value}))


def merged(*parts):
    return st.tuples(*parts).map(lambda dicts: {k: v for d in dicts for k, v in d.items()})


# Whole days, or hours (sub-day windows, answered by SQL in both backends), or ever.
window = st.one_of(
    st.just({}),
    days.map(lambda value: {"within_days": value}),
    st.sampled_from([1, 2, 6, 30]).map(lambda value: {"within_hours": value}),
)
amount = st.integers(min_value=0, max_value=8).map(lambda n: n * 50)
count = st.integers(min_value=0, max_value=LEVELS + 1)  # beyond: the order totals
dates = st.integers(min_value=0, max_value=45).map(
    lambda n: (NOW - dt.timedelta(days=n)).date().isoformat()
)


def aggregate(field, number):
    return st.one_of(
        *(
            condition(
                field,
                operator,
                merged(
                    bound.map(lambda value: {"value": value}),
                    optional("within_days", days),
                ),
            )
            for operator, bound in (
                ("gte", number),
                ("lte", number),
                ("between", st.tuples(number, number).map(sorted).map(list)),
            )
        )
    )


score_range = st.sampled_from(sorted(SURVEY_SCALES)).flatmap(
    lambda kind: st.tuples(
        st.integers(*SURVEY_SCALES[kind]), st.integers(*SURVEY_SCALES[kind])
    ).map(lambda pair: {"kind": kind, "min_score": min(pair), "max_score": max(pair)})
)

conditions = st.one_of(
    condition("role", st.sampled_from(["in", "not_in"]), some(BuyingRole.values[:3])),
    condition("phase", st.sampled_from(["in", "not_in"]), some(JourneyPhase.values[:3])),
    condition("language", st.sampled_from(["in", "not_in"]), some(["de", "en"])),
    condition("consent", st.sampled_from(["in", "not_in"]), some(["none", "confirmed"])),
    condition("account.industry", st.sampled_from(["in", "not_in"]), some(["Chemie", "Bau"])),
    condition("account.country", st.sampled_from(["in", "not_in"]), some(["DE", "AT", "CH"])),
    condition("account.size_class", st.sampled_from(["in", "not_in"]), some(["small", "large"])),
    condition("account.price_group", st.sampled_from(["in", "not_in"]), some(["A", "B"])),
    condition(
        "event",
        st.sampled_from(["has", "has_not"]),
        merged(
            st.sampled_from(KINDS).map(lambda kind: {"kind": kind}),
            optional("min_count", st.integers(min_value=1, max_value=LEVELS + 1)),
            window,
            optional("sku", st.sampled_from(SKUS)),
            optional("category", st.sampled_from(CATEGORIES)),
        ),
    ),
    aggregate("order_count", count),
    aggregate("revenue", amount),
    condition("last_order", st.sampled_from(["before", "after"]), dates),
    condition("last_order", st.sampled_from(["within_days", "not_within_days"]), days),
    condition("cart_abandoned_without_order", st.just("is"), window),
    condition(
        "viewed_not_bought",
        st.just("is"),
        merged(
            days.map(lambda value: {"within_days": value}),
            optional("sku", st.sampled_from(SKUS)),
            optional("category", st.sampled_from(CATEGORIES)),
        ),
    ),
    condition(
        "survey_answer",
        st.sampled_from(["has", "has_not"]),
        merged(score_range, optional("within_days", days)),
    ),
)

trees = st.recursive(
    conditions,
    lambda children: st.fixed_dictionaries(
        {"op": st.sampled_from(["and", "or"]), "rules": st.lists(children, max_size=3)},
        optional={"negate": st.booleans()},
    ),
    max_leaves=6,
)


@pytest.fixture
def catalogue_rows():
    tools = CategoryFactory(slug="tools")
    drills = CategoryFactory(slug="drills", parent=tools)
    garden = CategoryFactory(slug="garden")
    for sku, category in (("S1", drills), ("S2", garden)):
        product = ProductFactory(sku=sku)
        product.categories.add(category)
        product.save()
    return {"tools": tools.pk, "drills": drills.pk, "garden": garden.pk}


def store(contacts: list[dict], categories: dict[str, int], now: dt.datetime = NOW) -> None:
    Event.objects.all().delete()
    Order.objects.all().delete()
    Contact.objects.all().delete()
    Account.objects.all().delete()
    accounts = Account.objects.bulk_create(
        Account(name=f"Account {index}", **values) for index, values in enumerate(ACCOUNTS)
    )
    for index, data in enumerate(contacts):
        person = Contact.objects.create(
            email=f"p{index}@example.com",
            role=data["role"],
            phase=data["phase"],
            language=data["language"],
            consent=data["consent"],
            account=None if data["account"] is None else accounts[data["account"]],
        )
        Event.objects.bulk_create(
            Event(
                contact=person,
                kind=item["kind"],
                occurred_at=now - dt.timedelta(hours=item["hours_ago"]),
                sku=item["sku"],
                category_id=categories.get(item["category"]),
                source="test",
            )
            for item in data["events"]
        )
        Event.objects.bulk_create(
            Event(
                contact=person,
                kind="survey_answer",
                occurred_at=now - dt.timedelta(hours=item["hours_ago"]),
                value=item["score"],
                data={"survey": 1, "kind": item["kind"], "score": item["score"]},
                source="test",
            )
            for item in data["answers"]
        )
        for number, item in enumerate(data["orders"]):
            placed = Order.objects.create(
                source="erp",
                external_id=f"{index}-{number}",
                contact=person,
                ordered_at=now - dt.timedelta(hours=item["hours_ago"]),
                revenue=item["revenue"],
            )
            OrderLine.objects.bulk_create(
                OrderLine(order=placed, sku=sku, quantity=1, unit_price=1, line_total=1)
                for sku in sorted(item["skus"])
            )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    contacts=st.lists(contact, min_size=1, max_size=6),
    rules=trees,
    now=st.sampled_from(MOMENTS),
)
def test_sql_bitmaps_and_python_evaluation_pick_the_same_contacts(
    catalogue_rows, contacts, rules, now
):
    store(contacts, catalogue_rows, now)
    segment_state_rebuild(now=now)
    tree = rules if "op" in rules else {"op": "and", "rules": [rules]}

    in_sql = set(Contact.objects.filter(compile_rules(tree, now=now)).values_list("pk", flat=True))
    in_bitmaps = set(BitmapBackend().members(tree, now=now))
    in_python = evaluate_many(tree, load_contact_facts(), now=now, catalogue=load_catalogue())

    assert in_sql == in_python
    assert in_bitmaps == in_python
