"""The import engine: files in, rows upserted, every bad row reported with line and field."""

import re

import pytest

from campaigns.importing import UnreadableFile, import_rows
from campaigns.models import (
    Account,
    ConsentKind,
    ConsentRecord,
    Contact,
    PhaseChange,
    Suppression,
    SuppressionReason,
    email_hash,
)
from tests.campaigns.import_files import CONTACT_HEADER, csv_bytes, issues, run, xlsx_bytes
from tests.factories import AccountFactory, ContactFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("december_2026")]


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
