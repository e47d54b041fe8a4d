"""``manage.py import_contacts FILE``: upsert contacts from a CSV or XLSX file."""

from campaigns.models import ImportKind

from ._import import ImportCommand


class Command(ImportCommand):
    help = (
        "Import contacts from a CSV or XLSX file; matched by e-mail by default. Consent is "
        "only taken from a mapped consent column, with a consent record as evidence."
    )
    kind = ImportKind.CONTACTS

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--consent-text-version",
            help="The consent text the contacts agreed to, kept as evidence "
            "(default: the file name).",
        )

    def options_for_engine(self, options):
        engine = super().options_for_engine(options)
        if options.get("consent_text_version"):
            engine["consent_text_version"] = options["consent_text_version"]
        return engine
