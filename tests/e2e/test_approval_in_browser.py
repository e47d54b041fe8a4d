"""The content approval workflow, clicked through the real Wagtail admin in headless chromium.

An editor creates a product and submits it; the three review groups approve it in turn, each
in their own browser. Only the third approval makes the product live.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from wagtail.models import Locale, TaskState, Workflow, WorkflowState

from content.models import Product
from tests.factories import ProductFactory

# transaction=True: the live server's thread must see what the test commits.
# serialized_rollback=True: the flush after a transactional test also empties what the data
# migrations created (locales, groups, the workflow); this restores it for the next test.
pytestmark = [
    pytest.mark.usefixtures("english"),
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SKU = "E2E-4711"
GTIN = "4006381333931"
NAME = "Sechskantschraube M8"
LONG_TEXT = "Verzinkte Schraube für Holz und Metall."

# (group, username, the workflow step that group approves)
REVIEWERS = [
    ("Product data reviewers", "productreviewer", "Product data review"),
    ("Legal reviewers", "legalreviewer", "Legal review"),
    ("Marketing approvers", "marketingapprover", "Marketing approval"),
]

# --- admin UI helpers ---------------------------------------------------------------------


def open_products_from_menu(page: Page) -> None:
    """Sidebar: Content -> Products."""
    sidebar = page.get_by_role("navigation", name="Main menu")
    sidebar.get_by_role("button", name="Content").click()
    sidebar.get_by_role("link", name="Products").click()
    expect(page.get_by_role("heading", name="Products")).to_be_visible()


def open_footer_menu(page: Page) -> Locator:
    """The sticky footer's action menu (the arrow next to "Save draft"), opened."""
    footer = page.locator("footer").filter(
        has=page.get_by_role("navigation", name="Actions (footer)")
    )
    footer.get_by_role("button", name="More actions").click()
    menu = footer.locator(".w-dropdown__content")
    expect(menu).to_be_visible()
    page.wait_for_timeout(300)  # the menu fades in; let the screenshot show it solid
    return menu


def open_status_panel(page: Page) -> Locator:
    """The edit view's status side panel (the "i" button in the header), opened."""
    toggle = page.get_by_role("button", name="Toggle status")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    panel = page.locator("[data-side-panel='status']")
    expect(panel).to_be_visible()
    return panel


def open_edit_view(page: Page, product: Product) -> None:
    page.goto(f"/admin/snippets/content/product/edit/{product.pk}/")
    expect(page.get_by_role("heading", name=str(product))).to_be_visible()


def expect_in_moderation_at(page: Page, product: Product, step: str) -> None:
    open_edit_view(page, product)
    panel = open_status_panel(page)
    expect(panel.get_by_role("heading", name="Status: In Moderation")).to_be_visible()
    expect(panel).to_contain_text(f"Sent to {step}")
    expect(panel.get_by_role("heading", name="Status: Live")).to_have_count(0)


def expect_live(page: Page, product: Product) -> None:
    open_edit_view(page, product)
    panel = open_status_panel(page)
    expect(panel.get_by_role("heading", name="Status: Live")).to_be_visible()
    expect(panel.get_by_role("heading", name="Status: In Moderation")).to_have_count(0)


def approved_steps(workflow_state: WorkflowState) -> list[str]:
    return [
        task_state.task.name
        for task_state in workflow_state.task_states.filter(
            status=TaskState.STATUS_APPROVED
        ).order_by("pk")
    ]


def submit_product_in_moderation(editor, **fields) -> Product:
    """A saved product that the editor has submitted to "Content approval"."""
    product = ProductFactory(**fields)
    product.save_revision(user=editor)
    Workflow.objects.get(name="Content approval").start(product, editor)
    return product


# --- tests ------------------------------------------------------------------------------


def test_editor_submits_and_each_reviewer_approves_in_the_footer_menu(
    admin_session, make_user, shoot, browser_problems
):
    make_user("Editors", username="editor")
    for group, username, _step in REVIEWERS:
        make_user(group, username=username)

    # 1. The editor creates the product and submits it to the workflow.
    page = admin_session("editor")
    shoot(page, "editor-dashboard")
    open_products_from_menu(page)
    shoot(page, "editor-products-listing")
    page.get_by_role("link", name="Add product").first.click()
    expect(page.get_by_role("heading", name="Product", exact=True)).to_be_visible()

    page.get_by_role("textbox", name="SKU").fill(SKU)
    page.get_by_role("textbox", name="GTIN").fill(GTIN)
    page.get_by_role("textbox", name=re.compile(r"^Name\W*$")).fill(NAME)
    page.get_by_role("textbox", name="Short text").fill("Kurz und verzinkt")
    draftail = page.locator(
        "[data-contentpath='long_text'] [role='textbox'][contenteditable='true']"
    )
    draftail.click()
    page.keyboard.type(LONG_TEXT)
    expect(draftail).to_contain_text(LONG_TEXT)
    shoot(page, "editor-content-tab")

    page.get_by_role("tab", name="Features").click()
    page.get_by_role("button", name=re.compile(r"^Add feature$", re.IGNORECASE)).click()
    page.locator("#id_features-0-name").fill("Länge")
    page.locator("#id_features-0-value").fill("80")
    page.locator("#id_features-0-unit").fill("mm")
    shoot(page, "editor-features-tab")

    submit = open_footer_menu(page).get_by_role("button", name="Submit to Content approval")
    expect(submit).to_be_visible()
    shoot(page, "editor-footer-menu")
    submit.click()

    expect(page.get_by_role("status")).to_contain_text(
        f"'{NAME} ({SKU})' created and submitted for moderation"
    )
    row = page.get_by_role("row").filter(has_text=SKU)
    expect(row).to_contain_text(re.compile("in moderation", re.IGNORECASE))
    shoot(page, "editor-submitted")

    product = Product.objects.get(sku=SKU)
    assert product.name == NAME
    assert product.locale == Locale.get_default()  # English here: the english fixture
    assert LONG_TEXT in product.long_text
    assert [(f.name, f.value, f.unit) for f in product.features.all()] == [("Länge", "80", "mm")]
    assert not product.live
    workflow_state = product.current_workflow_state
    assert workflow_state.workflow.name == "Content approval"
    assert workflow_state.current_task_state.task.name == "Product data review"

    # 2. Each review group opens the product and approves its step in the footer menu.
    for index, (group, username, step) in enumerate(REVIEWERS):
        page = admin_session(username)
        expect_in_moderation_at(page, product, step)
        shoot(page, f"{username}-before-approval")

        menu = open_footer_menu(page)
        expect(menu.get_by_role("button", name="Request changes")).to_be_visible()
        expect(menu.get_by_role("button", name="Approve with comment")).to_be_visible()
        shoot(page, f"{username}-footer-menu")
        menu.get_by_role("button", name="Approve", exact=True).click()
        # The reviewer learns what the approval did: the next step, or live.
        outcome = (
            f"waiting for {REVIEWERS[index + 1][2]}." if index < len(REVIEWERS) - 1 else "now live."
        )
        expect(page.get_by_role("status")).to_contain_text(f"“{NAME} ({SKU})” approved - {outcome}")
        shoot(page, f"{username}-approved")

        workflow_state.refresh_from_db()
        assert approved_steps(workflow_state) == [s for _g, _u, s in REVIEWERS[: index + 1]], (
            f"after the {group}' approval"
        )

        product.refresh_from_db()
        if index < len(REVIEWERS) - 1:
            assert not product.live, f"live after only {index + 1} approval(s)"
            expect_in_moderation_at(page, product, REVIEWERS[index + 1][2])
        else:
            assert product.live, "not live after the third approval"
            expect_live(page, product)
        shoot(page, f"{username}-status-after-approval")

    # 3. Live: the database, the edit view and the listing agree.
    product = Product.objects.get(sku=SKU)
    assert product.live
    assert not product.has_unpublished_changes
    workflow_state.refresh_from_db()
    assert workflow_state.status == WorkflowState.STATUS_APPROVED
    open_products_from_menu(page)
    expect(page.get_by_role("row").filter(has_text=SKU)).to_contain_text(
        re.compile(r"\blive\b", re.IGNORECASE)
    )
    shoot(page, "listing-live")

    assert not browser_problems.as_text(), browser_problems.as_text()


def test_reviewers_approve_from_their_dashboard_and_only_the_third_approval_publishes(
    admin_session, make_user, shoot, browser_problems
):
    editor = make_user("Editors", username="editor")
    for group, username, _step in REVIEWERS:
        make_user(group, username=username)
    product = submit_product_in_moderation(editor, sku=SKU, name=NAME)
    workflow_state = product.current_workflow_state

    for index, (group, username, step) in enumerate(REVIEWERS):
        page = admin_session(username)
        expect_in_moderation_at(page, product, step)
        shoot(page, f"{username}-before-approval")

        page.goto("/admin/")
        awaiting = page.get_by_role("region", name="Awaiting your review")
        row = awaiting.get_by_role("row").filter(has_text=SKU)
        row.get_by_role("button", name="Actions").click()
        approve = row.get_by_role("button", name="Approve", exact=True)
        expect(approve).to_be_visible()
        page.wait_for_timeout(300)  # the dropdown fades in
        shoot(page, f"{username}-dashboard-actions")
        approve.click()
        expect(page.get_by_role("region", name="Awaiting your review")).to_have_count(0)
        shoot(page, f"{username}-dashboard-after-approval")

        workflow_state.refresh_from_db()
        assert approved_steps(workflow_state) == [s for _g, _u, s in REVIEWERS[: index + 1]], (
            f"after the {group}' approval"
        )
        product.refresh_from_db()
        if index < len(REVIEWERS) - 1:
            assert not product.live, f"live after only {index + 1} approval(s)"
            expect_in_moderation_at(page, product, REVIEWERS[index + 1][2])
        else:
            assert product.live, "not live after the third approval"
            expect_live(page, product)
        shoot(page, f"{username}-status-after-approval")

    assert workflow_state.status == WorkflowState.STATUS_APPROVED
    assert not product.has_unpublished_changes
    open_products_from_menu(page)
    expect(page.get_by_role("row").filter(has_text=SKU)).to_contain_text(
        re.compile(r"\blive\b", re.IGNORECASE)
    )
    shoot(page, "listing-live")

    assert not browser_problems.as_text(), browser_problems.as_text()


def test_request_changes_is_refused_without_a_comment(
    admin_session, make_user, shoot, browser_problems
):
    editor = make_user("Editors", username="editor")
    make_user("Product data reviewers", username="productreviewer")
    product = submit_product_in_moderation(editor, sku="E2E-0815", name="Flachdübel 6 mm")
    workflow_state = product.current_workflow_state

    page = admin_session("productreviewer")
    open_edit_view(page, product)
    request_changes = open_footer_menu(page).get_by_role("button", name="Request changes")
    with page.expect_response(re.compile(r"/workflow/collect_action_data/")) as modal_response:
        request_changes.click()
    assert modal_response.value.status == 200

    dialog = page.get_by_role("dialog").filter(has=page.get_by_role("textbox", name="Comment"))
    expect(dialog).to_be_visible()
    shoot(page, "request-changes-modal")
    dialog.get_by_role("button", name="Request changes").click()
    expect(dialog).to_contain_text("This field is required")
    shoot(page, "request-changes-refused")

    workflow_state.refresh_from_db()
    assert workflow_state.status == WorkflowState.STATUS_IN_PROGRESS
    assert workflow_state.current_task_state.status == TaskState.STATUS_IN_PROGRESS

    # With a comment the request goes through and the product goes back to the editor.
    dialog.get_by_role("textbox", name="Comment").fill("Bitte die Länge ergänzen.")
    dialog.get_by_role("button", name="Request changes").click()
    expect(page.get_by_role("status")).to_contain_text("'Flachdübel 6 mm (E2E-0815)' updated")
    shoot(page, "request-changes-sent")

    workflow_state.refresh_from_db()
    assert workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    rejected = workflow_state.task_states.get(status=TaskState.STATUS_REJECTED)
    assert rejected.specific.get_comment() == "Bitte die Länge ergänzen."
    product.refresh_from_db()
    assert not product.live

    assert not browser_problems.as_text(), browser_problems.as_text()
