"""POST /api/v1/visitors: a shop's visitor tokens, and how the catalogue refuses bad ones."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from channels.models import Scope
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def catalogue_as(client):
    def get(token, visitor_token):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if visitor_token is not None:
            headers["HTTP_X_VISITOR_TOKEN"] = visitor_token
        return client.get("/api/v1/catalogue", **headers)

    return get


@time_machine.travel(NOW, tick=False)
def test_a_known_email_gets_a_token_that_expires_after_the_configured_lifetime(
    post_visitor, shop, settings
):
    settings.HUB_VISITOR_TOKEN_SECONDS = 900
    ContactFactory(email="erika@example.com")

    response = post_visitor(shop[1], {"email": "Erika@Example.com"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert response["Cache-Control"] == "no-store"
    assert datetime.fromisoformat(body["expires_at"]) == NOW + timedelta(seconds=900)


@time_machine.travel(NOW, tick=False)
def test_an_unknown_email_gets_an_answer_of_the_same_shape_and_length(post_visitor, shop):
    ContactFactory(email="erika@example.com")

    known = post_visitor(shop[1], {"email": "erika@example.com"})
    unknown = post_visitor(shop[1], {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 200
    assert set(known.json()) == set(unknown.json())
    assert known.json()["expires_at"] == unknown.json()["expires_at"]
    assert len(known.json()["token"]) == len(unknown.json()["token"])
    assert "erika" not in known.content.decode()


def test_a_crm_id_finds_the_contact_and_the_catalogue_answers_for_it(
    post_visitor, shop, catalogue_as
):
    ContactFactory(crm_id="0031X000ABC")

    response = post_visitor(shop[1], {"crm_id": "0031X000ABC"})
    catalogue = catalogue_as(shop[1], response.json()["token"])

    assert response.status_code == 200
    assert catalogue.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"email": "erika@example.com", "crm_id": "1"}, "body"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "erika@example.com", "name": "Erika"}, "name"),
        ({"crm_id": ""}, "crm_id"),
        (b"", "body"),
        (b"[1, 2]", "body"),
        (b"{not json", "body"),
    ],
)
def test_a_bad_body_is_a_422_naming_the_field(post_visitor, shop, body, field):
    response = post_visitor(shop[1], body)

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in [error["name"] for error in response.json()["errors"]]


def test_issuing_tokens_needs_the_visitors_scope(post_visitor, make_api_client):
    _client, token = make_api_client("Reader", scopes=[Scope.CATALOGUE_READ])

    response = post_visitor(token, {"email": "erika@example.com"})

    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")


def test_the_catalogue_needs_its_scope(post_visitor, make_api_client, catalogue_as):
    _client, token = make_api_client("Issuer", scopes=[Scope.VISITORS_WRITE])
    visitor = post_visitor(token, {"email": "erika@example.com"}).json()["token"]

    response = catalogue_as(token, visitor)

    assert response.status_code == 403


def test_an_expired_token_is_a_401_that_says_so(post_visitor, shop, catalogue_as, settings):
    settings.HUB_VISITOR_TOKEN_SECONDS = 3600
    ContactFactory(email="erika@example.com")
    with time_machine.travel(NOW, tick=False):
        visitor = post_visitor(shop[1], {"email": "erika@example.com"}).json()["token"]

    with time_machine.travel(NOW + timedelta(seconds=3599), tick=False):
        still_valid = catalogue_as(shop[1], visitor)
    with time_machine.travel(NOW + timedelta(seconds=3600), tick=False):
        expired = catalogue_as(shop[1], visitor)

    assert still_valid.status_code == 200
    assert expired.status_code == 401
    assert expired["Content-Type"].startswith("application/problem+json")
    assert "expired" in expired.json()["detail"]
    assert "erika" not in expired.content.decode()


def test_a_forged_token_is_a_401_that_says_it_is_invalid(post_visitor, shop, catalogue_as):
    visitor = post_visitor(shop[1], {"email": "erika@example.com"}).json()["token"]
    forged = visitor[:-6] + ("AAAAAA" if not visitor.endswith("AAAAAA") else "BBBBBB")

    responses = [catalogue_as(shop[1], token) for token in (forged, "not-a-token", "")]

    assert [r.status_code for r in responses] == [401, 401, 401]
    assert "invalid" in responses[0].json()["detail"]
    assert "invalid" in responses[1].json()["detail"]
    assert "X-Visitor-Token" in responses[2].json()["detail"]


def test_a_token_issued_to_another_shop_is_a_401(post_visitor, shop, make_api_client, catalogue_as):
    other = make_api_client("Other shop", scopes=[Scope.VISITORS_WRITE, Scope.CATALOGUE_READ])
    ContactFactory(email="erika@example.com")
    visitor = post_visitor(other[1], {"email": "erika@example.com"}).json()["token"]

    response = catalogue_as(shop[1], visitor)

    assert response.status_code == 401
    assert "invalid" in response.json()["detail"]


def test_a_token_in_the_url_is_not_read(post_visitor, shop, client):
    visitor = post_visitor(shop[1], {"email": "erika@example.com"}).json()["token"]

    response = client.get(
        "/api/v1/catalogue",
        {"visitor_token": visitor},
        HTTP_AUTHORIZATION=f"Bearer {shop[1]}",
    )

    assert response.status_code == 401
