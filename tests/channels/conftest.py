"""A real HTTP receiver for webhook tests, and the content publishing they start from."""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
from standardwebhooks import Webhook

from channels.models import WebhookEndpoint


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def verified(self, secret: str):
        """The payload, verified as a receiver would; raises if the signature is wrong."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """Records every request; answers with the queued behaviours, then ``default``.

    A behaviour is a status code, ``("redirect", location)`` or ``"hang"`` (no answer
    until the test ends).
    """

    def __init__(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.requests: list[Received] = []
        self.queue: list = []
        self.default = 200
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                behaviour = receiver.queue.pop(0) if receiver.queue else receiver.default
                if behaviour == "hang":
                    receiver.released.wait(timeout=10)
                    return
                if isinstance(behaviour, tuple):
                    self.send_response(302)
                    self.send_header("Location", behaviour[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = f"answer {behaviour}".encode()
                self.send_response(behaviour)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, *behaviours) -> None:
        self.queue.extend(behaviours)

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture(scope="session")
def certificate_authority():
    """An in-house CA, as an on-premises receiver's certificate would come from."""
    return trustme.CA()


def tls_context(authority: trustme.CA, *hostnames: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*hostnames).configure_cert(context)
    return context


@pytest.fixture
def https_receiver(certificate_authority):
    """A receiver on https://localhost with a certificate from the in-house CA."""
    with Receiver(tls=tls_context(certificate_authority, "localhost"), host="localhost") as running:
        yield running


@pytest.fixture
def trust_the_authority(settings, certificate_authority, tmp_path):
    bundle = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(bundle))
    settings.HUB_WEBHOOKS_CA_BUNDLE = str(bundle)


@pytest.fixture
def allow_private_networks(settings):
    """The local receiver is on loopback, which production refuses."""
    settings.HUB_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def endpoint(db, receiver, allow_private_networks):
    """An active endpoint for product events, at the local receiver."""
    return WebhookEndpoint.objects.create(
        name="Webshop",
        url=f"{receiver.url}/hooks",
        events=["product.published", "product.unpublished"],
    )
