"""The segment rule editor, clicked in headless chromium: conditions, live count, save."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from campaigns.models import Segment
from tests.factories import AccountFactory, ContactFactory, UserFactory

pytestmark = [
    pytest.mark.usefixtures("english"),
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_campaign_manager_builds_a_segment_and_sees_the_live_count(
    admin_session, browser_problems, shoot
):
    UserFactory(username="campaigns", groups=["Campaign managers"])
    ContactFactory(role="buyer", first_name="Erika", last_name="Einkauf")
    ContactFactory(role="buyer", first_name="Bernd", last_name="Beschaffung")
    ContactFactory(role="user", first_name="Uwe", last_name="Nutzer")
    page = admin_session("campaigns")

    page.goto("/admin/segment/new/")
    page.get_by_role("textbox", name="Name").fill("Einkäufer")
    page.get_by_role("button", name="+ Condition").click()
    condition = page.locator(".segment-rules__condition").first
    condition.get_by_label("Field").select_option("role")
    condition.get_by_label("Buyer / recommender").check()
    preview = page.locator("[data-segment-preview]")
    expect(preview.locator("[data-count]")).to_have_text("2")
    expect(preview.get_by_role("link", name="Erika Einkauf")).to_be_visible()
    shoot(page, "rule-and-live-count")
    page.get_by_role("button", name="Create").click()

    expect(page.get_by_text("Segment 'Einkäufer' created.")).to_be_visible()
    segment = Segment.objects.get(name="Einkäufer")
    assert segment.rules == {
        "op": "and",
        "rules": [{"field": "role", "operator": "in", "value": ["buyer"]}],
    }
    assert not browser_problems.as_text()


def test_enter_in_a_rule_value_confirms_it_and_does_not_submit_the_form(
    admin_session, browser_problems, shoot
):
    UserFactory(username="campaigns", groups=["Campaign managers"])
    ContactFactory(account=AccountFactory(industry="Maschinenbau", country="AT"))
    ContactFactory(account=AccountFactory(industry="Chemie", country="DE"))
    page = admin_session("campaigns")

    page.goto("/admin/segment/new/")
    page.get_by_role("textbox", name="Name").fill("Maschinenbauer")
    page.get_by_role("button", name="+ Condition").click()
    condition = page.locator(".segment-rules__condition").first
    condition.get_by_label("Field").select_option("account.industry")
    condition.get_by_label("Values").fill("Maschinenbau")
    condition.get_by_label("Values").press("Enter")

    # Still the add form, unsaved, with the value taken into the rules and counted.
    expect(page.locator("[data-segment-preview] [data-count]")).to_have_text("1")
    shoot(page, "enter-confirmed-the-value")
    assert page.url.endswith("/admin/segment/new/")
    assert not Segment.objects.exists()
    assert '"Maschinenbau"' in page.locator("textarea[name=rules]").input_value()
    assert not browser_problems.as_text()


def test_the_country_condition_offers_countries_by_name(admin_session, browser_problems, shoot):
    UserFactory(username="campaigns", groups=["Campaign managers"])
    ContactFactory(account=AccountFactory(country="AT"))
    ContactFactory(account=AccountFactory(country="DE"))
    page = admin_session("campaigns")

    page.goto("/admin/segment/new/")
    page.get_by_role("textbox", name="Name").fill("Österreich")
    page.get_by_role("button", name="+ Condition").click()
    condition = page.locator(".segment-rules__condition").first
    condition.get_by_label("Field").select_option("account.country")
    condition.get_by_label("Countries").select_option(label="Austria (AT)")
    expect(page.locator("[data-segment-preview] [data-count]")).to_have_text("1")
    shoot(page, "country-chosen-by-name")
    page.get_by_role("button", name="Create").click()

    expect(page.get_by_text("Segment 'Österreich' created.")).to_be_visible()
    assert Segment.objects.get(name="Österreich").rules["rules"] == [
        {"field": "account.country", "operator": "in", "value": ["AT"]}
    ]
    assert not browser_problems.as_text()
