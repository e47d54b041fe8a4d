"""The import flow in the admin: upload, mapping, dry run, import, progress; managers only."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import Contact, ImportJob, ImportStatus
from campaigns.services.imports import import_job_start
from tests.admin_flow import outcome, unchanged
from tests.campaigns.import_files import (
    csv_bytes,
    database_refuses,
    shared_strings_bomb,
    xlsx_bytes,
)
from tests.factories import AccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

FILE = [
    ["E-Mail", "Vorname", "Nachname", "Kundennummer", "Rolle"],
    ["erika@example.com", "Erika", "Muster", "K100", "Einkäufer"],
    ["max@example.com", "Max", "Muster", "K100", "Entscheider"],
    ["kaputt", "Kaputt", "", "K100", ""],
]


def upload(client, data: bytes, name="kontakte.csv", **fields):
    return client.post(
        reverse("importjob:add"),
        {"kind": "contacts", "file": SimpleUploadedFile(name, data), **fields},
    )


@pytest.fixture
def manager_client(client, campaign_manager):
    client.force_login(campaign_manager)
    return client


def test_a_campaign_manager_imports_contacts_through_dry_run_and_import(
    manager_client, django_capture_on_commit_callbacks
):
    AccountFactory(customer_number="K100")

    uploaded = upload(manager_client, csv_bytes(FILE))
    job = ImportJob.objects.get()
    mapping_page = manager_client.get(uploaded.url)
    with django_capture_on_commit_callbacks(execute=True):
        dry_run = manager_client.post(
            uploaded.url,
            {
                "email": "E-Mail",
                "first_name": "Vorname",
                "last_name": "Nachname",
                "account": "Kundennummer",
                "role": "Rolle",
            },
        )
    preview_page = manager_client.get(dry_run.url)
    contacts_after_dry_run = Contact.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        imported = manager_client.post(reverse("importjob:start", args=(job.pk,)))
    status = manager_client.get(reverse("importjob:status", args=(job.pk,))).json()

    assert uploaded.url == reverse("importjob:mapping", args=(job.pk,))
    assert mapping_page.status_code == 200
    assert b'<option value="E-Mail" selected>' in mapping_page.content
    assert b"erika@example.com" in mapping_page.content
    assert dry_run.url == reverse("importjob:job", args=(job.pk,))
    assert b"What the import would do" in preview_page.content
    assert b"is not a valid e-mail address" in preview_page.content
    assert contacts_after_dry_run == 0
    assert imported.url == reverse("importjob:job", args=(job.pk,))
    assert status == {
        "status": "done",
        "status_label": "Done",
        "dry_run": False,
        "processed_rows": 3,
        "total_rows": 3,
        "percent": 100,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "skipped": 1,
        "finished": True,
        "message": "",
    }
    assert sorted(Contact.objects.values_list("email", "role")) == [
        ("erika@example.com", "buyer"),
        ("max@example.com", "decision_maker"),
    ]


def test_the_job_page_shows_a_progress_bar_that_polls_while_the_dry_run_runs(manager_client):
    job = ImportJob.objects.create(
        kind="contacts",
        original_name="gross.csv",
        file=SimpleUploadedFile("gross.csv", b"E-Mail\r\n"),
        status=ImportStatus.RUNNING,
        total_rows=200,
        processed_rows=50,
        dry_run=True,
    )

    page = manager_client.get(reverse("importjob:job", args=(job.pk,)))
    status = manager_client.get(reverse("importjob:status", args=(job.pk,))).json()

    assert b'<progress max="100" value="25"' in page.content
    assert f'data-status-url="/admin/importjob/{job.pk}/status/"'.encode() in page.content
    assert (status["percent"], status["processed_rows"], status["finished"]) == (25, 50, False)


def test_the_errors_of_a_dry_run_download_as_csv(
    manager_client, django_capture_on_commit_callbacks
):
    uploaded = upload(manager_client, csv_bytes(FILE))
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(uploaded.url, {"email": "E-Mail", "account": "Kundennummer"})
    job = ImportJob.objects.get()

    response = manager_client.get(reverse("importjob:errors", args=(job.pk,)))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows == [
        ["line", "field", "reason", "level"],
        ["4", "email", "'kaputt' is not a valid e-mail address", "error"],
        ["2", "account", "no account has the customer number K100", "error"],
        ["3", "account", "no account has the customer number K100", "error"],
    ]


def test_an_xlsx_upload_is_mapped_from_its_header(manager_client):
    data = xlsx_bytes([["E-Mail", "Nachname"], ["erika@example.com", "Muster"]])

    uploaded = upload(manager_client, data, name="kontakte.xlsx")
    page = manager_client.get(uploaded.url)

    assert ImportJob.objects.get().mapping == {"email": "E-Mail", "last_name": "Nachname"}
    assert b"Muster" in page.content


def test_a_file_that_cannot_be_read_is_refused_at_upload(manager_client):
    response = upload(manager_client, b"%PDF-1.7\x00\x01", name="broschuere.pdf")

    assert response.status_code == 200
    assert b"This is not a CSV or XLSX file (it holds binary data)." in response.content
    assert not ImportJob.objects.exists()


def test_a_file_that_fails_during_the_run_marks_the_job_failed(
    manager_client, campaign_manager, django_capture_on_commit_callbacks
):
    upload(manager_client, csv_bytes(FILE))
    job = ImportJob.objects.get()
    job.file.save("kaputt.csv", io.BytesIO(b"E-Mail\r\n\x81\x8d\x8f\r\n"))

    with django_capture_on_commit_callbacks(execute=True):
        import_job_start(job=job, dry_run=True, user=campaign_manager)
    job.refresh_from_db()
    page = manager_client.get(reverse("importjob:job", args=(job.pk,)))

    assert job.status == ImportStatus.FAILED
    assert "neither UTF-8 nor Windows-1252" in job.message
    assert b"nothing was written" in page.content
    assert not Contact.objects.exists()


def test_the_mapping_needs_a_column_for_the_key(manager_client):
    uploaded = upload(manager_client, csv_bytes([["Name", "Firma"], ["Erika", "Muster"]]))

    response = manager_client.post(uploaded.url, {"last_name": "Name"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    assert ImportJob.objects.get().status == ImportStatus.UPLOADED


def test_the_import_cannot_start_before_its_dry_run(manager_client):
    upload(manager_client, csv_bytes(FILE))
    job = ImportJob.objects.get()

    manager_client.post(reverse("importjob:start", args=(job.pk,)))

    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED
    assert not Contact.objects.exists()


def test_imports_are_in_the_audience_menu_of_campaign_managers(manager_client):
    response = manager_client.get(reverse("wagtailadmin_home"))

    assert reverse("importjob:index").encode() in response.content


def test_the_list_of_imports_links_to_each_job(manager_client):
    upload(manager_client, csv_bytes(FILE))
    job = ImportJob.objects.get()

    response = manager_client.get(reverse("importjob:index"))

    assert response.status_code == 200
    assert reverse("importjob:job", args=(job.pk,)).encode() in response.content
    assert b"kontakte.csv" in response.content


@pytest.mark.parametrize("view", ["index", "add", "job", "mapping", "status", "errors"])
def test_an_editor_cannot_see_imports(client, editor, view):
    job = ImportJob.objects.create(
        kind="contacts", original_name="x.csv", file=SimpleUploadedFile("x.csv", b"E-Mail\r\n")
    )
    client.force_login(editor)
    args = () if view in ("index", "add") else (job.pk,)

    response = client.get(reverse(f"importjob:{view}", args=args))

    assert outcome(response) == "denied"


def test_an_editor_cannot_upload_or_start_an_import(client, editor):
    client.force_login(editor)
    job = ImportJob.objects.create(
        kind="contacts",
        original_name="x.csv",
        file=SimpleUploadedFile("x.csv", b"E-Mail\r\na@example.com\r\n"),
        status=ImportStatus.PREVIEWED,
    )

    # Each refusal is looked at before the next request: the dashboard shows (and so
    # consumes) every message waiting for it.
    with unchanged(job, ImportJob, Contact):
        uploaded = outcome(upload(client, csv_bytes(FILE)))
        started = outcome(client.post(reverse("importjob:start", args=(job.pk,))))

    assert uploaded == "denied"
    assert started == "denied"
    assert ImportJob.objects.count() == 1
    assert ImportJob.objects.get().status == ImportStatus.PREVIEWED


def test_a_campaign_manager_deletes_an_import(manager_client):
    upload(manager_client, csv_bytes(FILE))
    job = ImportJob.objects.get()

    confirm = manager_client.get(reverse("importjob:delete", args=(job.pk,)))
    deleted = manager_client.post(reverse("importjob:delete", args=(job.pk,)))

    assert confirm.status_code == 200
    assert deleted.url == reverse("importjob:index")
    assert not ImportJob.objects.exists()


def test_an_import_that_stops_unexpectedly_is_not_left_running(
    manager_client, campaign_manager, django_capture_on_commit_callbacks, monkeypatch
):
    upload(manager_client, csv_bytes(FILE))
    job = ImportJob.objects.get()

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr("campaigns.services.imports.import_file", disk_full)
    with (
        pytest.raises(OSError, match="No space left"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        import_job_start(job=job, dry_run=True, user=campaign_manager)

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.message == "The import stopped unexpectedly: No space left on device"


def test_an_xlsx_bomb_is_refused_at_upload_with_the_limit_and_its_size(manager_client, settings):
    settings.HUB_IMPORT_MAX_XLSX_EXPANDED_MB = 1

    response = upload(manager_client, shared_strings_bomb(3), name="kontakte.xlsx")

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "The XLSX file expands to 3.0 MB when opened; the limit is 1.0 MB "
        "(HUB_IMPORT_MAX_XLSX_EXPANDED_MB). Save it as CSV, or split it."
    ]
    assert not ImportJob.objects.exists()


def test_a_file_over_the_row_limit_fails_its_dry_run_and_the_job_page_names_the_limit(
    manager_client, settings, django_capture_on_commit_callbacks
):
    settings.HUB_IMPORT_MAX_ROWS = 6  # the upload reads the first five rows only
    uploaded = upload(
        manager_client, csv_bytes([["E-Mail"], *([f"p{n}@example.com"] for n in range(7))])
    )

    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(uploaded.url, {"email": "E-Mail"})
    job = ImportJob.objects.get()
    page = manager_client.get(reverse("importjob:job", args=(job.pk,)))

    assert job.status == ImportStatus.FAILED
    assert job.message == (
        "The file has more than 6 rows, the limit (HUB_IMPORT_MAX_ROWS); split it into "
        "several files."
    )
    assert b"The file could not be imported; nothing was written." in page.content
    assert b"more than 6 rows, the limit (HUB_IMPORT_MAX_ROWS)" in page.content


def test_an_import_the_database_refuses_midway_imports_nothing_and_the_job_says_why(
    manager_client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("campaigns.importing.engine.BATCH_SIZE", 2)
    rows = [["E-Mail"], *([f"p{n}@example.com"] for n in range(6)), ["refused@example.com"]]
    uploaded = upload(manager_client, csv_bytes(rows))
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(uploaded.url, {"email": "E-Mail"})

    with (
        database_refuses("campaigns_contact", "email", "refused@example.com"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        started = manager_client.post(reverse("importjob:start", args=(job.pk,)))
    job.refresh_from_db()
    page = manager_client.get(started.url)

    assert job.status == ImportStatus.FAILED
    assert re.fullmatch(
        r"Nothing was imported: writing lines 8-8 failed \((IntegrityError|ProgrammingError): "
        r"refused by the test trigger\), so the whole import was undone\.",
        job.message,
    )
    assert page.status_code == 200
    assert b"The file could not be imported; nothing was written." in page.content
    assert b"Nothing was imported: writing lines 8-8 failed" in page.content
    assert b"Traceback" not in page.content
    assert not Contact.objects.exists()


def test_the_page_of_a_running_import_says_its_rows_appear_all_at_once(manager_client):
    job = ImportJob.objects.create(
        kind="contacts",
        original_name="gross.csv",
        file=SimpleUploadedFile("gross.csv", b"E-Mail\r\n"),
        status=ImportStatus.RUNNING,
        total_rows=200,
        processed_rows=0,
        dry_run=False,
    )

    page = manager_client.get(reverse("importjob:job", args=(job.pk,)))

    assert (
        b'<progress style="width: 100%; height: 1.5rem;" aria-label="Importing"></progress>'
        in page.content
    )
    assert (
        b"Importing 200 rows in one go: they appear when all of the file is in; should "
        b"anything fail, nothing is imported."
    ) in page.content


def test_the_errors_csv_neutralises_cells_a_spreadsheet_would_evaluate(
    manager_client, django_capture_on_commit_callbacks
):
    rows = [
        ["Kundennummer", "Firma"],
        ["=1+1", "Eins"],
        ["=1+1", "Zwei"],
        ["-2+3", "Drei"],
        ["-2+3", "Vier"],
    ]
    uploaded = manager_client.post(
        reverse("importjob:add"),
        {"kind": "accounts", "file": SimpleUploadedFile("kunden.csv", csv_bytes(rows))},
    )
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(uploaded.url, {"customer_number": "Kundennummer", "name": "Firma"})
    job = ImportJob.objects.get()

    response = manager_client.get(reverse("importjob:errors", args=(job.pk,)))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["line", "field", "reason", "level"],
        ["3", "customer_number", "'=1+1 appears again (first on line 2)", "error"],
        ["5", "customer_number", "'-2+3 appears again (first on line 4)", "error"],
    ]
