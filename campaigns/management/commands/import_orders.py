"""``manage.py import_orders FILE``: upsert orders, one row per order line."""

from campaigns.models import ImportKind, OrderSource

from ._import import ImportCommand


class Command(ImportCommand):
    help = (
        "Import orders from a CSV or XLSX file with one row per order line; the rows of one "
        "order follow each other. Matched by (source, order number)."
    )
    kind = ImportKind.ORDERS

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--source",
            choices=[OrderSource.IMPORT, OrderSource.ERP],
            default=OrderSource.IMPORT,
            help="Where the orders come from (default: %(default)s).",
        )

    def options_for_engine(self, options):
        return {**super().options_for_engine(options), "source": options["source"]}
