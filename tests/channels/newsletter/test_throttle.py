"""The global send rate, kept in the database and in Redis, within and across processes."""

from __future__ import annotations

import multiprocessing
import time
import uuid

import pytest
from django.db import connection

from channels.newsletter.throttle import get_send_rate
from tests.channels.newsletter.send_rate_worker import take_grants

REDIS_URL = "redis://127.0.0.1:6379/0"
RATE = 200.0
BURST = 10


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture(params=["database", "redis"])
def backend(request, settings):
    """Where the limiter keeps its state: each test runs against both."""
    if request.param == "database":
        request.getfixturevalue("db")
        settings.HUB_SEND_RATE_URL = "database"
        return "database"
    if not redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    settings.HUB_SEND_RATE_URL = REDIS_URL
    return REDIS_URL


@pytest.fixture
def key() -> str:
    return f"test-{uuid.uuid4().hex}"


def test_first_burst_is_free(backend, key):
    send_rate = get_send_rate(key, RATE, burst=BURST)

    waits = [send_rate.acquire() for _ in range(BURST)]

    assert max(waits) < 0.001


def test_acquisitions_beyond_the_burst_keep_the_rate(backend, key):
    send_rate = get_send_rate(key, RATE, burst=BURST)
    count = 110
    started = time.monotonic()

    waited = sum(send_rate.acquire() for _ in range(count))

    elapsed = time.monotonic() - started
    assert elapsed >= (count - BURST) / RATE - 0.005
    assert waited > 0
    # Held back no more than needed (with room for a busy machine).
    assert elapsed < 2 * (count - BURST) / RATE + 0.5


def test_a_batch_waits_for_its_size(backend, key):
    send_rate = get_send_rate(key, RATE, burst=BURST)

    first = send_rate.acquire(BURST)
    second = send_rate.acquire(60)

    assert first == 0.0
    assert second == pytest.approx(60 / RATE, abs=0.02)


def test_no_rate_never_waits(backend, key):
    send_rate = get_send_rate(key, None)
    started = time.monotonic()

    waits = [send_rate.acquire(1000) for _ in range(100)]

    assert waits == [0.0] * 100
    assert time.monotonic() - started < 0.1


def take_grants_in_two_processes(
    url: str, key: str, database_name: str | None = None, per_worker: int = 60
) -> tuple[float, list[float]]:
    """When the two workers started taking grants, and every grant's moment, in order."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    arguments = {
        "url": url,
        "database_name": database_name,
        "key": key,
        "rate": RATE,
        "burst": BURST,
        "count": per_worker,
        "barrier": barrier,
        "results": results,
    }
    workers = [context.Process(target=take_grants, kwargs=arguments) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        reports = [results.get(timeout=120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
    assert [worker.exitcode for worker in workers] == [0, 0]
    started = min(start for start, _ in reports)
    return started, sorted(grant for _, moments in reports for grant in moments)


def assert_rate_kept(started: float, grants: list[float]) -> None:
    for granted, moment in enumerate(grants, start=1):
        # One grant of slack: a moment is read just after acquire() returned.
        assert granted <= RATE * (moment - started) + BURST + 1, (granted, moment - started)
    assert grants[-1] - started >= (len(grants) - BURST) / RATE - 0.005


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_processes_together_keep_one_rate_in_the_database(settings, key):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("an in-memory SQLite test database cannot be shared with other processes")
    settings.HUB_SEND_RATE_URL = "database"
    database_name = connection.settings_dict["NAME"]

    started, grants = take_grants_in_two_processes("database", key, database_name)

    assert len(grants) == 120
    assert_rate_kept(started, grants)


def test_two_processes_together_keep_one_rate_in_redis(key):
    if not redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")

    started, grants = take_grants_in_two_processes(REDIS_URL, key)

    assert len(grants) == 120
    assert_rate_kept(started, grants)
