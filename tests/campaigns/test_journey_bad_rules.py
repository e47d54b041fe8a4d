"""A journey rule with a date out of range is refused in the admin, and one saved before
that check existed is skipped and flagged: the other rules still run."""

import json
import logging
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import Contact, JourneyRule
from campaigns.services.journey import journey_evaluate
from tests.factories import ContactFactory, EventFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def last_order(operator, date):
    return {"op": "and", "rules": [{"field": "last_order", "operator": operator, "value": date}]}


OPENED_AN_EMAIL = {
    "op": "and",
    "rules": [{"field": "event", "operator": "has", "value": {"kind": "email_open"}}],
}


@pytest.fixture
def only_rules():
    """Leave only the rules a test makes."""
    JourneyRule.objects.all().delete()


@pytest.mark.parametrize(("operator", "date"), [("before", "0001-01-01"), ("after", "9999-12-31")])
def test_a_saved_rule_with_a_date_out_of_range_is_skipped_and_flagged(
    only_rules, operator, date, caplog
):
    broken = JourneyRule.objects.create(
        name="Broken", phase="loyalty", sort_order=1, conditions=last_order(operator, date)
    )
    JourneyRule.objects.create(
        name="Opened", phase="awareness", sort_order=2, conditions=OPENED_AN_EMAIL
    )
    contact = ContactFactory(phase="")
    EventFactory(contact=contact, kind="email_open", occurred_at=NOW)

    with time_machine.travel(NOW, tick=False), caplog.at_level(logging.WARNING):
        result = journey_evaluate()

    assert Contact.objects.get(pk=contact.pk).phase == "awareness"
    assert result.moved["awareness"] == 1
    broken.refresh_from_db()
    assert "1900-01-01 and 2999-12-31" in broken.last_error
    assert broken.last_error_at == NOW
    assert f"journey.rule_skipped rule={broken.pk}" in caplog.text


def test_a_flagged_rule_shows_its_problem_in_the_listing(client, campaign_manager, only_rules):
    JourneyRule.objects.create(
        name="Broken", phase="loyalty", conditions=last_order("after", "9999-12-31")
    )
    journey_evaluate()
    client.force_login(campaign_manager)

    response = client.get(reverse("journeyrule:index"))

    assert response.status_code == 200
    assert "must lie between 1900-01-01 and 2999-12-31" in response.content.decode()


def test_saving_a_fixed_rule_in_the_admin_clears_its_problem(client, campaign_manager, only_rules):
    rule = JourneyRule.objects.create(
        name="Broken", phase="loyalty", conditions=last_order("after", "9999-12-31")
    )
    journey_evaluate()
    client.force_login(campaign_manager)

    response = client.post(
        reverse("journeyrule:edit", args=[rule.pk]),
        {
            "name": "Fixed",
            "phase": "loyalty",
            "conditions": json.dumps(last_order("after", "2026-01-01")),
            "sort_order": "0",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.last_error, rule.last_error_at) == ("Fixed", "", None)


@pytest.mark.parametrize(
    ("operator", "date"),
    [
        ("before", "0001-01-01"),
        ("after", "9999-12-31"),
        ("after", "1899-12-31"),
        ("before", "3000-01-01"),
    ],
)
def test_the_admin_refuses_a_rule_with_a_date_out_of_range(
    client, campaign_manager, operator, date
):
    client.force_login(campaign_manager)

    response = client.post(
        reverse("journeyrule:add"),
        {
            "name": "Far out",
            "phase": "loyalty",
            "conditions": json.dumps(last_order(operator, date)),
            "sort_order": "9",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert "rules[0].value" in response.content.decode()
    assert "between 1900-01-01 and 2999-12-31" in response.content.decode()
    assert not JourneyRule.objects.filter(name="Far out").exists()


def test_the_window_edges_are_accepted(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.post(
        reverse("journeyrule:add"),
        {
            "name": "Edges",
            "phase": "loyalty",
            "conditions": json.dumps(
                {
                    "op": "and",
                    "rules": [
                        last_order("after", "1900-01-01"),
                        last_order("before", "2999-12-31"),
                    ],
                }
            ),
            "sort_order": "9",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    journey_evaluate()
    assert JourneyRule.objects.get(name="Edges").last_error == ""


def test_the_edit_view_shows_why_the_rule_was_skipped(client, campaign_manager, only_rules):
    rule = JourneyRule.objects.create(
        name="Broken", phase="loyalty", conditions=last_order("after", "9999-12-31")
    )
    journey_evaluate()
    client.force_login(campaign_manager)

    response = client.get(reverse("journeyrule:edit", args=[rule.pk]))

    assert response.status_code == 200
    assert "must lie between 1900-01-01 and 2999-12-31" in response.content.decode()
