"""Dates far out (years 1 or 9999, at the extreme offsets) are a field error, never a 500."""

from datetime import UTC, datetime

import orjson
import pytest
import time_machine

from campaigns.models import Event, Order
from channels.models import Scope
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
FAR_OUT = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-12:00",
    "1899-12-31T23:59:59+00:00",
    "3000-01-01T00:00:00+00:00",
]


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def reporter(make_api_client, client):
    _client, token = make_api_client(
        "ERP", scopes=[Scope.EVENTS_WRITE, Scope.ORDERS_WRITE, Scope.CONTENT_READ]
    )
    ContactFactory(email="erika@example.com")

    def post(path, body):
        return client.post(
            f"/api/v1{path}",
            orjson.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return post


@pytest.mark.parametrize("moment", FAR_OUT)
def test_an_event_far_out_is_an_item_error_on_occurred_at(reporter, moment):
    response = reporter(
        "/events",
        {
            "events": [
                {
                    "id": "e-1",
                    "type": "product_view",
                    "occurred_at": moment,
                    "contact": {"email": "erika@example.com"},
                }
            ]
        },
    )

    assert response.status_code == 200
    assert response.json()["errors"] == [
        {
            "index": 0,
            "id": "e-1",
            "field": "occurred_at",
            "detail": "must lie between 1900-01-01 and 2999-12-31",
        }
    ]
    assert not Event.objects.filter(idempotency_key="e-1").exists()


@pytest.mark.parametrize("moment", FAR_OUT)
def test_an_order_far_out_is_an_item_error_on_ordered_at(reporter, moment):
    response = reporter(
        "/orders",
        {
            "orders": [
                {
                    "order_number": "O-1",
                    "ordered_at": moment,
                    "contact": {"email": "erika@example.com"},
                }
            ]
        },
    )

    assert response.status_code == 200
    assert response.json()["errors"][0]["field"] == "ordered_at"
    assert response.json()["errors"][0]["id"] == "O-1"
    assert not Order.objects.exists()


@pytest.mark.parametrize("moment", FAR_OUT)
def test_updated_since_far_out_is_a_400_naming_the_parameter(api, moment):
    response = api.get("/products", {"updated_since": moment})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "name": "updated_since",
            "location": "query",
            "detail": "must lie between 1900-01-01 and 2999-12-31",
        }
    ]


def test_updated_since_at_the_window_edge_is_accepted(api):
    response = api.get("/products", {"updated_since": "1900-01-01T00:00:00+14:00"})

    assert response.status_code == 200
