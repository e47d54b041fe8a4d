"""The Content-Security-Policy, as chromium enforces it: nothing on the admin (dashboard,
Draftail editor, two-factor setup) or the public pages is refused (a refusal shows up as a
console error naming the policy).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaigns.services.campaigns import campaign_test_send
from campaigns.tracking import delivery_token
from tests.admin_flow import admin_url
from tests.campaigns.campaign_setup import live_message, newsletter_campaign
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


def web_version_of_a_test_mail(sink) -> str:
    """The "view in browser" link in a test mail of a new campaign."""
    live_message("de")
    ContactFactory(role="buyer", phase="awareness")
    campaign_test_send(
        campaign=newsletter_campaign(),
        key="de:buyer:awareness:-",
        addresses=["qa@example.com"],
        user=UserFactory(),
    )
    html = sink.received[-1].message.get_body(("html",)).get_content()
    [url] = re.findall(r'"(https?://[^"]+/t/w/[^"\s<>]+)"', html)
    return url


def test_admin_and_public_pages_work_under_the_policy(
    admin_session, browser_problems, live_server, shoot, newsletter_sink, settings
):
    # The mail's absolute links (pixel, web version) point at the server the browser uses.
    settings.WAGTAILADMIN_BASE_URL = live_server.url
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

    page.goto(f"/t/p/{delivery_token(delivery.pk)}/")
    expect(page.locator("[data-state=unsubscribed]")).to_contain_text("no longer receives")
    page.get_by_role("button", name="Subscribe again").click()
    expect(page.get_by_role("heading")).to_contain_text("Please confirm in the new e-mail")
    shoot(page, "subscribe-again")
    assert [list(mail.recipients) for mail in newsletter_sink.received] == [["maria@example.com"]]

    page.goto(web_version_of_a_test_mail(newsletter_sink))
    expect(page.get_by_text("Unsere Neuheiten im Überblick.")).to_be_visible()
    shoot(page, "web-version")

    page.goto("/api/v1/docs")
    title = page.get_by_role("heading", name=re.compile("Content & Campaign Hub API"))
    expect(title).to_be_visible()
    shoot(page, "api-docs")

    assert "script-src 'self'" in policy
    assert csp_refusals(browser_problems) == [], browser_problems.as_text()
    assert browser_problems.as_text() == ""
