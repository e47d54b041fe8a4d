import re
import pytest
from playwright.sync_api import expect
from content.models import Product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

def dump(page, name):
    open(f"/tmp/explore/{name}.html", "w").write(page.content())
    page.screenshot(path=f"/tmp/explore/{name}.png", full_page=True)

def test_explore(admin_session, make_user, browser_problems):
    make_user("Editors", username="editor")
    make_user("Product data reviewers", username="r1")
    page = admin_session("editor")
    page.get_by_role("button", name="Content").click()
    dump(page, "menu")
    page.get_by_role("link", name="Products").click()
    dump(page, "listing")
    page.goto("/admin/snippets/content/product/add/?locale=de")
    page.get_by_label("SKU").fill("E2E-1")
    page.get_by_label("GTIN").fill("4006381333931")
    page.get_by_label("Name", exact=True).fill("Prüfschraube")
    page.get_by_label("Short text").fill("Kurz")
    ed = page.locator("[data-contentpath=long_text] .public-DraftEditor-content")
    ed.click()
    page.keyboard.type("Langer Text für alle Kanäle.")
    page.get_by_role("tab", name="Features").click()
    page.get_by_role("button", name="Add Feature").click()
    dump(page, "features")
    page.locator("#id_features-0-name").fill("Länge")
    page.locator("#id_features-0-value").fill("12")
    page.locator("#id_features-0-unit").fill("mm")
    page.locator("footer .w-dropdown__toggle").click()
    dump(page, "footer_menu")
    page.get_by_role("button", name="Submit to Content approval").click()
    page.wait_for_load_state("networkidle")
    dump(page, "after_submit")
    print(page.url)
    p = Product.objects.get(sku="E2E-1")
    print(p.live, p.long_text, list(p.features.all()), p.workflow_states.all())
    page2 = admin_session("r1")
    page2.goto(f"/admin/snippets/content/product/edit/{p.pk}/")
    dump(page2, "r1_edit")
    page2.locator("footer .w-dropdown__toggle").click()
    dump(page2, "r1_menu")
    print(browser_problems.as_text())
