"""A global send rate per mail transport, shared by every worker process.

The workers share one "next free moment" per transport (virtual scheduling, GCRA): a grant
of ``n`` messages moves it on by ``n / rate`` and waits until it lies less than the burst
window ahead. The moment lives in Redis (``HUB_SEND_RATE_URL=redis://...``) or in the
database (``SendRateState``, the embedded default).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from channels.models import SendRateState

logger = logging.getLogger(__name__)


class SendRate:
    """At most ``rate_per_second`` messages per second for one transport, across processes.

    ``burst`` messages (by default one second's worth) may go at once after the limiter was
    idle, so the first batch does not wait. Without a rate nothing is ever held back.
    ``sleep`` is how the caller is held back (``time.sleep`` unless a test passes its own).
    """

    def __init__(
        self,
        key: str,
        rate_per_second: float | None,
        *,
        burst: float | None = None,
        sleep: Callable[[float], object] = time.sleep,
    ):
        if rate_per_second is not None and rate_per_second <= 0:
            raise ValueError(f"rate_per_second must be positive or None, not {rate_per_second!r}")
        self.key = key
        self.rate_per_second = rate_per_second
        if burst is None:
            burst = max(1.0, rate_per_second or 0)
        self.burst = float(burst)
        self.sleep = sleep

    def acquire(self, n: int = 1) -> float:
        """Block until ``n`` more messages may be sent; the seconds waited."""
        if self.rate_per_second is None or n <= 0:
            return 0.0
        wait = self._reserve(n / self.rate_per_second, self.burst / self.rate_per_second)
        if wait > 0:
            logger.debug("mail.send_rate.wait key=%s n=%d seconds=%.3f", self.key, n, wait)
            self.sleep(wait)
            return wait
        return 0.0

    def _reserve(self, cost: float, window: float) -> float:
        """Move the next free moment on by ``cost`` seconds; the seconds to wait before sending."""
        raise NotImplementedError


class DatabaseSendRate(SendRate):
    """Keeps the next free moment in ``SendRateState``, updated under a row lock.

    Call it outside a transaction: the row stays locked until the surrounding one ends.
    """

    def __init__(
        self,
        key: str,
        rate_per_second: float | None,
        *,
        burst: float | None = None,
        sleep: Callable[[float], object] = time.sleep,
    ):
        super().__init__(key, rate_per_second, burst=burst, sleep=sleep)
        self._row_exists = False

    def _reserve(self, cost: float, window: float) -> float:
        if not self._row_exists:
            # get_or_create copes with another process inserting the row at the same time.
            SendRateState.objects.get_or_create(key=self.key, defaults={"next_free_at": 0.0})
            self._row_exists = True
        with transaction.atomic():
            state = SendRateState.objects.select_for_update().get(key=self.key)
            # Read the clock only once the lock is held, or a process that queued for it
            # would book a moment already past.
            now = time.time()
            state.next_free_at = max(now, state.next_free_at) + cost
            state.save(update_fields=["next_free_at"])
        return max(0.0, state.next_free_at - window - now)


# KEYS[1]: the transport's key; ARGV: cost and burst window in seconds. The server's clock
# is the only one used, so the workers' clocks need not agree. Floats are returned as a
# string: Redis turns a Lua number into an integer.
_RESERVE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
if next_free < now then next_free = now end
next_free = next_free + tonumber(ARGV[1])
local ahead = next_free - now
redis.call('SET', KEYS[1], string.format('%.6f', next_free), 'PX', math.ceil(ahead * 1000) + 1000)
local wait = ahead - tonumber(ARGV[2])
if wait < 0 then wait = 0 end
return string.format('%.6f', wait)
"""

_redis_clients: dict[str, object] = {}
_redis_lock = threading.Lock()


class RedisSendRate(SendRate):
    """Keeps the next free moment in Redis at ``hub:send-rate:<key>``, updated by one script.

    The key expires once the moment has passed, so an idle transport leaves nothing behind.
    """

    def __init__(
        self,
        key: str,
        rate_per_second: float | None,
        *,
        url: str,
        burst: float | None = None,
        sleep: Callable[[float], object] = time.sleep,
    ):
        super().__init__(key, rate_per_second, burst=burst, sleep=sleep)
        self.redis_key = f"hub:send-rate:{key}"
        with _redis_lock:
            client = _redis_clients.get(url)
            if client is None:
                import redis

                client = _redis_clients[url] = redis.Redis.from_url(url)
        self._script = client.register_script(_RESERVE_SCRIPT)

    def _reserve(self, cost: float, window: float) -> float:
        return float(self._script(keys=[self.redis_key], args=[repr(cost), repr(window)]))


def get_send_rate(
    transport_key: str,
    rate_per_second: float | None,
    *,
    burst: float | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> SendRate:
    """The send rate of a transport, kept where ``settings.HUB_SEND_RATE_URL`` says."""
    if rate_per_second is None:
        return SendRate(transport_key, None, sleep=sleep)
    url = settings.HUB_SEND_RATE_URL
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisSendRate(transport_key, rate_per_second, url=url, burst=burst, sleep=sleep)
    if url == "database":
        return DatabaseSendRate(transport_key, rate_per_second, burst=burst, sleep=sleep)
    raise ImproperlyConfigured(
        f"HUB_SEND_RATE_URL={url!r} is not supported; use 'database' or a redis:// URL."
    )
