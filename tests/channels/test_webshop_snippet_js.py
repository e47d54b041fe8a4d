"""The snippet's own logic under Node, against real local HTTP servers: fail-open and filling.

The browser test (tests/e2e/test_webshop_snippet_in_browser.py) runs it on a shop page in
Chromium; this one runs where only Node is installed, and covers every kind of failure.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

NODE = shutil.which("node")
SNIPPET = Path(settings.BASE_DIR) / "channels/webshop/static/webshop/hub-placements.js"
HARNESS = Path(__file__).resolve().parent / "snippet_harness.js"
FRAGMENT = '<div class="hub-placement"><h2 class="hub-teaser__headline">Für Sie</h2></div>'

pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js to run the snippet")


VISITOR = "visitor-token"


def run_snippet(hub_url: str, *, timeout_ms: int = 300) -> dict:
    slots = "home.hero,cart.upsell"
    finished = subprocess.run(
        [NODE, str(HARNESS), str(SNIPPET), hub_url, VISITOR, str(timeout_ms), slots],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    return json.loads(finished.stdout)


@contextmanager
def hub(status: int, body: str, seen: list | None = None) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if seen is not None:
                seen.append((self.path, self.headers.get("X-Visitor-Token")))
            payload = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_hubs_fragment_fills_each_placement_asked_for_with_the_visitors_token():
    seen = []
    with hub(200, FRAGMENT, seen) as hub_url:
        result = run_snippet(hub_url)

    assert [e["state"] for e in result["elements"]] == ["filled", "filled"]
    assert [e["html"] for e in result["elements"]] == [FRAGMENT, FRAGMENT]
    assert sorted(seen) == [
        ("/api/v1/placements/cart.upsell?format=html&locale=de-AT", "visitor-token"),
        ("/api/v1/placements/home.hero?format=html&locale=de-AT", "visitor-token"),
    ]


def test_a_hub_that_never_answers_leaves_the_shop_default_after_the_timeout():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        result = run_snippet(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout_ms=300)
    finally:
        listener.close()

    assert [e["state"] for e in result["elements"]] == ["fallback", "fallback"]
    assert [e["html"] for e in result["elements"]] == ["shop default", "shop default"]
    assert 250 <= result["elapsed_ms"] < 300 + 2_000


@pytest.mark.parametrize(("status", "body"), [(500, FRAGMENT), (401, "{}"), (200, "  \n")])
def test_an_error_or_an_empty_answer_leaves_the_shop_default(status, body):
    with hub(status, body) as hub_url:
        result = run_snippet(hub_url)

    assert [e["state"] for e in result["elements"]] == ["fallback", "fallback"]
    assert [e["html"] for e in result["elements"]] == ["shop default", "shop default"]


def test_a_refused_connection_leaves_the_shop_default():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()

    result = run_snippet(f"http://127.0.0.1:{port}")

    assert [e["state"] for e in result["elements"]] == ["fallback", "fallback"]
