import pytest

from channels.models import ApiClient, Scope
from content.models import Product
from content.services import content_approve, content_submit


@pytest.fixture
def api_client_with_token(db):
    """An active webshop API client with content:read, and its token."""
    client = ApiClient(name="Webshop", channel="webshop", scopes=[Scope.CONTENT_READ])
    token = client.issue_token()
    client.save()
    return client, token


@pytest.fixture
def token(api_client_with_token):
    return api_client_with_token[1]


@pytest.fixture
def api(client, token):
    """Django's test client, authenticated as the API client."""

    class Api:
        def get(self, path, data=None, **headers):
            return client.get(
                f"/api/v1{path}", data, HTTP_AUTHORIZATION=f"Bearer {token}", **headers
            )

    return Api()


@pytest.fixture
def publish(editor, reviewers):
    """Take an item through the whole workflow and return its live row."""

    def publish_(obj):
        content_submit(obj=obj, user=editor)
        for reviewer in reviewers:
            content_approve(obj=type(obj).objects.get(pk=obj.pk), user=reviewer)
        live = type(obj).objects.get(pk=obj.pk)
        assert live.live
        return live

    return publish_


@pytest.fixture
def live_product(publish):
    from tests.factories import ProductFactory, ProductFeatureFactory, ProductImageFactory

    product = ProductFactory(sku="API-1", name="Schraube")
    ProductFeatureFactory(product=product, name="Länge", value="12", unit="mm")
    ProductImageFactory(product=product, alt_text="Schraube")
    return publish(Product.objects.get(pk=product.pk))
