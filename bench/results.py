"""Campaign results on PostgreSQL: 1M deliveries, 10M events, 400k orders.

The data is streamed with COPY into a database of its own (``hub_bench_results``, dropped
afterwards). The kept figures are then built the way production builds them: delivery
states recounted by ``results_refresh``, every order credited by ``orders_credit`` (timed:
the order intake's added cost), and the opens, clicks and link figures that tracking keeps
summed once from the generated events.

Measured, median and best of 10 after a warm-up:

- **ours**: the figures of the largest campaign's results page (KPIs per channel and arm,
  day series, top links, holdout and A/B verdicts) read from the kept figures, and the
  whole page rendered for a logged-in manager (goal: under 200 ms);
- **baseline**: the same figures computed from the raw rows by grouped SQL, as a competent
  engineer would write it without kept figures (index-backed joins, one query per figure,
  last-touch attribution with a LATERAL lookup of the last click before each order);
- the programme dashboard's figures (revenue by campaign and channel over a quarter),
  ours against the same from raw rows.

Run alone: ``python -m bench.results``; ``make bench`` runs it in its own process.
Scale down for a quick try with ``BENCH_RESULTS_SCALE=0.1``.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time

from bench.postgres import (
    copy_rows,
    drop_indexes_and_keys,
    restore_indexes_and_keys,
    run_in_own_database,
    run_in_subprocess_if_postgres,
)

DATABASE = "hub_bench_results"
SCALE = float(os.environ.get("BENCH_RESULTS_SCALE", "1"))
CONTACTS = int(500_000 * SCALE)
ACCOUNTS = int(100_000 * SCALE)
BIG_CAMPAIGN = CONTACTS  # the page measured: every contact
OTHER_CAMPAIGNS = 11
OTHER_SIZE = int(45_500 * SCALE)
EVENTS = int(10_000_000 * SCALE)
ORDERS = int(400_000 * SCALE)
RUNS = 10
GOAL_MS = 200
ROLES = ["user", "decision_maker", "buyer", "influencer", "approver"]
PHASES = ["awareness", "consideration", "transaction", "experience", "loyalty"]
LINKS = [f"https://shop.example/p/{number}" for number in range(40)]


def run_in_subprocess() -> None:
    """What ``make bench`` calls: the benchmark in a process of its own, on PostgreSQL."""
    run_in_subprocess_if_postgres("bench.results")


# --- data ---------------------------------------------------------------------------------------


def _campaigns(now: dt.datetime) -> list:
    from campaigns.models import Campaign, CampaignArm, CampaignStatus

    made = []
    for number in range(OTHER_CAMPAIGNS + 1):
        dispatched = now - dt.timedelta(days=100 - number * 8)
        campaign = Campaign.objects.create(
            name=f"Bench {number}",
            sender_name="Bench",
            sender_email="bench@example.com",
            cost=5_000 + number * 500,
            holdout_percent=10 if number == 0 else 0,
            winner_metric="click_rate",
            status=CampaignStatus.DONE,
            dispatched_at=dispatched,
            finished_at=dispatched + dt.timedelta(hours=2),
            channels=["newsletter"],
        )
        if number == 0:
            CampaignArm.objects.create(campaign=campaign, label="A", share=45, sort_order=0)
            CampaignArm.objects.create(campaign=campaign, label="B", share=45, sort_order=1)
        made.append(campaign)
    return made


def _generate(raw, now: dt.datetime, campaigns: list) -> dict[str, float]:
    rng = random.Random(13)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S+00")
    timings = {}
    with raw.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        tables = ["account", "contact", "delivery", "event", "order"]
        saved = drop_indexes_and_keys(cursor, [f"campaigns_{table}" for table in tables])
        started = time.perf_counter()
        copy_rows(
            cursor,
            "campaigns_account",
            "id, name, industry, country, size_class, price_group, created_at, updated_at",
            (
                f"{pk}\tAccount {pk}\tBau\tDE\tmedium\tA\t{stamp}\t{stamp}\n"
                for pk in range(1, ACCOUNTS + 1)
            ),
        )
        copy_rows(
            cursor,
            "campaigns_contact",
            "id, account_id, email, email_hash, salutation, first_name, last_name, language, "
            "role, phase, consent, timezone, declined_topics, created_at, updated_at",
            (
                f"{pk}\t{rng.randint(1, ACCOUNTS)}\tc{pk}@bench.example\t{pk:064x}\t\tVor\t"
                f"Nach{pk}\tde\t{rng.choice(ROLES)}\t{rng.choice(PHASES)}\tconfirmed\t\t[]\t"
                f"{stamp}\t{stamp}\n"
                for pk in range(1, CONTACTS + 1)
            ),
        )
        timings["contacts"] = time.perf_counter() - started

        started = time.perf_counter()
        deliveries = []  # (id, campaign, contact, sent_at, state, arm)
        pk = 0
        for index, campaign in enumerate(campaigns):
            size = BIG_CAMPAIGN if index == 0 else OTHER_SIZE
            contacts = (
                range(1, CONTACTS + 1) if index == 0 else rng.sample(range(1, CONTACTS + 1), size)
            )
            for contact in contacts:
                pk += 1
                if index == 0:
                    draw = rng.random()
                    arm = "holdout" if draw < 0.1 else ("A" if draw < 0.55 else "B")
                else:
                    arm = ""
                if arm == "holdout":
                    state, sent = "held_out", None
                else:
                    draw = rng.random()
                    state = "sent" if draw < 0.97 else ("bounced" if draw < 0.99 else "failed")
                    sent = campaign.dispatched_at + dt.timedelta(seconds=rng.randrange(7200))
                    if state == "failed":
                        sent = None
                deliveries.append((pk, campaign, contact, sent, state, arm))

        def delivery_rows():
            for pk, campaign, contact, sent, state, arm in deliveries:
                variant = f"de:{ROLES[contact % 5]}:{PHASES[contact % 5]}:{arm or '-'}"
                sent_text = sent.strftime("%Y-%m-%d %H:%M:%S+00") if sent else "\\N"
                yield (
                    f"{pk}\t{campaign.pk}\tnewsletter\t{contact}\t{arm}\t{variant}\t{state}\t"
                    f"{stamp}\t1\t\t{sent_text}\t\t\t\t{stamp}\t{stamp}\n"
                )

        copy_rows(
            cursor,
            "campaigns_delivery",
            "id, campaign_id, channel, contact_id, arm, variant_key, state, due_at, attempts, "
            "claimed_by, sent_at, message_id, provider_id, detail, created_at, updated_at",
            delivery_rows(),
        )
        timings["deliveries"] = time.perf_counter() - started

        started = time.perf_counter()
        campaign_events = []
        for _pk, campaign, contact, sent, state, _arm in deliveries:
            if state != "sent":
                continue
            if rng.random() < 0.45:
                for _ in range(rng.randint(1, 4)):
                    at = sent + dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 5))
                    campaign_events.append((contact, "email_open", at, campaign.pk, ""))
                if rng.random() < 0.25:
                    for _ in range(rng.randint(1, 3)):
                        at = sent + dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 6))
                        url = rng.choice(LINKS)
                        campaign_events.append((contact, "email_click", at, campaign.pk, url))
        year = [now - dt.timedelta(minutes=minute) for minute in range(0, 365 * 24 * 60, 7)]
        rest = max(0, EVENTS - len(campaign_events))

        def event_rows():
            for contact, kind, at, campaign_id, url in campaign_events:
                data = f'{{"url": "{url}"}}' if url else "{}"
                yield (
                    f"{contact}\t{kind}\t{at:%Y-%m-%d %H:%M:%S+00}\t\t{campaign_id}\t{data}\t"
                    f"newsletter\t\t{stamp}\n"
                )
            for contact, at in zip(
                rng.choices(range(1, CONTACTS + 1), k=rest), rng.choices(year, k=rest), strict=True
            ):
                yield (
                    f"{contact}\tproduct_view\t{at:%Y-%m-%d %H:%M:%S+00}\tSKU-1\t\\N\t{{}}\t"
                    f"shop\t\t{stamp}\n"
                )

        copy_rows(
            cursor,
            "campaigns_event",
            "contact_id, kind, occurred_at, sku, campaign_id, data, source, idempotency_key, "
            "received_at",
            event_rows(),
        )
        timings["events"] = time.perf_counter() - started

        started = time.perf_counter()
        window = [now - dt.timedelta(minutes=minute) for minute in range(0, 110 * 24 * 60, 3)]
        copy_rows(
            cursor,
            "campaigns_order",
            "id, source, external_id, contact_id, account_id, ordered_at, currency, revenue, "
            "created_at, updated_at",
            (
                f"{pk}\terp\tB{pk:08d}\t{contact}\t\\N\t{at:%Y-%m-%d %H:%M:%S+00}\tEUR\t"
                f"{min(rng.lognormvariate(6.5, 1.1), 99_999):.2f}\t{stamp}\t{stamp}\n"
                for pk, contact, at in zip(
                    range(1, ORDERS + 1),
                    rng.choices(range(1, CONTACTS + 1), k=ORDERS),
                    rng.choices(window, k=ORDERS),
                    strict=True,
                )
            ),
        )
        restore_indexes_and_keys(cursor, saved)
        for table in ("delivery", "order", "event"):  # our own table names, not input
            sequence = f"pg_get_serial_sequence('campaigns_{table}', 'id')"
            cursor.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM campaigns_{table}))")  # noqa: S608
        cursor.execute("VACUUM ANALYZE")
        timings["orders, VACUUM ANALYZE"] = time.perf_counter() - started
    return timings


def _keep_figures(campaigns: list) -> dict[str, float]:
    """Build the kept figures: recount states, credit every order, sum tracking's figures."""
    from django.db import connection, transaction
    from django.utils import timezone

    from campaigns.measurement.attribution import orders_credit
    from campaigns.measurement.intake import results_refresh
    from campaigns.models import Order

    timings = {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Per contact and day, then summed per variant and day (first opens and clicks as
        # distinct contacts per day is close enough for filling; the figures are not checked).
        cursor.execute(
            """
            INSERT INTO campaigns_campaigndaystats (campaign_id, channel, variant_key, arm, day,
                sent, opens, unique_opens, human_opens, machine_opens, clicks, unique_clicks,
                bot_clicks, unsubscribes, complaints, conversions, revenue)
            SELECT d.campaign_id, d.channel, d.variant_key, d.arm,
                (e.occurred_at AT TIME ZONE %s)::date,
                0, count(*) FILTER (WHERE e.kind = 'email_open'),
                count(DISTINCT e.contact_id) FILTER (WHERE e.kind = 'email_open'),
                count(DISTINCT e.contact_id) FILTER (WHERE e.kind = 'email_open'), 0,
                count(*) FILTER (WHERE e.kind = 'email_click'),
                count(DISTINCT e.contact_id) FILTER (WHERE e.kind = 'email_click'), 0, 0, 0, 0, 0
            FROM campaigns_event e
            JOIN campaigns_delivery d
              ON d.campaign_id = e.campaign_id AND d.contact_id = e.contact_id
            WHERE e.campaign_id IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5
            """,
            [timezone.get_current_timezone_name()],
        )
        cursor.execute(
            """
            INSERT INTO campaigns_campaignlinkstats (campaign_id, url, url_hash, clicks, people)
            SELECT campaign_id, data->>'url',
                encode(sha256(convert_to(data->>'url', 'UTF8')), 'hex'), count(*),
                count(DISTINCT contact_id)
            FROM campaigns_event WHERE kind = 'email_click' AND campaign_id IS NOT NULL
            GROUP BY 1, 2
            """
        )
    timings["tracking's figures (summed once)"] = time.perf_counter() - started

    started = time.perf_counter()
    for campaign in campaigns:
        results_refresh(campaign_id=campaign.pk)
    timings["delivery states recounted (12 campaigns)"] = time.perf_counter() - started

    started = time.perf_counter()
    ids = list(Order.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 2_000):
        with transaction.atomic():
            orders_credit(ids[start : start + 2_000])
    seconds = time.perf_counter() - started
    timings[f"orders credited ({len(ids):,}, {len(ids) / seconds:,.0f}/s)"] = seconds
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return timings


# --- the baseline: the same figures from raw rows -----------------------------------------------

RAW_STATES = """
SELECT channel, variant_key, arm, state, count(*) FROM campaigns_delivery
WHERE campaign_id = %(campaign)s GROUP BY 1, 2, 3, 4
"""
RAW_ENGAGEMENT = """
SELECT d.channel, d.arm, e.kind, count(*), count(DISTINCT e.contact_id)
FROM campaigns_event e
JOIN campaigns_delivery d ON d.campaign_id = e.campaign_id AND d.contact_id = e.contact_id
WHERE e.campaign_id = %(campaign)s AND e.kind IN ('email_open', 'email_click')
GROUP BY 1, 2, 3
"""
RAW_SERIES = """
SELECT (e.occurred_at AT TIME ZONE %(zone)s)::date, e.kind, count(DISTINCT e.contact_id)
FROM campaigns_event e
WHERE e.campaign_id = %(campaign)s AND e.kind IN ('email_open', 'email_click')
GROUP BY 1, 2
"""
RAW_LINKS = """
SELECT data->>'url', count(*), count(DISTINCT contact_id) FROM campaigns_event
WHERE campaign_id = %(campaign)s AND kind = 'email_click' GROUP BY 1 ORDER BY 2 DESC LIMIT 10
"""
# Last touch: for each order of a recipient, the last click of any campaign in the 7 days
# before it; the order counts for this campaign when that click is this campaign's.
RAW_ATTRIBUTION = """
SELECT d.arm, count(*), sum(o.revenue)
FROM campaigns_order o
JOIN campaigns_delivery d ON d.contact_id = o.contact_id AND d.campaign_id = %(campaign)s
JOIN LATERAL (
    SELECT e.campaign_id FROM campaigns_event e
    WHERE e.contact_id = o.contact_id AND e.kind IN ('email_click', 'click')
      AND e.campaign_id IS NOT NULL
      AND e.occurred_at <= o.ordered_at AND e.occurred_at >= o.ordered_at - interval '7 days'
    ORDER BY e.occurred_at DESC LIMIT 1
) last ON last.campaign_id = %(campaign)s
WHERE o.ordered_at >= %(since)s
GROUP BY 1
"""
RAW_HOLDOUT = """
SELECT d.arm, d.id, sum(o.revenue)
FROM campaigns_delivery d
JOIN campaigns_order o ON o.contact_id = d.contact_id
  AND o.ordered_at BETWEEN %(since)s AND %(until)s
WHERE d.campaign_id = %(campaign)s AND d.state IN ('sent', 'bounced', 'in_doubt', 'held_out')
GROUP BY 1, 2
"""
RAW_PROGRAMME = """
SELECT last.campaign_id, count(*), sum(o.revenue)
FROM campaigns_order o
JOIN LATERAL (
    SELECT e.campaign_id FROM campaigns_event e
    WHERE e.contact_id = o.contact_id AND e.kind IN ('email_click', 'click')
      AND e.campaign_id IS NOT NULL
      AND e.occurred_at <= o.ordered_at AND e.occurred_at >= o.ordered_at - interval '7 days'
    ORDER BY e.occurred_at DESC LIMIT 1
) last ON true
WHERE o.ordered_at >= %(since)s AND o.ordered_at < %(until)s
GROUP BY 1
"""


def _raw_page(campaign) -> None:
    from django.db import connection
    from django.utils import timezone

    params = {
        "campaign": campaign.pk,
        "zone": timezone.get_current_timezone_name(),
        "since": campaign.dispatched_at,
        "until": campaign.dispatched_at + dt.timedelta(days=7),
    }
    with connection.cursor() as cursor:
        for sql in (
            RAW_STATES,
            RAW_ENGAGEMENT,
            RAW_SERIES,
            RAW_LINKS,
            RAW_ATTRIBUTION,
            RAW_HOLDOUT,
        ):
            cursor.execute(sql, params)
            cursor.fetchall()


def _raw_programme(since: dt.datetime, until: dt.datetime) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(RAW_PROGRAMME, {"since": since, "until": until})
        cursor.fetchall()


def _ours_page(campaign) -> None:
    from campaigns.measurement import results

    table = results.campaign_kpis(campaign, by=("channel", "arm"))
    results.campaign_series(campaign)
    results.campaign_top_links(campaign)
    results.campaign_ab(campaign)
    results.campaign_holdout(campaign)
    assert table.total.received > 0


def _timed(function, runs: int = RUNS) -> tuple[float, float]:
    function()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, min(times) * 1000


def run() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client, override_settings
    from django.utils import timezone

    from campaigns.measurement import results

    now = timezone.now().replace(microsecond=0)
    print(
        f"results on PostgreSQL: {CONTACTS + OTHER_CAMPAIGNS * OTHER_SIZE:,} deliveries "
        f"(largest campaign {BIG_CAMPAIGN:,}), {EVENTS:,} events, {ORDERS:,} orders"
    )
    connection.ensure_connection()
    campaigns = _campaigns(now)
    timings = _generate(connection.connection, now, campaigns)
    print("  load: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()))
    timings = _keep_figures(campaigns)
    print(
        "  kept figures: "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
    )
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute("SET random_page_cost = 1.1")
    big = campaigns[0]

    print(f"  {'what':<44} {'median ms':>10} {'best ms':>8}")

    def cold() -> None:
        cache.clear()  # as after a new order or click: the statistics are computed again
        _ours_page(big)

    rows = [
        ("campaign figures, from kept figures", lambda: _ours_page(big)),
        ("campaign figures, statistics not cached", cold),
        ("campaign figures, from raw rows (baseline)", lambda: _raw_page(big)),
    ]
    user = get_user_model().objects.create_superuser("bench-results", "bench@example.com", None)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    url = f"/admin/snippets/campaigns/campaign/{big.pk}/results/"

    # Static files are not collected for the benchmark: plain URLs instead of the manifest.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    def page() -> None:
        with override_settings(STORAGES=storages):
            response = client.get(url)
        assert response.status_code == 200, response.status_code

    rows.append(("results page, rendered (ours)", page))
    since = timezone.localdate(now) - dt.timedelta(days=91)
    until = timezone.localdate(now)
    rows.append(("programme figures, quarter (ours)", lambda: results.programme(since, until)))
    start = now - dt.timedelta(days=91)
    rows.append(("programme figures, quarter (baseline)", lambda: _raw_programme(start, now)))
    measured = {}
    for name, function in rows:
        median, best = _timed(function)
        measured[name] = (median, best)
        print(f"  {name:<44} {median:>10.1f} {best:>8.1f}")
    raw = measured["campaign figures, from raw rows (baseline)"]
    for name in ("campaign figures, from kept figures", "campaign figures, statistics not cached"):
        print(f"  {name}: {raw[0] / measured[name][0]:.0f}x faster than the baseline (median)")
    ours = measured["programme figures, quarter (ours)"]
    raw = measured["programme figures, quarter (baseline)"]
    print(f"  programme figures: {raw[0] / ours[0]:.0f}x faster than the baseline (median)")
    page_median = measured["results page, rendered (ours)"][0]
    print(
        f"  results page median {page_median:.0f} ms: goal < {GOAL_MS} ms "
        f"{'met' if page_median < GOAL_MS else 'MISSED'}"
    )


def main() -> int:
    return run_in_own_database(DATABASE, run)


if __name__ == "__main__":
    sys.exit(main())
