"""The Content-Security-Policy, as chromium enforces it: nothing on the admin (dashboard,
Draftail editor, two-factor setup) or the public pages is refused (a refusal shows up as a
console error naming the policy).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaigns.tracking import delivery_token
from tests.admin_flow import admin_url
from tests.factories import ContactFactory, DeliveryFactory, ProductFactory, UserFactory

pytestmark = [
    pytest.mark.usefixtures("english"),
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def csp_refusals(browser_problems) -> list[str]:
    return [
        message
        for message in [*browser_problems.console_errors, *browser_problems.page_errors]
        if "Content Security Policy" in message or "Content-Security-Policy" in message
    ]


def test_admin_and_public_pages_work_under_the_policy(
    admin_session, browser_problems, live_server, shoot
):
    UserFactory(username="admin", is_superuser=True)
    product = ProductFactory(name="Sechskantschraube M8")
    delivery = DeliveryFactory(contact=ContactFactory(email="maria@example.com", language="en"))

    page = admin_session("admin")
    shoot(page, "dashboard")
    policy = page.request.get("/admin/").headers["content-security-policy"]

    page.goto(admin_url("product", "edit", product.pk))
    editor = page.locator(".Draftail-Editor [contenteditable=true]").first
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.type("Verzinkt.")
    expect(editor).to_contain_text("Verzinkt.")
    shoot(page, "product-edit")

    page.goto("/admin/two-factor/")
    expect(page.locator(".two-factor-qr svg")).to_be_visible()
    shoot(page, "two-factor-setup")

    page.goto(f"/t/u/{delivery_token(delivery.pk)}/")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading")).to_contain_text(re.compile("unsubscribed", re.I))
    shoot(page, "unsubscribed")

    page.goto("/api/v1/docs")
    title = page.get_by_role("heading", name=re.compile("Content & Campaign Hub API"))
    expect(title).to_be_visible()
    shoot(page, "api-docs")

    assert "script-src 'self'" in policy
    assert csp_refusals(browser_problems) == [], browser_problems.as_text()
    assert browser_problems.as_text() == ""
