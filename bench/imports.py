"""A 100,000-row contacts CSV through the import engine the admin and the commands use.

Goal (issue 5): 100k contacts in under 30 s with flat memory. Measured: rows/s, seconds and
the process's peak RSS for the first import (every row created), then the same file again
(every row unchanged, nothing written). The naive baseline is what a straightforward
importer does, a ``get_or_create`` and ``save`` per row; it runs on a 10,000-row subset and is
extrapolated to 100k (labelled as such).
"""

from __future__ import annotations

import csv
import random
import resource
import tempfile
import time
from pathlib import Path

from django.db import transaction

from campaigns.importing import import_file, parse_email
from campaigns.models import Account, Contact, ImportKind

CONTACTS = 100_000
ACCOUNTS = 5_000
NAIVE_ROWS = 10_000
GOAL_SECONDS = 30.0
DOMAIN = "bench-import.example.com"
ROLES = ["Einkäufer", "Entscheider", "Anwender", "Beeinflusser", "Genehmiger", ""]
PHASES = ["Aufmerksamkeit", "Erwägung", "Kauf", "Erfahrung", "Loyalität", ""]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1024 / 1024


def _write_files(directory: Path) -> tuple[Path, Path, Path]:
    rng = random.Random(5)
    accounts = directory / "kunden.csv"
    with accounts.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["Kundennummer", "Firma", "Branche", "Land"])
        for n in range(ACCOUNTS):
            writer.writerow([f"BI{n:06d}", f"Bench Import {n} GmbH", "Maschinenbau", "DE"])
    contacts = directory / "kontakte.csv"
    naive = directory / "naive.csv"
    header = ["E-Mail", "Anrede", "Vorname", "Nachname", "Kundennummer", "Rolle", "Phase"]
    with contacts.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(header)
        for n in range(CONTACTS):
            writer.writerow(
                [
                    f"kontakt{n}@{DOMAIN}",
                    rng.choice(["Frau", "Herr", ""]),
                    rng.choice(["Erika", "Max", "Jürgen", "Anna"]),
                    f"Müller{n}",
                    f"BI{rng.randrange(ACCOUNTS):06d}",
                    rng.choice(ROLES),
                    rng.choice(PHASES),
                ]
            )
    with naive.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(header)
        for n in range(NAIVE_ROWS):
            writer.writerow(
                [f"naiv{n}@{DOMAIN}", "Frau", "Erika", f"Naiv{n}", f"BI{n % ACCOUNTS:06d}", "", ""]
            )
    return accounts, contacts, naive


def _import(kind: str, path: Path):
    with path.open("rb") as stream:
        return import_file(kind, stream, name=path.name)


def _naive(path: Path) -> float:
    """Per row: look the account up, get_or_create the contact, save it if it changed."""
    roles = {"Einkäufer": "buyer"}
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream, delimiter=";"):
            with transaction.atomic():
                account = Account.objects.get(customer_number=row["Kundennummer"])
                contact, created = Contact.objects.get_or_create(
                    email=parse_email(row["E-Mail"]),
                    defaults={
                        "first_name": row["Vorname"],
                        "last_name": row["Nachname"],
                        "account": account,
                        "salutation": "ms",
                        "role": roles.get(row["Rolle"], ""),
                    },
                )
                if not created and contact.last_name != row["Nachname"]:
                    contact.last_name = row["Nachname"]
                    contact.save()
    return time.perf_counter() - started


def _clean() -> None:
    Contact.objects.filter(email__endswith=f"@{DOMAIN}").delete()
    Account.objects.filter(customer_number__startswith="BI").delete()


def run() -> None:
    _clean()
    with tempfile.TemporaryDirectory(prefix="hub-bench-import-") as directory:
        accounts, contacts, naive = _write_files(Path(directory))
        size_mb = contacts.stat().st_size / 1024 / 1024
        _import(ImportKind.ACCOUNTS, accounts)

        rss_before = _current_rss_mb()
        started, cpu_started = time.perf_counter(), time.process_time()
        first = _import(ImportKind.CONTACTS, contacts)
        first_seconds = time.perf_counter() - started
        # The CPU time of this process (SQLite's work included) shows what a busy machine
        # adds to the wall time.
        first_cpu = time.process_time() - cpu_started
        peak = _peak_rss_mb()

        started = time.perf_counter()
        second = _import(ImportKind.CONTACTS, contacts)
        second_seconds = time.perf_counter() - started

        naive_seconds = _naive(naive)
    _clean()

    assert (first.created, first.skipped) == (CONTACTS, 0), first
    assert (second.created, second.updated, second.unchanged) == (0, 0, CONTACTS), second
    naive_extrapolated = naive_seconds * CONTACTS / NAIVE_ROWS
    verdict = "met" if first_seconds < GOAL_SECONDS else "MISSED"
    print(
        f"import of {CONTACTS:,} contacts ({size_mb:.1f} MB CSV): "
        f"{first_seconds:.1f} s (CPU {first_cpu:.1f} s), {CONTACTS / first_seconds:,.0f} rows/s, "
        f"peak RSS {peak:.0f} MB (+{max(peak - rss_before, 0):.0f} MB over {rss_before:.0f} MB "
        f"before); goal < {GOAL_SECONDS:.0f} s: {verdict}"
    )
    print(
        f"  same file again (all unchanged, no writes): {second_seconds:.1f} s, "
        f"{CONTACTS / second_seconds:,.0f} rows/s"
    )
    print(
        f"  naive per-row get_or_create: {NAIVE_ROWS:,} rows in {naive_seconds:.1f} s, "
        f"extrapolated to {CONTACTS:,}: {naive_extrapolated:.0f} s; "
        f"ratio {naive_extrapolated / first_seconds:.1f}x"
    )
