"""Imports of what a database would refuse: dates, numbers and characters out of range,
and a refused row after many good ones, which imports nothing."""

import datetime
import io
import re

import pytest
import time_machine
from django.utils import timezone
from openpyxl import Workbook

from campaigns.importing import ImportAborted
from campaigns.models import Contact, Order
from tests.campaigns.import_files import ORDER_HEADER, csv_bytes, database_refuses, issues, run
from tests.factories import AccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("december_2026")]


# --- dates, numbers and characters a database would refuse --------------------------------

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_date_out_of_range_after_2000_good_orders_is_a_row_error_not_a_crash(frozen):
    AccountFactory(customer_number="K1")
    good = [[f"A-{n}", "2026-05-01", "K1", "SKU-1", "1", "5"] for n in range(2000)]
    data = csv_bytes([ORDER_HEADER, *good, ["A-2000", "0001-01-01", "K1", "SKU-1", "1", "5"]])

    report = run("orders", data)

    assert issues(report) == [
        (2002, "ordered_at", "'0001-01-01' is out of range: use a date in the years 1900 to 2999"),
        (2002, "external_id", "order A-2000 skipped: a row is bad"),
    ]
    assert (report.created, report.skipped) == (2000, 1)
    assert Order.objects.count() == 2000


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00-14:00",
        "9999-12-31",
        "9999-12-31T23:59:59-14:00",
        "31.12.9999 23:59",
        "1899-12-31T23:59:59+14:00",
        "3000-01-01",
    ],
)
def test_a_date_at_the_edge_of_the_calendar_is_a_field_error_naming_its_line(frozen, text):
    AccountFactory(customer_number="K1")
    data = csv_bytes([ORDER_HEADER, ["A-1", text, "K1", "SKU-1", "1", "5"]])

    report = run("orders", data)

    assert issues(report)[0] == (
        2,
        "ordered_at",
        f"{text!r} is out of range: use a date in the years 1900 to 2999",
    )
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("1900-01-01T00:00:00+14:00", datetime.datetime(1899, 12, 31, 10, tzinfo=datetime.UTC)),
        ("2026-06-14T21:00:00-14:00", datetime.datetime(2026, 6, 15, 11, tzinfo=datetime.UTC)),
    ],
)
def test_a_date_inside_the_range_is_stored_at_its_moment_whatever_its_offset(frozen, text, moment):
    AccountFactory(customer_number="K1")
    data = csv_bytes([ORDER_HEADER, ["A-1", text, "K1", "SKU-1", "1", "5"]])

    report = run("orders", data)

    assert report.errors == ()
    assert Order.objects.get().ordered_at == moment


def xlsx_orders(ordered_at, number_format: str = "") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(ORDER_HEADER)
    sheet.append(["A-1", ordered_at, "K1", "SKU-1", 1, 5])
    if number_format:
        sheet["B2"].number_format = number_format
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.filterwarnings("ignore:Cell B2 is marked as a date:UserWarning")
@pytest.mark.parametrize(
    ("cell", "number_format", "reason"),
    [
        (
            datetime.datetime(9999, 12, 31, 23, 59, 59),
            "",
            "'9999-12-31 23:59:59' is out of range: use a date in the years 1900 to 2999",
        ),
        (
            10**8,  # a serial number far beyond Excel's last date, 9999-12-31
            "yyyy-mm-dd",
            "the cell holds the Excel error #VALUE!, not a date (a date cell shows it when "
            "its number is outside Excel's dates)",
        ),
        (
            datetime.time(12, 30),
            "",
            "'12:30:00' is not a date (use 2026-11-23 or 23.11.2026)",
        ),
    ],
)
def test_an_excel_date_cell_at_the_edge_is_a_field_error_naming_its_line(
    frozen, cell, number_format, reason
):
    AccountFactory(customer_number="K1")

    report = run("orders", xlsx_orders(cell, number_format), name="orders.xlsx")

    assert issues(report)[0] == (2, "ordered_at", reason)
    assert not Order.objects.exists()


def test_an_excel_date_cell_on_the_first_day_of_1900_is_imported(frozen):
    AccountFactory(customer_number="K1")

    report = run("orders", xlsx_orders(datetime.datetime(1900, 1, 1)), name="orders.xlsx")

    assert report.errors == ()
    assert timezone.localtime(Order.objects.get().ordered_at).date() == datetime.date(1900, 1, 1)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["A-1", "2026-05-01", "K1", "SKU-1", "1", "12345678901"],
            (
                2,
                "unit_price",
                "'12345678901' is too large: at most 10 digits before the decimal point",
            ),
        ),
        (
            ["A-1", "2026-05-01", "K1", "SKU-1", "1000000000", "5"],
            (2, "quantity", "'1000000000' is too large: at most 9 digits before the decimal point"),
        ),
        (
            ["A-1", "2026-05-01", "K1", "SKU-1", "1", "9" * 40],
            (
                2,
                "unit_price",
                f"'{'9' * 40}' is too large: at most 10 digits before the decimal point",
            ),
        ),
        (
            ["A-1", "2026-05-01", "K1", "SKU-1", "999999", "9999999"],
            (
                2,
                "unit_price",
                "quantity times unit price, 9999989000001.00, is too large for an order line",
            ),
        ),
    ],
)
def test_a_number_too_large_for_its_column_is_a_field_error(frozen, row, expected):
    AccountFactory(customer_number="K1")

    report = run("orders", csv_bytes([ORDER_HEADER, row]))

    assert issues(report)[0] == expected
    assert not Order.objects.exists()


def test_text_no_database_can_store_is_a_field_error():
    # Far enough into the file that it is not taken for a binary file.
    good = [[f"p{n}@example.com", "Muster"] for n in range(200)]
    data = csv_bytes([["E-Mail", "Nachname"], *good, ["nul@example.com", "Mus\x00ter"]])

    report = run("contacts", data)

    assert issues(report) == [
        (
            202,
            "last_name",
            "holds a character no database can store (NUL, or half of a UTF-16 pair)",
        )
    ]
    assert Contact.objects.count() == 200
    assert not Contact.objects.filter(email="nul@example.com").exists()


# --- all or nothing ------------------------------------------------------------------------

GOOD_CONTACTS = [[f"p{n}@example.com", "Muster"] for n in range(2000)]


def test_a_row_the_database_refuses_after_2000_good_rows_imports_nothing():
    data = csv_bytes([["E-Mail", "Nachname"], *GOOD_CONTACTS, ["refused@example.com", "X"]])

    with (
        database_refuses("campaigns_contact", "email", "refused@example.com"),
        pytest.raises(ImportAborted) as aborted,
    ):
        run("contacts", data)

    assert re.fullmatch(
        r"Nothing was imported: writing lines 2002-2002 failed \((IntegrityError|"
        r"ProgrammingError): refused by the test trigger\), so the whole import was undone\.",
        str(aborted.value),
    )
    assert not Contact.objects.exists()


def test_a_dry_run_meets_the_refusal_the_import_would_meet_and_names_its_lines():
    data = csv_bytes([["E-Mail", "Nachname"], *GOOD_CONTACTS, ["refused@example.com", "X"]])

    with database_refuses("campaigns_contact", "email", "refused@example.com"):
        report = run("contacts", data, dry_run=True)

    [(line, field_name, reason)] = issues(report)
    assert (line, field_name) == (2002, "")
    assert re.fullmatch(
        r"lines 2002-2002 would not be imported: writing them failed \((IntegrityError|"
        r"ProgrammingError): refused by the test trigger\); the import would stop and import "
        r"nothing",
        reason,
    )
    assert (report.created, report.skipped) == (2000, 1)
    assert not Contact.objects.exists()


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_value_an_earlier_batch_took_is_found_by_the_dry_run_as_by_the_import(
    monkeypatch, dry_run
):
    monkeypatch.setattr("campaigns.importing.engine.BATCH_SIZE", 2)
    data = csv_bytes(
        [
            ["Kundennummer", "Firma", "ERP"],
            ["K1", "Eins", "E1"],
            ["K2", "Zwei", "E2"],
            ["K3", "Drei", "E1"],
        ]
    )

    report = run(
        "accounts",
        data,
        mapping={"customer_number": "Kundennummer", "name": "Firma", "erp_id": "ERP"},
        dry_run=dry_run,
    )

    assert issues(report) == [(4, "erp_id", "E1 appears again (first on line 2)")]
    assert (report.created, report.skipped) == (2, 1)
