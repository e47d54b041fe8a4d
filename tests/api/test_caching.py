"""Conditional requests: every route answers with validators, and a 304 is cheap."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import Product
from tests.factories import AudienceMessageFactory, CategoryFactory

pytestmark = pytest.mark.django_db

ROUTES = {
    "products": lambda content: "/products",
    "product": lambda content: "/products/API-1",
    "messages": lambda content: "/messages",
    "message": lambda content: f"/messages/{content['message'].pk}",
    "categories": lambda content: "/categories",
    "image": lambda content: f"/images/{content['image'].pk}",
    "image rendition": lambda content: f"/images/{content['image'].pk}?spec=fill-400x400",
    "document": lambda content: f"/documents/{content['document'].pk}",
}


@pytest.fixture
def content(live_product, publish):
    CategoryFactory(slug="schrauben")
    message = publish(AudienceMessageFactory(product=live_product, role="buyer"))
    return {
        "message": message,
        "image": live_product.images.get().image,
        "document": live_product.documents.get().document,
    }


def url(route, content):
    return ROUTES[route](content)


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_sends_validators(api, content, route):
    response = api.get(url(route, content))

    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith("GMT")
    assert response["Cache-Control"] == "private, max-age=0, must-revalidate"


@pytest.mark.parametrize("route", ROUTES)
def test_a_matching_etag_answers_not_modified_without_a_body(api, content, route):
    etag = api.get(url(route, content))["ETag"]

    response = api.get(url(route, content), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


@pytest.mark.parametrize("route", ROUTES)
def test_a_stale_etag_gets_the_full_response(api, content, route):
    response = api.get(url(route, content), HTTP_IF_NONE_MATCH='"stale"')

    assert response.status_code == 200
    assert response.content


def test_a_weak_etag_from_a_proxy_still_matches(api, content):
    etag = api.get("/products")["ETag"]

    response = api.get("/products", HTTP_IF_NONE_MATCH=f"W/{etag}")

    assert response.status_code == 304


def test_a_republished_change_changes_the_list_etag(api, publish, content):
    etag = api.get("/products")["ETag"]
    product = Product.objects.get(sku="API-1")
    product.name = "Schraube M8"
    publish(product)

    response = api.get("/products", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.json()["items"][0]["name"] == "Schraube M8"


def test_a_republished_change_changes_the_product_etag(api, publish, content):
    etag = api.get("/products/API-1")["ETag"]
    product = Product.objects.get(sku="API-1")
    product.short_text = "Neuer Kurztext"
    publish(product)

    response = api.get("/products/API-1", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["short_text"] == "Neuer Kurztext"


def test_a_renamed_category_changes_the_product_etag(api, publish, content):
    category = CategoryFactory(slug="muttern", name="Muttern")
    product = Product.objects.get(sku="API-1")
    product.categories.add(category)
    publish(product)
    etag = api.get("/products/API-1")["ETag"]
    category.name = "Sechskantmuttern"
    category.save()

    response = api.get("/products/API-1", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["categories"][0]["name"] == "Sechskantmuttern"


def test_a_renamed_category_changes_the_list_etag_and_counts_as_an_update(api, publish, content):
    category = CategoryFactory(slug="muttern", name="Muttern")
    product = Product.objects.get(sku="API-1")
    product.categories.add(category)
    publish(product)
    etag = api.get("/products")["ETag"]
    since = Product.objects.get(pk=product.pk).updated_at.isoformat()
    category.name = "Sechskantmuttern"
    category.save()

    conditional = api.get("/products", HTTP_IF_NONE_MATCH=etag)
    changed = api.get("/products", {"updated_since": since})

    assert conditional.status_code == 200
    assert [item["sku"] for item in changed.json()["items"]] == ["API-1"]
    assert changed.json()["items"][0]["categories"][0]["name"] == "Sechskantmuttern"


def test_a_deleted_category_changes_the_product_etag(api, publish, content):
    category = CategoryFactory(slug="muttern", name="Muttern")
    product = Product.objects.get(sku="API-1")
    product.categories.add(category)
    publish(product)
    etag = api.get("/products/API-1")["ETag"]

    category.delete()
    response = api.get("/products/API-1", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["categories"] == []


@pytest.mark.parametrize(
    "route",
    [
        "products",
        "product",
        "messages",
        "categories",
    ],
)
def test_not_modified_costs_fewer_queries_than_the_full_response(api, content, route):
    full = api.get(url(route, content))
    with CaptureQueriesContext(connection) as full_queries:
        api.get(url(route, content))
    with CaptureQueriesContext(connection) as conditional_queries:
        conditional = api.get(url(route, content), HTTP_IF_NONE_MATCH=full["ETag"])

    assert conditional.status_code == 304
    assert len(conditional_queries) < len(full_queries)


def test_not_modified_of_the_product_list_takes_two_queries(
    api, content, django_assert_num_queries
):
    etag = api.get("/products")["ETag"]

    # the client lookup and the page's keys
    with django_assert_num_queries(2):
        response = api.get("/products", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304


def test_a_large_list_is_gzipped_for_a_client_that_accepts_it(api, content, make_draft, publish):
    for index in range(5):
        publish(make_draft(sku=f"GZ-{index}"))

    response = api.get("/products", HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]


def test_a_list_is_not_gzipped_for_a_client_that_does_not_accept_it(api, content):
    response = api.get("/products")

    assert not response.has_header("Content-Encoding")


def test_last_modified_is_the_latest_change_of_the_page(api, live_product):
    from django.utils.http import parse_http_date

    response = api.get("/products")

    stamp = parse_http_date(response["Last-Modified"])
    assert stamp == int(live_product.updated_at.timestamp())


def test_any_etag_answers_not_modified(api, content):
    response = api.get("/products", HTTP_IF_NONE_MATCH="*")

    assert response.status_code == 304


def test_the_current_etag_among_others_answers_not_modified(api, content):
    etag = api.get("/products")["ETag"]

    response = api.get("/products", HTTP_IF_NONE_MATCH=f'"stale", W/{etag}')

    assert response.status_code == 304


def test_a_stale_if_match_is_refused_as_a_failed_precondition(api, content):
    response = api.get("/products", HTTP_IF_MATCH='"stale"')

    assert response.status_code == 412
    assert response["Content-Type"] == "application/problem+json"
