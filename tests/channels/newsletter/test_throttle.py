"""The global send rate, kept in the database and in Redis, within and across processes."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import time_machine
from django.db import connection

from channels.newsletter.throttle import get_send_rate
from tests.channels.newsletter.send_rate_worker import take_grants

REDIS_URL = "redis://127.0.0.1:6379/0"
RATE = 200.0
BURST = 10
# Float rounding of moments near 1.8e9 seconds, and Redis's microseconds.
TOLERANCE = 1e-5


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


# The mark, not a fixture looked up at run time, tells pytest-django that the test database
# must be set up: without it the database runs fail when selected on their own.
@pytest.fixture(params=[pytest.param("database", marks=pytest.mark.django_db), "redis"])
def backend(request, settings):
    """Where the limiter keeps its state: each test runs against both."""
    if request.param == "database":
        settings.HUB_SEND_RATE_URL = "database"
        return "database"
    if not redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    settings.HUB_SEND_RATE_URL = REDIS_URL
    return REDIS_URL


@pytest.fixture
def key() -> str:
    return f"test-{uuid.uuid4().hex}"


@dataclass
class Clock:
    now: Callable[[], float]
    sleep: Callable[[float], object]


@pytest.fixture
def clock(backend) -> Iterator[Clock]:
    """The clock the limiter reads, and a sleep that waits on it."""
    if backend == "database":
        # The database limiter reads this process's clock: stop it, and let a sleep move it
        # on by exactly what was asked, so a busy machine changes nothing.
        with time_machine.travel(dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC), tick=False) as t:
            yield Clock(now=time.time, sleep=t.shift)
    else:
        # Redis reads its own clock, which a test cannot stop: real time and real sleeps.
        yield Clock(now=time.time, sleep=time.sleep)


def test_first_burst_is_free(backend, key):
    send_rate = get_send_rate(key, RATE, burst=BURST)

    waits = [send_rate.acquire() for _ in range(BURST)]

    assert max(waits) < 0.001


def test_acquisitions_beyond_the_burst_keep_the_rate(key, clock):
    send_rate = get_send_rate(key, RATE, burst=BURST, sleep=clock.sleep)
    count = 110
    started = clock.now()

    waits = [send_rate.acquire() for _ in range(count)]

    # The last grant came no sooner than the rate allows...
    assert clock.now() - started >= (count - BURST) / RATE - TOLERANCE
    # ...and nobody was held back longer than one message's share of a second.
    assert max(waits) <= 1 / RATE + TOLERANCE


def test_a_batch_waits_for_its_size(key, clock):
    sleeps = []
    send_rate = get_send_rate(key, RATE, burst=BURST, sleep=sleeps.append)
    before = clock.now()

    first = send_rate.acquire(BURST)
    second = send_rate.acquire(60)

    passed = clock.now() - before
    assert first == 0.0
    # The batch waits for its 60 messages' share, less only the time that passed meanwhile
    # (none where the clock is stopped).
    assert 60 / RATE - passed - TOLERANCE <= second <= 60 / RATE + TOLERANCE
    assert sleeps == [second]


def test_no_rate_never_waits(backend, key):
    sleeps = []
    send_rate = get_send_rate(key, None, sleep=sleeps.append)

    waits = [send_rate.acquire(1000) for _ in range(100)]

    assert waits == [0.0] * 100
    assert sleeps == []


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
