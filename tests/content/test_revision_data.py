"""A revision read back drops the child rows whose image, document or related product was
deleted since, as modelcluster does, checked with one query per model."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import Product
from tests.factories import ProductFactory, ProductImageFactory

pytestmark = pytest.mark.django_db


def test_a_draft_loses_the_image_deleted_since_and_keeps_the_others():
    product = ProductFactory()
    kept = ProductImageFactory(product=product, alt_text="bleibt")
    gone = ProductImageFactory(product=product, alt_text="gelöscht")
    product.save_revision()
    gone.image.delete()

    draft = Product.objects.get(pk=product.pk).get_latest_revision_as_object()

    assert [row.alt_text for row in draft.images.all()] == [kept.alt_text]


def test_reading_a_draft_back_costs_the_same_for_one_image_or_ten():
    def queries_to_read(images: int) -> int:
        product = ProductFactory()
        for _ in range(images):
            ProductImageFactory(product=product)
        revision = product.save_revision()
        with CaptureQueriesContext(connection) as queries:
            revision.as_object()
        return len(queries)

    assert queries_to_read(10) == queries_to_read(1)
