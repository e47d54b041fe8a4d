"""The API describes itself: OpenAPI JSON and Swagger UI, served without a token."""

import pytest

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "/api/v1/products": "list_products",
    "/api/v1/products/{sku}": "get_product",
    "/api/v1/messages": "list_messages",
    "/api/v1/messages/{message_id}": "get_message",
    "/api/v1/categories": "list_categories",
    "/api/v1/images/{image_id}": "get_image",
    "/api/v1/documents/{document_id}": "get_document",
    "/api/v1/events": "record_events",
    "/api/v1/orders": "record_orders",
    "/api/v1/prices": "record_prices",
    "/api/v1/erp-facts": "record_erp_facts",
    "/api/v1/visitors": "create_visitor_token",
    "/api/v1/catalogue": "account_catalogue",
}


def test_the_schema_is_served_without_a_token(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


def test_the_schema_lists_every_route(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    documented = {
        path: operation["operationId"]
        for path, operations in paths.items()
        for operation in operations.values()
    }
    assert OPERATIONS.items() <= documented.items()


def test_every_route_requires_the_bearer_scheme(client):
    schema = client.get("/api/v1/openapi.json").json()

    schemes = schema["components"]["securitySchemes"]
    assert schemes == {
        "ApiClientAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "A channel API client's token, issued once in the admin.",
        },
        "VisitorAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "A channel API client's token, issued once in the admin, and a "
            "visitor token (POST /api/v1/visitors) in the header X-Visitor-Token.",
        },
        "BrowserVisitorAuth": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Visitor-Token",
            "description": "From a shop's page: the visitor token alone in X-Visitor-Token; "
            "the page's Origin must be among the allowed origins of the API client the token "
            "was issued to.",
        },
    }
    # The placements are also read by shops' pages, with the visitor token alone.
    assert all(
        operation["security"]
        in (
            [{"ApiClientAuth": []}],
            [{"VisitorAuth": []}],
            [{"VisitorAuth": []}, {"BrowserVisitorAuth": []}],
        )
        for operations in schema["paths"].values()
        for operation in operations.values()
    )


def test_the_docs_are_swagger_from_our_own_static_files(client):
    response = client.get("/api/v1/docs")

    html = response.content.decode()
    assert response.status_code == 200
    assert "swagger-ui-bundle.js" in html
    assert "/static/" in html
    assert not any(cdn in html for cdn in ("cdn.", "unpkg", "jsdelivr", "cdnjs"))
