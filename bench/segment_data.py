"""The data of the segment benchmark (``bench.segments``): contacts, accounts, events, orders.

At scale 1 (``BENCH_SEGMENTS_SCALE``): 1M contacts, 200k accounts, 10M events over a year,
400k orders over two years, 1% of the addresses suppressed. Generated in Python with a fixed
seed and streamed with ``COPY`` while secondary indexes and foreign keys are dropped; the
five segments are the ones the benchmark counts. ``bench.webshop`` reuses the value lists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import time

from bench.postgres import copy_rows, drop_indexes_and_keys, restore_indexes_and_keys

SCALE = float(os.environ.get("BENCH_SEGMENTS_SCALE", "1"))
CONTACTS = int(1_000_000 * SCALE)
ACCOUNTS = int(200_000 * SCALE)
EVENTS = int(10_000_000 * SCALE)
ORDERS = int(400_000 * SCALE)
SKUS = 5_000

INDUSTRIES = ["Maschinenbau", "Chemie", "Bau", "Automotive", "Elektro", "Lebensmittel",
              "Medizintechnik", "Logistik", "Handel", "Energie", "Holz", "Kunststoff"]  # fmt: skip
COUNTRIES = ["DE", "DE", "DE", "AT", "CH", "NL", "FR", "IT", "PL", "CZ"]
SIZES = ["micro", "small", "medium", "large", "enterprise"]
ROLES = ["", "user", "decision_maker", "buyer", "influencer", "approver"]
PHASES = ["awareness", "consideration", "transaction", "experience", "loyalty"]
CONSENT = ["confirmed"] * 14 + ["none"] * 3 + ["pending"] * 2 + ["revoked"]
KINDS = (
    ["product_view"] * 45 + ["email_open"] * 25 + ["email_click"] * 10 + ["category_click"] * 8
    + ["cart_abandoned"] * 3 + ["order"] * 3 + ["unsubscribe", "bounce", "survey_answer"] * 2
)  # fmt: skip

SEGMENTS = {
    "role+phase": {
        "op": "and",
        "rules": [
            {"field": "role", "operator": "in", "value": ["decision_maker", "buyer"]},
            {"field": "phase", "operator": "in", "value": ["consideration"]},
        ],
    },
    "viewed, not bought (30 days)": {
        "op": "and",
        "rules": [{"field": "viewed_not_bought", "operator": "is", "value": {"within_days": 30}}],
    },
    "cart abandoned, no order (14 days)": {
        "op": "and",
        "rules": [
            {
                "field": "cart_abandoned_without_order",
                "operator": "is",
                "value": {"within_days": 14},
            }
        ],
    },
    "revenue 1,000-5,000 (365 days)": {
        "op": "and",
        "rules": [
            {
                "field": "revenue",
                "operator": "between",
                "value": {"value": [1000, 5000], "within_days": 365},
            }
        ],
    },
    "nested OR": {
        "op": "or",
        "rules": [
            {
                "op": "and",
                "rules": [
                    {"field": "role", "operator": "in", "value": ["decision_maker"]},
                    {"field": "account.country", "operator": "in", "value": ["DE", "AT"]},
                ],
            },
            {
                "op": "and",
                "rules": [
                    {
                        "field": "event",
                        "operator": "has",
                        "value": {"kind": "email_click", "min_count": 3, "within_days": 30},
                    },
                    {"field": "account.size_class", "operator": "not_in", "value": ["micro"]},
                ],
            },
            {
                "op": "and",
                "rules": [
                    {"field": "last_order", "operator": "within_days", "value": 90},
                    {"field": "order_count", "operator": "gte", "value": {"value": 2}},
                ],
            },
        ],
    },
}


# --- data -------------------------------------------------------------------------------------


def moments(now: dt.datetime, days: int) -> list[str]:
    """One text timestamp per minute back from now: picked at random, formatted once."""
    return [
        (now - dt.timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M:00+00")
        for minute in range(days * 24 * 60)
    ]


def generate(raw, now: dt.datetime) -> dict[str, float]:
    """Fill the tables with COPY; return the seconds each part took."""
    rng = random.Random(5)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S+00")
    year = moments(now, 365)
    two_years = moments(now, 730)
    skus = [f"SKU-{number:05d}" for number in range(SKUS)]
    timings = {}
    with raw.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        tables = ["account", "contact", "event", "order", "orderline", "suppression"]
        saved = drop_indexes_and_keys(cursor, [f"campaigns_{table}" for table in tables])

        started = time.perf_counter()
        copy_rows(
            cursor,
            "campaigns_account",
            "id, name, industry, country, size_class, price_group, created_at, updated_at",
            (
                f"{pk}\tAccount {pk}\t{rng.choice(INDUSTRIES)}\t{rng.choice(COUNTRIES)}\t"
                f"{rng.choice(SIZES)}\t{rng.choice('ABCD')}\t{stamp}\t{stamp}\n"
                for pk in range(1, ACCOUNTS + 1)
            ),
        )
        emails = {pk: f"c{pk}@bench.example" for pk in range(1, CONTACTS + 1)}
        copy_rows(
            cursor,
            "campaigns_contact",
            "id, account_id, email, email_hash, salutation, first_name, last_name, language, "
            "role, phase, consent, timezone, declined_topics, created_at, updated_at",
            (
                f"{pk}\t{rng.randint(1, ACCOUNTS) if rng.random() > 0.05 else chr(92) + 'N'}\t"
                f"{emails[pk]}\t{hashlib.sha256(emails[pk].encode()).hexdigest()}\t\tVor\tNach{pk}\t"
                f"{'de' if rng.random() < 0.7 else 'en'}\t{rng.choice(ROLES)}\t"
                f"{rng.choice(PHASES)}\t{rng.choice(CONSENT)}\t\t[]\t{stamp}\t{stamp}\n"
                for pk in range(1, CONTACTS + 1)
            ),
        )
        copy_rows(
            cursor,
            "campaigns_suppression",
            "email_hash, reason, source, created_at",
            (
                f"{hashlib.sha256(emails[pk].encode()).hexdigest()}\thard_bounce\tbench\t{stamp}\n"
                for pk in sorted(rng.sample(range(1, CONTACTS + 1), CONTACTS // 100))
            ),
        )
        timings["accounts, contacts, suppressions"] = time.perf_counter() - started

        started = time.perf_counter()
        contact_ids = range(1, CONTACTS + 1)
        kinds = KINDS
        copy_rows(
            cursor,
            "campaigns_event",
            "contact_id, kind, occurred_at, sku, data, source, idempotency_key, received_at",
            (
                f"{contact}\t{kind}\t{moment}\t"
                f"{sku if kind in ('product_view', 'cart_abandoned', 'category_click') else ''}"
                f"\t{{}}\tbench\t\t{stamp}\n"
                for contact, kind, moment, sku in zip(
                    rng.choices(contact_ids, k=EVENTS),
                    rng.choices(kinds, k=EVENTS),
                    rng.choices(year, k=EVENTS),
                    rng.choices(skus, k=EVENTS),
                    strict=True,
                )
            ),
        )
        timings["events"] = time.perf_counter() - started

        started = time.perf_counter()
        copy_rows(
            cursor,
            "campaigns_order",
            "id, source, external_id, contact_id, ordered_at, currency, revenue, "
            "created_at, updated_at",
            (
                f"{pk}\terp\tB{pk:08d}\t{contact}\t{moment}\tEUR\t"
                f"{min(rng.lognormvariate(6.5, 1.1), 99_999):.2f}\t{stamp}\t{stamp}\n"
                for pk, contact, moment in zip(
                    range(1, ORDERS + 1),
                    rng.choices(contact_ids, k=ORDERS),
                    rng.choices(two_years, k=ORDERS),
                    strict=True,
                )
            ),
        )
        copy_rows(
            cursor,
            "campaigns_orderline",
            "order_id, sku, quantity, unit_price, line_total",
            (
                f"{order}\t{sku}\t1\t10.00\t10.00\n"
                for order in range(1, ORDERS + 1)
                for sku in rng.sample(skus, rng.randint(1, 3))
            ),
        )
        timings["orders and lines"] = time.perf_counter() - started

        started = time.perf_counter()
        restore_indexes_and_keys(cursor, saved)
        for table in tables:  # our own table names, not input
            sequence = f"pg_get_serial_sequence('campaigns_{table}', 'id')"
            cursor.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM campaigns_{table}))")  # noqa: S608
        # Django keeps the connection in autocommit, as VACUUM needs.
        cursor.execute("VACUUM ANALYZE")
    timings["indexes, keys, VACUUM ANALYZE"] = time.perf_counter() - started
    return timings
