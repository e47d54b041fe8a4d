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


def _product_with_rows(n: int) -> Product:
    """A product with ``n`` images, documents, features, categories and related products."""
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    from content.models import ProductDocument, ProductRelation
    from tests.factories import ProductFeatureFactory, ProductImageFactory

    product = ProductFactory()
    parent = CategoryFactory()
    for index in range(n):
        ProductImageFactory(product=product)
        ProductFeatureFactory(product=product, name=f"Merkmal {index}")
        document = Document.objects.create(
            title=f"Blatt {index}", file=ContentFile(b"%PDF-1.4", name="blatt.pdf")
        )
        ProductDocument.objects.create(product=product, document=document, label="Datenblatt")
        ProductRelation.objects.create(
            product=product, kind="accessory", related=ProductFactory(), sort_order=index
        )
        product.categories.add(CategoryFactory(parent=parent))
    product.save()
    product.save_revision()
    return product


def test_product_edit_view_queries_do_not_grow_with_its_rows(superuser_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    few = _product_with_rows(1)
    many = _product_with_rows(10)
    edit = "/admin/snippets/content/product/edit/{}/"
    # Caches filled once per process, and the thumbnails made the first time they show.
    superuser_client.get(edit.format(few.pk))
    superuser_client.get(edit.format(many.pk))

    with CaptureQueriesContext(connection) as one_each:
        first = superuser_client.get(edit.format(few.pk))
    with CaptureQueriesContext(connection) as ten_each:
        second = superuser_client.get(edit.format(many.pk))

    assert first.status_code == second.status_code == 200
    assert second.content.decode().count('name="images-') > first.content.decode().count(
        'name="images-'
    )
    assert len(ten_each) == len(one_each), "\n".join(
        q["sql"][:200] for q in ten_each.captured_queries
    )
    # 65 with the language banner and the reviewer's comment (it was 83 before the choosers
    # were preloaded); the workflow-state queries are Wagtail's own.
    assert len(one_each) <= 65
