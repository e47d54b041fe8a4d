"""A list page costs the same number of SQL queries however many products it holds."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import Product, ProductDocument, ProductFeature, ProductImage
from tests.factories import CategoryFactory, ImageFactory, ProductFactory, locale

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(make_document):
    """Make ``count`` live rows with features, images, documents and categories."""

    def make(count):
        categories = [CategoryFactory() for _ in range(2)]
        images = [ImageFactory() for _ in range(2)]
        document = make_document()
        first = Product.objects.count()
        for index in range(first, first + count):
            product = ProductFactory(
                sku=f"Q-{index:03d}", live=True, locale=locale(), price=Decimal("1.00")
            )
            product.categories.set(categories)
            product.save()
            ProductFeature.objects.bulk_create(
                ProductFeature(product=product, name=f"F{n}", value="1", sort_order=n)
                for n in range(3)
            )
            ProductImage.objects.bulk_create(
                ProductImage(product=product, image=image, alt_text="Bild", sort_order=n)
                for n, image in enumerate(images)
            )
            ProductDocument.objects.create(product=product, document=document)

    return make


def queries_for_list(api):
    api.get("/products")  # records last_used_at, which a second request skips
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/products")
    assert response.status_code == 200
    return len(response.json()["items"]), len(queries)


def test_a_list_page_of_thirty_costs_the_queries_of_a_page_of_three(api, catalogue):
    catalogue(3)
    small_items, small_queries = queries_for_list(api)
    catalogue(27)

    large_items, large_queries = queries_for_list(api)

    assert (small_items, large_items) == (3, 30)
    assert large_queries == small_queries


def test_a_list_page_takes_at_most_nine_queries(api, catalogue, django_assert_max_num_queries):
    catalogue(30)
    api.get("/products")

    # client, keys, category version, products, features, categories, images, documents,
    # relations
    with django_assert_max_num_queries(9):
        api.get("/products")
