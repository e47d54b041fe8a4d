"""Build the segment state again from events, orders and contacts (after a restore or a
bulk load straight into the tables, which leaves no marks for the 30-second refresh)."""

import time

from django.core.management.base import BaseCommand

from campaigns.selectors import segment_state_size
from campaigns.services.segment_state import segment_state_rebuild


class Command(BaseCommand):
    help = (
        "Build every contact set (per day, month and attribute), every order day, the "
        "products each contact viewed and bought, and every "
        "saved segment's members again from the events, orders and contacts, as the nightly "
        "run does. Run it after restoring a backup or loading events or orders with SQL."
    )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        built = segment_state_rebuild()
        seconds = time.perf_counter() - started
        size = segment_state_size()
        self.stdout.write(f"Segment state built in {seconds:.1f} s.")
        self.stdout.write(
            f"  event days: {built['event_days']}, order days: {built['order_days']}\n"
            f"  contact sets: {size.sets['day']} per day, {size.sets['month']} per month, "
            f"{size.sets['attribute']} per attribute ({size.set_bytes / 1e6:.1f} MB)\n"
            f"  order days of contacts: {size.order_days}\n"
            f"  products viewed by contacts: {size.pairs['viewed']} per day, "
            f"bought: {size.pairs['bought']} per day\n"
            f"  segments counted: {built['segments']}, marks taken up: {built['marks']}"
        )
