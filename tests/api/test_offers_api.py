"""GET /api/v1/offers: the shop asks for its logged-in customer's offers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from campaigns.models import GroupPrice
from campaigns.offers.refresh import offers_refresh
from channels.models import Scope
from content.models import ProductRelation
from tests.factories import (
    AccountFactory,
    ContactFactory,
    EventFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def shop(make_api_client):
    return make_api_client("Shop", scopes=[Scope.VISITORS_WRITE, Scope.PLACEMENTS_READ])


@pytest.fixture
def visitor_for(post_visitor, shop):
    def token(email):
        return post_visitor(shop[1], {"email": email}).json()["token"]

    return token


@pytest.fixture
def offers(client, shop):
    def get(visitor_token, data=None, **headers):
        return client.get(
            "/api/v1/offers",
            data,
            HTTP_AUTHORIZATION=f"Bearer {shop[1]}",
            HTTP_X_VISITOR_TOKEN=visitor_token,
            **headers,
        )

    return get


@pytest.fixture
def erika():
    """Erika's account (price group B) orders grease monthly and bought a pump with a seal
    as its spare part; Erika looked at a valve yesterday."""
    contact = ContactFactory(email="erika@example.com", account=AccountFactory(price_group="B"))
    ProductFactory(sku="GREASE-1", name="Schmierfett", live=True, price=Decimal("12.50"))
    pump = ProductFactory(sku="PUMP-1", name="Kreiselpumpe", live=True)
    seal = ProductFactory(
        sku="SEAL-1", name="Dichtung", live=True, price=Decimal("4.00"), lead_time_days=5
    )
    ProductFactory(sku="VALVE-1", name="Ventil", live=True, price=None)
    ProductRelation.objects.create(product=pump, related=seal, kind="spare_part")
    GroupPrice.objects.create(sku="GREASE-1", price_group="B", price=Decimal("9.80"))
    for month, day in ((9, 2), (10, 2), (11, 1)):
        when = dt.datetime(2026, month, day, 9, 0, tzinfo=dt.UTC)
        OrderLineFactory(order=OrderFactory(contact=contact, ordered_at=when), sku="GREASE-1")
    OrderLineFactory(order=OrderFactory(contact=contact, ordered_at=NOW), sku="PUMP-1")
    EventFactory(contact=contact, sku="VALVE-1", occurred_at=NOW - dt.timedelta(days=1))
    offers_refresh(account_ids=[contact.account_id])
    return contact


def test_the_visitor_gets_their_accounts_offers_in_the_kinds_order(offers, visitor_for, erika):
    response = offers(
        visitor_for("erika@example.com"),
        {"locale": "de", "kinds": "viewed,reorder,spare_part", "limit": 5},
    )

    assert response.status_code == 200
    assert response.json()["items"] == [
        {
            "sku": "VALVE-1",
            "name": "Ventil",
            "url": "https://shop.example.com/p/VALVE-1",
            "image_url": "",
            "price": None,
            "currency": "EUR",
            "price_basis": None,
            "lead_time_days": None,
            "kind": "viewed",
            "reason": "Sie haben sich das am 5. Dezember 2026 angesehen.",
        },
        {
            "sku": "GREASE-1",
            "name": "Schmierfett",
            "url": "https://shop.example.com/p/GREASE-1",
            "image_url": "",
            "price": "9.80",
            "currency": "EUR",
            "price_basis": "price_group",
            "lead_time_days": None,
            "kind": "reorder",
            "reason": "Sie bestellen das etwa alle 30 Tage; zuletzt bestellt am 1. November 2026.",
        },
        {
            "sku": "SEAL-1",
            "name": "Dichtung",
            "url": "https://shop.example.com/p/SEAL-1",
            "image_url": "",
            "price": "4.00",
            "currency": "EUR",
            "price_basis": "list_price",
            "lead_time_days": 5,
            "kind": "spare_part",
            "reason": "Ein Ersatzteil für Kreiselpumpe, das Sie gekauft haben.",
        },
    ]


def test_limit_caps_the_answer(offers, visitor_for, erika):
    response = offers(visitor_for("erika@example.com"), {"kinds": "spare_part,reorder", "limit": 1})

    assert [item["sku"] for item in response.json()["items"]] == ["SEAL-1"]


def test_the_answer_is_private_cacheable_and_revalidates(offers, visitor_for, erika):
    token = visitor_for("erika@example.com")
    first = offers(token, {"kinds": "reorder"})

    again = offers(token, {"kinds": "reorder"}, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["Cache-Control"] == "private, max-age=60"
    assert again.status_code == 304
    assert again["Cache-Control"] == "private, max-age=60"


def test_an_unknown_kind_is_refused_naming_the_parameter(offers, visitor_for, erika):
    response = offers(visitor_for("erika@example.com"), {"kinds": "reorder,bestsellers"})

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "name": "kinds",
            "location": "query",
            "detail": "Unknown kind 'bestsellers'; use "
            "reorder,spare_part,accessory,complementary,viewed.",
        }
    ]


def test_an_anonymous_visitor_gets_an_empty_list(offers, visitor_for, erika):
    response = offers(visitor_for("nobody@example.org"))

    assert response.status_code == 200
    assert response.json() == {"items": []}


def test_another_accounts_visitor_sees_none_of_it(offers, visitor_for, erika):
    ContactFactory(email="max@example.org")

    response = offers(visitor_for("max@example.org"))

    assert response.json() == {"items": []}


def test_without_a_visitor_token_the_answer_is_401(client, shop, erika):
    response = client.get("/api/v1/offers", HTTP_AUTHORIZATION=f"Bearer {shop[1]}")

    assert response.status_code == 401
    assert response.json()["errors"][0]["name"] == "X-Visitor-Token"


def test_a_client_without_the_placements_scope_is_refused(
    client, make_api_client, post_visitor, erika
):
    _client, token = make_api_client("Feed", scopes=[Scope.VISITORS_WRITE])
    visitor = post_visitor(token, {"email": "erika@example.com"}).json()["token"]

    response = client.get(
        "/api/v1/offers", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_VISITOR_TOKEN=visitor
    )

    assert response.status_code == 403
