import pytest
from django.urls import reverse

from content.models import Product
from content.services import content_approve, content_submit
from tests.factories import ProductFactory, ProductFeatureFactory, ProductImageFactory, locale

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_german_product(editor, reviewers):
    product = ProductFactory(sku="TR-1", name="Akku-Bohrschrauber")
    ProductFeatureFactory(product=product, name="Spannung", value="18", unit="V")
    ProductImageFactory(product=product, alt_text="Bohrschrauber")
    content_submit(obj=product, user=editor)
    for reviewer in reviewers:
        content_approve(obj=Product.objects.get(pk=product.pk), user=reviewer)
    product = Product.objects.get(pk=product.pk)
    assert product.live
    return product


def translate(client, product, language_code="en"):
    return client.post(
        reverse(
            "simple_translation:submit_snippet_translation",
            args=("content", "product", product.pk),
        ),
        {"locales": [locale(language_code).pk]},
    )


def test_editor_creates_english_version_from_german_one(client, editor, live_german_product):
    client.force_login(editor)

    response = translate(client, live_german_product)

    assert response.status_code == 302
    english = Product.objects.get(
        translation_key=live_german_product.translation_key, locale=locale("en")
    )
    assert english.sku == "TR-1"
    assert [(f.name, f.value, f.unit) for f in english.features.all()] == [("Spannung", "18", "V")]
    assert [i.alt_text for i in english.images.all()] == ["Bohrschrauber"]


def test_translation_of_a_live_product_starts_as_an_unapproved_draft(
    client, editor, live_german_product
):
    client.force_login(editor)

    translate(client, live_german_product)

    english = Product.objects.get(
        translation_key=live_german_product.translation_key, locale=locale("en")
    )
    assert not english.live
    assert english.live_revision is None


def test_english_version_goes_live_only_through_the_workflow(
    client, editor, reviewers, live_german_product
):
    client.force_login(editor)
    translate(client, live_german_product)
    english = Product.objects.get(
        translation_key=live_german_product.translation_key, locale=locale("en")
    )
    english.name = "Cordless drill driver"

    content_submit(obj=english, user=editor)
    for reviewer in reviewers:
        content_approve(obj=Product.objects.get(pk=english.pk), user=reviewer)

    english = Product.objects.get(pk=english.pk)
    assert english.live
    assert english.name == "Cordless drill driver"


def test_user_without_translation_permission_cannot_translate(
    client, make_user, live_german_product
):
    client.force_login(make_user("Campaign managers"))

    response = translate(client, live_german_product)

    # Wagtail answers a denied admin request with a redirect to the dashboard.
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")
    assert not Product.objects.filter(locale=locale("en")).exists()
