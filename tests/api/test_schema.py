"""The API keeps the promises of its own OpenAPI schema (schemathesis, property-based).

The WSGI app runs in the test's thread, so it sees the test's database transaction.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

from channels.models import Scope
from hub.wsgi import application
from tests.factories import AudienceMessageFactory, CategoryFactory, ContactFactory

# Loaded at collection: the schema needs no database. (schemathesis.pytest.from_fixture
# does not run under pytest 9.2, which renamed the node attribute it rewrites.)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

bounded = hypothesis_settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

CONFORMANCE = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.ignored_auth,
]


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Called as plain WSGI, Django closes the connection after each request, and with it
    the test's transaction on PostgreSQL. Django's own test client switches that off too.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def live_content(settings, publish, live_product):
    settings.HUB_API_RATE_LIMIT = "100000/min"
    CategoryFactory(slug="schrauben")
    message = publish(AudienceMessageFactory(product=live_product, role="buyer"))
    return {
        "product": live_product,
        "message": message,
        "image": live_product.images.get().image,
        "document": live_product.documents.get().document,
    }


@pytest.fixture
def api_client_with_token(make_api_client):
    """One client for every operation: it reads content and reports events and orders."""
    return make_api_client(scopes=[Scope.CONTENT_READ, Scope.EVENTS_WRITE, Scope.ORDERS_WRITE])


@pytest.fixture
def headers(token):
    # The werkzeug client hands schemathesis gzip bytes undecoded; a real client decodes them.
    return {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}


@schema.parametrize()
@bounded
def test_every_operation_answers_as_documented(case, headers, live_content):
    case.call_and_validate(headers=headers, checks=CONFORMANCE)


# The intake batches answer 200 with per-item errors by design: an item breaking its schema
# is reported in the body, so only a body that is not a batch is refused as a whole.
@schema.exclude(operation_id=["list_products", "record_events", "record_orders"]).parametrize()
@bounded
def test_schema_violating_requests_are_refused(case, headers, live_content):
    case.call_and_validate(headers=headers, checks=[checks.negative_data_rejection])


@schema.parametrize()
@bounded
def test_problems_are_documented_as_problem_json(case, headers, live_content):
    case.call_and_validate(headers=headers, checks=[checks.content_type_conformance])


# The lists take an opaque, signed cursor: a schema-valid string the API did not issue is
# rightly refused, so only the operations without one are held to "valid means accepted".
@schema.include(
    operation_id=[
        "get_product",
        "get_image",
        "get_message",
        "get_document",
        "record_events",
        "record_orders",
    ]
).parametrize()
@bounded
def test_schema_valid_requests_are_accepted(case, headers, live_content):
    case.call_and_validate(headers=headers, checks=[checks.positive_data_acceptance])


def known_cases(content, token):
    bearer = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    return {
        "product list": schema["/api/v1/products"]["GET"].Case(query={"limit": 1}, headers=bearer),
        "product": schema["/api/v1/products/{sku}"]["GET"].Case(
            path_parameters={"sku": "API-1"}, headers=bearer
        ),
        "messages": schema["/api/v1/messages"]["GET"].Case(headers=bearer),
        "message": schema["/api/v1/messages/{message_id}"]["GET"].Case(
            path_parameters={"message_id": content["message"].pk}, headers=bearer
        ),
        "categories": schema["/api/v1/categories"]["GET"].Case(headers=bearer),
        "image": schema["/api/v1/images/{image_id}"]["GET"].Case(
            path_parameters={"image_id": content["image"].pk},
            query={"spec": "fill-400x400"},
            headers=bearer,
        ),
        "document": schema["/api/v1/documents/{document_id}"]["GET"].Case(
            path_parameters={"document_id": content["document"].pk}, headers=bearer
        ),
    }


@pytest.mark.parametrize(
    "name",
    ["product list", "product", "messages", "message", "categories", "image", "document"],
)
def test_a_found_resource_matches_its_schema(live_content, token, name):
    case = known_cases(live_content, token)[name]

    response = case.call()

    assert response.status_code == 200
    case.validate_response(response, checks=CONFORMANCE)


@pytest.mark.parametrize(
    "name",
    ["product list", "product", "messages", "message", "categories", "image", "document"],
)
def test_not_modified_matches_its_schema(live_content, token, name):
    case = known_cases(live_content, token)[name]
    case.headers["If-None-Match"] = case.call().headers["etag"][0]

    response = case.call()

    assert response.status_code == 304
    case.validate_response(response, checks=CONFORMANCE)


def test_too_many_requests_matches_its_schema(live_content, token, settings):
    settings.HUB_API_RATE_LIMIT = "1/min"
    case = known_cases(live_content, token)["categories"]
    case.call()

    response = case.call()

    assert response.status_code == 429
    case.validate_response(response, checks=CONFORMANCE)


REPORTED_BATCHES = {
    "/api/v1/events": {
        "events": [
            {
                "id": "view-1",
                "type": "product_view",
                "occurred_at": "2026-11-23T10:15:00+01:00",
                "contact": {"email": "erika@example.com"},
                "sku": "API-1",
            },
            {"id": "view-2", "type": "product_view"},
        ]
    },
    "/api/v1/orders": {
        "orders": [
            {
                "order_number": "WS-1",
                "ordered_at": "2026-11-23T10:30:00+01:00",
                "contact": {"email": "erika@example.com"},
                "lines": [{"sku": "API-1", "quantity": "2", "unit_price": "9.95"}],
            }
        ]
    },
}


@pytest.mark.parametrize("path", list(REPORTED_BATCHES))
def test_a_reported_batch_matches_its_schema(live_content, token, path):
    ContactFactory(email="erika@example.com")
    case = schema[path]["POST"].Case(
        body=REPORTED_BATCHES[path],
        headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"},
    )

    response = case.call()

    assert response.status_code == 200
    case.validate_response(response, checks=CONFORMANCE)
