"""Bad input in the admin forms: the form comes back with the error on the right field, and
nothing is written (no row, no feature, no image, no revision)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.images.models import Image
from wagtail.models import Revision

from content.models import AudienceMessage, Product, ProductFeature
from content.services import content_save_draft
from tests.admin_flow import admin_url
from tests.admin_posts import message_post, product_post
from tests.factories import ProductFactory, locale, png_bytes

FEATURE = {"name": "Länge", "value": "12", "unit": "mm"}
NAMELESS_FEATURE = {"name": "", "value": "3", "unit": "kg"}
SUBMIT = {"action-submit": "action-submit"}


# (id, POST fields, field that must carry the error)
BAD_PRODUCT_FIELDS = [
    pytest.param({"gtin": "4006381333932"}, "gtin", id="gtin-wrong-check-digit"),
    pytest.param({"gtin": "40063813339AB"}, "gtin", id="gtin-with-letters"),
    pytest.param({"gtin": "400638133393"}, "gtin", id="gtin-12-digits-wrong-check-digit"),
    pytest.param({"name": "x" * 201}, "name", id="name-201-characters"),
    pytest.param({"sku": "-leading-dash"}, "sku", id="sku-bad-characters"),
    pytest.param({"etim_class": "EC12"}, "etim_class", id="etim-class-malformed"),
]


def counts() -> tuple[int, int, int, int]:
    return (
        Product.objects.count(),
        ProductFeature.objects.count(),
        Image.objects.count(),
        Revision.objects.count(),
    )


@pytest.fixture
def logged_in_editor(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def draft_product(editor):
    """A German draft product with one feature and one revision."""
    product = ProductFactory.build(sku="EDIT-1", name="Schraube")
    product.features.add(ProductFeature(name="Länge", value="10", unit="mm"))
    content_save_draft(obj=product, user=editor)
    return product


def add_product(client, **fields):
    return client.post(
        admin_url("product", "add") + "?locale=de",
        product_post(features=[FEATURE], **{"sku": "NEW-1", **fields}),
    )


def edit_product(client, product, **fields):
    return client.post(
        admin_url("product", "edit", product.pk),
        product_post(features=[FEATURE], **{"sku": product.sku, **fields}),
    )


@pytest.mark.parametrize(("fields", "field"), BAD_PRODUCT_FIELDS)
def test_add_product_with_bad_field_shows_the_error_and_writes_nothing(
    logged_in_editor, fields, field
):
    before = counts()

    response = add_product(logged_in_editor, **fields)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert counts() == before


@pytest.mark.parametrize(("fields", "field"), BAD_PRODUCT_FIELDS)
def test_edit_product_with_bad_field_shows_the_error_and_writes_nothing(
    logged_in_editor, draft_product, fields, field
):
    before = counts()

    response = edit_product(logged_in_editor, draft_product, **fields)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert counts() == before
    assert Product.objects.get(pk=draft_product.pk).get_latest_revision_as_object().name == (
        "Schraube"
    )


def test_add_product_with_an_sku_another_product_has_is_refused(logged_in_editor):
    ProductFactory(sku="TAKEN-1")
    before = counts()

    response = add_product(logged_in_editor, sku="TAKEN-1")

    assert response.status_code == 200
    assert "sku" in response.context["form"].errors
    assert counts() == before


def test_add_product_with_an_sku_used_in_another_language_is_refused(logged_in_editor):
    # Another product (its own translation group) has the SKU in English: still taken.
    ProductFactory(sku="TAKEN-2", locale=locale("en"))
    before = counts()

    response = add_product(logged_in_editor, sku="TAKEN-2")

    assert response.status_code == 200
    assert "sku" in response.context["form"].errors
    assert counts() == before


def test_edit_product_to_an_sku_another_product_has_is_refused(logged_in_editor, draft_product):
    ProductFactory(sku="TAKEN-3")
    before = counts()

    response = edit_product(logged_in_editor, draft_product, sku="TAKEN-3")

    assert response.status_code == 200
    assert "sku" in response.context["form"].errors
    assert counts() == before


def test_add_product_with_a_feature_row_without_name_shows_the_error_on_the_row(
    logged_in_editor,
):
    before = counts()

    response = logged_in_editor.post(
        admin_url("product", "add") + "?locale=de",
        product_post(sku="NEW-2", features=[FEATURE, NAMELESS_FEATURE]),
    )

    assert response.status_code == 200
    row_errors = response.context["form"].formsets["features"].errors
    assert [sorted(errors) for errors in row_errors] == [[], ["name"]]
    assert counts() == before


def test_edit_product_with_a_feature_row_without_name_shows_the_error_on_the_row(
    logged_in_editor, draft_product
):
    before = counts()

    response = logged_in_editor.post(
        admin_url("product", "edit", draft_product.pk),
        product_post(sku=draft_product.sku, features=[NAMELESS_FEATURE]),
    )

    assert response.status_code == 200
    row_errors = response.context["form"].formsets["features"].errors
    assert [sorted(errors) for errors in row_errors] == [["name"]]
    assert counts() == before


def test_submitting_a_product_with_a_feature_row_without_name_shows_the_error_on_the_row(
    logged_in_editor,
):
    before = counts()

    response = logged_in_editor.post(
        admin_url("product", "add") + "?locale=de",
        {**product_post(sku="NEW-2", features=[FEATURE, NAMELESS_FEATURE]), **SUBMIT},
    )

    assert response.status_code == 200
    row_errors = response.context["form"].formsets["features"].errors
    assert [sorted(errors) for errors in row_errors] == [[], ["name"]]
    assert counts() == before


def test_submitting_a_product_without_name_shows_the_error_on_the_name(logged_in_editor):
    # A draft may be incomplete (Wagtail defers required fields); a submission may not.
    before = counts()

    response = logged_in_editor.post(
        admin_url("product", "add") + "?locale=de",
        {**product_post(sku="NEW-4", name=""), **SUBMIT},
    )

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert counts() == before


def test_add_product_with_a_feature_row_with_a_bad_etim_code_shows_the_error_on_the_row(
    logged_in_editor,
):
    before = counts()

    response = logged_in_editor.post(
        admin_url("product", "add") + "?locale=de",
        product_post(sku="NEW-3", features=[{**FEATURE, "etim_feature": "EF1"}]),
    )

    assert response.status_code == 200
    row_errors = response.context["form"].formsets["features"].errors
    assert [sorted(errors) for errors in row_errors] == [["etim_feature"]]
    assert counts() == before


def test_submitting_a_message_with_unreadable_rich_text_shows_the_error_on_the_body(
    logged_in_editor,
):
    # A hand-made POST: the Draftail editor always sends its JSON. content.widgets reads
    # anything else as empty, and the body is required for a submission.
    data = {**message_post(headline="Kaputt"), **SUBMIT}
    data["body"] = "<p>kein Draftail-JSON</p>"
    before = AudienceMessage.objects.count(), Revision.objects.count()

    response = logged_in_editor.post(admin_url("message", "add") + "?locale=de", data)

    assert response.status_code == 200
    assert "body" in response.context["form"].errors
    assert (AudienceMessage.objects.count(), Revision.objects.count()) == before


def test_add_message_with_call_to_action_label_but_no_url_shows_the_error_on_the_url(
    logged_in_editor,
):
    before = AudienceMessage.objects.count(), Revision.objects.count()

    response = logged_in_editor.post(
        admin_url("message", "add") + "?locale=de",
        message_post(headline="Jetzt testen", cta_label="Jetzt testen", cta_url=""),
    )

    assert response.status_code == 200
    assert "cta_url" in response.context["form"].errors
    assert (AudienceMessage.objects.count(), Revision.objects.count()) == before


def test_uploading_a_text_file_named_png_as_image_is_refused(logged_in_editor):
    before = counts()

    response = logged_in_editor.post(
        "/admin/images/add/",
        {
            "title": "Kein Bild",
            "file": SimpleUploadedFile("x.png", b"this is not an image", content_type="image/png"),
        },
    )

    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert counts() == before


def test_uploading_a_real_png_as_image_works(logged_in_editor):
    # The control for the test above: the Editor may upload, and the POST is well formed.
    before = Image.objects.count()

    response = logged_in_editor.post(
        "/admin/images/add/",
        {"title": "Foto", "file": SimpleUploadedFile("foto.png", png_bytes(), "image/png")},
    )

    assert response.status_code == 302
    assert Image.objects.count() == before + 1
