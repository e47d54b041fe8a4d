"""Content listings in the admin cost the same number of queries for any page size."""

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import Revision

from content.models import Product
from content.services import content_submit
from core.admin_listings import annotate_listing_state, status_string
from tests.factories import AudienceMessageFactory, CategoryFactory, ProductFactory
from tests.listing_queries import assert_constant_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, make_user):
    client.force_login(make_user(is_superuser=True))
    return client


def _products_with_revisions(n: int) -> None:
    for _ in range(n):
        ProductFactory(with_image=True).save_revision()


def test_product_listing_queries_do_not_grow_with_rows(superuser_client):
    assert_constant_queries(
        superuser_client, "/admin/snippets/content/product/", _products_with_revisions
    )


def test_product_listing_still_shows_status_and_translate(superuser_client):
    product = ProductFactory(name="Akkuschrauber")
    product.save_revision()

    page = superuser_client.get("/admin/snippets/content/product/").content.decode()

    assert "Akkuschrauber" in page
    assert f"/admin/translation/submit/snippet/content/product/{product.pk}/" in page


def test_status_column_says_what_wagtail_says(publish, editor):
    draft = ProductFactory()
    draft.save_revision()
    live = ProductFactory(with_image=True)
    publish(live)
    live_with_draft = ProductFactory(with_image=True)
    publish(live_with_draft)
    live_with_draft.refresh_from_db()
    live_with_draft.name = "Neuer Name"
    live_with_draft.save_revision()
    scheduled = ProductFactory()
    Revision.objects.filter(pk=scheduled.save_revision().pk).update(
        approved_go_live_at=timezone.now() + timedelta(days=1)
    )
    in_review = ProductFactory(with_image=True)
    content_submit(obj=in_review, user=editor)

    rows = annotate_listing_state(Product.objects.order_by("pk"))

    assert [str(status_string(row)) for row in rows] == [
        str(Product.objects.get(pk=row.pk).status_string) for row in rows
    ]
    assert len({str(status_string(row)) for row in rows}) == 5


def test_audience_message_listing_queries_do_not_grow_with_rows(superuser_client):
    def messages(n):
        for _ in range(n):
            AudienceMessageFactory(product=ProductFactory()).save_revision()

    assert_constant_queries(superuser_client, "/admin/snippets/content/audiencemessage/", messages)


def test_category_listing_queries_do_not_grow_with_rows(superuser_client):
    parent = CategoryFactory()

    def categories(n):
        for _ in range(n):
            CategoryFactory(parent=CategoryFactory(parent=parent))

    assert_constant_queries(superuser_client, "/admin/snippets/content/category/", categories)
