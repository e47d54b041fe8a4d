import pytest
from django.core.files.base import ContentFile
from wagtail.documents.models import Document

from channels.models import ApiClient, Scope
from content.models import Product, ProductDocument


@pytest.fixture(autouse=True)
def fresh_rate_limits(fresh_cache):
    """The throttle counts in the cache."""


@pytest.fixture
def make_api_client(db):
    """An API client and its token; content:read unless other scopes are given."""

    def make(name="Webshop", *, scopes=(Scope.CONTENT_READ,), is_active=True):
        client = ApiClient(name=name, channel="webshop", scopes=list(scopes), is_active=is_active)
        token = client.issue_token()
        client.save()
        return client, token

    return make


@pytest.fixture
def api_client_with_token(make_api_client):
    """An active webshop API client with content:read, and its token."""
    return make_api_client()


@pytest.fixture
def token(api_client_with_token):
    return api_client_with_token[1]


@pytest.fixture
def api_as(client):
    """GET an API path with a given bearer token (or none)."""

    def get(token, path, data=None, **headers):
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client.get(f"/api/v1{path}", data, **headers)

    return get


@pytest.fixture
def api(api_as, token):
    """Django's test client, authenticated as the API client."""

    class Api:
        def get(self, path, data=None, **headers):
            return api_as(token, path, data, **headers)

    return Api()


@pytest.fixture
def make_document(db):
    def make(title="Datenblatt"):
        return Document.objects.create(
            title=title, file=ContentFile(b"%PDF-1.4 data sheet", name="datasheet.pdf")
        )

    return make


@pytest.fixture
def make_draft(make_document):
    """A never-published product with a feature, an image and a document."""
    from tests.factories import ProductFactory, ProductFeatureFactory, ProductImageFactory

    def make(**fields):
        product = ProductFactory(**fields)
        ProductFeatureFactory(product=product, name="Länge", value="12", unit="mm")
        ProductImageFactory(product=product, alt_text=product.name)
        ProductDocument.objects.create(
            product=product, document=make_document(), label="Datenblatt"
        )
        return Product.objects.get(pk=product.pk)

    return make


@pytest.fixture
def live_product(publish, make_draft):
    return publish(make_draft(sku="API-1", name="Schraube"))


@pytest.fixture
def withdraw(marketing_approver):
    """Withdraw (unpublish) a live item the way a marketing approver does, in the admin."""
    from django.test import Client
    from django.urls import reverse

    admin = Client()
    admin.force_login(marketing_approver)

    def withdraw_(obj):
        url_name = f"wagtailsnippets_content_{obj._meta.model_name}:unpublish"
        response = admin.post(reverse(url_name, args=(obj.pk,)))
        assert response.status_code == 302
        obj = type(obj).objects.get(pk=obj.pk)
        assert not obj.live
        return obj

    return withdraw_


@pytest.fixture
def shop(make_api_client):
    """A webshop's API client that may issue visitor tokens and read the account catalogue."""
    return make_api_client("Shop", scopes=[Scope.VISITORS_WRITE, Scope.CATALOGUE_READ])


@pytest.fixture
def post_visitor(client):
    """POST /api/v1/visitors with a bearer token and a body (a dict, or raw bytes)."""
    import orjson

    def post(token, body):
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        return client.post(
            "/api/v1/visitors",
            data,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return post
