"""A real SMTP server (aiosmtpd) that keeps what it receives, for tests of sending mail."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd logs every SMTP command at INFO: it floods test output and, in benchmarks, the
# logging costs the sink more time than receiving the mail.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True)
class ReceivedMail:
    sender: str
    recipients: tuple[str, ...]
    raw: bytes
    message: EmailMessage = field(repr=False)


def free_port() -> int:
    """A port nobody listens on now (aiosmtpd cannot be started on port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailSink:
    """Receives mail on 127.0.0.1:``port`` and records it; use it as a context manager.

    ``reject(address, code, text)`` makes RCPT TO for that address answer with the code.
    ``drop(address, at=...)`` closes the connection once, at RCPT TO for that address
    (nothing kept) or right after its message's content arrived (kept, never confirmed).
    ``tls_context`` offers STARTTLS (and requires it); ``implicit_tls`` wraps the whole
    connection instead. ``credentials`` (login, password) requires AUTH over TLS.
    ``connections`` counts the SMTP sessions that greeted the server (EHLO/HELO).
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        self.credentials = credentials
        self._lock = threading.Lock()
        self._received: list[ReceivedMail] = []
        self._peers: set[tuple[str, int]] = set()
        self._rejections: dict[str, str] = {}
        self._drops: dict[str, str] = {}
        self._hold_after: int | None = None
        self._hold_at = "rcpt"
        self.holding = threading.Event()
        self._waiting = 0
        self._released = threading.Event()
        self.controller: Controller | None = None

    @property
    def received(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._received)

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._peers)

    def reject(self, address: str, code: int, text: str) -> None:
        with self._lock:
            self._rejections[address.lower()] = f"{code} {text}"

    def drop(self, address: str, *, at: str) -> None:
        """Close the connection once: ``at="rcpt"`` (before the content) or ``"data"`` (after)."""
        if at not in ("rcpt", "data"):
            raise ValueError(f"at must be 'rcpt' or 'data', not {at!r}")
        with self._lock:
            self._drops[address.lower()] = at

    def _take_drop(self, address: str, at: str) -> bool:
        with self._lock:
            if self._drops.get(address.lower()) != at:
                return False
            del self._drops[address.lower()]
            return True

    def hold_after(self, count: int, *, at: str = "rcpt") -> None:
        """Keep the client waiting once ``count`` mails arrived, until ``release()``.

        ``at="rcpt"``: the next RCPT TO waits; that mail is not accepted, so a client killed
        meanwhile never delivered it. ``at="data"``: the answer to each further message
        waits after the message was kept, as a server whose reply is slow or lost.
        """
        if at not in ("rcpt", "data"):
            raise ValueError(f"at must be 'rcpt' or 'data', not {at!r}")
        with self._lock:
            self._hold_after = count
            self._hold_at = at
        self._released.clear()

    def release(self) -> None:
        with self._lock:
            self._hold_after = None
        self._released.set()

    def _held(self, at: str) -> bool:
        with self._lock:
            return (
                self._hold_after is not None
                and self._hold_at == at
                and len(self._received) >= self._hold_after
            )

    @property
    def waiting(self) -> int:
        """How many connections are held now (see ``hold_after``)."""
        with self._lock:
            return self._waiting

    async def _wait_released(self) -> None:
        with self._lock:
            self._waiting += 1
        self.holding.set()
        try:
            while not self._released.is_set():
                await asyncio.sleep(0.02)
        finally:
            with self._lock:
                self._waiting -= 1

    def raw_by_recipient(self) -> dict[str, bytes]:
        return {recipient: mail.raw for mail in self.received for recipient in mail.recipients}

    def start(self) -> MailSink:
        parameters: dict[str, object] = {}
        if self.tls_context is not None:
            parameters.update(tls_context=self.tls_context, require_starttls=True)
        if self.credentials is not None:
            parameters.update(
                authenticator=self._authenticator(*self.credentials),
                auth_required=True,
                auth_require_tls=self.tls_context is not None or self.implicit_tls is not None,
            )
        self.controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            ssl_context=self.implicit_tls,
            server_hostname="localhost",
            **parameters,
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop listening and drop the open connections, as a server going down would."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def restart(self) -> None:
        """Stop, then listen again on the same port (a new server process, same address)."""
        self.stop()
        self.start()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @staticmethod
    def _authenticator(login: str, password: str) -> Callable[..., AuthResult]:
        def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
            ok = isinstance(auth_data, LoginPassword) and (
                auth_data.login.decode() == login and auth_data.password.decode() == password
            )
            return AuthResult(success=ok, handled=False)

        return authenticate

    def _greeted(self, peer: tuple[str, int]) -> None:
        with self._lock:
            self._peers.add(peer)

    def _rejection(self, address: str) -> str | None:
        with self._lock:
            return self._rejections.get(address.lower())

    def _keep(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._received.append(mail)


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sink._greeted(session.peer)
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        self.sink._greeted(session.peer)
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink._held("rcpt"):
            await self.sink._wait_released()
        if self.sink._take_drop(address, "rcpt"):
            server.transport.close()
            return "421 closing"
        rejection = self.sink._rejection(address)
        if rejection is not None:
            return rejection
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        held = self.sink._held("data")
        raw = envelope.original_content or b""
        self.sink._keep(
            ReceivedMail(
                sender=envelope.mail_from,
                recipients=tuple(envelope.rcpt_tos),
                raw=raw,
                message=email.message_from_bytes(raw, policy=email.policy.default),
            )
        )
        if held:
            await self.sink._wait_released()
        if any(self.sink._take_drop(address, "data") for address in envelope.rcpt_tos):
            # Kept, and the connection goes before the client hears so.
            server.transport.close()
        return "250 Message accepted for delivery"
