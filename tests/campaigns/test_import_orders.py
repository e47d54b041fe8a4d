"""Order imports: lines grouped into orders, re-imports, ERP and CRM orders apart."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.importing import import_rows
from campaigns.models import Contact, Event, EventKind, Order, OrderLine
from tests.campaigns.import_files import ORDER_HEADER, csv_bytes, issues, run
from tests.factories import AccountFactory, ContactFactory, OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("december_2026")]


def test_orders_are_grouped_from_their_lines_with_german_numbers_and_dates():
    contact = ContactFactory(email="einkauf@example.com")
    data = csv_bytes(
        [
            ["Bestellnummer", "Bestelldatum", "E-Mail", "Artikelnummer", "Menge", "Preis"],
            ["A-1", "02.11.2026", "einkauf@example.com", "SKU-1", "2", "1.234,50"],
            ["A-1", "02.11.2026", "einkauf@example.com", "SKU-2", "1,5", "10"],
            ["A-2", "2026-11-03 10:30", "einkauf@example.com", "SKU-1", "1", "99.90"],
        ]
    )

    report = run("orders", data)

    assert (report.created, report.skipped) == (2, 0)
    order = Order.objects.get(external_id="A-1")
    assert order.source == "import"
    assert order.revenue == Decimal("2484.00")
    assert order.contact == contact
    assert order.account == contact.account
    assert timezone.localtime(order.ordered_at).date() == datetime.date(2026, 11, 2)
    assert list(order.lines.values_list("sku", "quantity", "line_total")) == [
        ("SKU-1", Decimal("2.000"), Decimal("2469.00")),
        ("SKU-2", Decimal("1.500"), Decimal("15.00")),
    ]


def test_an_imported_order_is_an_order_event_of_its_contact_too():
    contact = ContactFactory(email="einkauf@example.com")
    data = csv_bytes(
        [
            ["Bestellnummer", "Bestelldatum", "E-Mail", "Artikelnummer", "Menge", "Preis"],
            ["A-1", "02.11.2026", "einkauf@example.com", "SKU-1", "2", "5"],
        ]
    )

    run("orders", data)

    event = Event.objects.get(kind=EventKind.ORDER)
    assert (event.contact, event.value, event.idempotency_key) == (contact, Decimal("10.00"), "A-1")


def test_reimporting_orders_changes_nothing_and_a_changed_line_replaces_the_lines():
    AccountFactory(customer_number="K1")
    first = csv_bytes([ORDER_HEADER, ["A-1", "2026-11-02", "K1", "SKU-1", "2", "5"]])
    run("orders", first)
    stamp = Order.objects.get().updated_at

    again = run("orders", first)
    changed = run(
        "orders", csv_bytes([ORDER_HEADER, ["A-1", "2026-11-02", "K1", "SKU-1", "3", "5"]])
    )

    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    order = Order.objects.get()
    assert order.updated_at > stamp
    assert order.revenue == Decimal("15.00")
    assert list(OrderLine.objects.values_list("quantity", flat=True)) == [Decimal("3.000")]


def test_a_dry_run_of_orders_counts_and_writes_nothing():
    AccountFactory(customer_number="K1")
    data = csv_bytes([ORDER_HEADER, ["A-1", "2026-11-02", "K1", "SKU-1", "2", "5"]])

    report = run("orders", data, dry_run=True)

    assert report.created == 1
    assert not Order.objects.exists()
    assert not Event.objects.exists()


def test_an_order_with_a_bad_line_is_skipped_whole():
    AccountFactory(customer_number="K1")
    data = csv_bytes(
        [
            ORDER_HEADER,
            ["A-1", "2026-11-02", "K1", "SKU-1", "2", "5"],
            ["A-1", "2026-11-02", "K1", "SKU-2", "zwei", "5"],
            ["A-2", "31.02.2026", "K1", "SKU-1", "1", "5"],
            ["A-3", "2026-11-02", "K404", "SKU-1", "1", "5"],
        ]
    )

    report = run("orders", data)

    assert issues(report) == [
        (3, "quantity", "'zwei' is not a number (use 1234.56 or 1.234,56)"),
        (4, "ordered_at", "'31.02.2026' is not a date (use 2026-11-23 or 23.11.2026)"),
        (2, "external_id", "order A-1 skipped: a row is bad"),
        (4, "external_id", "order A-2 skipped: a row is bad"),
        (5, "account", "No account with customer number 'K404'."),
    ]
    assert report.skipped == 4
    assert not Order.objects.exists()


def test_erp_orders_are_matched_apart_from_imported_ones():
    account = AccountFactory(customer_number="K1")
    existing = OrderFactory(
        source="erp", external_id="A-1", account=account, contact=None, revenue=Decimal("5.00")
    )
    OrderLineFactory(order=existing, sku="SKU-1", quantity=1, unit_price=Decimal("5"), line_total=5)
    data = csv_bytes([ORDER_HEADER, ["A-1", "2026-11-02", "K1", "SKU-1", "1", "5"]])

    report = run("orders", data, options={"source": "erp"})

    assert (report.created, report.updated) == (0, 1)
    assert Order.objects.count() == 1


def test_rows_of_one_order_apart_from_each_other_are_refused():
    AccountFactory(customer_number="K1")
    data = csv_bytes(
        [
            ORDER_HEADER,
            ["A-1", "2026-11-02", "K1", "SKU-1", "1", "5"],
            ["A-2", "2026-11-02", "K1", "SKU-1", "1", "5"],
            ["A-1", "2026-11-02", "K1", "SKU-2", "1", "5"],
        ]
    )

    report = run("orders", data)

    assert issues(report) == [
        (4, "external_id", "rows of order A-1 must follow each other (it began on line 2)")
    ]
    assert report.created == 2
    assert list(Order.objects.get(external_id="A-1").lines.values_list("sku", flat=True)) == [
        "SKU-1"
    ]


def test_a_sync_refers_to_accounts_and_contacts_by_their_crm_ids():
    account = AccountFactory(crm_id="001A")
    contact = ContactFactory(crm_id="003C", account=account)

    contacts = import_rows(
        "contacts",
        [{"crm_id": "003D", "email": "neu@example.com", "account": "001A"}],
        options={"key": "crm_id", "account_key": "crm_id"},
    )
    orders = import_rows(
        "orders",
        [
            {
                "external_id": "OPP-1",
                "ordered_at": "2026-11-02",
                "contact": "003C",
                "sku": "DEAL",
                "quantity": "1",
                "unit_price": "5000",
            }
        ],
        options={"source": "crm", "contact_key": "crm_id"},
    )

    assert (contacts.created, orders.created) == (1, 1)
    assert Contact.objects.get(crm_id="003D").account == account
    order = Order.objects.get(source="crm", external_id="OPP-1")
    assert (order.contact, order.account, order.revenue) == (contact, account, Decimal("5000.00"))
