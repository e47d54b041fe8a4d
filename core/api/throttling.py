"""The API's rate limit: ``HUB_API_RATE_LIMIT`` requests per authenticated client."""

from __future__ import annotations

import threading

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    """``HUB_API_RATE_LIMIT`` requests per API client in each fixed window of the period.

    One atomic counter per client and window in the cache (Redis in production, shared by
    every worker): a request costs one ``incr``, however busy the client is. ninja's own
    sliding log would read and rewrite the client's whole request history each time.
    The client is whatever the route's authentication put on ``request.auth`` (its ``pk``
    keys the counter); an anonymous request is not limited here.
    """

    scope = "api-client"

    def __init__(self) -> None:
        super().__init__(rate=settings.HUB_API_RATE_LIMIT)
        self._waits = threading.local()  # one instance serves every thread

    def allow_request(self, request: HttpRequest) -> bool:
        client = getattr(request, "auth", None)
        if client is None:
            return True
        # Read on each request, so an operator's change applies without a restart.
        limit, period = self.parse_rate(settings.HUB_API_RATE_LIMIT)
        now = self.timer()
        window = int(now // period)
        key = f"api-rate:{client.pk}:{period}:{window}"
        try:
            count = self.cache.incr(key)
        except ValueError:  # the window's first request
            count = 1 if self.cache.add(key, 1, timeout=period + 1) else self.cache.incr(key)
        self._waits.seconds = (window + 1) * period - now
        return count <= limit

    def wait(self) -> float | None:
        """Seconds until the window ends and the client's budget is full again."""
        return getattr(self._waits, "seconds", None)
