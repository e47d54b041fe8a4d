"""The reference server-side client: the hub's fragment, or the shop's default (fail-open)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels.webshop.client import fetch_placement

DEFAULT = '<div class="shop-default">Our spring range</div>'
FRAGMENT = '<div class="hub-placement"><h2>For buyers</h2></div>\n'


class _Hub(BaseHTTPRequestHandler):
    status = 200
    body = FRAGMENT.encode()
    seen: list[tuple[str, dict[str, str]]] = []

    def do_GET(self):
        self.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format, *args):
        pass


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_hub() -> Iterator[str]:
    """A hub that accepts connections (the kernel's backlog) and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_a_hub_that_never_answers_gets_the_shop_its_default_within_the_timeout(silent_hub):
    started = time.monotonic()

    html = fetch_placement(
        silent_hub,
        "api-token",
        "visitor-token",
        "home.hero",
        locale="de",
        timeout=0.3,
        default_html=DEFAULT,
    )

    assert html == DEFAULT
    assert time.monotonic() - started < 0.3 + 0.5


def test_a_hub_that_fails_gets_the_shop_its_default():
    class Failing(_Hub):
        status = 500
        body = b'{"title": "Server error"}'

    with _serve(Failing) as hub_url:
        html = fetch_placement(
            hub_url, "api-token", "visitor-token", "home.hero", locale="de", default_html=DEFAULT
        )

        assert html == DEFAULT


def test_an_empty_answer_gets_the_shop_its_default():
    class Empty(_Hub):
        body = b""

    with _serve(Empty) as hub_url:
        html = fetch_placement(
            hub_url, "api-token", "visitor-token", "home.hero", locale="de", default_html=DEFAULT
        )

        assert html == DEFAULT


def test_a_hub_that_answers_gets_the_shop_the_fragment_asked_for_with_both_tokens():
    class Answering(_Hub):
        seen = []

    with _serve(Answering) as hub_url:
        html = fetch_placement(
            hub_url,
            "api-token",
            "visitor-token",
            "home.hero",
            locale="de-AT",
            timeout=2,
            default_html=DEFAULT,
        )

        assert html == FRAGMENT
        [(path, headers)] = Answering.seen
        assert path == "/api/v1/placements/home.hero?format=html&locale=de-AT"
        assert headers["authorization"] == "Bearer api-token"
        assert headers["x-visitor-token"] == "visitor-token"
