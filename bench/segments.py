"""Segment counts on PostgreSQL: 1M contacts, 200k accounts, 10M events, 400k orders.

The data (``bench.segment_data``) is streamed with COPY into a database of its own
(``hub_bench_segments``, dropped afterwards) on the server named by ``BENCH_POSTGRES_URL``
(default: the local server), with PostgreSQL's defaults plus only the settings the README
recommends for production (set with ``ALTER DATABASE``, as the README says). Then:

- the segment state is built from scratch (``segment_state_rebuild``: the nightly sweep's
  cost) and its storage is reported beside the events table's;
- each of five saved segments is counted three ways, median and best of 7 after a warm-up:
  the plain SQL ``segment_contacts(...).count()`` (one count query: the competent
  baseline), and ``len(segment_members(...))`` with the direct SQL backend and with the
  bitmap backend (reachability applied in both). The bitmap members must equal the SQL
  members exactly; the Python evaluator (``evaluate_many``) cross-checks the SQL answer on
  every 20th contact. Goal: each bitmap median under 100 ms;
- the refresh cost: 10,000 new events and 500 orders of today and yesterday, written and
  marked as an intake does, then ``segment_state_refresh`` (median of 3 rounds).

Run alone: ``python -m bench.segments``; ``make bench`` runs it in its own process.
Scale down for a quick try with ``BENCH_SEGMENTS_SCALE=0.05``; keep the database afterwards
for ``EXPLAIN ANALYZE`` with ``BENCH_SEGMENTS_KEEP=1``. ``BENCH_SEGMENTS_SCALES=1,2`` runs
the whole benchmark at each scale, each in a process and database of its own, then prints
the growth and a linear extrapolation to 10M contacts / 100M events.

Last measured 7 December 2026 (``BENCH_SEGMENTS_SCALES=1,2 python -m bench.segments``,
2 CPUs, load average 1.0-2.1), ms median / best of 7:

    1M contacts                          bitmaps        sql count      sql members
    role+phase                             3.6 / 3.4     10.9 / 10.4    459 / 450
    viewed, not bought (30 days)          26.5 / 25.8   389.8 / 380.3   830 / 806
    cart abandoned, no order (14 days)     7.7 / 7.2     53.2 / 50.7    393 / 385
    revenue 1,000-5,000 (365 days)        34.3 / 33.8   486.0 / 462.0   746 / 724
    nested OR                             24.0 / 23.4   374.8 / 365.0   884 / 844

Goal (< 100 ms median) met by all five, at 1M and at 2M. Sweep 99 s; refresh after 10,000
events and 500 orders 1.2 s (it rebuilds the marked days whole: its cost follows the events
per day, not the new ones); storage: bitmaps 49 MB (with the count levels), order totals
7 MB, product pairs 85 MB, events 2,790 MB.

Growth 1M -> 2M and a straight line to 10M contacts / 100M events (an extrapolation, not a
measurement), bitmap medians in ms: role+phase 3.6 -> 5.8 (~24), viewed-not-bought 26.5 ->
44.6 (~190), cart 7.7 -> 10.3 (~31), revenue 34.3 -> 68.8 (~345), nested OR 24.0 -> 36.6
(~137); sweep 99 -> 209 s (~18 min); refresh 1.2 -> 1.6 s (~4.8 s); bitmaps 49 -> 97 MB
(~480), order totals 7 -> 12 MB (~56), product pairs 85 -> 169 MB (~840). At 10M three
would miss 100 ms on this machine: the revenue band (numpy over every order total of the
year), "viewed, not bought" (the pairs of 30 days) and the nested OR (count levels of
every month for "2 orders or more, ever"): they read data that grows with the contacts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

from bench import segment_data as data
from bench.postgres import run_in_own_database, run_in_subprocess_if_postgres

DATABASE = "hub_bench_segments"
RUNS = 7
GOAL_MS = 100
REFRESH_EVENTS = 10_000
REFRESH_ORDERS = 500
REFRESH_ROUNDS = 3
TARGET_SCALE = 10  # 10M contacts, 100M events
# What the README's production section recommends, and nothing else.
PRODUCTION_SETTINGS = {"random_page_cost": "1.1", "jit": "off", "work_mem": "'64MB'"}
TABLES = {
    "bitmaps": "campaigns_contactbitmap",
    "order totals": "campaigns_ordertotals",
    "product pairs": "campaigns_productpairs",
    "events": "campaigns_event",
}


def run_in_subprocess() -> None:
    """What ``make bench`` calls: the benchmark in a process of its own, on PostgreSQL."""
    run_in_subprocess_if_postgres("bench.segments")


def _timed(function, runs: int = RUNS) -> tuple[float, float]:
    """Median and best milliseconds of ``runs`` calls after a warm-up."""
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, min(times) * 1000


def _load() -> str:
    # The counts are CPU-bound: a busy machine slows them down; say how busy it was.
    return ", ".join(f"{value:.1f}" for value in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


def _production_settings() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for name, value in PRODUCTION_SETTINGS.items():  # our own names and values
            cursor.execute(f"ALTER DATABASE {DATABASE} SET {name} = {value}")
    connection.close()  # the next connection starts with them
    print("  database settings (README, production): " + ", ".join(
        f"{name} = {value}" for name, value in PRODUCTION_SETTINGS.items()
    ))  # fmt: skip


def _storage_mb() -> dict[str, float]:
    from django.db import connection

    with connection.cursor() as cursor:
        sizes = {}
        for label, table in TABLES.items():
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            sizes[label] = cursor.fetchone()[0] / 2**20
    return sizes


def _python_check(segments, now: dt.datetime) -> int:
    """The Python evaluator against the SQL and bitmap answers on every 20th contact."""
    from django.db.models.functions import Mod
    from pyroaring import BitMap

    from campaigns.models import Contact, Suppression
    from campaigns.segment_evaluator import evaluate_many, load_catalogue, load_contact_facts
    from campaigns.segments.backends import BitmapBackend
    from campaigns.selectors import segment_contacts, segment_members

    subset = Contact.objects.annotate(every=Mod("pk", 20)).filter(every=0)
    facts = load_contact_facts(subset)
    catalogue = load_catalogue()
    suppressed = set(Suppression.objects.values_list("email_hash", flat=True))
    hashes = dict(subset.values_list("pk", "email_hash"))
    reachable = {
        fact.pk
        for fact in facts
        if fact.consent == "confirmed" and hashes[fact.pk] not in suppressed
    }
    ids = BitMap(hashes)
    for segment in segments:
        in_python = evaluate_many(segment.rules, facts, now=now, catalogue=catalogue) & reachable
        in_sql = set(
            segment_contacts(segment, now=now)
            .filter(pk__in=subset.values("pk"))
            .values_list("pk", flat=True)
        )
        in_bitmaps = set(segment_members(segment, now=now, within=ids, backend=BitmapBackend()))
        assert in_sql == in_python, f"{segment.name}: SQL and Python disagree on the subset"
        assert in_bitmaps == in_python, f"{segment.name}: bitmaps and Python disagree"
    return len(facts)


def _count(segments, now: dt.datetime) -> dict[str, dict]:
    from campaigns.segments.backends import BitmapBackend, SqlBackend
    from campaigns.selectors import segment_contacts, segment_members

    sql, bitmaps = SqlBackend(), BitmapBackend()
    print(
        f"  {'segment':<36} {'count':>9} {'sql count ms':>14} {'sql members':>14} "
        f"{'bitmap ms':>14} {'ratio':>6}  goal < {GOAL_MS} ms (median)"
    )
    print(f"  {'':<36} {'':>9} {'median / best':>14} {'median / best':>14} {'median / best':>14}")
    results = {}
    for segment in segments:
        count = segment_contacts(segment, now=now).count()
        in_sql = segment_members(segment, now=now, backend=sql)
        in_bitmaps = segment_members(segment, now=now, backend=bitmaps)
        assert in_bitmaps == in_sql, f"{segment.name}: bitmap and SQL members differ"
        assert len(in_sql) == count, f"{segment.name}: SQL members and SQL count differ"
        timings = {
            "sql_count": _timed(lambda s=segment: segment_contacts(s, now=now).count()),
            "sql_members": _timed(lambda s=segment: len(segment_members(s, now=now, backend=sql))),
            "bitmap": _timed(lambda s=segment: len(segment_members(s, now=now, backend=bitmaps))),
        }
        results[segment.name] = {"count": count, **timings}
        cells = " ".join(f"{median:>6.1f} / {best:<5.1f}" for median, best in timings.values())
        ratio = timings["sql_count"][0] / timings["bitmap"][0]
        met = "met" if timings["bitmap"][0] < GOAL_MS else "MISSED"
        print(f"  {segment.name:<36} {count:>9,} {cells} {ratio:>5.1f}x  {met}")
    return results


def _refresh_round(rng: random.Random, now: dt.datetime, number: int) -> float:
    """Write 10,000 events and 500 orders of today and yesterday as an intake does, then
    time the maintenance run that takes them in; milliseconds."""
    from decimal import Decimal

    from django.db import transaction

    from campaigns.models import Event, Order
    from campaigns.segments import day_start, local_day
    from campaigns.services.segment_state import (
        segment_state_note_events,
        segment_state_note_orders,
        segment_state_refresh,
    )

    since = day_start(local_day(now) - dt.timedelta(days=1))
    seconds = int((now - since).total_seconds())

    def moment() -> dt.datetime:
        return since + dt.timedelta(seconds=rng.randrange(seconds))

    events = []
    for _ in range(REFRESH_EVENTS):
        kind = rng.choice(data.KINDS)
        sku = f"SKU-{rng.randrange(data.SKUS):05d}" if kind == "product_view" else ""
        contact = rng.randint(1, data.CONTACTS)
        events.append(
            Event(contact_id=contact, kind=kind, occurred_at=moment(), sku=sku, source="bench")
        )
    orders = [
        Order(
            source="webshop",
            external_id=f"R{number}-{index}",
            contact_id=rng.randint(1, data.CONTACTS),
            ordered_at=moment(),
            revenue=Decimal(f"{rng.lognormvariate(6.5, 1.1):.2f}"),
        )
        for index in range(REFRESH_ORDERS)
    ]
    with transaction.atomic():
        Event.objects.bulk_create(events, batch_size=2_000)
        segment_state_note_events((event.occurred_at, event.contact_id) for event in events)
    with transaction.atomic():
        Order.objects.bulk_create(orders)
        segment_state_note_orders((order.ordered_at, order.contact_id) for order in orders)
    started = time.perf_counter()
    segment_state_refresh(now=now)
    return (time.perf_counter() - started) * 1000


def run() -> None:
    from django.db import connection
    from django.utils import timezone

    from campaigns.models import Segment
    from campaigns.services.segment_state import segment_state_rebuild

    now = timezone.now().replace(second=0, microsecond=0)
    print(
        f"segments on PostgreSQL: {data.CONTACTS:,} contacts, {data.ACCOUNTS:,} accounts, "
        f"{data.EVENTS:,} events, {data.ORDERS:,} orders (COPY into {DATABASE})"
    )
    connection.ensure_connection()
    timings = data.generate(connection.connection, now)
    print("  load: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()))
    _production_settings()
    segments = [
        Segment.objects.create(name=name, rules=rules) for name, rules in data.SEGMENTS.items()
    ]

    print(f"  load average before the sweep: {_load()}")
    started = time.perf_counter()
    built = segment_state_rebuild(now=now)
    rebuild_s = time.perf_counter() - started
    storage = _storage_mb()
    print(
        f"  segment state built from scratch (nightly sweep) in {rebuild_s:.0f} s "
        f"({built['event_days']} event days, {built['order_days']} order days, "
        f"{built['segments']} saved segments); storage: "
        + ", ".join(f"{label} {size:.0f} MB" for label, size in storage.items())
    )

    print(f"  load average before counting: {_load()}")
    checked = _python_check(segments, now)
    print(f"  Python evaluator, SQL and bitmaps agree on every 20th contact ({checked:,})")
    results = _count(segments, now)
    print(f"  load average after counting: {_load()}")

    rng = random.Random(18)
    rounds = [_refresh_round(rng, now, number) for number in range(REFRESH_ROUNDS)]
    refresh_ms = statistics.median(rounds)
    print(
        f"  refresh after {REFRESH_EVENTS:,} new events and {REFRESH_ORDERS} orders "
        f"(today and yesterday): {refresh_ms:.0f} ms median of {REFRESH_ROUNDS} "
        f"({', '.join(f'{ms:.0f}' for ms in rounds)} ms)"
    )
    _write_result(
        {
            "scale": data.SCALE,
            "contacts": data.CONTACTS,
            "events": data.EVENTS,
            "rebuild_s": rebuild_s,
            "storage_mb": storage,
            "refresh_ms": refresh_ms,
            "segments": results,
        }
    )


def _write_result(result: dict) -> None:
    path = os.environ.get("BENCH_SEGMENTS_RESULT")
    if path:
        with open(path, "w") as file:
            json.dump(result, file)


def _extrapolate(first: tuple[float, float], second: tuple[float, float]) -> float:
    """The straight line through two (scale, value) points, at ``TARGET_SCALE``."""
    (x1, y1), (x2, y2) = first, second
    return y1 + (y2 - y1) / (x2 - x1) * (TARGET_SCALE - x1)


def growth(scales: list[float]) -> int:
    """The whole benchmark at each scale, each in a process of its own; then the growth."""
    results = []
    for scale in scales:
        with tempfile.NamedTemporaryFile(suffix=".json") as file:
            env = {**os.environ, "BENCH_SEGMENTS_SCALE": str(scale)}
            env.pop("BENCH_SEGMENTS_SCALES")
            env["BENCH_SEGMENTS_RESULT"] = file.name
            subprocess.run([sys.executable, "-m", "bench.segments"], check=True, env=env)
            results.append(json.load(file))
    first, last = results[0], results[-1]
    print(
        f"segments: growth from {first['contacts']:,} to {last['contacts']:,} contacts, "
        f"extrapolated linearly to {TARGET_SCALE * 1_000_000:,} contacts / "
        f"{TARGET_SCALE * 10_000_000:,} events (an extrapolation, not a measurement)"
    )
    header = " ".join(f"{result['contacts'] / 1e6:>7.1f}M" for result in results)
    print(f"  {'bitmap ms (median)':<36} {header}  {TARGET_SCALE}M (extrapolated)")
    for name in first["segments"]:
        values = [result["segments"][name]["bitmap"][0] for result in results]
        row = " ".join(f"{value:>8.1f}" for value in values)
        guess = _extrapolate((first["scale"], values[0]), (last["scale"], values[-1]))
        print(f"  {name:<36} {row}  {guess:>8.0f}")
    rows = {"nightly sweep s": [result["rebuild_s"] for result in results]}
    rows["refresh ms / 10k events"] = [result["refresh_ms"] for result in results]
    for label in TABLES:
        rows[f"{label} MB"] = [result["storage_mb"][label] for result in results]
    for label, values in rows.items():
        row = " ".join(f"{value:>8.1f}" for value in values)
        guess = _extrapolate((first["scale"], values[0]), (last["scale"], values[-1]))
        print(f"  {label:<36} {row}  {guess:>8.0f}")
    return 0


def main() -> int:
    scales = os.environ.get("BENCH_SEGMENTS_SCALES")
    if scales:
        return growth([float(scale) for scale in scales.split(",")])
    return run_in_own_database(DATABASE, run, keep=os.environ.get("BENCH_SEGMENTS_KEEP") == "1")


if __name__ == "__main__":
    sys.exit(main())
