"""Files of content leave the hub only when live content uses them, or to admin users."""

import pytest
from django.core.files.base import ContentFile
from wagtail.documents.models import Document

from campaigns.models import ImportJob
from content.models import ProductDocument
from tests.factories import ImageFactory, ProductFactory, ProductImageFactory

pytestmark = pytest.mark.django_db

DATA_SHEET = b"%PDF-1.4 data sheet"


@pytest.fixture
def draft():
    """A product that was never approved, with an image and a data sheet."""
    product = ProductFactory(sku="DRAFT-1")
    ProductImageFactory(product=product, image=ImageFactory())
    document = Document.objects.create(
        title="Datenblatt", file=ContentFile(DATA_SHEET, name="datasheet.pdf")
    )
    ProductDocument.objects.create(product=product, document=document, label="Datenblatt")
    return product


def document_of(product) -> Document:
    return product.documents.get().document


def image_of(product):
    return product.images.get().image


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_document_of_a_never_approved_product_is_not_found(client, draft):
    response = client.get(document_of(draft).url)

    assert response.status_code == 404


def test_a_document_is_served_to_anyone_once_its_product_is_live(client, draft, publish):
    publish(draft)

    response = client.get(document_of(draft).url)

    assert response.status_code == 200
    assert body(response) == DATA_SHEET


def test_an_editor_gets_the_document_of_an_unapproved_product(client, draft, editor):
    client.force_login(editor)

    response = client.get(document_of(draft).url)

    assert response.status_code == 200
    assert body(response) == DATA_SHEET


def test_a_logged_in_user_without_admin_access_gets_no_unapproved_document(
    client, draft, django_user_model
):
    client.force_login(django_user_model.objects.create_user("someone", password="x"))

    response = client.get(document_of(draft).url)

    assert response.status_code == 404


def test_an_original_image_of_a_never_approved_product_is_not_found(client, draft):
    response = client.get(image_of(draft).file.url)

    assert response.status_code == 404


def test_a_rendition_of_a_never_approved_product_is_not_found(client, draft):
    rendition = image_of(draft).get_rendition("max-165x165")

    response = client.get(rendition.url)

    assert response.status_code == 404


def test_an_original_image_is_served_to_anyone_once_its_product_is_live(client, draft, publish):
    publish(draft)

    response = client.get(image_of(draft).file.url)

    assert response.status_code == 200
    assert body(response).startswith(b"\x89PNG")
    assert response["Cache-Control"] == "public, max-age=3600"


def test_an_editor_gets_the_original_image_of_an_unapproved_product(client, draft, editor):
    client.force_login(editor)

    response = client.get(image_of(draft).file.url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_an_image_no_longer_public_once_its_product_is_withdrawn(client, draft, publish):
    from content.models import Product

    publish(draft)
    Product.objects.filter(pk=draft.pk).update(live=False)

    response = client.get(image_of(draft).file.url)

    assert response.status_code == 404


def test_import_files_are_never_served_not_even_to_an_administrator(client, admin_user):
    job = ImportJob.objects.create(
        kind="contacts",
        file=ContentFile(b"E-Mail\nerika@example.com\n", name="kontakte.csv"),
        original_name="kontakte.csv",
    )
    client.force_login(admin_user)

    response = client.get(job.file.url)

    assert response.status_code == 404
