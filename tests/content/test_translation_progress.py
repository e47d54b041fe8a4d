"""Translate from the edit view, the copy's untranslated fields, the editor's briefing and
what a reviewer is told after approving."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from wagtail.users.models import UserProfile

from content.models import AudienceMessage, Product
from content.selectors import product_completeness, products_with_completeness
from content.services import content_reject, content_submit, content_translate
from tests.admin_flow import admin_url, reload, submit_and_approve
from tests.admin_posts import message_post, product_post
from tests.factories import AudienceMessageFactory, ProductFactory, locale
from tests.listing_queries import assert_constant_queries

pytestmark = pytest.mark.django_db


def speaks(user, language: str):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    return user


@pytest.fixture
def german_product(editor):
    return ProductFactory(
        sku="TP-1",
        name="Akku-Bohrschrauber",
        short_text="Kompakt und kräftig",
        # As the editor stores it, so that posting the form unchanged changes nothing.
        long_text='<p data-block-key="k0">Für Handwerk und Industrie.</p>',
    )


def translate_url(product):
    return reverse(
        "simple_translation:submit_snippet_translation", args=("content", "product", product.pk)
    )


def translate(client, product, language_code="en"):
    return client.post(translate_url(product), {"locales": [locale(language_code).pk]})


def english_copy(product):
    return Product.objects.get(translation_key=product.translation_key, locale=locale("en"))


def edit(client, product, **fields):
    data = {
        "sku": product.sku,
        "gtin": product.gtin,
        "brand": product.brand,
        "manufacturer_part_number": product.manufacturer_part_number,
        "name": product.name,
        "short_text": product.short_text,
        "long_text": re.sub(r"<[^>]+>", "", product.long_text),
    }
    data.update(fields)
    return client.post(admin_url("product", "edit", product.pk), product_post(**data))


def listed_skus(client, **params):
    response = client.get(admin_url("product", "list"), params)
    return re.findall(r'data-hub-needs-translation title="([^"]*)"', response.content.decode())


def test_edit_menu_offers_translate_to_the_editor(client, editor, german_product):
    client.force_login(speaks(editor, "en"))

    page = client.get(admin_url("product", "edit", german_product.pk)).content.decode()

    assert f'class="button hub-action-translate" href="{translate_url(german_product)}"' in page


def test_edit_menu_has_no_translate_for_a_user_who_may_not_add(
    client, product_reviewer, german_product
):
    client.force_login(product_reviewer)

    page = client.get(admin_url("product", "edit", german_product.pk)).content.decode()

    assert "hub-action-translate" not in page


def test_edit_menu_has_no_translate_once_every_language_exists(client, editor, german_product):
    client.force_login(editor)
    translate(client, german_product)

    page = client.get(admin_url("product", "edit", german_product.pk)).content.decode()

    assert "hub-action-translate" not in page


def test_translate_form_ticks_the_only_missing_language(client, editor, german_product):
    client.force_login(editor)

    page = client.get(translate_url(german_product)).content.decode()

    english = locale("en").pk
    boxes = re.findall(r"<input[^>]*name=\"locales\"[^>]*>", page)
    assert len(boxes) == 1
    assert f'value="{english}"' in boxes[0]
    assert "checked" in boxes[0]


def test_user_who_may_not_add_cannot_translate(client, product_reviewer, german_product):
    client.force_login(product_reviewer)

    translate(client, german_product)

    assert not Product.objects.filter(locale=locale("en")).exists()


def test_copy_opens_with_its_text_fields_marked_as_needing_translation(
    client, editor, german_product
):
    client.force_login(speaks(editor, "en"))

    response = translate(client, german_product)

    copy = english_copy(german_product)
    assert response.url == admin_url("product", "edit", copy.pk)
    page = client.get(response.url).content.decode()
    untranslated = re.search(r"data-hub-untranslated>([^<]*)<", page).group(1)
    assert untranslated == "name, short text, long text"


def test_copy_is_not_complete_while_its_text_is_the_source_language(client, editor, german_product):
    client.force_login(editor)
    translate(client, german_product)

    copy = products_with_completeness(Product.objects.filter(locale=locale("en"))).get()

    assert all(not cell.complete and cell.percent < 100 for cell in product_completeness(copy))


def test_listing_shows_and_filters_copies_needing_translation(client, editor, german_product):
    client.force_login(speaks(editor, "en"))
    ProductFactory(sku="TP-2", name="Anderes Produkt")
    translate(client, german_product)

    flagged = listed_skus(client)
    filtered = client.get(admin_url("product", "list"), {"needs_translation": "true"})

    assert flagged == ["name, short text, long text"]
    page = filtered.content.decode()
    assert "TP-1" in page
    assert "TP-2" not in page


def test_translated_fields_leave_the_list_and_a_confirmed_one_counts(
    client, editor, german_product
):
    client.force_login(speaks(editor, "en"))
    translate(client, german_product)
    copy = english_copy(german_product)

    edit(
        client,
        copy,
        name="Akku-Bohrschrauber",
        short_text="Compact and powerful",
        long_text="For trade and industry.",
        translation_confirmed="name",
    )

    assert listed_skus(client) == []
    page = client.get(admin_url("product", "edit", copy.pk)).content.decode()
    assert "data-hub-needs-translation" not in page
    copy = products_with_completeness(Product.objects.filter(pk=copy.pk)).get()
    assert all(
        "(not translated)" not in ", ".join(c.missing_labels) for c in product_completeness(copy)
    )


def test_saving_the_source_text_unchanged_does_not_count_as_translated(
    client, editor, german_product
):
    client.force_login(speaks(editor, "en"))
    translate(client, german_product)
    copy = english_copy(german_product)

    edit(client, copy, short_text="Compact and powerful")

    page = client.get(admin_url("product", "edit", copy.pk)).content.decode()
    assert re.search(r"data-hub-untranslated>([^<]*)<", page).group(1) == "name, long text"


def test_edit_view_names_the_language_and_links_the_others(client, editor, german_product):
    client.force_login(speaks(editor, "en"))
    before = client.get(admin_url("product", "edit", german_product.pk)).content.decode()
    translate(client, german_product)
    copy = english_copy(german_product)

    after = client.get(admin_url("product", "edit", copy.pk)).content.decode()

    assert re.search(r"data-hub-current-language>([^<]*)<", before).group(1) == "Deutsch"
    assert f'href="{translate_url(german_product)}" data-hub-translate="en"' in before
    assert re.search(r"data-hub-current-language>([^<]*)<", after).group(1) == "English"
    edit_german = admin_url("product", "edit", german_product.pk)
    assert f'href="{edit_german}" data-hub-language="de"' in after


def test_editor_sees_the_reviewers_comment_until_resubmitting(
    client, editor, product_reviewer, german_product
):
    product_reviewer.first_name, product_reviewer.last_name = "Petra", "Prüfer"
    product_reviewer.save()
    content_submit(obj=german_product, user=editor)
    content_reject(obj=reload(german_product), user=product_reviewer, comment="Spannung fehlt")
    client.force_login(speaks(editor, "en"))

    page = client.get(admin_url("product", "edit", german_product.pk)).content.decode()
    content_submit(obj=reload(german_product), user=editor)
    resubmitted = client.get(admin_url("product", "edit", german_product.pk)).content.decode()

    assert "Petra Prüfer requested changes (Product data review)" in page
    assert re.search(r"data-hub-review-comment>([^<]*)<", page).group(1) == "Spannung fehlt"
    assert "data-hub-review-feedback" not in resubmitted


def approve_in_editor(client, product):
    return client.post(
        admin_url("product", "edit", product.pk),
        {
            **product_post(
                sku=product.sku,
                gtin=product.gtin,
                brand=product.brand,
                manufacturer_part_number=product.manufacturer_part_number,
                name=product.name,
                short_text=product.short_text,
                long_text="Für Handwerk und Industrie.",
            ),
            "action-workflow-action": "action-workflow-action",
            "workflow-action-name": "approve",
            "workflow-action-extra-data": json.dumps({}),
        },
    )


def messages_of(response):
    # Wagtail renders a message with its buttons ("Edit"): the text is the first line.
    return [str(message).strip().splitlines()[0] for message in get_messages(response.wsgi_request)]


def test_approving_a_middle_step_says_which_step_is_next(
    client, editor, product_reviewer, german_product
):
    content_submit(obj=german_product, user=editor)
    client.force_login(speaks(product_reviewer, "en"))

    response = approve_in_editor(client, reload(german_product))

    assert messages_of(response) == [
        "“Akku-Bohrschrauber (TP-1)” approved - waiting for Legal review."
    ]


def test_approving_the_last_step_says_now_live_in_german(client, editor, reviewers, german_product):
    product = submit_and_approve(german_product, editor, reviewers, steps=2)
    client.force_login(speaks(reviewers[2], "de"))

    response = approve_in_editor(client, product)

    assert reload(product).live
    assert messages_of(response) == ["„Akku-Bohrschrauber (TP-1)“ freigegeben - jetzt live."]


def test_approving_from_the_task_list_says_what_happened(
    client, editor, product_reviewer, german_product
):
    content_submit(obj=german_product, user=editor)
    task_state = reload(german_product).current_workflow_task_state
    client.force_login(speaks(product_reviewer, "en"))

    response = client.post(
        admin_url("product", "workflow_action", german_product.pk, "approve", task_state.pk)
    )

    assert messages_of(response) == [
        "“Akku-Bohrschrauber (TP-1)” approved - waiting for Legal review."
    ]


@pytest.mark.parametrize("model", ["product", "message"])
def test_listings_with_copies_needing_translation_cost_constant_queries(client, make_user, model):
    client.force_login(make_user(is_superuser=True))

    def make_rows(n: int) -> None:
        for _ in range(n):
            source = ProductFactory() if model == "product" else AudienceMessageFactory()
            content_translate(obj=source, locales=[locale("en")], user=None)

    assert_constant_queries(client, admin_url(model, "list"), make_rows)


def test_message_copy_needs_translation_until_its_text_is_translated(client, editor):
    message = AudienceMessageFactory(headline="Sparen Sie Zeit", body="<p>Mit weniger Aufwand.</p>")
    client.force_login(speaks(editor, "en"))

    client.post(
        reverse(
            "simple_translation:submit_snippet_translation",
            args=("content", "audiencemessage", message.pk),
        ),
        {"locales": [locale("en").pk]},
    )
    copy = AudienceMessage.objects.get(locale=locale("en"))
    before = client.get(admin_url("message", "edit", copy.pk)).content.decode()
    client.post(
        admin_url("message", "edit", copy.pk),
        message_post(headline="Save time", body="With less effort."),
    )
    after = client.get(admin_url("message", "edit", copy.pk)).content.decode()

    assert re.search(r"data-hub-untranslated>([^<]*)<", before).group(1) == "headline, body"
    assert "data-hub-needs-translation" not in after
