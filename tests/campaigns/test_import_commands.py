"""``manage.py import_contacts|import_accounts|import_orders FILE``."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import Account, Contact, Order
from tests.campaigns.import_files import csv_bytes, database_refuses, xlsx_bytes
from tests.factories import AccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("december_2026")]


def command(name, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_contacts_prints_a_progress_bar_a_summary_and_the_errors(tmp_path):
    path = tmp_path / "kontakte.csv"
    path.write_bytes(
        csv_bytes([["Mail", "Name"], ["erika@example.com", "Muster"], ["kaputt", "X"]])
    )

    out, err = command("import_contacts", str(path), "--mapping", "email=Mail", "last_name=Name")

    assert "[##############################] 100% 2/2 rows" in err
    assert "2 rows in" in out
    assert "1 created, 0 updated, 0 unchanged, 1 rows skipped." in out
    assert "  line 3: email: 'kaputt' is not a valid e-mail address" in out
    assert Contact.objects.get().last_name == "Muster"


def test_a_second_run_of_import_accounts_reports_everything_unchanged(tmp_path):
    path = tmp_path / "kunden.xlsx"
    path.write_bytes(xlsx_bytes([["Kundennummer", "Firma"], ["K1", "Muster AG"]]))
    command("import_accounts", str(path))

    out, _err = command("import_accounts", str(path))

    assert "0 created, 0 updated, 1 unchanged, 0 rows skipped." in out
    assert Account.objects.get().name == "Muster AG"


def test_a_dry_run_of_import_orders_writes_nothing(tmp_path):
    AccountFactory(customer_number="K1")
    path = tmp_path / "auftraege.csv"
    path.write_bytes(
        csv_bytes(
            [
                [
                    "Bestellnummer",
                    "Bestelldatum",
                    "Kundennummer",
                    "Artikelnummer",
                    "Menge",
                    "Preis",
                ],
                ["A-1", "02.11.2026", "K1", "SKU-1", "1", "9,90"],
            ]
        )
    )

    out, _err = command("import_orders", str(path), "--dry-run", "--source", "erp")

    assert out.startswith("Dry run, nothing written. 1 rows in")
    assert "1 created" in out
    assert not Order.objects.exists()


def test_a_file_that_cannot_be_read_fails_the_command(tmp_path):
    path = tmp_path / "kontakte.csv"
    path.write_bytes(csv_bytes([["Name"], ["Muster"]]))

    with pytest.raises(CommandError, match=r"required field\(s\): email\. Nothing was imported"):
        command("import_contacts", str(path))

    assert not Contact.objects.exists()


def test_an_import_the_database_refuses_midway_fails_the_command_and_imports_nothing(
    tmp_path, monkeypatch
):
    monkeypatch.setattr("campaigns.importing.engine.BATCH_SIZE", 1)
    path = tmp_path / "kontakte.csv"
    path.write_bytes(csv_bytes([["E-Mail"], ["a@example.com"], ["refused@example.com"]]))

    with (
        database_refuses("campaigns_contact", "email", "refused@example.com"),
        pytest.raises(CommandError) as failed,
    ):
        command("import_contacts", str(path))

    assert re.fullmatch(
        r"kontakte\.csv: Nothing was imported: writing lines 3-3 failed \((IntegrityError|"
        r"ProgrammingError): refused by the test trigger\), so the whole import was undone\.",
        str(failed.value),
    )
    assert not Contact.objects.exists()
