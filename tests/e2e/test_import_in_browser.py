"""A file import clicked in headless chromium: upload, mapping, dry run, import, progress."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from campaigns.models import Contact, ImportJob, ImportStatus
from tests.campaigns.import_files import csv_bytes
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.usefixtures("english"),
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_campaign_manager_imports_contacts_from_a_csv(
    admin_session, browser_problems, shoot, tmp_path
):
    UserFactory(username="campaigns", groups=["Campaign managers"])
    path = tmp_path / "kontakte.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["E-Mail", "Vorname", "Nachname", "Rolle"],
                ["erika@example.com", "Erika", "Muster", "Einkäufer"],
                ["kaputt", "Kaputt", "", ""],
            ],
            encoding="cp1252",
        )
    )
    page = admin_session("campaigns")

    page.goto("/admin/importjob/new/")
    page.get_by_label("Import").select_option("contacts")
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_label("E-mail")).to_have_value("E-Mail")
    expect(page.get_by_role("cell", name="erika@example.com")).to_be_visible()
    shoot(page, "mapping")
    page.get_by_role("button", name="Start dry run").click()
    expect(page.get_by_text("What the import would do")).to_be_visible()
    expect(page.get_by_role("cell", name="'kaputt' is not a valid e-mail address")).to_be_visible()
    shoot(page, "dry-run")
    page.get_by_role("button", name="Import now").click()

    expect(page.get_by_text("What the import did")).to_be_visible()
    expect(page.locator('[data-count="created"]')).to_have_text("1")
    shoot(page, "done")
    assert Contact.objects.get().last_name == "Muster"
    assert not browser_problems.as_text()


def test_the_progress_bar_follows_a_running_dry_run_until_it_is_done(
    admin_session, browser_problems, shoot
):
    UserFactory(username="campaigns", groups=["Campaign managers"])
    job = ImportJob.objects.create(
        kind="contacts",
        original_name="gross.csv",
        file=SimpleUploadedFile("gross.csv", b"E-Mail\r\n"),
        status=ImportStatus.RUNNING,
        dry_run=True,
        total_rows=1000,
        processed_rows=100,
    )
    page = admin_session("campaigns")
    page.goto(f"/admin/importjob/{job.pk}/")
    bar = page.locator("progress[data-import-bar]")
    expect(bar).to_have_attribute("value", "10")

    ImportJob.objects.filter(pk=job.pk).update(processed_rows=600)
    expect(bar).to_have_js_property("value", 60)
    expect(page.locator("[data-import-done]")).to_have_text("600")
    shoot(page, "running")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.PREVIEWED, processed_rows=1000, created_count=1000
    )

    expect(page.get_by_text("What the import would do")).to_be_visible()
    expect(page.locator('[data-count="created"]')).to_have_text("1000")
    assert not browser_problems.as_text()
