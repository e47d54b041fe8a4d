"""Every error under /api/ is application/problem+json; a bad item is named by its own id."""

from datetime import UTC, datetime

import pytest
import time_machine

from campaigns.models import Event
from channels.models import Scope
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def shop(make_api_client):
    ContactFactory(email="erika@example.com")
    return make_api_client(
        "Webshop", scopes=[Scope.CONTENT_READ, Scope.EVENTS_WRITE, Scope.ORDERS_WRITE]
    )


@pytest.fixture
def send(client, shop):
    def send_(method, path, body=b"", **extra):
        return getattr(client, method)(
            path,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {shop[1]}",
            **extra,
        )

    return send_


def event_body(event_id='"view-1"', sku='"HW-1"'):
    head = '{"events": [{"type": "product_view", "occurred_at": "2026-11-23T09:00:00Z", '
    tail = '"contact": {"email": "erika@example.com"}}]}'
    return f'{head}"id": {event_id}, "sku": {sku}, {tail}'.encode()


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/nothing", "/api/v1/products/x/y/z"])
def test_an_unknown_api_route_is_a_problem_404(send, path):
    response = send("get", path)

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 404
    assert response.json()["instance"] == path


def test_a_method_a_route_lacks_is_a_problem_405_with_allow(send):
    response = send("delete", "/api/v1/orders")

    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert response["Allow"] == "POST"
    assert "POST" in response.json()["detail"]


def test_a_validation_error_of_the_batch_is_a_problem_400(send):
    response = send("post", "/api/v1/events", b'{"orders": []}')

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["name"] == "events"


def test_a_body_nested_too_deeply_is_a_problem_400_saying_so(send):
    body = b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    response = send("post", "/api/v1/events", body)

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "The body is nested too deeply."
    assert not Event.objects.exists()


def test_a_body_that_is_not_json_is_a_problem_400_with_the_reason(send):
    response = send("post", "/api/v1/events", b'{"events": [')

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"].startswith("The body is not JSON: ")
    assert response.json()["errors"][0]["location"] == "body"


def test_a_lone_surrogate_in_an_id_is_an_item_error_naming_that_id(send):
    response = send("post", "/api/v1/events", event_body(event_id='"view-\\ud800"'))

    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert (error["index"], error["id"], error["field"]) == (0, "view-\\ud800", "id")
    assert "lone surrogate" in error["detail"]
    assert not Event.objects.exists()


@pytest.mark.parametrize("sku", ['"HW-\\u0000"', '"HW-\\udfff"'])
def test_text_no_database_stores_is_an_item_error_on_its_field(send, sku):
    response = send("post", "/api/v1/events", event_body(sku=sku))

    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert (error["index"], error["id"], error["field"]) == (0, "view-1", "sku")
    assert not Event.objects.exists()


def test_a_lone_surrogate_in_an_order_line_names_the_order(send):
    body = (
        b'{"orders": [{"order_number": "O-1", "ordered_at": "2026-11-23T09:00:00Z",'
        b' "contact": {"email": "erika@example.com"},'
        b' "lines": [{"sku": "\\ud800", "quantity": "1", "unit_price": "1.00"}]}]}'
    )

    response = send("post", "/api/v1/orders", body)

    [error] = response.json()["errors"]
    assert (error["index"], error["id"], error["field"]) == (0, "O-1", "lines.0.sku")


def test_a_nul_inside_data_is_an_item_error_on_data(send):
    body = event_body().replace(b'"sku": "HW-1"', b'"data": {"note": ["a\\u0000"]}')

    response = send("post", "/api/v1/events", body)

    [error] = response.json()["errors"]
    assert (error["id"], error["field"]) == ("view-1", "data")


@pytest.mark.parametrize("parameter", ["q", "category", "cursor"])
def test_a_nul_in_a_query_parameter_is_a_problem_400_naming_it(api, parameter):
    response = api.get("/products", {parameter: "schraube\x00"})

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["name"] == parameter
