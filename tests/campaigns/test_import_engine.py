"""The import engine: files in, rows upserted, every bad row reported with line and field."""

import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from openpyxl import Workbook

from campaigns.importing import ImportAborted, UnreadableFile, import_file, import_rows
from campaigns.models import (
    Account,
    ConsentKind,
    ConsentRecord,
    Contact,
    Event,
    EventKind,
    Order,
    OrderLine,
    PhaseChange,
    Suppression,
    SuppressionReason,
    email_hash,
)
from tests.campaigns.import_files import (
    CONTACT_HEADER,
    csv_bytes,
    database_refuses,
    xlsx_bytes,
)
from tests.factories import AccountFactory, ContactFactory, OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("december_2026")]


def run(kind, data: bytes, name="file.csv", **kwargs):
    return import_file(kind, io.BytesIO(data), name=name, **kwargs)


def issues(report):
    return [(issue.line, issue.field, issue.reason) for issue in report.errors]


def test_contacts_from_a_german_csv_are_created_with_their_account():
    AccountFactory(customer_number="K100")
    data = csv_bytes(
        [
            CONTACT_HEADER,
            ["erika@example.com", "Erika", "Muster", "K100", "Frau", "Einkäufer", "Erwägung"],
            ["max@example.com", "Max", "Muster", "K100", "Herr", "decision_maker", "loyalty"],
        ]
    )

    report = run("contacts", data)

    assert (report.created, report.updated, report.unchanged, report.skipped) == (2, 0, 0, 0)
    erika = Contact.objects.get(email="erika@example.com")
    assert (erika.first_name, erika.salutation, erika.role, erika.phase) == (
        "Erika",
        "ms",
        "buyer",
        "consideration",
    )
    assert erika.account.customer_number == "K100"
    assert erika.email_hash == email_hash("erika@example.com")
    assert erika.consent == "none"


def test_every_bad_row_is_reported_with_line_field_and_reason_and_good_rows_are_imported():
    data = csv_bytes(
        [
            CONTACT_HEADER,
            ["good@example.com", "Gut", "", "", "", "", ""],
            ["not-an-address", "Bad", "", "", "", "", ""],
            ["unknown@example.com", "X", "", "K404", "", "", ""],
            ["role@example.com", "Y", "", "", "", "Chef", ""],
            ["", "Z", "", "", "", "", ""],
        ]
    )

    report = run("contacts", data)

    assert issues(report) == [
        (3, "email", "'not-an-address' is not a valid e-mail address"),
        (5, "role", issues(report)[1][2]),
        (6, "email", "required: the key to match contacts by"),
        (4, "account", "no account has the customer number K404"),
    ]
    assert issues(report)[1][2].startswith("unknown role 'Chef'; use one of:")
    assert report.created == 1
    assert report.skipped == 4
    assert list(Contact.objects.values_list("email", flat=True)) == ["good@example.com"]


def test_importing_the_same_file_twice_changes_nothing_the_second_time():
    AccountFactory(customer_number="K100")
    data = csv_bytes(
        [
            [*CONTACT_HEADER, "Einwilligung"],
            ["erika@example.com", "Erika", "Muster", "K100", "Frau", "Einkäufer", "Kauf", "ja"],
            ["max@example.com", "Max", "Muster", "K100", "Herr", "user", "", ""],
        ]
    )
    run("contacts", data)
    before = dict(Contact.objects.values_list("email", "updated_at"))
    evidence = (ConsentRecord.objects.count(), PhaseChange.objects.count())

    report = run("contacts", data)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert dict(Contact.objects.values_list("email", "updated_at")) == before
    assert (ConsentRecord.objects.count(), PhaseChange.objects.count()) == evidence


def test_a_changed_row_updates_only_that_contact():
    ContactFactory(email="erika@example.com", first_name="Erika", last_name="Alt")
    other = ContactFactory(email="max@example.com", first_name="Max", last_name="Muster")
    data = csv_bytes(
        [
            ["E-Mail", "Vorname", "Nachname"],
            ["erika@example.com", "Erika", "Neu"],
            ["max@example.com", "Max", "Muster"],
        ]
    )

    report = run("contacts", data)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Contact.objects.get(email="erika@example.com").last_name == "Neu"
    assert Contact.objects.get(pk=other.pk).updated_at == other.updated_at


def test_a_dry_run_counts_and_writes_nothing():
    data = csv_bytes([["E-Mail"], ["a@example.com"], ["b@example.com"], ["b@example.com"]])

    report = run("contacts", data, dry_run=True)

    assert (report.created, report.skipped) == (2, 1)
    assert issues(report) == [(4, "email", "b@example.com appears again (first on line 3)")]
    assert not Contact.objects.exists()


def test_a_confirmed_consent_is_imported_with_its_evidence():
    data = csv_bytes([["E-Mail", "Consent"], ["erika@example.com", "confirmed"]])

    run("contacts", data, name="messe-2026.csv", options={"consent_text_version": "nl-v3"})

    contact = Contact.objects.get()
    assert contact.consent == "confirmed"
    record = ConsentRecord.objects.get(contact=contact)
    assert (record.kind, record.source, record.text_version) == (
        ConsentKind.CONFIRMATION,
        "import",
        "nl-v3",
    )


def test_a_suppressed_address_keeps_no_consent_and_is_reported_as_a_warning():
    Suppression.objects.create(
        email_hash=email_hash("gone@example.com"), reason=SuppressionReason.UNSUBSCRIBED
    )
    data = csv_bytes([["E-Mail", "Consent"], ["gone@example.com", "confirmed"]])

    report = run("contacts", data)

    contact = Contact.objects.get()
    assert contact.consent == "none"
    assert not ConsentRecord.objects.exists()
    assert report.errors == ()
    assert [(w.line, w.field) for w in report.warnings] == [(2, "consent")]


def test_a_phase_set_by_import_is_recorded_as_a_phase_change():
    contact = ContactFactory(email="erika@example.com", phase="awareness")
    data = csv_bytes([["E-Mail", "Phase"], ["erika@example.com", "Loyalität"]])

    run("contacts", data)

    change = PhaseChange.objects.get(contact=contact)
    assert (change.from_phase, change.to_phase, change.reason) == (
        "awareness",
        "loyalty",
        "import",
    )


def test_a_cp1252_file_with_a_comma_delimiter_is_read():
    data = csv_bytes(
        [["E-Mail", "Nachname"], ["jurgen@example.com", "Müller-Lüdenscheidt"]],
        delimiter=",",
        encoding="cp1252",
    )

    run("contacts", data)

    assert Contact.objects.get().last_name == "Müller-Lüdenscheidt"


def test_a_utf8_file_with_a_byte_order_mark_is_read():
    data = b"\xef\xbb\xbf" + csv_bytes([["E-Mail", "Nachname"], ["a@example.com", "Jäger"]])

    report = run("contacts", data)

    assert report.created == 1
    assert Contact.objects.get().last_name == "Jäger"


def test_accounts_from_xlsx_are_upserted_by_customer_number():
    AccountFactory(customer_number="10002", name="Alt GmbH", country="DE")
    data = xlsx_bytes(
        [
            ["Kundennummer", "Firma", "Branche", "Land", "Mitarbeiter"],
            [10001, "Neu AG", "Maschinenbau", "at", 120],
            [10002, "Alt GmbH", "Chemie", "Deutschland", None],
            [10003, "Falsch KG", "", "DEU", None],
        ]
    )

    report = run("accounts", data, name="kunden.xlsx")

    assert (report.created, report.updated, report.unchanged, report.skipped) == (1, 1, 0, 1)
    assert issues(report) == [
        (4, "country", "'DEU' is not an ISO 3166 country code (two letters, e.g. DE)")
    ]
    new = Account.objects.get(customer_number="10001")
    assert (new.name, new.country, new.size_class) == ("Neu AG", "AT", "medium")
    assert Account.objects.get(customer_number="10002").industry == "Chemie"


def test_a_new_account_needs_a_name():
    report = run("accounts", csv_bytes([["Kundennummer", "Firma"], ["K1", ""]]))

    assert issues(report) == [(2, "name", "required for a new account")]


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"%PDF-1.7\x00\x01binary", "brochure.pdf", "binary data"),
        (b"\xd0\xcf\x11\xe0old excel", "kunden.xls", "Old Excel files (.xls)"),
        (b"PK\x03\x04broken zip", "kunden.xlsx", "not a readable XLSX file"),
        (b"E-Mail;Name\r\n\x81\x8d\x8f;x\r\n", "bad.csv", "neither UTF-8 nor Windows-1252"),
        (b"Name;Firma\r\nErika;Muster\r\n", "no-key.csv", "required field(s): email"),
    ],
)
def test_a_file_that_cannot_be_read_writes_nothing(data, name, reason):
    with pytest.raises(UnreadableFile, match=re.escape(reason)):
        run("contacts", data, name=name)

    assert not Contact.objects.exists()


def test_an_encoding_error_on_the_last_line_writes_nothing():
    rows = [["E-Mail"], *([f"a{n}@example.com"] for n in range(2500))]
    data = csv_bytes(rows) + b"\x81\x8d@example.com\r\n"

    with pytest.raises(UnreadableFile):
        run("contacts", data)

    assert not Contact.objects.exists()


def test_rows_from_other_code_are_imported_through_the_same_engine():
    rows = [{"email": "crm@example.com", "crm_id": "003X", "role": "Entscheider"}]

    report = import_rows("contacts", rows, options={"key": "crm_id"})

    assert report.created == 1
    assert Contact.objects.get(crm_id="003X").role == "decision_maker"


def test_matching_by_external_id_refuses_an_address_of_another_contact():
    ContactFactory(email="taken@example.com", external_id="E1")
    ContactFactory(email="other@example.com", external_id="E2")
    rows = [{"external_id": "E2", "email": "taken@example.com"}]

    report = import_rows("contacts", rows, options={"key": "external_id"}, first_line=2)

    assert [(i.line, i.field) for i in report.errors] == [(2, "email")]
    assert Contact.objects.get(external_id="E2").email == "other@example.com"


def test_progress_is_reported_after_every_batch(monkeypatch):
    monkeypatch.setattr("campaigns.importing.engine.BATCH_SIZE", 2)
    seen = []
    data = csv_bytes([["E-Mail"], *([f"p{n}@example.com"] for n in range(5))])

    run("contacts", data, progress=lambda done, total: seen.append((done, total)))

    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_a_contact_moves_to_the_account_named_in_the_file():
    contact = ContactFactory(email="erika@example.com")
    AccountFactory(customer_number="K200")

    report = run("contacts", csv_bytes([["E-Mail", "Kundennummer"], ["erika@example.com", "K200"]]))

    assert report.updated == 1
    contact.refresh_from_db()
    assert contact.account.customer_number == "K200"
    assert contact.updated_at > contact.created_at


ORDER_HEADER = ["Bestellnummer", "Bestelldatum", "Kundennummer", "Artikelnummer", "Menge", "Preis"]


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
