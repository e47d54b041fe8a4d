"""A local HTTP server that answers like Salesforce's REST API, for the CRM sync tests.

It speaks the documented shapes: the OAuth 2.0 token response, SOQL query pages with
``nextRecordsUrl``, relationship subqueries, and error lists ``[{"message", "errorCode"}]``.
Of SOQL it understands what the sync sends: ``FROM``, ``IsWon = true``, ``Email != null``
and ``SystemModstamp > <dateTime>``, ordered by ``SystemModstamp``.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API = "/services/data/v62.0"
CLIENT_ID = "3MVG9-test-consumer-key"
CLIENT_SECRET = "test-consumer-secret"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: dict[str, list[str]]


class FakeSalesforce:
    def __init__(self) -> None:
        self.records: dict[str, list[dict]] = {"Account": [], "Contact": [], "Opportunity": []}
        self.requests: list[Request] = []
        self.page_size = 2
        self.child_page_size = 200  # a subquery's records on the parent's page
        self.failures: list[tuple[bool, int, object]] = []
        self.tokens: set[str] = set()
        self.expire_on_next_page = False
        self.hang_next = False
        self.released = threading.Event()
        self._pending: dict[str, tuple[list[dict], int]] = {}
        self._ids = itertools.count(1)
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                fake.handle(self, "POST")

            def do_GET(self):
                fake.handle(self, "GET")

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- what tests arrange and inspect ------------------------------------------------------

    def add(self, sobject: str, **fields) -> dict:
        """Store a record; ``Id`` and ``SystemModstamp`` are required."""
        with self.lock:
            stored = [r for r in self.records[sobject] if r["Id"] != fields["Id"]]
            self.records[sobject] = [*stored, fields]
        return fields

    def fail_next(
        self, status: int, error_code: str, message: str, *, on_next_page: bool = False
    ) -> None:
        """Answer the next API request (or the next ``nextRecordsUrl`` one) with an error."""
        error = [{"message": message, "errorCode": error_code}]
        self.failures.append((on_next_page, status, error))

    def expire_sessions(self) -> None:
        self.tokens.clear()

    def soql(self) -> list[str]:
        return [r.query["q"][0] for r in self.requests if "q" in r.query]

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    # --- the server ------------------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        split = urlsplit(handler.path)
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        request = Request(
            method=method,
            path=split.path,
            query=parse_qs(split.query),
            headers={k.lower(): v for k, v in handler.headers.items()},
            form=parse_qs(body.decode()) if method == "POST" else {},
        )
        self.requests.append(request)
        if self.hang_next and request.path != "/services/oauth2/token":
            self.hang_next = False
            self.released.wait(timeout=10)
            return
        status, answer = self.answer(request)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json;charset=UTF-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def answer(self, request: Request) -> tuple[int, object]:
        if request.method == "POST" and request.path == "/services/oauth2/token":
            return self.token(request)
        next_page = request.path.startswith(f"{API}/query/")
        if next_page and self.expire_on_next_page:
            self.expire_on_next_page = False
            self.expire_sessions()
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return 401, [
                {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
            ]
        if self.failures and (next_page or not self.failures[0][0]):
            _on_next_page, status, error = self.failures.pop(0)
            return status, error
        if request.path == f"{API}/query":
            return 200, self.query(request.query["q"][0])
        if request.path.startswith(f"{API}/query/"):
            locator = request.path.rsplit("/", 1)[1]
            if locator not in self._pending:
                return 400, [
                    {"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}
                ]
            return 200, self.page(*self._pending.pop(locator))
        return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]

    def token(self, request: Request) -> tuple[int, object]:
        form = {k: v[0] for k, v in request.form.items()}
        if form.get("grant_type") != "client_credentials":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "grant type not supported",
            }
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 400, {
                "error": "invalid_client",
                "error_description": "invalid client credentials",
            }
        token = f"00Dxx0000001gPL!AR8AQ.token{next(self._ids)}"
        self.tokens.add(token)
        return 200, {
            "access_token": token,
            "instance_url": self.url,
            "id": f"{self.url}/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS",
            "token_type": "Bearer",
            "issued_at": "1763902800000",
            "signature": "CMJ4l+CCaPQiKjoOEwEig9H4wqhpuLSk4J2urAe+fVg=",
        }

    def query(self, soql: str) -> dict:
        sobject = re.findall(r"FROM (\w+)", soql)[-1]
        records = list(self.records[sobject])
        if "IsWon = true" in soql:
            records = [r for r in records if r.get("IsWon")]
        if "Email != null" in soql:
            records = [r for r in records if r.get("Email")]
        if match := re.search(r"SystemModstamp > (\S+)", soql):
            since = datetime.datetime.fromisoformat(match.group(1))
            records = [r for r in records if _modstamp(r) > since]
        records.sort(key=lambda r: (_modstamp(r), r["Id"]))
        return self.page([self.shaped(sobject, r) for r in records], len(records))

    def page(self, records: list[dict], total: int, size: int | None = None) -> dict:
        """One page; ``totalSize`` is the whole query's, as Salesforce answers on every page."""
        size = size or self.page_size
        first, rest = records[:size], records[size:]
        answer = {"totalSize": total, "done": not rest}
        if rest:
            locator = f"01gRO0000016PIAYA2-{next(self._ids)}"
            self._pending[locator] = (rest, total)
            answer["nextRecordsUrl"] = f"{API}/query/{locator}"
        answer["records"] = first
        return answer

    def shaped(self, sobject: str, record: dict) -> dict:
        shaped = {
            "attributes": {"type": sobject, "url": f"{API}/sobjects/{sobject}/{record['Id']}"}
        }
        for name, value in record.items():
            if name == "OpportunityLineItems":
                items = [
                    {
                        "attributes": {
                            "type": "OpportunityLineItem",
                            "url": f"{API}/sobjects/OpportunityLineItem/{item['Id']}",
                        },
                        **item,
                    }
                    for item in value
                ]
                value = self.page(items, len(items), size=self.child_page_size) if items else None
            shaped[name] = value
        return shaped

    def __enter__(self) -> FakeSalesforce:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def _modstamp(record: dict) -> datetime.datetime:
    return datetime.datetime.fromisoformat(record["SystemModstamp"])
