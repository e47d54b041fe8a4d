"""Translating a product and the reviewer's feedback, clicked through the admin in chromium.

An editor translates a German product from the edit view's menu, sees which fields still
hold the German text and translates them; a reviewer requests changes and the editor sees
the comment at the top of the edit form.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from wagtail.models import WorkflowState

from content.models import Product
from tests.e2e.test_approval_in_browser import open_edit_view, open_footer_menu
from tests.factories import ProductFactory, locale

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def german_product(**fields) -> Product:
    return ProductFactory(
        sku=fields.pop("sku", "E2E-TR-1"),
        name=fields.pop("name", "Akku-Bohrschrauber"),
        short_text="Kompakt und kräftig",
        long_text='<p data-block-key="k0">Für Handwerk und Industrie.</p>',
        **fields,
    )


def replace_rich_text(page: Page, field: str, text: str) -> None:
    editor = page.locator(f"[data-contentpath='{field}'] [role='textbox'][contenteditable='true']")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    expect(editor).to_have_text(text)
    # Draftail writes its hidden input a moment after the last keystroke (stateSaveInterval):
    # wait for it, or a quick save posts the old text.
    expect(page.locator(f"input[name='{field}']")).to_have_value(re.compile(re.escape(text)))


def test_editor_translates_a_german_product_from_the_edit_menu(
    admin_session, make_user, shoot, browser_problems
):
    make_user("Editors", username="editor")
    product = german_product()

    # 1. The German product: its language, and "Translate" in the footer menu.
    page = admin_session("editor")
    open_edit_view(page, product)
    expect(page.locator("[data-hub-current-language]")).to_have_text("Deutsch")
    menu = open_footer_menu(page)
    translate = menu.get_by_role("link", name="Translate")
    expect(translate).to_be_visible()
    shoot(page, "german-edit-menu")
    translate.click()

    # 2. simple_translation's form, English ticked: the only language missing.
    english = page.get_by_role("checkbox", name=re.compile("English"))
    expect(english).to_be_checked()
    shoot(page, "translate-form")
    page.get_by_role("button", name="Submit").click()

    # 3. The English copy opens: language and the fields still in German.
    copy = Product.objects.get(translation_key=product.translation_key, locale=locale("en"))
    expect(page).to_have_url(re.compile(rf"/snippets/content/product/edit/{copy.pk}/$"))
    expect(page.locator("[data-hub-current-language]")).to_have_text("English")
    expect(page.locator("[data-hub-untranslated]")).to_have_text("name, short text, long text")
    expect(page.locator("[data-hub-language='de']")).to_be_visible()
    shoot(page, "english-copy-needs-translation")

    # 4. The editor translates the short and long text and confirms the name as it is.
    page.get_by_role("textbox", name="Short text").fill("Compact and powerful")
    replace_rich_text(page, "long_text", "For trade and industry.")
    page.get_by_role("checkbox", name="name").check()
    shoot(page, "english-copy-translated")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("status")).to_contain_text("updated")
    shoot(page, "english-copy-saved")
    expect(page.locator("[data-hub-needs-translation]")).to_have_count(0)

    # 5. The listing no longer says "needs translation" for it.
    page.goto("/admin/snippets/content/product/")
    expect(page.get_by_role("row").filter(has_text="English")).not_to_contain_text(
        "needs translation"
    )
    shoot(page, "listing-after-translation")

    assert not browser_problems.as_text(), browser_problems.as_text()


def test_editor_sees_the_reviewers_comment_after_request_changes(
    admin_session, make_user, shoot, browser_problems
):
    make_user("Editors", username="editor")
    make_user("Product data reviewers", username="productreviewer", first_name="Petra")
    product = german_product(sku="E2E-TR-2", name="Flachdübel 6 mm")

    # 1. The editor submits the product.
    page = admin_session("editor")
    open_edit_view(page, product)
    open_footer_menu(page).get_by_role("button", name="Submit to Content approval").click()
    expect(page.get_by_role("status")).to_contain_text("submitted for moderation")
    shoot(page, "editor-submitted")

    # 2. The reviewer requests changes with a comment.
    reviewer = admin_session("productreviewer")
    open_edit_view(reviewer, product)
    open_footer_menu(reviewer).get_by_role("button", name="Request changes").click()
    dialog = reviewer.get_by_role("dialog").filter(
        has=reviewer.get_by_role("textbox", name="Comment")
    )
    dialog.get_by_role("textbox", name="Comment").fill("Bitte die Spannung im Namen nennen.")
    shoot(reviewer, "reviewer-request-changes")
    dialog.get_by_role("button", name="Request changes").click()
    expect(reviewer.get_by_role("status")).to_be_visible()
    assert product.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES

    # 3. The editor opens the product: the comment is at the top of the form.
    open_edit_view(page, product)
    feedback = page.locator("[data-hub-review-feedback]")
    expect(feedback).to_contain_text("requested changes (Product data review)")
    expect(page.locator("[data-hub-review-comment]")).to_have_text(
        "Bitte die Spannung im Namen nennen."
    )
    shoot(page, "editor-sees-comment")

    # 4. Resubmitted, the banner is gone.
    open_footer_menu(page).get_by_role("button", name=re.compile("Resubmit|Submit")).first.click()
    expect(page.get_by_role("status")).to_contain_text("submitted for moderation")
    open_edit_view(page, product)
    expect(page.locator("[data-hub-review-feedback]")).to_have_count(0)
    shoot(page, "editor-resubmitted")

    assert not browser_problems.as_text(), browser_problems.as_text()
