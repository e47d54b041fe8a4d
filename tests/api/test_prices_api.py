"""The ERP reports prices per price group (PUT /api/v1/prices); newsletters show them."""

import datetime as dt
from decimal import Decimal

import orjson
import pytest
import time_machine

from campaigns.models import GroupPrice
from channels.models import Scope
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def products(db):
    """The products the prices are for."""
    for sku in ("HW-1", "HW-2"):
        ProductFactory(sku=sku)


@pytest.fixture
def erp(make_api_client):
    return make_api_client("ERP", scopes=[Scope.PRICES_WRITE])


@pytest.fixture
def put(client):
    def put_(token, body):
        return client.put(
            "/api/v1/prices",
            orjson.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return put_


def stored() -> dict[tuple[str, str], Decimal]:
    return {(p.sku, p.price_group): p.price for p in GroupPrice.objects.all()}


def test_prices_are_stored_per_sku_and_price_group(put, erp):
    response = put(
        erp[1],
        {
            "prices": [
                {"sku": "HW-1", "price_group": "A", "price": "18.90"},
                {"sku": "HW-1", "price_group": "B", "price": "17.50"},
            ]
        },
    )

    assert response.status_code == 200
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}
    assert stored() == {("HW-1", "A"): Decimal("18.90"), ("HW-1", "B"): Decimal("17.50")}


def test_sending_the_same_prices_again_writes_nothing_and_a_change_updates(put, erp):
    body = {"prices": [{"sku": "HW-1", "price_group": "A", "price": "18.90"}]}
    with time_machine.travel("2026-12-01 09:00Z", tick=False):
        put(erp[1], body)
    with time_machine.travel("2026-12-01 10:00Z", tick=False):
        again = put(erp[1], body).json()
    unchanged_at = GroupPrice.objects.get().updated_at
    with time_machine.travel("2026-12-01 11:00Z", tick=False):
        changed = put(
            erp[1], {"prices": [{"sku": "HW-1", "price_group": "A", "price": "19.40"}]}
        ).json()

    assert (again["unchanged"], changed["updated"]) == (1, 1)
    assert stored() == {("HW-1", "A"): Decimal("19.40")}
    assert unchanged_at == dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    assert GroupPrice.objects.get().updated_at == dt.datetime(2026, 12, 1, 11, 0, tzinfo=dt.UTC)


def test_a_bad_item_is_reported_by_index_and_field_and_the_others_are_stored(put, erp):
    response = put(
        erp[1],
        {
            "prices": [
                {"sku": "HW-1", "price_group": "A", "price": "18.90"},
                {"sku": "HW-2", "price_group": "A", "price": "-1"},
            ]
        },
    )

    body = response.json()
    assert body["created"] == 1
    assert [(e["index"], e["id"], e["field"]) for e in body["errors"]] == [(1, "HW-2", "price")]
    assert stored() == {("HW-1", "A"): Decimal("18.90")}


def test_a_client_without_the_prices_scope_is_refused(put, make_api_client):
    shop = make_api_client("Webshop", scopes=[Scope.ORDERS_WRITE])

    response = put(shop[1], {"prices": [{"sku": "HW-1", "price_group": "A", "price": "1"}]})

    assert response.status_code == 403
    assert not GroupPrice.objects.exists()


def test_prices_for_unknown_skus_are_reported_per_item(put, erp):
    response = put(
        erp[1],
        {
            "prices": [
                {"sku": "NOPE-1", "price_group": "A", "price": "1.00"},
                {"sku": "HW-1", "price_group": "A", "price": "18.90"},
                {"sku": "NOPE-2", "price_group": "B", "price": "2.00"},
            ]
        },
    )

    body = response.json()
    assert response.status_code == 200
    assert body["created"] == 1
    assert [(e["index"], e["id"], e["field"], e["detail"]) for e in body["errors"]] == [
        (0, "NOPE-1", "sku", "No product with SKU 'NOPE-1'."),
        (2, "NOPE-2", "sku", "No product with SKU 'NOPE-2'."),
    ]
    assert stored() == {("HW-1", "A"): Decimal("18.90")}
