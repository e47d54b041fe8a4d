"""``manage.py import_erp_files``: import the files in the ERP drop location now."""

from django.core.management.base import BaseCommand, CommandError

from campaigns.services.sync import erp_import_files


class Command(BaseCommand):
    help = (
        "Import the accounts*, contacts* and orders* files (CSV, XLSX) waiting in "
        "HUB_ERP_IMPORT_LOCATION, then move them to processed/ or failed/."
    )

    def handle(self, *args, **options):
        result = erp_import_files()
        if result is None:
            self.stdout.write("HUB_ERP_IMPORT_LOCATION is not set: nothing to do.")
            return
        if not result.files:
            self.stdout.write(f"No files to import in {result.location}.")
        for file in result.files:
            if file.status == "imported":
                self.stdout.write(
                    f"{file.name}: {file.created} created, {file.updated} updated, "
                    f"{file.unchanged} unchanged, {file.skipped} skipped -> {file.moved_to}"
                )
            elif file.status == "duplicate":
                self.stdout.write(f"{file.name}: imported before -> {file.moved_to}")
            else:
                self.stderr.write(f"{file.name}: not imported, {file.message} -> {file.moved_to}")
        if not result.ok:
            raise CommandError(result.error)
