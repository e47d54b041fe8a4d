"""Bearer tokens of API clients: who may read, and what a refused caller sees."""

import pytest

from channels.models import ApiClient, Scope

pytestmark = pytest.mark.django_db

ROUTES = ["/products", "/products/API-1", "/messages", "/categories"]


@pytest.mark.parametrize("path", ROUTES)
def test_a_request_without_a_token_is_unauthorised(api_as, live_product, path):
    response = api_as(None, path)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def test_a_wrong_token_is_unauthorised(api_as, api_client_with_token):
    response = api_as("hub_not-a-token-we-issued", "/products")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_non_bearer_authorisation_header_is_unauthorised(client, token):
    response = client.get("/api/v1/products", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 401


def test_a_valid_token_is_served(api_as, token):
    response = api_as(token, "/products")

    assert response.status_code == 200


def test_a_revoked_client_is_unauthorised_at_once(api_as, api_client_with_token):
    api_client, token = api_client_with_token
    assert api_as(token, "/products").status_code == 200
    api_client.is_active = False
    api_client.save()

    response = api_as(token, "/products")

    assert response.status_code == 401


def test_an_inactive_client_is_unauthorised(api_as, make_api_client):
    _client, token = make_api_client(is_active=False)

    response = api_as(token, "/products")

    assert response.status_code == 401


def test_a_rotated_token_replaces_the_old_one(api_as, api_client_with_token):
    api_client, old_token = api_client_with_token
    new_token = api_client.issue_token()
    api_client.save()

    old = api_as(old_token, "/products")
    new = api_as(new_token, "/products")

    assert old.status_code == 401
    assert new.status_code == 200


@pytest.mark.parametrize("path", ROUTES)
def test_a_client_without_content_read_is_forbidden(api_as, make_api_client, live_product, path):
    _client, token = make_api_client(scopes=[Scope.EVENTS_WRITE])

    response = api_as(token, path)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "content:read" in response.json()["detail"]


def test_a_request_records_when_the_client_was_last_used(api_as, api_client_with_token):
    api_client, token = api_client_with_token

    api_as(token, "/products")

    assert ApiClient.objects.get(pk=api_client.pk).last_used_at is not None


def test_a_refused_token_does_not_record_use(api_as, make_api_client):
    api_client, _token = make_api_client(scopes=[Scope.EVENTS_WRITE])

    api_as("hub_wrong", "/products")

    assert ApiClient.objects.get(pk=api_client.pk).last_used_at is None
