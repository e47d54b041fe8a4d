"""The scheduled import of ERP files from a folder and from an S3 prefix (moto's server)."""

from __future__ import annotations

import io
import logging
import re
import uuid
from decimal import Decimal

import boto3
import pytest
from django.core.management import call_command
from openpyxl import Workbook

from campaigns.models import Account, Contact, ImportJob, Order, SyncState
from campaigns.services.sync import erp_import_files
from campaigns.tasks import import_erp_files
from tests.campaigns.import_files import database_refuses, shared_strings_bomb

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("december_2026")]

ACCOUNTS_CSV = "Kundennummer;Firma;Land\nK-1001;Acme Maschinenbau GmbH;DE\nK-1002;Beta AG;AT\n"
ORDERS_CSV = (
    "Bestellnummer;Bestelldatum;Kundennummer;Artikelnummer;Menge;Einzelpreis\n"
    "A-500;23.11.2026;K-1001;HW-BEF-0001;10;19,90\n"
    "A-500;23.11.2026;K-1001;HW-BEF-0002;1;5,00\n"
)


def xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def drop(settings, tmp_path):
    """An ERP drop folder, configured."""
    folder = tmp_path / "erp"
    folder.mkdir()
    settings.HUB_ERP_IMPORT_LOCATION = str(folder)
    return folder


def listing(folder) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def test_folder_files_are_imported_in_name_order_and_moved_to_processed(drop):
    (drop / "orders_2026-11-23.csv").write_text(ORDERS_CSV, encoding="utf-8")
    (drop / "contacts_2026-11-23.xlsx").write_bytes(
        xlsx([["E-Mail", "Vorname", "Kundennummer"], ["anna@acme.example", "Anna", "K-1001"]])
    )
    (drop / "accounts_2026-11-23.csv").write_text(ACCOUNTS_CSV, encoding="utf-8")

    result = erp_import_files()

    assert [(f.name, f.status) for f in result.files] == [
        ("accounts_2026-11-23.csv", "imported"),
        ("contacts_2026-11-23.xlsx", "imported"),
        ("orders_2026-11-23.csv", "imported"),
    ]
    acme = Account.objects.get(customer_number="K-1001")
    assert Contact.objects.get(email="anna@acme.example").account == acme
    order = Order.objects.get()
    assert (order.source, order.external_id, order.account, order.revenue) == (
        "erp",
        "A-500",
        acme,
        Decimal("204.00"),
    )
    assert listing(drop) == [
        "processed/accounts_2026-11-23.csv",
        "processed/contacts_2026-11-23.xlsx",
        "processed/orders_2026-11-23.csv",
    ]
    assert sorted(ImportJob.objects.values_list("original_name", "status", "created_count")) == [
        ("accounts_2026-11-23.csv", "done", 2),
        ("contacts_2026-11-23.xlsx", "done", 1),
        ("orders_2026-11-23.csv", "done", 1),
    ]
    state = SyncState.objects.get(backend="erp.files")
    assert (state.cursor, state.last_error) == ("orders_2026-11-23.csv", "")
    assert state.last_success_at is not None


def test_bad_rows_are_skipped_and_reported_beside_the_processed_file(drop):
    (drop / "contacts.csv").write_text(
        "email;first_name\ngut@example.com;Gudrun\nkaputt;Karl\n", encoding="utf-8"
    )

    result = erp_import_files()

    assert (result.files[0].created, result.files[0].skipped) == (1, 1)
    assert list(Contact.objects.values_list("email", flat=True)) == ["gut@example.com"]
    assert listing(drop) == ["processed/contacts.csv", "processed/contacts.csv.errors.csv"]
    report = (drop / "processed/contacts.csv.errors.csv").read_text(encoding="utf-8-sig")
    assert report.splitlines() == [
        "line,field,reason,level",
        "3,email,'kaputt' is not a valid e-mail address,error",
    ]


def test_the_errors_csv_beside_a_file_neutralises_cells_a_spreadsheet_would_evaluate(drop):
    (drop / "accounts.csv").write_text(
        "Kundennummer;Firma\n@SUM(1+1);Eins\n@SUM(1+1);Zwei\n", encoding="utf-8"
    )

    erp_import_files()

    report = (drop / "processed/accounts.csv.errors.csv").read_text(encoding="utf-8-sig")
    assert report.splitlines() == [
        "line,field,reason,level",
        "3,customer_number,'@SUM(1+1) appears again (first on line 2),error",
    ]


def test_unreadable_file_writes_nothing_and_moves_to_failed(drop):
    (drop / "accounts.csv").write_text(ACCOUNTS_CSV, encoding="utf-8")
    (drop / "orders.csv").write_text("Artikelnummer;Menge\nHW-1;2\n", encoding="utf-8")

    result = erp_import_files()

    assert [f.status for f in result.files] == ["imported", "failed"]
    assert not Order.objects.exists()
    assert listing(drop) == [
        "failed/orders.csv",
        "failed/orders.csv.errors.txt",
        "processed/accounts.csv",
    ]
    reason = (drop / "failed/orders.csv.errors.txt").read_text()
    assert reason.startswith("orders.csv: No column is mapped to the required field(s): ")
    state = SyncState.objects.get(backend="erp.files")
    assert state.last_error.startswith("failed/orders.csv: No column is mapped")
    assert ImportJob.objects.get(original_name="orders.csv").status == "failed"


def test_an_xlsx_bomb_is_moved_to_failed_with_the_limit_and_its_size(drop, settings):
    settings.HUB_IMPORT_MAX_XLSX_EXPANDED_MB = 1
    (drop / "contacts.xlsx").write_bytes(shared_strings_bomb(3))

    result = erp_import_files()

    assert [f.status for f in result.files] == ["failed"]
    assert listing(drop) == ["failed/contacts.xlsx", "failed/contacts.xlsx.errors.txt"]
    assert (drop / "failed/contacts.xlsx.errors.txt").read_text() == (
        "contacts.xlsx: The XLSX file expands to 3.0 MB when opened; the limit is 1.0 MB "
        "(HUB_IMPORT_MAX_XLSX_EXPANDED_MB). Save it as CSV, or split it.\n"
    )
    assert not Contact.objects.exists()


def test_a_file_the_database_refuses_midway_imports_nothing_and_moves_to_failed(drop, monkeypatch):
    monkeypatch.setattr("campaigns.importing.engine.BATCH_SIZE", 1)
    (drop / "accounts.csv").write_text(ACCOUNTS_CSV + "K-1003;Gamma KG;DE\n", encoding="utf-8")

    with database_refuses("campaigns_account", "customer_number", "K-1003"):
        result = erp_import_files()

    assert [f.status for f in result.files] == ["failed"]
    assert not Account.objects.exists()
    assert listing(drop) == ["failed/accounts.csv", "failed/accounts.csv.errors.txt"]
    assert re.fullmatch(
        r"accounts\.csv: Nothing was imported: writing lines 4-4 failed \((IntegrityError|"
        r"ProgrammingError): refused by the test trigger\), so the whole import was undone\.\n",
        (drop / "failed/accounts.csv.errors.txt").read_text(),
    )


def test_a_failed_file_put_back_after_a_fix_is_imported(drop, settings):
    settings.HUB_IMPORT_MAX_ROWS = 1
    (drop / "accounts.csv").write_text(ACCOUNTS_CSV, encoding="utf-8")
    erp_import_files()
    settings.HUB_IMPORT_MAX_ROWS = 1000
    (drop / "failed/accounts.csv").rename(drop / "accounts.csv")

    result = erp_import_files()

    assert [(f.status, f.created) for f in result.files] == [("imported", 2)]
    assert Account.objects.count() == 2


def test_a_file_put_back_is_not_imported_twice(drop):
    (drop / "accounts.csv").write_text(ACCOUNTS_CSV, encoding="utf-8")
    erp_import_files()
    Account.objects.filter(customer_number="K-1001").update(name="Renamed in the hub")
    (drop / "accounts.csv").write_bytes((drop / "processed/accounts.csv").read_bytes())

    result = erp_import_files()

    assert [f.status for f in result.files] == ["duplicate"]
    assert Account.objects.get(customer_number="K-1001").name == "Renamed in the hub"
    assert ImportJob.objects.count() == 1
    assert not (drop / "accounts.csv").exists()
    assert len(list((drop / "processed").glob("accounts*.csv"))) == 2


def test_a_new_file_of_the_same_name_is_imported_and_kept_beside_the_old_one(drop):
    (drop / "accounts.csv").write_text(ACCOUNTS_CSV, encoding="utf-8")
    erp_import_files()
    (drop / "accounts.csv").write_text("Kundennummer;Firma\nK-1001;Acme AG\n", encoding="utf-8")

    result = erp_import_files()

    assert (result.files[0].status, result.files[0].updated) == ("imported", 1)
    assert Account.objects.get(customer_number="K-1001").name == "Acme AG"
    assert len(list((drop / "processed").glob("accounts*.csv"))) == 2


def test_other_files_are_left_where_they_are(drop):
    (drop / "prices.csv").write_text("sku;price\n", encoding="utf-8")
    (drop / "accounts.csv.part").write_text(ACCOUNTS_CSV, encoding="utf-8")

    result = erp_import_files()

    assert result.files == ()
    assert listing(drop) == ["accounts.csv.part", "prices.csv"]
    assert not Account.objects.exists()


def test_missing_folder_is_recorded_as_the_last_error(settings, tmp_path):
    settings.HUB_ERP_IMPORT_LOCATION = str(tmp_path / "not-there")

    result = erp_import_files()

    assert not result.ok
    assert "Cannot list the folder" in SyncState.objects.get(backend="erp.files").last_error


def test_task_does_nothing_when_no_location_is_set(settings, caplog):
    settings.HUB_ERP_IMPORT_LOCATION = ""
    caplog.set_level(logging.INFO, logger="campaigns.services.sync")

    import_erp_files.delay()

    assert not SyncState.objects.exists()
    assert "erp.import.skipped reason=not_configured" in caplog.text


def test_command_prints_what_each_file_did(drop):
    (drop / "accounts.csv").write_text(ACCOUNTS_CSV, encoding="utf-8")
    out = io.StringIO()

    call_command("import_erp_files", stdout=out)

    assert out.getvalue() == (
        "accounts.csv: 2 created, 0 updated, 0 unchanged, 0 skipped -> processed/accounts.csv\n"
    )


# --- S3, through moto's server ---------------------------------------------------------------


@pytest.fixture
def bucket(moto_url, settings, monkeypatch):
    """A fresh bucket with the drop location at its prefix ``erp/``."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    name = f"erp-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=moto_url, region_name="eu-central-1")
    client.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    settings.HUB_ERP_IMPORT_LOCATION = f"s3://{name}/erp"
    settings.HUB_ERP_IMPORT_S3_ENDPOINT_URL = moto_url
    client.bucket = name
    return client


def keys(client) -> list[str]:
    answer = client.list_objects_v2(Bucket=client.bucket)
    return sorted(item["Key"] for item in answer.get("Contents", []))


def test_s3_files_are_imported_and_moved_to_processed(bucket):
    bucket.put_object(Bucket=bucket.bucket, Key="erp/accounts_1.csv", Body=ACCOUNTS_CSV.encode())
    bucket.put_object(Bucket=bucket.bucket, Key="erp/orders_1.csv", Body=ORDERS_CSV.encode())
    bucket.put_object(Bucket=bucket.bucket, Key="elsewhere/accounts_9.csv", Body=b"x")

    result = erp_import_files()

    assert [(f.name, f.status) for f in result.files] == [
        ("accounts_1.csv", "imported"),
        ("orders_1.csv", "imported"),
    ]
    assert Account.objects.count() == 2
    assert Order.objects.get().external_id == "A-500"
    assert keys(bucket) == [
        "elsewhere/accounts_9.csv",
        "erp/processed/accounts_1.csv",
        "erp/processed/orders_1.csv",
    ]


def test_s3_unreadable_file_moves_to_failed_with_the_reason(bucket):
    bucket.put_object(Bucket=bucket.bucket, Key="erp/contacts.xlsx", Body=b"PK\x03\x04broken")

    result = erp_import_files()

    assert result.files[0].status == "failed"
    assert not Contact.objects.exists()
    assert keys(bucket) == ["erp/failed/contacts.xlsx", "erp/failed/contacts.xlsx.errors.txt"]
    body = bucket.get_object(Bucket=bucket.bucket, Key="erp/failed/contacts.xlsx.errors.txt")
    assert body["Body"].read().decode().startswith("contacts.xlsx: This is not a readable XLSX")


def test_s3_file_put_back_is_not_imported_twice(bucket):
    bucket.put_object(Bucket=bucket.bucket, Key="erp/accounts.csv", Body=ACCOUNTS_CSV.encode())
    erp_import_files()
    bucket.put_object(Bucket=bucket.bucket, Key="erp/accounts.csv", Body=ACCOUNTS_CSV.encode())

    result = erp_import_files()

    assert [f.status for f in result.files] == ["duplicate"]
    assert ImportJob.objects.count() == 1
    assert [key for key in keys(bucket) if not key.startswith("erp/processed/")] == []


def test_beat_runs_the_import_on_its_schedule(settings):
    from hub.celery import app

    app.loader.import_default_modules()

    entry = settings.CELERY_BEAT_SCHEDULE["erp-import"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 300.0
