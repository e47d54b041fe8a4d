"""What every mail transport shares: the message, its outcome, the base class, and the
batch that hands each outcome back before a connection sends the next message."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from channels.exceptions import TransportError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMail:
    sender: str  # envelope MAIL FROM (the bounce address)
    recipient: str  # one envelope recipient
    message: bytes  # the complete RFC 5322 message, CRLF line endings, already built
    message_id: str  # our Message-ID value (without angle brackets), for logs and results


@dataclass(frozen=True)
class SendOutcome:
    message_id: str
    accepted: bool
    permanent: bool = False  # when not accepted: True = never retry (5xx, rejected address)
    provider_id: str = ""  # e.g. SES MessageId
    detail: str = ""  # server reply / error text, for the delivery row
    # When not accepted: the content was handed over and the answer lost, so the server may
    # have kept the message. Sending it again may deliver it twice.
    in_doubt: bool = False


OutcomeCallback = Callable[["OutgoingMail", "SendOutcome"], None]
MaySend = Callable[[], bool]

LEASE_LOST = "the batch's lease was lost"


class MailTransport:
    """Hands prebuilt messages to a mail server or service.

    ``send_many`` returns one outcome per mail, in the order given: a refused recipient or
    message is an outcome, never an exception. ``TransportError`` is raised only when no
    mail of the batch was accepted because the transport itself failed (cannot connect,
    authenticate or reach the service), so the whole batch may be sent again without
    duplicates. Once some mails of a batch were accepted, the ones the failure kept back
    come back as transient outcomes instead.

    ``on_outcome``, when given, is called in the calling thread with each mail and its
    outcome as soon as the server answered, while the other connections go on sending. A
    connection starts its next mail only once ``on_outcome`` returned for its last one, so
    a worker killed in the middle of a batch leaves at most one mail per connection accepted
    but not recorded. If it raises, no further mail of the batch is started, and the error
    propagates once the mails in flight are answered.

    ``may_send``, when given, is asked before each mail is started and again just before its
    content is handed over; once it answers False no further mail is sent, and the mails
    kept back come back as transient outcomes ("not sent").
    """

    rate_per_second: float | None

    def __init__(self, key: str, options: dict[str, Any]) -> None:
        self.key = key
        self.options = options
        rate = options.get("RATE_PER_SECOND")
        if rate is not None and (not isinstance(rate, int | float) or rate <= 0):
            raise ImproperlyConfigured(
                f"HUB_MAIL_TRANSPORTS[{key!r}]['OPTIONS']['RATE_PER_SECOND'] must be a "
                f"positive number or None, not {rate!r}."
            )
        self.rate_per_second = None if rate is None else float(rate)
        self.pool_size = self._positive_int("POOL_SIZE", 4)
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    def send_many(
        self,
        mails: Sequence[OutgoingMail],
        *,
        on_outcome: OutcomeCallback | None = None,
        may_send: MaySend | None = None,
    ) -> list[SendOutcome]:
        raise NotImplementedError

    def forget_recipient(self, *, email: str) -> int:
        """Delete the copies of mail to ``email`` this transport kept; how many (GDPR erasure).

        A mail server or service keeps no copy the hub can reach (their logs are the
        provider's to expire), so by default there is nothing to delete.
        """
        return 0

    def close(self) -> None:
        """Release connections and threads; the transport opens them again when next used."""
        with self._executor_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)

    def _positive_int(self, name: str, default: int) -> int:
        value = self.options.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ImproperlyConfigured(
                f"HUB_MAIL_TRANSPORTS[{self.key!r}]['OPTIONS'][{name!r}] must be a positive "
                f"integer, not {value!r}."
            )
        return value

    def _run_workers(
        self,
        count: int,
        work: Callable[[], None],
        batch: _Batch,
        on_outcome: OutcomeCallback | None = None,
    ) -> None:
        """Run ``work`` in ``count`` threads of this transport at once and wait for all.

        Meanwhile hand each finished mail to ``on_outcome`` here, in the calling thread, and
        let its thread go on only once ``on_outcome`` returned.
        """
        if count == 1 and on_outcome is None:
            work()
            return
        batch.await_acknowledgement = on_outcome is not None
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.pool_size, thread_name_prefix=f"mail-{self.key}"
                )
            executor = self._executor
        futures = [executor.submit(work) for _ in range(count)]
        try:
            if on_outcome is not None:
                self._report(futures, batch, on_outcome)
        except BaseException:
            batch.stop()
            for future in futures:
                future.exception()  # wait for the mails in flight
            raise
        for future in futures:
            # A bug in a worker is not an outcome: let it propagate.
            future.result()

    @staticmethod
    def _report(futures, batch: _Batch, on_outcome: OutcomeCallback) -> None:
        while True:
            try:
                index = batch.finished.get(timeout=0.02)
            except queue.Empty:
                if all(future.done() for future in futures) and batch.finished.empty():
                    return
                continue
            on_outcome(batch.mails[index], batch.outcomes[index])
            batch.acknowledge(index)

    def _finish(self, batch: _Batch) -> list[SendOutcome]:
        """One outcome per mail; those never started come back as not sent (transient)."""
        failure, outcomes = batch.failure, batch.outcomes
        kept_back = sum(outcome is None for outcome in outcomes)
        if failure is not None and kept_back:
            if not any(outcome is not None and outcome.accepted for outcome in outcomes):
                raise failure
            logger.warning(
                "mail.transport.batch_interrupted key=%s kept_back=%d error=%s",
                self.key,
                kept_back,
                failure,
            )
        reason = str(failure) if failure is not None else LEASE_LOST
        return [
            outcome
            if outcome is not None
            else SendOutcome(mail.message_id, accepted=False, detail=f"not sent: {reason}")
            for mail, outcome in zip(batch.mails, outcomes, strict=True)
        ]


class _Batch:
    """The mails of one ``send_many`` call, handed out to the workers one at a time.

    With ``await_acknowledgement``, a worker that finished a mail waits in ``record`` until
    the caller acknowledged its outcome (or the batch stopped) before it takes the next.
    """

    def __init__(self, mails: Sequence[OutgoingMail], may_send: MaySend | None = None) -> None:
        self.mails = mails
        self.may_send = may_send
        self.outcomes: list[SendOutcome | None] = [None] * len(mails)
        self.failure: TransportError | None = None
        self.finished: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.await_acknowledgement = False
        self._acknowledged: dict[int, threading.Event] = {}
        self._next = 0
        self._stopped = False
        self._lock = threading.Lock()

    def record(self, index: int, outcome: SendOutcome) -> None:
        self.outcomes[index] = outcome
        if not self.await_acknowledgement:
            self.finished.put(index)
            return
        acknowledged = threading.Event()
        with self._lock:
            if self._stopped:
                acknowledged.set()
            self._acknowledged[index] = acknowledged
        self.finished.put(index)
        acknowledged.wait()

    def acknowledge(self, index: int) -> None:
        with self._lock:
            acknowledged = self._acknowledged.pop(index, None)
        if acknowledged is not None:
            acknowledged.set()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            waiting, self._acknowledged = list(self._acknowledged.values()), {}
        for acknowledged in waiting:
            acknowledged.set()

    def take(self) -> int | None:
        # Asked outside the lock: it may take a moment, and the other workers need not wait.
        if self.may_send is not None and not self.may_send():
            self.stop()
            return None
        with self._lock:
            if self._stopped or self._next >= len(self.mails):
                return None
            index = self._next
            self._next += 1
            return index

    def fail(self, error: TransportError) -> None:
        with self._lock:
            if self.failure is None:
                self.failure = error
