"""The segment editor answers hostile rule trees with a 400 and the reason, never a 500."""

import json

import pytest
from django.urls import reverse

from campaigns.models import JourneyRule, Segment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def condition(field, operator, value):
    return {"op": "and", "rules": [{"field": field, "operator": operator, "value": value}]}


def nested(depth):
    return '{"op": "and", "rules": [' * depth + "]}" * depth


# Raw JSON bodies: Python's json module writes neither NaN literals in strings nor surrogates.
HOSTILE = {
    "nested 5,000 deep": ('{"kind": "dynamic", "rules": ' + nested(5000) + "}", "nested"),
    "nested 40 deep": ('{"kind": "dynamic", "rules": ' + nested(40) + "}", "nested"),
    "1e100": (
        json.dumps({"rules": condition("revenue", "gte", {"value": 1e100})}),
        "rules[0].value.value",
    ),
    "amount too large for a column": (
        json.dumps({"rules": condition("revenue", "gte", {"value": "1e20"})}),
        "rules[0].value.value",
    ),
    "huge whole number": (
        json.dumps({"rules": condition("order_count", "gte", {"value": 10**30})}),
        "rules[0].value.value",
    ),
    "NaN": (
        '{"rules": {"op": "and", "rules": [{"field": "revenue", "operator": "gte",'
        ' "value": {"value": NaN}}]}}',
        "NaN",
    ),
    "Infinity": (
        '{"rules": {"op": "and", "rules": [{"field": "revenue", "operator": "lte",'
        ' "value": {"value": -Infinity}}]}}',
        "Infinity",
    ),
    "lone surrogate in a SKU": (
        '{"rules": {"op": "and", "rules": [{"field": "event", "operator": "has",'
        ' "value": {"kind": "product_view", "sku": "HW-\\ud800"}}]}}',
        "rules[0].value.sku",
    ),
    "NUL in a SKU": (
        '{"rules": {"op": "and", "rules": [{"field": "event", "operator": "has",'
        ' "value": {"kind": "product_view", "sku": "HW-\\u0000"}}]}}',
        "rules[0].value.sku",
    ),
    "lone surrogate in a key": ('{"rules": {"op": "and", "\\udc00": 1}}', "lone surrogate"),
    "lone surrogate in a country": (
        '{"rules": {"op": "and", "rules": [{"field": "account.country", "operator": "in",'
        ' "value": ["\\ud83d"]}]}}',
        "rules[0].value[0]",
    ),
    "date out of range": (
        json.dumps({"rules": condition("last_order", "after", "9999-12-31")}),
        "rules[0].value",
    ),
}


@pytest.mark.parametrize("body, reason", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_live_count_refuses_a_hostile_tree_with_the_reason(
    client, campaign_manager, body, reason
):
    client.force_login(campaign_manager)

    response = client.post(reverse("segment:preview"), body, content_type="application/json")

    assert response.status_code == 400
    assert reason in " ".join(response.json()["errors"])


FORM_HOSTILE = {
    "nested 5,000 deep": (nested(5000), "nested too deeply"),
    "NaN": (
        '{"op": "and", "rules": [{"field": "revenue", "operator": "gte",'
        ' "value": {"value": NaN}}]}',
        "NaN",
    ),
    "1e100": (json.dumps(condition("revenue", "gte", {"value": 1e100})), "rules[0].value.value"),
    "lone surrogate": (
        '{"op": "and", "rules": [{"field": "event", "operator": "has",'
        ' "value": {"kind": "product_view", "sku": "\\ud800"}}]}',
        "lone surrogate",
    ),
}


@pytest.mark.parametrize("kind", ["dynamic", "static"])
@pytest.mark.parametrize("rules, reason", FORM_HOSTILE.values(), ids=FORM_HOSTILE.keys())
def test_the_segment_form_refuses_a_hostile_tree_with_the_reason(
    client, campaign_manager, kind, rules, reason
):
    client.force_login(campaign_manager)

    response = client.post(
        reverse("segment:add"),
        {"name": "Hostile", "description": "", "kind": kind, "rules": rules},
    )

    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not Segment.objects.filter(name="Hostile").exists()


@pytest.mark.parametrize("rules, reason", FORM_HOSTILE.values(), ids=FORM_HOSTILE.keys())
def test_the_journey_rule_form_refuses_a_hostile_tree_with_the_reason(
    client, campaign_manager, rules, reason
):
    client.force_login(campaign_manager)

    response = client.post(
        reverse("journeyrule:add"),
        {"name": "Hostile", "phase": "loyalty", "conditions": rules, "sort_order": "9"},
    )

    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not JourneyRule.objects.filter(name="Hostile").exists()
