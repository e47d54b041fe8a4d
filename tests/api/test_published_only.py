"""Only live, approved content leaves through the API, whatever the route."""

import pytest
from wagtail.images.models import Image

from content.models import ProductImage
from content.services import content_approve, content_save_draft, content_submit
from tests.factories import AudienceMessageFactory, ImageFactory

pytestmark = pytest.mark.django_db


def skus(response):
    return [item["sku"] for item in response.json()["items"]]


def test_a_never_published_product_is_not_listed(api, live_product, make_draft):
    make_draft(sku="DRAFT-1")

    response = api.get("/products")

    assert skus(response) == ["API-1"]


def test_a_never_published_product_is_not_found(api, make_draft):
    make_draft(sku="DRAFT-1")

    response = api.get("/products/DRAFT-1")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_an_unapproved_edit_of_a_live_product_serves_the_approved_name(api, editor, live_product):
    live_product.name = "Unfreigegebener Name"
    content_save_draft(obj=live_product, user=editor)

    response = api.get("/products/API-1")

    assert response.json()["name"] == "Schraube"


def test_an_unapproved_edit_of_a_live_product_is_not_listed(api, editor, live_product):
    live_product.name = "Unfreigegebener Name"
    content_save_draft(obj=live_product, user=editor)

    response = api.get("/products")

    assert [item["name"] for item in response.json()["items"]] == ["Schraube"]


def test_an_image_added_in_an_unapproved_edit_is_not_served(api, editor, live_product):
    image = ImageFactory()
    live_product.images.add(ProductImage(image=image, alt_text="Neu"))
    content_save_draft(obj=live_product, user=editor)

    detail = api.get("/products/API-1").json()
    response = api.get(f"/images/{image.pk}")

    assert image.pk not in [item["id"] for item in detail["images"]]
    assert response.status_code == 404


def test_a_live_product_under_review_again_serves_the_approved_name(
    api, editor, product_reviewer, legal_reviewer, live_product
):
    live_product.name = "In Prüfung"
    content_submit(obj=live_product, user=editor)
    content_approve(obj=type(live_product).objects.get(pk=live_product.pk), user=product_reviewer)
    content_approve(obj=type(live_product).objects.get(pk=live_product.pk), user=legal_reviewer)

    response = api.get("/products/API-1")

    assert response.json()["name"] == "Schraube"


@pytest.mark.parametrize("approvals", [1, 2])
def test_a_new_product_in_review_is_not_served(api, editor, reviewers, make_draft, approvals):
    product = make_draft(sku="REVIEW-1")
    content_submit(obj=product, user=editor)
    for reviewer in reviewers[:approvals]:
        content_approve(obj=type(product).objects.get(pk=product.pk), user=reviewer)

    listed = api.get("/products")
    detail = api.get("/products/REVIEW-1")

    assert skus(listed) == []
    assert detail.status_code == 404


def test_a_withdrawn_product_is_not_found(api, withdraw, live_product):
    withdraw(live_product)

    response = api.get("/products/API-1")

    assert response.status_code == 404


def test_a_withdrawn_product_is_not_listed(api, withdraw, live_product):
    withdraw(live_product)

    response = api.get("/products")

    assert skus(response) == []


def test_only_live_messages_are_listed(api, publish, withdraw):
    live = publish(AudienceMessageFactory(headline="Freigegeben", role="buyer"))
    AudienceMessageFactory(headline="Entwurf", role="user")
    withdrawn = publish(AudienceMessageFactory(headline="Zurückgezogen", role="approver"))
    withdraw(withdrawn)

    response = api.get("/messages")

    assert [item["id"] for item in response.json()["items"]] == [live.pk]


def test_a_message_about_a_withdrawn_product_is_not_listed(api, publish, withdraw, live_product):
    publish(AudienceMessageFactory(product=live_product, role="buyer"))
    withdraw(live_product)

    response = api.get("/messages")

    assert response.json()["items"] == []


def test_a_message_about_a_live_product_is_listed(api, publish, live_product):
    message = publish(AudienceMessageFactory(product=live_product, role="buyer"))

    response = api.get("/messages")

    assert [(item["id"], item["product_sku"]) for item in response.json()["items"]] == [
        (message.pk, "API-1")
    ]


def test_a_live_message_is_found(api, publish):
    message = publish(AudienceMessageFactory(headline="Freigegeben"))

    response = api.get(f"/messages/{message.pk}")

    assert response.status_code == 200
    assert response.json()["headline"] == "Freigegeben"


def test_a_draft_message_is_not_found(api):
    message = AudienceMessageFactory(headline="Entwurf")

    response = api.get(f"/messages/{message.pk}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_withdrawn_message_is_not_found(api, publish, withdraw):
    message = withdraw(publish(AudienceMessageFactory()))

    response = api.get(f"/messages/{message.pk}")

    assert response.status_code == 404


def test_a_message_about_a_withdrawn_product_is_not_found(api, publish, withdraw, live_product):
    message = publish(AudienceMessageFactory(product=live_product, role="buyer"))
    withdraw(live_product)

    response = api.get(f"/messages/{message.pk}")

    assert response.status_code == 404


def test_an_unapproved_edit_of_a_live_message_serves_the_approved_headline(api, editor, publish):
    message = publish(AudienceMessageFactory(headline="Freigegeben"))
    message.headline = "Entwurf"
    content_save_draft(obj=message, user=editor)

    response = api.get("/messages")

    assert [item["headline"] for item in response.json()["items"]] == ["Freigegeben"]


def test_the_image_of_a_live_product_is_served(api, live_product):
    image = live_product.images.get().image

    response = api.get(f"/images/{image.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == image.pk


def test_the_image_of_a_draft_product_is_not_found(api, make_draft):
    image = make_draft(sku="DRAFT-1").images.get().image

    response = api.get(f"/images/{image.pk}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_an_image_on_no_product_is_not_found(api, live_product):
    image = ImageFactory()

    response = api.get(f"/images/{image.pk}")

    assert response.status_code == 404


def test_the_image_of_a_withdrawn_product_is_not_found(api, withdraw, live_product):
    image = live_product.images.get().image
    withdraw(live_product)

    response = api.get(f"/images/{image.pk}")

    assert response.status_code == 404


def test_the_document_of_a_live_product_is_served(api, live_product):
    document = live_product.documents.get().document

    response = api.get(f"/documents/{document.pk}")

    assert response.status_code == 200
    assert response.json()["title"] == document.title


def test_the_document_of_a_draft_product_is_not_found(api, make_draft):
    document = make_draft(sku="DRAFT-1").documents.get().document

    response = api.get(f"/documents/{document.pk}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_document_of_a_withdrawn_product_is_not_found(api, withdraw, live_product):
    document = live_product.documents.get().document
    withdraw(live_product)

    response = api.get(f"/documents/{document.pk}")

    assert response.status_code == 404


def test_the_product_lists_its_approved_image_and_document(api, live_product):
    image = live_product.images.get().image
    document = live_product.documents.get().document

    body = api.get("/products/API-1").json()

    assert [item["id"] for item in body["images"]] == [image.pk]
    assert [item["id"] for item in body["documents"]] == [document.pk]
    assert Image.objects.filter(pk=image.pk).exists()
