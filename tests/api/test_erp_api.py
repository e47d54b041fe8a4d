"""The ERP reports list prices and stock (PUT /api/v1/erp-facts); products and feeds follow."""

import datetime as dt
from decimal import Decimal

import orjson
import pytest
import time_machine
from lxml import etree
from wagtail.models import Revision

from campaigns.feeds.runs import feed_generate
from campaigns.models import Feed
from campaigns.tasks import feeds_regenerate_due
from channels.models import Scope
from content.models import Product
from tests.factories import ProductFactory, locale

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)
G = "{http://base.google.com/ns/1.0}"


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def drill():
    """HW-1 live in German, with an English translation still a draft."""
    with time_machine.travel(NOW, tick=False):
        german = ProductFactory(sku="HW-1", live=True, with_image=True, price=Decimal("10.00"))
        ProductFactory(
            sku="HW-1",
            locale=locale("en"),
            translation_key=german.translation_key,
            price=Decimal("10.00"),
        )
        ProductFactory(sku="HW-2", live=True, with_image=True, price=Decimal("5.00"))
    return german


@pytest.fixture
def erp(make_api_client):
    return make_api_client("ERP", scopes=[Scope.ERP_FACTS_WRITE])


@pytest.fixture
def put(client):
    def put_(token, *products):
        with time_machine.travel(LATER, tick=False):
            return client.put(
                "/api/v1/erp-facts",
                orjson.dumps({"products": list(products)}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )

    return put_


@pytest.fixture
def feed():
    """A Google Merchant feed of the German live products, not generated yet."""
    feed = Feed(
        name="Google",
        slug="google",
        channel="google_merchant",
        options={"shipping_country": "DE", "shipping_price": "4.95"},
    )
    token = feed.set_token()
    feed.save()
    feed.token = token
    return feed


def facts(sku: str) -> list[tuple]:
    """(language, price, currency, availability, lead time, ERP updated) of each row."""
    return [
        (
            row.locale.language_code,
            row.price,
            row.currency,
            row.availability,
            row.lead_time_days,
            row.erp_updated_at,
        )
        for row in Product.objects.filter(sku=sku).select_related("locale").order_by("locale")
    ]


def feed_items(client, feed) -> dict[str, tuple[str, str]]:
    """SKU -> (g:price, g:availability) in the feed file as served."""
    response = client.get(f"/feeds/{feed.token}/google.xml")
    root = etree.fromstring(b"".join(response.streaming_content))
    return {
        item.findtext(f"{G}id"): (item.findtext(f"{G}price"), item.findtext(f"{G}availability"))
        for item in root.iter("item")
    }


def test_the_facts_land_on_every_language_version_drafts_too(put, erp, drill):
    response = put(
        erp[1],
        {
            "sku": "HW-1",
            "price": "24.50",
            "currency": "CHF",
            "availability": "low_stock",
            "lead_time_days": 5,
        },
    )

    assert response.status_code == 200
    assert response.json() == {"updated": 1, "unchanged": 0, "errors": []}
    assert facts("HW-1") == [
        ("de", Decimal("24.50"), "CHF", "low_stock", 5, LATER),
        ("en", Decimal("24.50"), "CHF", "low_stock", 5, LATER),
    ]


def test_only_the_fields_an_item_gives_are_written(put, erp, drill):
    put(erp[1], {"sku": "HW-1", "availability": "out_of_stock"})

    assert facts("HW-1")[0] == ("de", Decimal("10.00"), "EUR", "out_of_stock", None, LATER)


def test_a_price_without_a_currency_is_in_euros(put, erp, drill):
    put(erp[1], {"sku": "HW-1", "price": "12.00", "currency": "CHF"})

    put(erp[1], {"sku": "HW-1", "price": "11.00"})

    assert facts("HW-1")[0][1:3] == (Decimal("11.00"), "EUR")


def test_null_clears_a_fact(put, erp, drill):
    response = put(erp[1], {"sku": "HW-1", "price": None, "availability": None})

    assert response.json()["updated"] == 1
    assert facts("HW-1")[0][1:4] == (None, "EUR", "")


def test_a_sku_the_hub_does_not_know_is_an_item_error_and_the_others_are_stored(put, erp, drill):
    response = put(
        erp[1],
        {"sku": "NOPE-1", "price": "1.00"},
        {"sku": "HW-2", "price": "6.00"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "updated": 1,
        "unchanged": 0,
        "errors": [
            {"index": 0, "id": "NOPE-1", "field": "sku", "detail": "No product with SKU 'NOPE-1'."}
        ],
    }
    assert facts("HW-2")[0][1] == Decimal("6.00")
    assert not Product.objects.filter(sku="NOPE-1").exists()


@pytest.mark.parametrize(
    ("item", "field", "says"),
    [
        ({"price": "-1"}, "price", "greater than or equal to 0"),
        ({"price": "1.234"}, "price", "2 decimal places"),
        ({"price": "19.90", "currency": "eur"}, "currency", "^[A-Z]{3}$"),
        ({"availability": "plenty"}, "availability", "'in_stock'"),
        ({"lead_time_days": -2}, "lead_time_days", "greater than or equal to 0"),
        ({}, None, "give at least one of price, currency, availability, lead_time_days"),
    ],
)
def test_a_bad_field_is_an_item_error_naming_it_and_the_others_are_stored(
    put, erp, drill, item, field, says
):
    response = put(erp[1], {"sku": "HW-2", "price": "6.00"}, {"sku": "HW-1", **item})

    body = response.json()
    assert response.status_code == 200
    assert [(e["index"], e["id"], e["field"]) for e in body["errors"]] == [(1, "HW-1", field)]
    assert says in body["errors"][0]["detail"]
    assert body["updated"] == 1
    assert facts("HW-1")[0][1:5] == (Decimal("10.00"), "EUR", "in_stock", None)
    assert facts("HW-2")[0][1] == Decimal("6.00")


def test_a_client_without_the_erp_scope_is_refused(put, make_api_client, drill):
    pricing = make_api_client("Price service", scopes=[Scope.PRICES_WRITE])

    response = put(pricing[1], {"sku": "HW-1", "price": "1.00"})

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert facts("HW-1")[0][1] == Decimal("10.00")


def test_the_same_facts_again_write_nothing(client, put, erp, drill, feed):
    put(erp[1], {"sku": "HW-1", "price": "24.50", "availability": "in_stock"})
    Feed.objects.filter(pk=feed.pk).update(dirty_since=None)
    before = Product.objects.get(sku="HW-1", locale=locale("de")).updated_at

    with time_machine.travel(LATER + dt.timedelta(hours=1), tick=False):
        response = client.put(
            "/api/v1/erp-facts",
            orjson.dumps({"products": [{"sku": "HW-1", "price": "24.5"}]}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {erp[1]}",
        )

    assert response.json() == {"updated": 0, "unchanged": 1, "errors": []}
    german = Product.objects.get(sku="HW-1", locale=locale("de"))
    assert (german.erp_updated_at, german.updated_at) == (LATER, before)
    feed.refresh_from_db()
    assert feed.dirty_since is None


def test_within_a_batch_the_last_value_for_a_sku_wins(put, erp, drill):
    response = put(
        erp[1],
        {"sku": "HW-1", "price": "20.00", "availability": "low_stock"},
        {"sku": "HW-1", "price": "21.00"},
    )

    assert response.json() == {"updated": 1, "unchanged": 0, "errors": []}
    assert facts("HW-1")[0][1:4] == (Decimal("21.00"), "EUR", "low_stock")


def test_no_revision_is_made_and_the_workflow_is_untouched(put, erp, drill):
    revisions = Revision.objects.count()

    put(erp[1], {"sku": "HW-1", "price": "24.50"})

    german = Product.objects.get(pk=drill.pk)
    assert Revision.objects.count() == revisions
    assert (german.live, german.has_unpublished_changes) == (True, False)
    assert german.latest_revision is None


def test_readers_of_the_product_api_see_the_new_price(client, put, erp, drill, make_api_client):
    _shop, token = make_api_client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    first = client.get("/api/v1/products/HW-1", **auth)

    put(erp[1], {"sku": "HW-1", "price": "24.50"})
    again = client.get("/api/v1/products/HW-1", HTTP_IF_NONE_MATCH=first["ETag"], **auth)
    changed_since = client.get(
        "/api/v1/products", {"updated_since": NOW.isoformat(), "fields": "sku,price"}, **auth
    )

    assert again.status_code == 200
    assert again.json()["price"] == "24.50"
    assert changed_since.json()["items"] == [{"sku": "HW-1", "price": "24.50"}]


def test_a_change_marks_the_feeds(put, erp, drill, feed):
    with time_machine.travel(NOW, tick=False):
        feed_generate(feed=feed)
    feed.refresh_from_db()
    assert feed.dirty_since is None

    put(erp[1], {"sku": "HW-1", "availability": "out_of_stock"})

    feed.refresh_from_db()
    assert feed.dirty_since == LATER


def test_a_batch_that_fails_stores_nothing_and_marks_nothing(put, erp, drill, feed, monkeypatch):
    Feed.objects.filter(pk=feed.pk).update(dirty_since=None)

    def mark_then_fail():
        Feed.objects.update(dirty_since=LATER)
        raise RuntimeError("database went away")

    monkeypatch.setattr("campaigns.services.prices.feeds_mark_changed", mark_then_fail)

    response = put(erp[1], {"sku": "HW-1", "price": "24.50"})

    assert response.status_code == 500
    feed.refresh_from_db()
    assert feed.dirty_since is None
    assert facts("HW-1")[0][1] == Decimal("10.00")


def test_the_beat_writes_the_new_price_and_stock_into_the_next_feed_file(
    client, put, erp, drill, feed
):
    with time_machine.travel(NOW, tick=False):
        feed_generate(feed=feed)
    assert feed_items(client, feed) == {
        "HW-1": ("11.90 EUR", "in_stock"),
        "HW-2": ("5.95 EUR", "in_stock"),
    }

    put(erp[1], {"sku": "HW-1", "price": "20.00", "availability": "out_of_stock"})
    with time_machine.travel(LATER + dt.timedelta(seconds=30), tick=False):
        feeds_regenerate_due()

    feed.refresh_from_db()
    assert (feed.current_run.trigger, feed.current_run.status) == ("change", "succeeded")
    assert feed_items(client, feed) == {
        "HW-1": ("23.80 EUR", "out_of_stock"),
        "HW-2": ("5.95 EUR", "in_stock"),
    }
