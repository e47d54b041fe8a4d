"""SMTP: a pool of connections; each sends one message at a time and waits until the
outcome of the last one was taken."""

from __future__ import annotations

import logging
import queue
import smtplib
import ssl
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.mail.utils import DNS_NAME

from channels.exceptions import TransportError

from .base import (
    LEASE_LOST,
    MailTransport,
    MaySend,
    OutcomeCallback,
    OutgoingMail,
    SendOutcome,
    _Batch,
)

logger = logging.getLogger(__name__)


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
