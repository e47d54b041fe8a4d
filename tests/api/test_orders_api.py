"""The webshop and the ERP report orders with their lines: POST /api/v1/orders."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, Event, Order, OrderLine
from channels.models import ApiClient, Scope
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def post(client):
    def post_(token, body):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        return client.post("/api/v1/orders", data, content_type="application/json", **headers)

    return post_


@pytest.fixture
def shop(make_api_client):
    return make_api_client("Webshop", scopes=[Scope.ORDERS_WRITE])


@pytest.fixture
def report(post, shop):
    """POST a batch of orders as the webshop."""

    def report_(*orders):
        return post(shop[1], {"orders": list(orders)})

    return report_


@pytest.fixture
def erika(db):
    return ContactFactory(
        email="erika@example.com", account=AccountFactory(customer_number="K000123")
    )


def order(number="WS-1", **fields):
    return {
        "order_number": number,
        "ordered_at": "2026-11-23T10:30:00+01:00",
        "currency": "EUR",
        "contact": {"email": "erika@example.com"},
        "lines": [
            {"sku": "HW-BEF-0001", "quantity": "10", "unit_price": "19.90"},
            {"sku": "HW-BEF-0002", "quantity": "2.5", "unit_price": "3.33"},
        ],
        **fields,
    }


def lines_of(stored):
    return list(stored.lines.values_list("sku", "quantity", "unit_price", "line_total"))


def test_a_request_without_a_token_is_unauthorised(post):
    response = post(None, {"orders": [order()]})

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_client_without_orders_write_is_forbidden(post, make_api_client, erika):
    _client, token = make_api_client(scopes=[Scope.CONTENT_READ, Scope.EVENTS_WRITE])

    response = post(token, {"orders": [order()]})

    assert response.status_code == 403
    assert "orders:write" in response.json()["detail"]
    assert not Order.objects.exists()


def test_a_new_order_is_stored_with_its_lines_and_their_sum_as_revenue(report, shop, erika):
    response = report(order())

    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0, "errors": []}
    stored = Order.objects.get()
    assert (stored.external_id, stored.source) == ("WS-1", f"api:{shop[0].pk}")
    assert (stored.contact, stored.account) == (erika, erika.account)
    assert stored.ordered_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert stored.revenue == Decimal("207.33")  # 199.00 + 8.325 rounded half up
    assert lines_of(stored) == [
        ("HW-BEF-0001", Decimal("10"), Decimal("19.90"), Decimal("199.00")),
        ("HW-BEF-0002", Decimal("2.5"), Decimal("3.33"), Decimal("8.33")),
    ]


def test_a_given_revenue_wins_over_the_lines(report, erika):
    report(order(revenue="150.00"))

    assert Order.objects.get().revenue == Decimal("150.00")


def test_an_order_can_name_only_the_account(report, erika):
    campaign = Campaign.objects.create(name="Herbstaktion")

    report(order(contact=None, customer_number="K000123", campaign=campaign.pk))

    stored = Order.objects.get()
    assert (stored.contact, stored.account, stored.campaign) == (None, erika.account, campaign)


def test_sending_an_order_again_leaves_it_unchanged(report, erika):
    report(order())
    before = Order.objects.get()
    line_ids = list(OrderLine.objects.values_list("pk", flat=True))

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        response = report(order())

    assert response.json() == {"created": 0, "updated": 0, "unchanged": 1, "errors": []}
    after = Order.objects.get()
    assert after.updated_at == before.updated_at
    assert list(OrderLine.objects.values_list("pk", flat=True)) == line_ids


def test_a_changed_order_is_updated_and_its_lines_replaced(report, erika):
    report(order())
    later = NOW + timedelta(minutes=5)

    with time_machine.travel(later, tick=False):
        response = report(
            order(lines=[{"sku": "HW-BEF-0003", "quantity": "1", "unit_price": "5.00"}])
        )

    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0, "errors": []}
    stored = Order.objects.get()
    assert stored.revenue == Decimal("5.00")
    assert stored.updated_at == later
    assert lines_of(stored) == [("HW-BEF-0003", Decimal("1"), Decimal("5.00"), Decimal("5.00"))]


def test_each_order_is_also_one_order_event(report, erika):
    campaign = Campaign.objects.create(name="Herbstaktion")

    report(order(campaign=campaign.pk))
    report(order(campaign=campaign.pk))

    event = Event.objects.get()
    assert (event.kind, event.contact, event.account) == ("order", erika, erika.account)
    assert (event.campaign, event.value) == (campaign, Decimal("207.33"))
    assert event.occurred_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert event.data["order_number"] == "WS-1"


def test_the_order_event_follows_a_changed_order(report, erika):
    report(order())

    report(order(revenue="99.00"))

    assert list(Event.objects.values_list("kind", "value")) == [("order", Decimal("99.00"))]


def test_a_reported_order_moves_its_contact_into_the_transaction_phase(
    report, erika, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report(order())

    erika.refresh_from_db()
    assert erika.phase == "transaction"


def test_a_webshops_orders_and_the_erps_are_kept_apart(report, post, shop, make_api_client, erika):
    erp, erp_token = make_api_client("ERP", scopes=[Scope.ORDERS_WRITE, Scope.ORDERS_WRITE_ERP])
    ApiClient.objects.filter(pk=erp.pk).update(channel="print")
    report(order("4711"))

    response = post(erp_token, {"orders": [order("4711", revenue="1.00")]})

    assert response.json()["created"] == 1
    assert dict(Order.objects.values_list("source", "revenue")) == {
        f"api:{shop[0].pk}": Decimal("207.33"),
        "erp": Decimal("1.00"),
    }
    assert Event.objects.filter(kind="order").count() == 2


def test_valid_orders_are_stored_while_the_bad_ones_are_reported(report, erika):
    response = report(
        order("A"),
        order("B", contact={"email": "nobody@example.com"}),
        order("C", customer_number="K404"),
        order("D", contact=None),
        order("A"),
        order("E", ordered_at=(NOW + timedelta(days=1)).isoformat()),
        order("F", lines=[{"sku": "X", "quantity": "-1", "unit_price": "1.00"}]),
        order("G", currency="euro"),
        order("H", campaign=404),
    )

    body = response.json()
    assert body["created"] == 1
    assert [(e["index"], e["id"], e["field"]) for e in body["errors"]] == [
        (1, "B", "contact.email"),
        (2, "C", "customer_number"),
        (3, "D", "contact"),
        (4, "A", "order_number"),
        (5, "E", "ordered_at"),
        (6, "F", "lines.0.quantity"),
        (7, "G", "currency"),
        (8, "H", "campaign"),
    ]
    assert list(Order.objects.values_list("external_id", flat=True)) == ["A"]


def test_more_than_five_hundred_orders_are_refused_and_none_stored(report, erika):
    response = report(*(order(f"N{n}") for n in range(501)))

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "orders" in [error["name"] for error in response.json()["errors"]]
    assert not Order.objects.exists()


def test_a_body_that_is_not_json_is_refused(post, shop):
    response = post(shop[1], b"<orders/>")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_a_batch_costs_the_same_queries_whatever_its_size(report, erika):
    campaign = Campaign.objects.create(name="Herbstaktion")

    def batch(prefix, size, **fields):
        return [
            order(f"{prefix}{n}", customer_number="K000123", campaign=campaign.pk, **fields)
            for n in range(size)
        ]

    report(*batch("warm", 1))  # records the client's last use, which later requests skip
    report(*batch("s", 3))
    report(*batch("l", 25))
    with CaptureQueriesContext(connection) as small:
        assert report(*batch("s", 3, revenue="1.00"), *batch("sn", 3)).json()["updated"] == 3
    with CaptureQueriesContext(connection) as large:
        assert report(*batch("l", 25, revenue="1.00"), *batch("ln", 25)).json()["updated"] == 25

    # Sizes stay below SQLite's limit of parameters per statement, where Django splits
    # bulk writes; PostgreSQL has none.
    assert len(large) == len(small)


def test_a_client_without_the_erp_scope_cannot_touch_the_erps_orders(post, make_api_client, erika):
    _erp, erp_token = make_api_client("ERP", scopes=[Scope.ORDERS_WRITE, Scope.ORDERS_WRITE_ERP])
    marketplace, token = make_api_client("Marketplace", scopes=[Scope.ORDERS_WRITE])
    ApiClient.objects.filter(pk=marketplace.pk).update(channel="marketplace")
    post(erp_token, {"orders": [order("4711", revenue="100.00")]})

    response = post(token, {"orders": [order("4711", revenue="0.01")]})

    assert response.json()["created"] == 1
    assert Order.objects.get(source="erp", external_id="4711").revenue == Decimal("100.00")
    assert Order.objects.get(source=f"api:{marketplace.pk}").revenue == Decimal("0.01")


def test_two_clients_without_the_erp_scope_keep_their_own_orders(post, make_api_client, erika):
    first, first_token = make_api_client("Shop A", scopes=[Scope.ORDERS_WRITE])
    second, second_token = make_api_client("Shop B", scopes=[Scope.ORDERS_WRITE])
    post(first_token, {"orders": [order("1", revenue="10.00")]})

    response = post(second_token, {"orders": [order("1", revenue="20.00")]})

    assert response.json()["created"] == 1
    assert dict(Order.objects.values_list("source", "revenue")) == {
        f"api:{first.pk}": Decimal("10.00"),
        f"api:{second.pk}": Decimal("20.00"),
    }


def test_a_negative_revenue_is_refused_as_a_field_error(report, erika):
    response = report(order("OK"), order("NEG", revenue="-5.00"))

    assert response.status_code == 200
    assert response.json()["created"] == 1
    [error] = response.json()["errors"]
    assert (error["index"], error["id"], error["field"]) == (1, "NEG", "revenue")
    assert "greater than or equal to 0" in error["detail"]
    assert list(Order.objects.values_list("external_id", flat=True)) == ["OK"]


def test_a_negative_unit_price_is_refused_naming_the_line(report, erika):
    lines = [
        {"sku": "HW-BEF-0001", "quantity": "1", "unit_price": "19.90"},
        {"sku": "HW-BEF-0002", "quantity": "1", "unit_price": "-19.90"},
    ]

    response = report(order("NEG", lines=lines))

    [error] = response.json()["errors"]
    assert (error["index"], error["id"], error["field"]) == (0, "NEG", "lines.1.unit_price")
    assert not Order.objects.exists()
