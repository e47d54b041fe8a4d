"""``manage.py seed_demo``: fills an empty hub with demo data; ``--logins`` prints the logins.

The data and the seeders live in ``hub/demo/``; this command only runs them in one
transaction, quietly, and reports what it made.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from hub.demo.users import DEMO_PASSWORD, logins_table


class Command(BaseCommand):
    """``seed_demo`` fills an empty hub with demo content; ``seed_demo --logins`` prints logins.

    Safe to repeat: whatever already exists (by username, slug, SKU and locale, headline and
    locale) is left exactly as it is.
    """

    help = (
        "Create demo users, categories, products, audience messages, the demo audience and "
        f"campaigns (idempotent). Every demo user's password is {DEMO_PASSWORD!r}: for local "
        "demos only."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--logins", action="store_true", help="Only print the demo logins, touch nothing."
        )

    def handle(self, *args, logins: bool = False, verbosity: int = 1, **options) -> None:
        if logins:
            self.stdout.write(logins_table())
            return
        # Imported here: `--logins` needs none of the seeders (nor Pillow and WeasyPrint).
        from hub.demo.quiet import quiet_seeding
        from hub.demo.seeding import seed_demo

        started = time.monotonic()
        with quiet_seeding(verbose=verbosity >= 2), transaction.atomic():
            created = seed_demo()
        seconds = time.monotonic() - started
        if created:
            made = ", ".join(f"{count} {what}" for what, count in created.items())
            self.stdout.write(f"Demo data: created {made} in {seconds:.1f} s.")
        else:
            self.stdout.write(f"Demo data already present; nothing to do ({seconds:.1f} s).")
