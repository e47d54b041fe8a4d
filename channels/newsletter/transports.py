"""Mail transports of the newsletter: hand prebuilt messages to an SMTP server or Amazon SES.

Chosen by ``settings.HUB_MAIL_TRANSPORTS`` as Django's e-mail backends are::

    HUB_MAIL_TRANSPORTS = {
        "default": {"BACKEND": "channels.newsletter.transports.SMTPTransport", "OPTIONS": {...}},
    }

A transport only sends: the messages are built before (one per recipient), and the global
send rate (``RATE_PER_SECOND``) is kept by the caller with ``channels.newsletter.throttle``.
"""

from __future__ import annotations

import logging
import os
import queue
import smtplib
import ssl
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.utils import DNS_NAME
from django.core.signals import setting_changed
from django.dispatch import receiver

from channels.exceptions import TransportError
from hub.backends import backend_class

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


def _refused(mail: OutgoingMail, code: int, text: bytes | str) -> SendOutcome:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return SendOutcome(
        mail.message_id,
        accepted=False,
        # Anything but a 5xx (4xx, or no code at all) may succeed when tried again.
        permanent=500 <= code < 600,
        detail=f"{code} {text}".strip(),
    )


class _LeaseLost(Exception):
    """Raised in the middle of an SMTP transaction when the batch may not send any more."""


class _TrackedSMTP(smtplib.SMTP):
    """An SMTP client that knows whether the current mail's content may have gone out.

    Once DATA was answered with 354 the content is on its way: if the connection is lost
    before the server's final answer, the server may have kept the mail (in doubt). Before
    that moment a lost connection cost nothing, and the mail may simply be sent again.
    ``before_content`` is asked just before DATA; when it answers False, the mail is not
    sent (``_LeaseLost``) and the transaction is left for the caller to reset.
    """

    content_sent = False
    before_content: MaySend | None = None
    _command = ""

    def putcmd(self, cmd: str, args: str = "") -> None:
        self._command = cmd.lower()
        if self._command == "mail":
            self.content_sent = False
        elif self._command == "data" and self.before_content and not self.before_content():
            raise _LeaseLost
        super().putcmd(cmd, args)

    def getreply(self) -> tuple[int, bytes]:
        code, text = super().getreply()
        if self._command == "data" and code == 354:
            self.content_sent = True
        return code, text


class _TrackedSMTPSSL(_TrackedSMTP, smtplib.SMTP_SSL):
    """The same over implicit TLS (port 465)."""


class _SMTPConnection:
    """One pooled connection: opened on first use, reopened after the server dropped it."""

    def __init__(self, transport: SMTPTransport) -> None:
        self.transport = transport
        self.smtp: _TrackedSMTP | None = None

    def ensure_open(self) -> None:
        if self.smtp is None:
            self.smtp = self.transport._connect()

    def discard(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def quit(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            # The server went away already; what is left to do is close the socket.
            pass
        finally:
            self.discard()

    def deliver(self, mail: OutgoingMail, may_send: MaySend | None = None) -> SendOutcome:
        """Send one mail; after a connection dropped before the content went out, reopen it
        and try once more. A connection lost after that gives an in-doubt outcome.

        Raises ``TransportError`` when the connection cannot be reopened.
        """
        self.ensure_open()
        try:
            return self._sendmail(mail, may_send)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            if self._content_sent():
                return self._in_doubt(mail, exc)
            first_error = exc
        transport = self.transport
        logger.info(
            "mail.transport.reconnect key=%s host=%s port=%s message_id=%s error=%s",
            transport.key,
            transport.host,
            transport.port,
            mail.message_id,
            first_error,
        )
        self.discard()
        self.ensure_open()
        try:
            return self._sendmail(mail, may_send)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            if self._content_sent():
                return self._in_doubt(mail, exc)
            self.discard()
            logger.warning(
                "mail.transport.dropped key=%s host=%s message_id=%s error=%s",
                transport.key,
                transport.host,
                mail.message_id,
                exc,
            )
            return SendOutcome(
                mail.message_id, accepted=False, detail=f"connection lost twice: {exc}"
            )

    def _content_sent(self) -> bool:
        return self.smtp is not None and self.smtp.content_sent

    def _in_doubt(self, mail: OutgoingMail, exc: BaseException) -> SendOutcome:
        self.discard()
        logger.warning(
            "mail.transport.in_doubt key=%s host=%s message_id=%s error=%s",
            self.transport.key,
            self.transport.host,
            mail.message_id,
            exc,
        )
        return SendOutcome(
            mail.message_id,
            accepted=False,
            in_doubt=True,
            detail=f"connection lost after the message was handed over, before the server "
            f"confirmed it; it may have been delivered: {exc}",
        )

    def _sendmail(self, mail: OutgoingMail, may_send: MaySend | None) -> SendOutcome:
        smtp = self.smtp
        assert smtp is not None
        options = []
        if not mail.message.isascii() and smtp.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        if not (mail.sender.isascii() and mail.recipient.isascii()) and smtp.has_extn("smtputf8"):
            options.append("SMTPUTF8")
        smtp.before_content = may_send
        try:
            smtp.sendmail(mail.sender, [mail.recipient], mail.message, mail_options=options)
        except _LeaseLost:
            # Stopped after RCPT, before DATA: nothing went out; end the transaction.
            try:
                smtp.rset()
            except (smtplib.SMTPException, OSError):
                self.discard()
            return SendOutcome(mail.message_id, accepted=False, detail=f"not sent: {LEASE_LOST}")
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients.get(mail.recipient, (-1, b"recipient refused"))
            return _refused(mail, code, text)
        except smtplib.SMTPResponseException as exc:
            # Sender refused or DATA refused; smtplib has reset the transaction (or closed
            # the connection on 421, which the next mail's retry reopens).
            return _refused(mail, exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPNotSupportedError as exc:
            # The message needs SMTPUTF8 and the server cannot take it: trying again won't help.
            return SendOutcome(mail.message_id, accepted=False, permanent=True, detail=str(exc))
        finally:
            smtp.before_content = None
        return SendOutcome(mail.message_id, accepted=True)


class SMTPTransport(MailTransport):
    """An SMTP server, through a pool of ``POOL_SIZE`` connections kept open between batches.

    Options: ``HOST``, ``PORT``, ``USERNAME``/``PASSWORD`` (AUTH when a username is set),
    ``STARTTLS`` or ``SSL`` (implicit TLS), ``TIMEOUT`` (seconds), ``POOL_SIZE``,
    ``CA_FILE`` (a PEM bundle to verify the server with instead of the system's CAs) and
    ``RATE_PER_SECOND``. A batch is spread over the pool's connections in parallel.
    """

    def __init__(self, key: str, options: dict[str, Any]) -> None:
        super().__init__(key, options)
        self.host = options.get("HOST") or "localhost"
        self.port = int(options.get("PORT") or (465 if options.get("SSL") else 25))
        self.username = options.get("USERNAME") or ""
        self.password = options.get("PASSWORD") or ""
        self.starttls = bool(options.get("STARTTLS"))
        self.implicit_tls = bool(options.get("SSL"))
        if self.starttls and self.implicit_tls:
            raise ImproperlyConfigured(
                f"HUB_MAIL_TRANSPORTS[{key!r}]['OPTIONS']: STARTTLS and SSL are exclusive."
            )
        self.timeout = float(options.get("TIMEOUT") or 30)
        self.ca_file = options.get("CA_FILE") or None
        self._ssl_context: ssl.SSLContext | None = None
        self._idle: queue.SimpleQueue[_SMTPConnection] = queue.SimpleQueue()
        self._connections = [_SMTPConnection(self) for _ in range(self.pool_size)]
        for connection in self._connections:
            self._idle.put(connection)

    def send_many(
        self,
        mails: Sequence[OutgoingMail],
        *,
        on_outcome: OutcomeCallback | None = None,
        may_send: MaySend | None = None,
    ) -> list[SendOutcome]:
        if not mails:
            return []
        batch = _Batch(mails, may_send)

        def work() -> None:
            # Each worker holds one pooled connection for the whole batch, so the
            # connections are used in parallel and never by two threads at once.
            connection = self._idle.get()
            try:
                try:
                    connection.ensure_open()
                except TransportError as exc:
                    # Take no mail: the other connections may still carry the batch.
                    batch.fail(exc)
                    return
                while (index := batch.take()) is not None:
                    try:
                        outcome = connection.deliver(mails[index], may_send)
                    except TransportError as exc:
                        # Lost and not reopened: the mail taken comes back as not sent.
                        batch.fail(exc)
                        return
                    batch.record(index, outcome)
            finally:
                self._idle.put(connection)

        self._run_workers(min(self.pool_size, len(mails)), work, batch, on_outcome)
        return self._finish(batch)

    def close(self) -> None:
        super().close()
        for connection in self._connections:
            connection.quit()

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context(cafile=self.ca_file)
        return self._ssl_context

    def _connect(self) -> _TrackedSMTP:
        smtp: _TrackedSMTP | None = None
        try:
            if self.implicit_tls:
                smtp = _TrackedSMTPSSL(
                    self.host,
                    self.port,
                    local_hostname=str(DNS_NAME),
                    timeout=self.timeout,
                    context=self._context(),
                )
            else:
                smtp = _TrackedSMTP(
                    self.host, self.port, local_hostname=str(DNS_NAME), timeout=self.timeout
                )
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            self._abandon(smtp)
            raise self._error("authentication failed", exc, transient=exc.smtp_code < 500) from exc
        except smtplib.SMTPNotSupportedError as exc:
            # STARTTLS or AUTH not offered: the configuration does not match the server.
            self._abandon(smtp)
            raise self._error("not supported by the server", exc, transient=False) from exc
        except ssl.SSLCertVerificationError as exc:
            self._abandon(smtp)
            raise self._error("certificate not trusted", exc, transient=False) from exc
        except smtplib.SMTPResponseException as exc:
            self._abandon(smtp)
            raise self._error("refused", exc, transient=exc.smtp_code < 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._abandon(smtp)
            raise self._error("cannot connect", exc, transient=True) from exc
        logger.debug(
            "mail.transport.connected key=%s host=%s port=%s", self.key, self.host, self.port
        )
        return smtp

    @staticmethod
    def _abandon(smtp: smtplib.SMTP | None) -> None:
        if smtp is not None:
            smtp.close()

    def _error(self, what: str, exc: Exception, *, transient: bool) -> TransportError:
        logger.warning(
            "mail.transport.connect_failed key=%s host=%s port=%s transient=%s error=%s",
            self.key,
            self.host,
            self.port,
            transient,
            exc,
        )
        return TransportError(
            f"SMTP server {self.host}:{self.port} ({self.key}): {what}: {exc}", transient=transient
        )


# SES error codes that concern the one message (or its sender) and won't change on retry.
_SES_PERMANENT = {
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "BadRequestException",
    "InvalidParameterValue",
}
# Codes that stop the whole transport: nothing will be accepted until someone acts.
_SES_FATAL = {
    "AccessDenied",
    "AccessDeniedException",
    "AccountSuspendedException",
    "InvalidClientTokenId",
    "NotFoundException",  # e.g. the configuration set does not exist
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
}
# The account may send again later: stop the batch, send it later.
_SES_PAUSED = {"SendingPausedException"}


class FileTransport(MailTransport):
    """Writes each message to ``DIRECTORY/<message id>.eml``: the embedded default.

    ``make run`` has no mail server; campaigns still send, and every message can be opened
    in a mail program from the folder. Never used in production.
    """

    def __init__(self, key: str, options: dict[str, Any]) -> None:
        super().__init__(key, options)
        directory = options.get("DIRECTORY")
        if not directory:
            raise ImproperlyConfigured(
                f"HUB_MAIL_TRANSPORTS[{key!r}]['OPTIONS']['DIRECTORY'] is required."
            )
        self.directory = os.fspath(directory)

    def send_many(
        self,
        mails: Sequence[OutgoingMail],
        *,
        on_outcome: OutcomeCallback | None = None,
        may_send: MaySend | None = None,
    ) -> list[SendOutcome]:
        os.makedirs(self.directory, exist_ok=True)
        outcomes = []
        for mail in mails:
            if may_send is not None and not may_send():
                outcomes.append(
                    SendOutcome(mail.message_id, accepted=False, detail=f"not sent: {LEASE_LOST}")
                )
                continue
            name = "".join(c if c.isalnum() or c in ".-_@" else "_" for c in mail.message_id)
            with open(os.path.join(self.directory, f"{name}.eml"), "wb") as file:
                file.write(mail.message)
            outcome = SendOutcome(mail.message_id, accepted=True, detail="written to file")
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(mail, outcome)
        return outcomes

    def forget_recipient(self, *, email: str) -> int:
        """Delete every ``.eml`` file addressed to ``email`` or naming it anywhere."""
        needle = email.strip().lower().encode()
        if not needle or not os.path.isdir(self.directory):
            return 0
        deleted = 0
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if not (entry.is_file() and entry.name.endswith(".eml")):
                    continue
                with open(entry.path, "rb") as file:
                    if needle not in file.read().lower():
                        continue
                os.remove(entry.path)
                deleted += 1
        logger.info("mail.file_forgotten transport=%s files=%s", self.key, deleted)
        return deleted


class SESTransport(MailTransport):
    """Amazon SES (API v2), one raw message per recipient, ``POOL_SIZE`` requests at once.

    Options: ``REGION``, ``ENDPOINT_URL`` (another SES-compatible endpoint),
    ``CONFIGURATION_SET``, ``TIMEOUT`` and ``RATE_PER_SECOND`` (the account's send rate).
    Credentials come from the usual AWS sources (environment, profile, instance role).
    The outcome's ``provider_id`` is SES's MessageId.
    """

    def __init__(self, key: str, options: dict[str, Any]) -> None:
        super().__init__(key, options)
        # boto3 is imported here only: nothing else in the project needs it at import time.
        import boto3
        from botocore.config import Config

        timeout = float(options.get("TIMEOUT") or 30)
        self.configuration_set = options.get("CONFIGURATION_SET") or ""
        self.region = options.get("REGION") or "eu-central-1"
        self.endpoint_url = options.get("ENDPOINT_URL") or None
        self.client = boto3.session.Session().client(
            "sesv2",
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            config=Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                max_pool_connections=self.pool_size,
                # No automatic retries: a request whose answer was lost may have sent its mail
                # (in doubt). Throttling and service errors come back as transient outcomes,
                # which the caller sends again later.
                retries={"mode": "standard", "total_max_attempts": 1},
            ),
        )

    def send_many(
        self,
        mails: Sequence[OutgoingMail],
        *,
        on_outcome: OutcomeCallback | None = None,
        may_send: MaySend | None = None,
    ) -> list[SendOutcome]:
        if not mails:
            return []
        batch = _Batch(mails, may_send)

        def work() -> None:
            while batch.failure is None and (index := batch.take()) is not None:
                try:
                    batch.record(index, self._send(mails[index]))
                except TransportError as exc:
                    batch.fail(exc)

        self._run_workers(min(self.pool_size, len(mails)), work, batch, on_outcome)
        return self._finish(batch)

    def close(self) -> None:
        super().close()
        self.client.close()

    def _send(self, mail: OutgoingMail) -> SendOutcome:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionClosedError,
            ConnectionError,
            NoCredentialsError,
            ParamValidationError,
            ReadTimeoutError,
        )

        request: dict[str, Any] = {
            "FromEmailAddress": mail.sender,
            "Destination": {"ToAddresses": [mail.recipient]},
            "Content": {"Raw": {"Data": mail.message}},
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            response = self.client.send_email(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            detail = f"{code}: {error.get('Message', '')}"
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if code in _SES_FATAL or code in _SES_PAUSED:
                raise self._error(detail, transient=code in _SES_PAUSED) from exc
            permanent = code in _SES_PERMANENT
            logger.info(
                "mail.transport.refused key=%s message_id=%s code=%s status=%s permanent=%s",
                self.key,
                mail.message_id,
                code,
                status,
                permanent,
            )
            # Throttling, quotas and 5xx service errors: another try later may succeed.
            return SendOutcome(mail.message_id, accepted=False, permanent=permanent, detail=detail)
        except ParamValidationError as exc:
            # botocore refused to build the request from this mail: it never will.
            return SendOutcome(mail.message_id, accepted=False, permanent=True, detail=str(exc))
        except NoCredentialsError as exc:
            raise self._error(str(exc), transient=False) from exc
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            # The request went out and its answer never came: SES may have taken the mail.
            logger.warning(
                "mail.transport.in_doubt key=%s region=%s message_id=%s error=%s",
                self.key,
                self.region,
                mail.message_id,
                exc,
            )
            return SendOutcome(
                mail.message_id,
                accepted=False,
                in_doubt=True,
                detail=f"no answer from Amazon SES after the request was sent; the message "
                f"may have been delivered: {exc}",
            )
        except ConnectionError as exc:
            raise self._error(str(exc), transient=True) from exc
        except BotoCoreError as exc:
            raise self._error(str(exc), transient=True) from exc
        return SendOutcome(
            mail.message_id, accepted=True, provider_id=response.get("MessageId", "")
        )

    def _error(self, detail: str, *, transient: bool) -> TransportError:
        logger.warning(
            "mail.transport.ses_failed key=%s region=%s endpoint=%s transient=%s error=%s",
            self.key,
            self.region,
            self.endpoint_url or "",
            transient,
            detail,
        )
        return TransportError(f"Amazon SES ({self.key}): {detail}", transient=transient)


_transports: dict[str, MailTransport] = {}
_transports_lock = threading.Lock()


def get_transport(key: str = "default") -> MailTransport:
    """The transport configured as ``settings.HUB_MAIL_TRANSPORTS[key]``, one per process."""
    with _transports_lock:
        transport = _transports.get(key)
        if transport is None:
            configured = getattr(settings, "HUB_MAIL_TRANSPORTS", {})
            if not isinstance(configured, dict):
                raise ImproperlyConfigured(
                    "HUB_MAIL_TRANSPORTS must be a dict of transport key to config."
                )
            if key not in configured:
                raise ImproperlyConfigured(f"No mail transport {key!r} in HUB_MAIL_TRANSPORTS.")
            backend, options = backend_class(
                "HUB_MAIL_TRANSPORTS", key, configured[key], MailTransport
            )
            transport = _transports[key] = backend(key, options)
        return transport


def ses_configured() -> bool:
    """Whether a configured mail transport is Amazon SES, the only one that reports bounces.

    Decides whether POST /hooks/ses/ exists at all: where no mail goes out through SES, no
    notification about one can be genuine.
    """
    configured = getattr(settings, "HUB_MAIL_TRANSPORTS", {})
    if not isinstance(configured, dict):
        return False
    backends = (
        backend_class("HUB_MAIL_TRANSPORTS", key, config, MailTransport)[0]
        for key, config in configured.items()
    )
    return any(issubclass(backend, SESTransport) for backend in backends)


def _close_transports() -> None:
    with _transports_lock:
        transports = list(_transports.values())
        _transports.clear()
    for transport in transports:
        transport.close()


def _forget_transports_after_fork() -> None:
    # A forked worker must not talk on its parent's sockets (nor close them): it opens its
    # own. The lock may have been held by a thread that does not exist in the child.
    global _transports_lock
    _transports.clear()
    _transports_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_transports_after_fork)


@receiver(setting_changed)
def _reset_on_settings_change(*, setting: str, **kwargs: object) -> None:
    if setting == "HUB_MAIL_TRANSPORTS":
        _close_transports()
