"""``manage.py import_accounts FILE``: upsert accounts from a CSV or XLSX file."""

from campaigns.models import ImportKind

from ._import import ImportCommand


class Command(ImportCommand):
    help = "Import accounts from a CSV or XLSX file; matched by customer number by default."
    kind = ImportKind.ACCOUNTS
