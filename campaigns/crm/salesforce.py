"""Salesforce: accounts, contacts and won opportunities over the REST API.

- **Sign-in**: the OAuth 2.0 client-credentials flow (server to server, no user password
  stored): ``POST {INSTANCE_URL}/services/oauth2/token`` with the connected app's consumer
  key and secret. The connected app needs "Enable Client Credentials Flow" and a "Run As"
  user allowed to read Account, Contact, Opportunity and OpportunityLineItem. The API is then
  called at the ``instance_url`` of the token response. An expired session (401
  ``INVALID_SESSION_ID``) signs in again, once per request.
- **Reading**: SOQL through ``GET /services/data/vXX.X/query``, following
  ``nextRecordsUrl`` until ``done``; ``WHERE SystemModstamp > <cursor> ORDER BY
  SystemModstamp``. The cursor is the last ``SystemModstamp`` seen. The query starts
  ``OVERLAP_SECONDS`` (default 60) before it, because a record saved in a transaction that
  commits late can carry an earlier time than one already read; what is read twice is
  unchanged and costs nothing.
- **Orders**: won opportunities (``IsWon = true``) with their products
  (``OpportunityLineItems``, one order line each: ProductCode, Quantity, UnitPrice; a
  line's total is Quantity x UnitPrice, so a line discount shows only in the order's
  revenue, which is the opportunity's ``Amount``). A won opportunity without products
  becomes one line: its ``Amount`` under the SKU option ``DEAL_SKU`` (default
  "OPPORTUNITY"). The order's account is found by its customer number (``AccountNumber``)
  or through its contact (``ContactId``); a deal with neither is reported, not imported.
- Every call has a connect and a read timeout (``TIMEOUT``); only failed connections are
  retried. Any other error answer raises ``SalesforceError`` with Salesforce's
  ``errorCode`` and message.

OPTIONS: ``INSTANCE_URL`` (the My Domain URL, e.g. https://acme.my.salesforce.com),
``CLIENT_ID``, ``CLIENT_SECRET``, ``KINDS`` (default all three), ``API_VERSION`` (default
"62.0"), ``TIMEOUT`` ((connect, read) seconds, default (5, 60)), ``OVERLAP_SECONDS``,
``BATCH_SIZE`` (200-2000, records per page), ``CURRENCY`` (default "EUR"; orgs with several
currencies map ``currency`` to ``CurrencyIsoCode`` in FIELDS), ``DEAL_SKU`` and ``FIELDS``:
per kind ("accounts", "contacts", "orders", "order_lines") our field -> Salesforce field,
merged over the defaults below (``None`` drops a field).
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import certifi
import urllib3
from django.core.exceptions import ImproperlyConfigured

from campaigns.models import ImportKind, OrderSource

from .base import BaseCrmBackend, CrmError, CrmPage, Row

logger = logging.getLogger(__name__)

USER_AGENT = "hub-crm-sync/1"
DEFAULT_API_VERSION = "62.0"

ACCOUNT_FIELDS = {
    "crm_id": "Id",
    "name": "Name",
    "customer_number": "AccountNumber",
    "industry": "Industry",
    # Needs "State and Country/Territory Picklists"; without them, map to BillingCountry
    # (and keep ISO codes in it).
    "country": "BillingCountryCode",
    "size_class": "NumberOfEmployees",  # a head count; the import makes it a size class
}
CONTACT_FIELDS = {
    "crm_id": "Id",
    "email": "Email",
    "salutation": "Salutation",
    "first_name": "FirstName",
    "last_name": "LastName",
    "account_crm_id": "AccountId",
    # An opt-out in the CRM revokes consent here; the CRM never grants it (that takes the
    # hub's double opt-in), so "not opted out" leaves the consent as it is.
    "consent": "HasOptedOutOfEmail",
}
ORDER_FIELDS = {
    "external_id": "Id",
    "account_crm_id": "AccountId",
    "contact_crm_id": "ContactId",
    "ordered_at": "CloseDate",
    "revenue": "Amount",
}
ORDER_LINE_FIELDS = {
    "sku": "ProductCode",
    "quantity": "Quantity",
    "unit_price": "UnitPrice",
}
DEFAULT_FIELDS = {
    "accounts": ACCOUNT_FIELDS,
    "contacts": CONTACT_FIELDS,
    "orders": ORDER_FIELDS,
    "order_lines": ORDER_LINE_FIELDS,
}
# Salesforce's picklist (Mr., Ms., Mrs., Dr., Prof.) -> ours; a title alone says nothing.
SALUTATIONS = {
    "mr": "mr",
    "mrs": "ms",
    "ms": "ms",
    "miss": "ms",
    "mx": "mx",
    "herr": "mr",
    "frau": "ms",
}
SOQL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")


class SalesforceError(CrmError):
    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def salutation(value: str) -> str:
    return SALUTATIONS.get(value.strip().rstrip(".").lower(), "")


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def soql_datetime(moment: datetime.datetime) -> str:
    """A SOQL dateTime literal in UTC (``2026-11-23T10:00:00Z``): no quotes, no input text."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_cursor(cursor: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(cursor)
    except ValueError:
        raise CrmError(f"The sync cursor {cursor!r} is not a date and time.") from None
    if moment.tzinfo is None:
        raise CrmError(f"The sync cursor {cursor!r} has no time zone.")
    return moment


class SalesforceBackend(BaseCrmBackend):
    identifier = "salesforce"

    def __init__(self, key: str, options: Mapping[str, Any]) -> None:
        super().__init__(key, options)
        self.login_url = str(self.options.get("INSTANCE_URL") or "").rstrip("/")
        if not self.login_url:
            raise ImproperlyConfigured(f"HUB_CRM[{key!r}]: OPTIONS needs INSTANCE_URL.")
        self.client_id = str(self.options.get("CLIENT_ID") or "")
        self.client_secret = str(self.options.get("CLIENT_SECRET") or "")
        self.api_version = str(self.options.get("API_VERSION") or DEFAULT_API_VERSION).lstrip("v")
        connect, read = self.options.get("TIMEOUT") or (5.0, 60.0)
        self.overlap = datetime.timedelta(seconds=float(self.options.get("OVERLAP_SECONDS", 60)))
        self.batch_size = self.options.get("BATCH_SIZE")
        self.currency = str(self.options.get("CURRENCY") or "EUR")
        self.deal_sku = str(self.options.get("DEAL_SKU") or "OPPORTUNITY")
        overrides = self.options.get("FIELDS") or {}
        self.fields: dict[str, dict[str, str]] = {}
        for part, defaults in DEFAULT_FIELDS.items():
            merged = {**defaults, **overrides.get(part, {})}
            self.fields[part] = {ours: theirs for ours, theirs in merged.items() if theirs}
            for theirs in self.fields[part].values():
                if not SOQL_NAME.match(theirs):
                    raise ImproperlyConfigured(
                        f"HUB_CRM[{key!r}]: FIELDS: {theirs!r} is not a Salesforce field name."
                    )
        self.http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=float(connect), read=float(read)),
            retries=urllib3.Retry(
                total=2, connect=2, read=0, status=0, redirect=0, other=0, backoff_factor=0.5
            ),
            ca_certs=certifi.where(),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )
        self.access_token = ""
        self.instance_url = ""

    # --- HTTP -------------------------------------------------------------------------------

    def authenticate(self) -> None:
        body = urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
        )
        response = self._send(
            "POST",
            f"{self.login_url}/services/oauth2/token",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        answer = self._json(response)
        if response.status != 200 or not isinstance(answer, dict):
            error = answer if isinstance(answer, dict) else {}
            detail = error.get("error_description", "") or _excerpt(response)
            raise SalesforceError(
                f"Salesforce refused the sign-in ({response.status} "
                f"{error.get('error', '')}): {detail}",
                status=response.status,
                code=str(error.get("error", "")),
            )
        self.access_token = str(answer.get("access_token") or "")
        self.instance_url = str(answer.get("instance_url") or self.login_url).rstrip("/")
        if not self.access_token:
            raise SalesforceError("Salesforce's sign-in answer has no access_token.")
        logger.info("crm.salesforce.signed_in key=%s instance=%s", self.key, self.instance_url)

    def get(self, path: str) -> dict[str, Any]:
        """GET a path of the REST API; signs in first, and again once on an expired session."""
        if not path.startswith("/"):
            raise SalesforceError(f"Salesforce sent a link outside the instance: {path!r}.")
        if not self.access_token:
            self.authenticate()
        options = {}
        if self.batch_size:
            options["Sforce-Query-Options"] = f"batchSize={int(self.batch_size)}"
        for attempt in (1, 2):
            response = self._send(
                "GET",
                f"{self.instance_url}{path}",
                headers={"Authorization": f"Bearer {self.access_token}", **options},
            )
            answer = self._json(response)
            if response.status == 200 and isinstance(answer, dict):
                return answer
            code, message = _first_error(answer)
            if response.status == 401 and code == "INVALID_SESSION_ID" and attempt == 1:
                logger.info("crm.salesforce.session_expired key=%s", self.key)
                self.authenticate()
                continue
            raise SalesforceError(
                f"Salesforce answered {response.status} {code}: {message or _excerpt(response)}",
                status=response.status,
                code=code,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, url: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        try:
            return self.http.request(method, url, redirect=False, **kwargs)
        except urllib3.exceptions.HTTPError as exc:
            where = url.split("?")[0]
            raise SalesforceError(f"Salesforce could not be reached at {where}: {exc}") from exc

    @staticmethod
    def _json(response: urllib3.BaseHTTPResponse) -> Any:
        try:
            return json.loads(response.data, parse_float=Decimal)
        except ValueError:
            return None

    def query(self, soql: str) -> Iterator[list[dict[str, Any]]]:
        """The records of a SOQL query, a page at a time, following ``nextRecordsUrl``."""
        answer = self.get(f"/services/data/v{self.api_version}/query?q={quote(soql, safe='')}")
        while True:
            yield answer.get("records") or []
            if answer.get("done", True) or not answer.get("nextRecordsUrl"):
                return
            answer = self.get(answer["nextRecordsUrl"])

    def close(self) -> None:
        self.http.clear()

    # --- the contract --------------------------------------------------------------------------

    def changes(self, kind: ImportKind, *, since: str) -> Iterator[CrmPage]:
        cursor = parse_cursor(since) if since else None
        soql = self.soql(kind, since=cursor - self.overlap if cursor else None)
        logger.info("crm.salesforce.query key=%s kind=%s since=%s", self.key, kind, since or "-")
        for records in self.query(soql):
            rows: list[Row] = []
            for record in records:
                rows.extend(self.rows(kind, record))
                modified = parse_cursor(str(record["SystemModstamp"]))
                if cursor is None or modified > cursor:
                    cursor = modified
            yield CrmPage(rows=tuple(rows), cursor=cursor.isoformat() if cursor else since)

    def soql(self, kind: ImportKind, *, since: datetime.datetime | None) -> str:
        conditions = []
        if kind == ImportKind.ACCOUNTS:
            select, source = self._select("accounts"), "Account"
        elif kind == ImportKind.CONTACTS:
            # The hub keeps no contact without an address.
            select, source = self._select("contacts"), "Contact"
            conditions.append("Email != null")
        elif kind == ImportKind.ORDERS:
            lines = ", ".join(sorted({"Id", *self.fields["order_lines"].values()}))
            # Field names are checked against SOQL_NAME, the date is formatted: no input text.
            select = f"{self._select('orders')}, (SELECT {lines} FROM OpportunityLineItems)"  # noqa: S608
            source = "Opportunity"
            conditions.append("IsWon = true")
        else:
            raise CrmError(f"Salesforce cannot read {kind!r}.")
        if since is not None:
            conditions.append(f"SystemModstamp > {soql_datetime(since)}")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return f"SELECT {select} FROM {source}{where} ORDER BY SystemModstamp ASC, Id ASC"  # noqa: S608

    def _select(self, part: str) -> str:
        return ", ".join(sorted({"Id", "SystemModstamp", *self.fields[part].values()}))

    def rows(self, kind: ImportKind, record: dict[str, Any]) -> list[Row]:
        if kind == ImportKind.ORDERS:
            return self._order_rows(record)
        row = self._mapped(kind.value, record)
        if kind == ImportKind.CONTACTS:
            if "salutation" in row:
                row["salutation"] = salutation(row["salutation"])
            if row.get("consent") in ("true", "false"):
                row["consent"] = "revoked" if row["consent"] == "true" else ""
        return [row]

    def _order_rows(self, record: dict[str, Any]) -> list[Row]:
        order = {"source": OrderSource.CRM.value, "currency": self.currency}
        order.update(self._mapped("orders", record))
        items = record.get("OpportunityLineItems") or {}
        lines = list(items.get("records") or [])
        while items and not items.get("done", True) and items.get("nextRecordsUrl"):
            items = self.get(items["nextRecordsUrl"])
            lines.extend(items.get("records") or [])
        if not lines:
            amount = order.get("revenue", "") or "0"
            return [{**order, "sku": self.deal_sku, "quantity": "1", "unit_price": amount}]
        return [{**order, **self._mapped("order_lines", line)} for line in lines]

    def _mapped(self, part: str, record: dict[str, Any]) -> Row:
        fields = self.fields[part].items()
        return {ours: as_text(_lookup(record, theirs)) for ours, theirs in fields}


def _lookup(record: dict[str, Any], path: str) -> Any:
    """``Account.Id`` -> record["Account"]["Id"]; None where a relationship is empty."""
    value: Any = record
    for name in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def _first_error(answer: Any) -> tuple[str, str]:
    """Salesforce's errors are a list of {"message", "errorCode"}; OAuth's a dict."""
    if isinstance(answer, list) and answer and isinstance(answer[0], dict):
        return str(answer[0].get("errorCode", "")), str(answer[0].get("message", ""))
    if isinstance(answer, dict):
        return str(answer.get("error", "")), str(answer.get("error_description", ""))
    return "", ""


def _excerpt(response: urllib3.BaseHTTPResponse) -> str:
    return response.data[:200].decode("utf-8", "replace").strip()
