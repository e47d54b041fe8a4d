"""A send batch's lease on its delivery rows: renewed while the batch runs, lapsed when not.

``deliveries_claim`` moves a batch's rows to ``sending`` under a claim id (the Celery task
id) with a lease (``Delivery.lease_until``). The run of the task that comes first *takes* the
rows: they move from the claim id to a fence token of this run alone, so another run of the
same task (the broker redelivered it while the first still runs, or after the first died)
finds no rows and sends nothing. While the batch runs, its worker renews the lease from a
keeper thread every fifth of ``HUB_SEND_LEASE_SECONDS``; ``deliveries_release_stale`` queues
rows again only once their lease lapsed, that is when no worker renewed it for its whole
length: the worker died or stalled, or its task never started.

The worker itself stops sending well before that: ``held()`` turns False once four fifths of
the lease passed since the last successful renewal was *issued* (this process's monotonic
clock, so a stall of any kind counts), and the channel asks ``held()`` before each message
and again just before its content goes out. The last fifth is the margin for the clocks of
the worker and the ticker to disagree. Renewals and results are fenced by the token: rows
that another batch took are neither renewed nor recorded by this one, and a renewal that
finds none of its rows any more ends the lease for good.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone

from ..models import Delivery, DeliveryState

logger = logging.getLogger(__name__)

# Renew this often (a share of the lease), and stop sending after this share without one.
RENEW_SHARE = 0.2
SAFE_SHARE = 0.8

Clock = Callable[[], float]


def lease_seconds() -> float:
    return float(settings.HUB_SEND_LEASE_SECONDS)


def lease_end(now: dt.datetime) -> dt.datetime:
    """When a lease taken or renewed at ``now`` lapses."""
    return now + dt.timedelta(seconds=lease_seconds())


class BatchLease:
    """The lease of one run of a batch; ``held()`` is cheap and safe to ask from any thread."""

    def __init__(self, token: str, *, clock: Clock = time.monotonic) -> None:
        self.token = token
        self.seconds = lease_seconds()
        self._clock = clock
        self._safe_until = float("-inf")
        self._lost = False
        self._stop = threading.Event()

    @classmethod
    def take(cls, claim: str, *, clock: Clock = time.monotonic) -> BatchLease:
        """Start running the batch of ``claim``: its rows move to a token of this run.

        The lease is lost at once when there is nothing to take: the batch ran already (or
        runs elsewhere), or its rows were queued again after its lease lapsed.
        """
        lease = cls(uuid.uuid4().hex, clock=clock)
        issued = clock()
        taken = Delivery.objects.filter(claimed_by=claim, state=DeliveryState.SENDING).update(
            claimed_by=lease.token, lease_until=lease_end(timezone.now())
        )
        lease._granted(issued, taken)
        return lease

    def renew(self) -> int:
        """Extend the lease of this run's rows still ``sending``; how many it holds.

        None held means the batch is over or taken over: the lease ends for good.
        """
        if self._lost:
            return 0
        issued = self._clock()
        held = Delivery.objects.filter(claimed_by=self.token, state=DeliveryState.SENDING).update(
            lease_until=lease_end(timezone.now())
        )
        self._granted(issued, held)
        return held

    def _granted(self, issued: float, rows: int) -> None:
        if rows:
            self._safe_until = issued + self.seconds * SAFE_SHARE
        else:
            self.lose()

    def lose(self) -> None:
        """End the lease for good: nothing more of the batch may be sent."""
        self._lost = True

    @property
    def lost(self) -> bool:
        return self._lost

    def held(self) -> bool:
        """True while the rows are surely still this run's: a message may go out."""
        return not self._lost and self._clock() < self._safe_until

    @contextmanager
    def kept(self) -> Iterator[BatchLease]:
        """Renew the lease from a thread of its own while the block runs."""
        keeper = threading.Thread(target=self._keep, name=f"lease-{self.token[:8]}", daemon=True)
        self._stop.clear()
        keeper.start()
        try:
            yield self
        finally:
            self._stop.set()
            keeper.join()

    def _keep(self) -> None:
        try:
            while not self._stop.wait(self.seconds * RENEW_SHARE):
                try:
                    if not self.renew():
                        logger.warning("delivery.lease_lost token=%s", self.token)
                        return
                except DatabaseError as exc:
                    # Not renewed: held() turns False by itself when the margin runs out.
                    logger.warning(
                        "delivery.lease_renewal_failed token=%s error=%s", self.token, exc
                    )
        finally:
            # The keeper's own connection; the worker's stays as it is.
            connections.close_all()
