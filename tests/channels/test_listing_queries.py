"""Integration listings in the admin cost the same queries for any page size."""

import itertools

import pytest

from channels.models import ApiClient, WebhookDelivery, WebhookEndpoint
from tests.listing_queries import assert_constant_queries

pytestmark = pytest.mark.django_db

serial = itertools.count()


@pytest.fixture
def superuser_client(client, make_user):
    client.force_login(make_user(is_superuser=True))
    return client


def _api_clients(n):
    for _ in range(n):
        api_client = ApiClient(name=f"Shop {next(serial)}", channel="webshop", scopes=[])
        api_client.issue_token()
        api_client.save()


def _endpoint() -> WebhookEndpoint:
    index = next(serial)
    return WebhookEndpoint.objects.create(
        name=f"Empfänger {index}",
        url=f"https://example.com/hook/{index}",
        events=["product.published"],
    )


def _endpoints(n):
    for _ in range(n):
        WebhookDelivery.objects.create(
            endpoint=_endpoint(),
            event="product.published",
            payload={"type": "product.published", "data": {}},
            status=WebhookDelivery.Status.SUCCEEDED,
        )


def _deliveries(n):
    _endpoints(n)


@pytest.mark.parametrize(
    ("url", "make_rows"),
    [
        ("/admin/apiclient/", _api_clients),
        ("/admin/webhookendpoint/", _endpoints),
        ("/admin/webhookdelivery/", _deliveries),
    ],
    ids=["api clients", "webhook endpoints", "webhook deliveries"],
)
def test_listing_queries_do_not_grow_with_rows(superuser_client, url, make_rows):
    assert_constant_queries(superuser_client, url, make_rows)
