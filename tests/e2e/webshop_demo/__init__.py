"""A demo shop: one page with a placement, served from its own origin like a real shop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template

PAGE = Template((Path(__file__).resolve().parent / "index.html").read_text(encoding="utf-8"))


@dataclass
class DemoShop:
    url: str
    origin: str


@contextmanager
def demo_shop(
    *, snippet_url: str, hub_url: str, visitor_token: str, timeout_ms: int = 800
) -> Iterator[DemoShop]:
    """The shop page on http://localhost:<port>/, another origin than the hub's 127.0.0.1."""
    page = PAGE.substitute(
        snippet_url=snippet_url,
        hub_url=hub_url,
        visitor_token=visitor_token,
        timeout_ms=timeout_ms,
    ).encode("utf-8")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://localhost:{server.server_address[1]}"
    try:
        yield DemoShop(url=f"{origin}/", origin=origin)
    finally:
        server.shutdown()
        server.server_close()
