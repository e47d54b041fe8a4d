"""Campaign managers edit the journey rules in the admin; nobody else does."""

import json

import pytest
from django.urls import reverse

from campaigns.models import JourneyRule

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name": "Consideration: viewed the catalogue",
        "phase": "consideration",
        "from_phases": ["", "awareness"],
        "conditions": json.dumps(
            {
                "op": "and",
                "rules": [
                    {
                        "field": "event",
                        "operator": "has",
                        "value": {"kind": "product_view", "min_count": 3, "within_days": 14},
                    }
                ],
            }
        ),
        "sort_order": "4",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_the_rules_are_listed_in_their_order(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.get(reverse("journeyrule:index"))

    assert response.status_code == 200
    names = [rule.name for rule in JourneyRule.objects.order_by("sort_order")]
    content = response.content.decode()
    positions = [content.index(name) for name in names]
    assert positions == sorted(positions)


def test_a_campaign_manager_adds_a_rule(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.post(reverse("journeyrule:add"), form_data())

    assert response.status_code == 302
    rule = JourneyRule.objects.get(name="Consideration: viewed the catalogue")
    assert rule.from_phases == ["", "awareness"]
    assert rule.conditions["rules"][0]["value"]["min_count"] == 3


def test_a_rule_with_an_unknown_field_is_refused_with_its_place(client, campaign_manager):
    client.force_login(campaign_manager)
    bad = {"op": "and", "rules": [{"field": "salary", "operator": "gte", "value": 1}]}

    response = client.post(reverse("journeyrule:add"), form_data(conditions=json.dumps(bad)))

    assert response.status_code == 200
    assert "rules[0].field" in response.content.decode()
    assert not JourneyRule.objects.filter(name="Consideration: viewed the catalogue").exists()


@pytest.mark.parametrize("group", ["Editors", "Channel integrators", "Marketing approvers"])
def test_other_groups_cannot_see_or_change_the_rules(client, make_user, group):
    client.force_login(make_user(group))
    rule = JourneyRule.objects.first()

    listing = client.get(reverse("journeyrule:index"))
    edit = client.post(reverse("journeyrule:edit", args=[rule.pk]), form_data(name="Hijacked"))

    assert listing.status_code in (302, 403)
    assert edit.status_code in (302, 403)
    assert not JourneyRule.objects.filter(name="Hijacked").exists()
