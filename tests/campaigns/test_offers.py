"""Offers from purchase history: what a shop is given for a contact's account, and why.

Orders go in through ``orders_record`` as the ERP reports them; the account's offers are
recomputed when that transaction commits, and ``offers_for`` reads them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import AccountOffer, GroupPrice
from campaigns.offers import offers_for
from campaigns.offers.refresh import offers_refresh_all
from campaigns.services.events import ContactRef, OrderInput, OrderLineInput, orders_record
from content.models import Product, ProductRelation
from tests.factories import (
    AccountFactory,
    CategoryFactory,
    ContactFactory,
    EventFactory,
    ProductFactory,
    locale,
)

pytestmark = pytest.mark.django_db

# Mid-morning in Berlin, so that local and UTC dates agree.
SEP_2 = dt.datetime(2026, 9, 2, 9, 0, tzinfo=dt.UTC)
OCT_2 = dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC)
NOV_1 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def erika():
    return ContactFactory(email="erika@example.com", account=AccountFactory(price_group=""))


@pytest.fixture
def buy(django_capture_on_commit_callbacks):
    """The ERP reports an order of these SKUs by ``contact`` at ``when``; the account's
    offers are recomputed on commit as in production (the clock then: ``when`` + 1 hour)."""
    numbers = iter(range(1, 10_000))

    def order(contact, when: dt.datetime, *skus: str) -> None:
        with at(when + dt.timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
            result = orders_record(
                source="erp",
                items=[
                    OrderInput(
                        order_number=f"O-{contact.pk}-{next(numbers)}",
                        ordered_at=when,
                        currency="EUR",
                        contact=ContactRef(email=contact.email),
                        lines=tuple(
                            OrderLineInput(
                                sku=sku,
                                quantity=Decimal("1"),
                                unit_price=Decimal("10.00"),
                            )
                            for sku in skus
                        ),
                    )
                ],
            )
        assert not result.errors

    return order


def live(sku: str, name: str, *, categories=(), **fields) -> Product:
    product = ProductFactory(sku=sku, name=name, live=True, **fields)
    if categories:
        product.categories.set(categories)
        product.save()
    return product


def english(product: Product, name: str) -> Product:
    return ProductFactory(
        sku=product.sku,
        name=name,
        live=True,
        locale=locale("en"),
        translation_key=product.translation_key,
        lead_time_days=product.lead_time_days,
        price=product.price,
    )


def shown(offers) -> list[tuple[str, str]]:
    return [(offer.kind, offer.product.sku) for offer in offers]


@pytest.fixture
def monthly_grease(erika, buy):
    """Erika's account orders grease on 2 September, 2 October and 1 November."""
    english(live("GREASE-1", "Schmierfett", price=Decimal("12.50")), "Grease")
    for when in (SEP_2, OCT_2, NOV_1):
        buy(erika, when, "GREASE-1")


def test_a_product_ordered_every_30_days_is_offered_again_when_due_and_not_before(
    erika, monthly_grease
):
    # Due 30 days after 1 November, three days (a tenth of the interval) early: 28 November.
    with at(dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)):
        early = offers_for(contact_id=erika.pk, locale="en", kinds=["reorder"], limit=4)
    with at(dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)):
        due = offers_for(contact_id=erika.pk, locale="en", kinds=["reorder"], limit=4)

    assert early == ()
    assert shown(due) == [("reorder", "GREASE-1")]
    assert due[0].product.name == "Grease"
    assert due[0].product.price == Decimal("12.50")
    assert due[0].reason == "You order this about every 30 days; last ordered on Nov. 1, 2026."


def test_the_reason_gives_the_date_as_the_answers_language_writes_it(erika, monthly_grease):
    with at(NOW):
        offers = offers_for(contact_id=erika.pk, locale="de", kinds=["reorder"], limit=4)

    assert offers[0].product.name == "Schmierfett"
    assert offers[0].reason.endswith("zuletzt bestellt am 1. November 2026.")


def test_a_product_ordered_twice_is_no_habit_yet(erika, buy):
    live("GREASE-1", "Schmierfett")
    buy(erika, OCT_2, "GREASE-1")
    buy(erika, NOV_1, "GREASE-1")

    with at(NOW):
        offers = offers_for(contact_id=erika.pk, locale="de", kinds=["reorder"], limit=4)

    assert offers == ()


def test_a_long_delivery_time_makes_the_reorder_due_earlier(erika, buy):
    live("GREASE-1", "Schmierfett", lead_time_days=10)
    for when in (SEP_2, OCT_2, NOV_1):
        buy(erika, when, "GREASE-1")

    with at(dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)):
        offers = offers_for(contact_id=erika.pk, locale="de", kinds=["reorder"], limit=4)

    assert shown(offers) == [("reorder", "GREASE-1")]
    assert offers[0].lead_time_days == 10


def test_a_spare_part_of_a_bought_product_is_offered_naming_that_product(erika, buy):
    pump = english(live("PUMP-1", "Kreiselpumpe KP-40"), "Centrifugal pump KP-40")
    seal = english(live("SEAL-1", "Gleitringdichtung"), "Mechanical seal")
    hose = english(live("HOSE-1", "Saugschlauch"), "Suction hose")
    bought_filter = live("FILTER-1", "Filter")
    for source in Product.objects.filter(sku="PUMP-1"):
        ProductRelation.objects.create(product=source, related=seal, kind="spare_part")
        ProductRelation.objects.create(product=source, related=hose, kind="accessory")
        ProductRelation.objects.create(product=source, related=bought_filter, kind="spare_part")
    buy(erika, OCT_2, pump.sku, "FILTER-1")

    with at(NOW):
        offers = offers_for(
            contact_id=erika.pk, locale="en", kinds=["spare_part", "accessory"], limit=4
        )

    assert shown(offers) == [("spare_part", "SEAL-1"), ("accessory", "HOSE-1")]
    assert offers[0].reason == "A spare part for Centrifugal pump KP-40, which you bought."
    assert offers[1].reason == "An accessory for Centrifugal pump KP-40, which you bought."


def test_complementary_products_come_from_the_category_bought_most(erika, buy):
    pumps = CategoryFactory(name="Pumpen", name_en="Pumps")
    tools = CategoryFactory(name="Werkzeug", name_en="Tools")
    for sku in ("PUMP-1", "PUMP-2"):
        live(sku, sku, categories=[pumps])
    live("PUMP-9", "Tauchpumpe", categories=[pumps])
    live("DRILL-1", "Bohrer", categories=[tools])
    live("DRILL-9", "Akkubohrer", categories=[tools])
    buy(erika, SEP_2, "PUMP-1")
    buy(erika, OCT_2, "PUMP-2")
    buy(erika, NOV_1, "DRILL-1")

    with at(NOW):
        english_offers = offers_for(
            contact_id=erika.pk, locale="en", kinds=["complementary"], limit=4
        )
        german_offers = offers_for(
            contact_id=erika.pk, locale="de", kinds=["complementary"], limit=1
        )

    assert english_offers == ()  # no English versions of these products
    assert shown(german_offers) == [("complementary", "PUMP-9")]
    assert german_offers[0].reason == "Sie kaufen oft aus Pumpen."


def test_products_the_contact_viewed_and_the_account_did_not_order_since(erika, buy):
    colleague = ContactFactory(account=erika.account)
    for sku in ("VALVE-1", "VALVE-2", "VALVE-3", "VALVE-4"):
        live(sku, sku)
    with at(NOW):
        EventFactory(contact=erika, sku="VALVE-1", occurred_at=NOW - dt.timedelta(days=5))
        EventFactory(contact=erika, sku="VALVE-2", occurred_at=NOW - dt.timedelta(days=3))
        EventFactory(contact=erika, sku="VALVE-3", occurred_at=NOW - dt.timedelta(days=40))
        EventFactory(contact=colleague, sku="VALVE-4", occurred_at=NOW - dt.timedelta(days=1))
    buy(colleague, NOW - dt.timedelta(days=2), "VALVE-2")

    with at(NOW):
        offers = offers_for(contact_id=erika.pk, locale="de", kinds=["viewed"], limit=4)

    assert shown(offers) == [("viewed", "VALVE-1")]
    assert offers[0].reason == "Sie haben sich das am 1. Dezember 2026 angesehen."


def test_a_withdrawn_product_disappears_at_the_next_read(erika, monthly_grease):
    with at(NOW):
        before = offers_for(contact_id=erika.pk, locale="de", kinds=["reorder"], limit=4)
        Product.objects.get(sku="GREASE-1", locale=locale("de")).unpublish()
        after = offers_for(contact_id=erika.pk, locale="de", kinds=["reorder"], limit=4)

    assert shown(before) == [("reorder", "GREASE-1")]
    assert after == ()


def test_another_account_sees_none_of_it(erika, monthly_grease):
    stranger = ContactFactory(email="max@example.org")
    with at(NOW):
        EventFactory(contact=erika, sku="GREASE-1", occurred_at=NOW - dt.timedelta(days=1))

        offers = offers_for(
            contact_id=stranger.pk, locale="de", kinds=["reorder", "viewed"], limit=4
        )

    assert offers == ()


def test_kinds_come_in_the_order_asked_each_product_once_and_at_most_limit(erika, buy):
    pumps = CategoryFactory(name="Pumpen")
    pump = live("PUMP-1", "Pumpe", categories=[pumps])
    seal = live("SEAL-1", "Dichtung", categories=[pumps])
    live("PUMP-9", "Tauchpumpe", categories=[pumps])
    ProductRelation.objects.create(product=pump, related=seal, kind="spare_part")
    buy(erika, OCT_2, "PUMP-1")
    with at(NOW):
        EventFactory(contact=erika, sku="SEAL-1", occurred_at=NOW - dt.timedelta(days=1))

        complementary_first = offers_for(
            contact_id=erika.pk,
            locale="de",
            kinds=["complementary", "spare_part", "viewed"],
            limit=4,
        )
        viewed_first = offers_for(
            contact_id=erika.pk, locale="de", kinds=["viewed", "complementary"], limit=1
        )

    assert shown(complementary_first) == [
        ("complementary", "PUMP-9"),
        ("complementary", "SEAL-1"),
    ]
    assert shown(viewed_first) == [("viewed", "SEAL-1")]


def test_cards_carry_the_price_groups_price(erika, monthly_grease):
    GroupPrice.objects.create(sku="GREASE-1", price_group="B", price=Decimal("9.80"))

    with at(NOW):
        group = offers_for(
            contact_id=erika.pk, locale="de", kinds=["reorder"], limit=4, price_group="B"
        )
        other = offers_for(
            contact_id=erika.pk, locale="de", kinds=["reorder"], limit=4, price_group="C"
        )

    assert group[0].product.price == Decimal("9.80")
    assert other[0].product.price == Decimal("12.50")


def test_a_habit_not_followed_for_three_intervals_is_dropped_by_the_nightly_run(
    erika, monthly_grease, django_capture_on_commit_callbacks
):
    with at(dt.datetime(2027, 3, 2, 10, 0, tzinfo=dt.UTC)):
        still = offers_for(contact_id=erika.pk, locale="de", kinds=["reorder"], limit=4)
        with django_capture_on_commit_callbacks(execute=True):
            offers_refresh_all()
        dropped = offers_for(contact_id=erika.pk, locale="de", kinds=["reorder"], limit=4)

    assert shown(still) == [("reorder", "GREASE-1")]
    assert dropped == ()
    assert not AccountOffer.objects.filter(account=erika.account, kind="reorder").exists()


ALL_KINDS = ["reorder", "spare_part", "accessory", "complementary", "viewed"]


def _history(contact, buy, *, orders: int) -> None:
    """``orders`` orders of pumps, grease and seals, and as many product views."""
    for index in range(orders):
        buy(contact, NOW - dt.timedelta(days=2 + 3 * index), "GREASE-1", f"PUMP-{index % 3}")
        with at(NOW):
            EventFactory(contact=contact, sku=f"VIEW-{index % 5}", occurred_at=NOW)


def test_reading_offers_costs_the_same_queries_however_long_the_history(erika, buy):
    pumps = CategoryFactory(name="Pumpen")
    live("GREASE-1", "Schmierfett", with_image=True)
    seal = live("SEAL-1", "Dichtung", with_image=True)
    for index in range(3):
        pump = live(f"PUMP-{index}", f"Pumpe {index}", with_image=True, categories=[pumps])
        ProductRelation.objects.create(product=pump, related=seal, kind="spare_part")
    for index in range(6):
        live(f"VIEW-{index}", f"Ventil {index}", with_image=True)
    small = ContactFactory(account=AccountFactory())
    _history(small, buy, orders=3)
    _history(erika, buy, orders=30)

    def read(contact):
        offers_for(contact_id=contact.pk, locale="de", kinds=ALL_KINDS, limit=10)  # renditions
        with CaptureQueriesContext(connection) as queries:
            offers = offers_for(contact_id=contact.pk, locale="de", kinds=ALL_KINDS, limit=10)
        return offers, len(queries)

    with at(NOW):
        small_offers, small_queries = read(small)
        large_offers, large_queries = read(erika)

    assert {kind for kind, _sku in shown(small_offers)} >= {"reorder", "spare_part", "viewed"}
    assert {kind for kind, _sku in shown(large_offers)} >= {"reorder", "spare_part", "viewed"}
    assert all(offer.product.image_url for offer in large_offers)
    assert large_queries == small_queries
    assert large_queries <= 8
