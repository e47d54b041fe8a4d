"""A worker process for the send rate tests: takes grants from a shared limiter.

Kept apart from the test module so that a spawned process can import it before Django is
set up.
"""

from __future__ import annotations

import time
from typing import Any


def take_grants(
    *,
    url: str,
    database_name: str | None,
    key: str,
    rate: float,
    burst: float,
    count: int,
    barrier: Any,
    results: Any,
) -> None:
    """Acquire ``count`` single grants once every worker is ready; report their moments."""
    import django
    from django.conf import settings

    if database_name:
        # The parent's test database, not the one named in DATABASE_URL.
        settings.DATABASES["default"]["NAME"] = database_name
    settings.HUB_SEND_RATE_URL = url
    django.setup()
    from channels.newsletter.throttle import get_send_rate

    send_rate = get_send_rate(key, rate, burst=burst)
    barrier.wait(timeout=60)
    started = time.time()
    grants = []
    for _ in range(count):
        send_rate.acquire()
        grants.append(time.time())
    results.put((started, grants))
