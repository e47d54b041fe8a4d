"""Channel systems report behaviour events in batches: POST /api/v1/events."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, Event
from channels.models import Scope
from tests.factories import AccountFactory, CategoryFactory, ContactFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def shop(make_api_client):
    """The webshop's API client, allowed to report events, and its token."""
    return make_api_client("Webshop", scopes=[Scope.EVENTS_WRITE])


@pytest.fixture
def post(client):
    def post_(token, body, path="/events"):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        data = body if isinstance(body, (bytes, str)) else orjson.dumps(body)
        return client.post(f"/api/v1{path}", data, content_type="application/json", **headers)

    return post_


@pytest.fixture
def report(post, shop):
    """POST a batch of events as the webshop."""

    def report_(*events):
        return post(shop[1], {"events": list(events)})

    return report_


@pytest.fixture
def erika(db):
    return ContactFactory(email="erika@example.com", external_id="shop-4711", crm_id="crm-1")


def view(key="view-1", email="erika@example.com", **fields):
    return {
        "id": key,
        "type": "product_view",
        "occurred_at": "2026-11-23T10:15:00+01:00",
        "contact": {"email": email},
        "sku": "HW-BEF-0001",
        **fields,
    }


def test_a_request_without_a_token_is_unauthorised(post):
    response = post(None, {"events": [view()]})

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_client_without_events_write_is_forbidden(post, make_api_client, erika):
    _client, token = make_api_client(scopes=[Scope.CONTENT_READ, Scope.ORDERS_WRITE])

    response = post(token, {"events": [view()]})

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "events:write" in response.json()["detail"]
    assert not Event.objects.exists()


def test_an_event_is_stored_with_everything_it_refers_to(report, shop, erika):
    category = CategoryFactory(slug="schrauben")
    campaign = Campaign.objects.create(name="Herbstaktion")

    response = report(
        view(
            category="schrauben",
            campaign=campaign.pk,
            value="129.90",
            data={"page": "/p/hw-bef-0001"},
        )
    )

    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0, "errors": []}
    event = Event.objects.get()
    assert event.contact == erika
    assert event.account == erika.account
    assert event.kind == "product_view"
    assert event.occurred_at == datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
    assert (event.sku, event.category, event.campaign) == ("HW-BEF-0001", category, campaign)
    assert event.value == Decimal("129.90")
    assert event.data == {"page": "/p/hw-bef-0001"}
    assert (event.source, event.idempotency_key) == (f"api:{shop[0].pk}", "view-1")


@pytest.mark.parametrize(
    "contact", [{"email": " Erika@Example.COM "}, {"external_id": "shop-4711"}, {"crm_id": "crm-1"}]
)
def test_a_contact_is_found_by_email_external_id_or_crm_id(report, erika, contact):
    report(view(contact=contact))

    assert Event.objects.get().contact == erika


def test_a_customer_number_names_the_account(report, erika):
    other = AccountFactory(customer_number="K999")

    report(view(customer_number="K999"))

    assert Event.objects.get().account == other


def test_valid_events_are_stored_while_the_bad_ones_are_reported_by_index(report, erika):
    response = report(
        view("a"),
        view("b", email="nobody@example.com"),
        view("c"),
        view("d", type="teleported"),
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    assert [(e["index"], e["id"], e["field"]) for e in body["errors"]] == [
        (1, "b", "contact.email"),
        (3, "d", "type"),
    ]
    assert "nobody@example.com" in body["errors"][0]["detail"]
    assert sorted(Event.objects.values_list("idempotency_key", flat=True)) == ["a", "c"]


def test_an_unknown_contact_is_not_created(report, erika):
    report(view(email="anonymous@example.com"))

    assert not Event.objects.exists()
    assert not erika.__class__.objects.filter(email="anonymous@example.com").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": ""}, "id"),
        ({"id": "x" * 101}, "id"),
        ({"occurred_at": "2026-11-23T10:15:00"}, "occurred_at"),
        ({"occurred_at": 1763892900}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"contact": {}}, "contact"),
        ({"contact": {"email": "erika@example.com", "crm_id": "crm-1"}}, "contact"),
        ({"value": "12.345"}, "value"),
        ({"value": "NaN"}, "value"),
        ({"campaign": "first"}, "campaign"),
        ({"data": {"blob": "x" * 3000}}, "data"),
        ({"colour": "red"}, "colour"),
        ({"type": "order"}, "type"),
    ],
)
def test_an_event_breaking_the_schema_is_reported_by_field(report, erika, change, field):
    response = report(view("bad", **change), view("good"))

    body = response.json()
    assert response.status_code == 200
    assert body["accepted"] == 1
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(0, field)]


def test_data_may_hold_integers_of_any_size(post, shop, erika):
    body = json.dumps({"events": [view(data={"huge": 2**70})]})

    response = post(shop[1], body)

    assert response.json()["accepted"] == 1
    assert Event.objects.get().data == {"huge": 2**70}


def test_data_with_nan_is_reported_as_not_json(post, shop, erika):
    body = json.dumps({"events": [view(data={"score": float("nan")})]})

    response = post(shop[1], body)

    assert [(e["field"], e["detail"]) for e in response.json()["errors"]] == [
        ("data", "plain JSON only: no NaN or Infinity")
    ]
    assert not Event.objects.exists()


def test_an_item_that_is_not_an_object_is_reported_as_a_whole(report, erika):
    response = report("view-1", view("good"))

    assert response.json()["errors"] == [
        {"index": 0, "id": None, "field": None, "detail": "An item must be a JSON object."}
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_number": "K404"}, "customer_number"),
        ({"category": "gibts-nicht"}, "category"),
        ({"campaign": 404}, "campaign"),
        ({"contact": {"external_id": "shop-0"}}, "contact.external_id"),
        ({"contact": {"crm_id": "crm-0"}}, "contact.crm_id"),
    ],
)
def test_an_unknown_reference_is_reported_by_field(report, erika, change, field):
    response = report(view(**change))

    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(0, field)]
    assert not Event.objects.exists()


def test_an_event_in_the_future_is_refused(report, erika):
    late = (NOW + timedelta(hours=1)).isoformat()
    skewed = (NOW + timedelta(minutes=5)).isoformat()

    response = report(view("late", occurred_at=late), view("skewed", occurred_at=skewed))

    assert response.json()["accepted"] == 1
    assert [(e["id"], e["field"]) for e in response.json()["errors"]] == [("late", "occurred_at")]


def test_sending_the_same_batch_again_stores_nothing_twice(report, erika):
    batch = [view("a"), view("b"), view("c", email="nobody@example.com")]
    report(*batch)

    response = report(*batch)

    body = response.json()
    assert (body["accepted"], body["duplicates"], len(body["errors"])) == (0, 2, 1)
    assert Event.objects.count() == 2


def test_a_retried_event_keeps_what_was_first_stored(report, erika):
    report(view("a", sku="FIRST"))

    report(view("a", sku="SECOND"))

    assert list(Event.objects.values_list("sku", flat=True)) == ["FIRST"]


def test_an_id_repeated_within_a_batch_is_stored_once(report, erika):
    response = report(view("a"), view("a"), view("b"))

    assert (response.json()["accepted"], response.json()["duplicates"]) == (2, 1)
    assert Event.objects.count() == 2


def test_the_same_id_from_another_client_is_another_event(report, post, make_api_client, erika):
    report(view("a"))
    _app, app_token = make_api_client("App", scopes=[Scope.EVENTS_WRITE])

    response = post(app_token, {"events": [view("a")]})

    assert response.json()["accepted"] == 1
    assert Event.objects.count() == 2


def assert_bad_request_naming(response, name):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert name in [error["name"] for error in body["errors"]]


def test_more_than_a_thousand_events_are_refused_and_none_stored(report, erika):
    events = [view(f"e{n}") for n in range(1001)]

    response = report(*events)

    assert_bad_request_naming(response, "events")
    assert "1000" in response.json()["detail"]
    assert not Event.objects.exists()


def test_a_thousand_events_are_accepted(report, erika):
    response = report(*(view(f"e{n}") for n in range(1000)))

    assert response.json()["accepted"] == 1000
    assert Event.objects.count() == 1000


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]"])
def test_a_body_that_is_not_a_json_object_is_refused(post, shop, body):
    response = post(shop[1], body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "body", [{}, {"events": []}, {"events": {"id": "a"}}, {"events": "all of them"}]
)
def test_a_body_without_a_list_of_events_is_refused(post, shop, erika, body):
    response = post(shop[1], body)

    assert_bad_request_naming(response, "events")
    assert not Event.objects.exists()


def test_repeated_product_views_move_a_contact_into_consideration(
    report, erika, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report(view("a"), view("b"))

    erika.refresh_from_db()
    assert erika.phase == "consideration"
    assert erika.phase_changes.get().to_phase == "consideration"


def test_a_batch_of_duplicates_asks_the_journey_engine_nothing(
    report, erika, django_capture_on_commit_callbacks
):
    report(view("a"))

    with django_capture_on_commit_callbacks() as callbacks:
        report(view("a"))

    assert callbacks == []


def insert_statements(queries, table="campaigns_event"):
    return [q for q in queries if q["sql"].lstrip().startswith(f'INSERT INTO "{table}"')]


def test_a_batch_costs_the_same_queries_whatever_its_size(report, erika):
    AccountFactory(customer_number="K1")
    CategoryFactory(slug="schrauben")
    campaign = Campaign.objects.create(name="Herbstaktion")
    contacts = [ContactFactory() for _ in range(20)]

    def batch(prefix, size):
        return [
            view(
                f"{prefix}{n}",
                email=contacts[n % len(contacts)].email,
                customer_number="K1",
                category="schrauben",
                campaign=campaign.pk,
            )
            for n in range(size)
        ]

    report(*batch("warm", 1))  # records the client's last use, which later requests skip
    with CaptureQueriesContext(connection) as small:
        assert report(*batch("s", 10)).json()["accepted"] == 10
    with CaptureQueriesContext(connection) as large:
        assert report(*batch("l", 1000)).json()["accepted"] == 1000

    # SQLite caps the parameters of one statement, so Django splits a bulk insert there;
    # PostgreSQL takes the thousand rows in one INSERT.
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    chunks = -(-1000 // connection.ops.bulk_batch_size(fields, [None] * 1000))
    assert len(insert_statements(small)) == 1
    assert len(insert_statements(large)) == chunks
    # One segment-state mark for the day the events happened, whatever their number.
    assert len(insert_statements(small, "campaigns_segmentchange")) == 1
    assert len(insert_statements(large, "campaigns_segmentchange")) == 1
    assert len(large) - chunks == len(small) - 1


def test_a_body_over_the_upload_limit_is_refused_as_too_large(post, shop, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post(shop[1], {"events": [view(f"e{n}") for n in range(20)]})

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert not Event.objects.exists()


def test_the_rate_limit_counts_event_batches_too(report, erika, settings):
    settings.HUB_API_RATE_LIMIT = "1/min"
    report(view("a"))

    response = report(view("b"))

    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert Event.objects.count() == 1
