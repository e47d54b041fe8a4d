"""Sending one webhook request: Standard Webhooks signing, the SSRF guard and the HTTP call.

Nothing here touches the database; ``channels.services`` decides when to send and records
what happened.

The destination is resolved once, every resolved address is checked, and the connection
goes to exactly the address that was checked (with the original ``Host`` header, and TLS
still verified against the host name), so a DNS answer that changes between the check and
the connection (DNS rebinding) cannot point the request at an internal service. Redirects
are never followed: a redirect counts as a failed attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3
from django.conf import settings

from .exceptions import UnsafeDestination
from .models import WEBHOOK_SECRET_PREFIX

USER_AGENT = "hub-webhooks/1"
# What an attempt keeps of the receiver's answer, for the admin.
EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    latency_ms: int | None
    response_excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.status_code is not None and 200 <= self.status_code < 300


# --- signing ------------------------------------------------------------------------------


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret."""
    return base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX))


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(*, secret: str, msg_id: str, body: bytes, timestamp: int | None = None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }


# --- the SSRF guard -------------------------------------------------------------------------


NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches: mapped, 6to4, Teredo or NAT64."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why the hub must not connect to ``address``; None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        address = _embedded_ipv4(address) or address
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_private", "a private network address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if not address.is_global:
        return "not a public address"
    return None


def parse_url(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, path?query)`` of an http(s) URL; ValueError says what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise ValueError("Use an http:// or https:// URL.")
    if not parts.hostname:
        raise ValueError("The URL has no host.")
    if parts.username or parts.password:
        raise ValueError("Credentials in the URL are not supported; check them in the receiver.")
    port = parts.port or (443 if parts.scheme == "https" else 80)  # ValueError if malformed
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, target


def resolve_destination(host: str, port: int) -> str:
    """The address to connect to for ``host``, after checking every address it resolves to.

    Raises UnsafeDestination if any address is private, loopback, link-local, reserved,
    multicast or unspecified (unless HUB_WEBHOOKS_ALLOW_PRIVATE_NETWORKS), or if the host
    does not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeDestination(f"The host {host} does not resolve ({exc}).") from exc
    addresses = list(dict.fromkeys(info[4][0].split("%", 1)[0] for info in infos))
    if not addresses:
        raise UnsafeDestination(f"The host {host} does not resolve.")
    if not settings.HUB_WEBHOOKS_ALLOW_PRIVATE_NETWORKS:
        for address in addresses:
            reason = _refusal(ipaddress.ip_address(address))
            if reason:
                shown = host if host == address else f"{host} ({address})"
                raise UnsafeDestination(
                    f"Refused: {shown} is {reason}. Webhooks go to public addresses only."
                )
    return addresses[0]


def check_destination(url: str) -> None:
    """Raise ValueError or UnsafeDestination if the hub would refuse to send to ``url``."""
    _scheme, host, port, _target = parse_url(url)
    resolve_destination(host, port)


# --- sending --------------------------------------------------------------------------------


def _host_header(host: str, port: int, scheme: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return shown if port == default else f"{shown}:{port}"


def _pool(scheme: str, host: str, address: str, port: int, timeout: urllib3.Timeout):
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=settings.HUB_WEBHOOKS_CA_BUNDLE or certifi.where(),
        )
    return urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)


def _describe(exc: Exception, timeout: urllib3.Timeout) -> str:
    from urllib3 import exceptions

    if isinstance(exc, exceptions.NewConnectionError):
        return f"Could not connect: {exc.__cause__ or exc}"
    if isinstance(exc, exceptions.ConnectTimeoutError):
        return f"Timed out connecting after {timeout.connect_timeout} s."
    if isinstance(exc, exceptions.ReadTimeoutError):
        return f"Timed out waiting {timeout.read_timeout} s for the response."
    if isinstance(exc, exceptions.SSLError):
        return f"TLS error: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _text(raw: bytes) -> str:
    # PostgreSQL text cannot hold NUL.
    return raw.decode("utf-8", errors="replace").replace("\x00", "")


def send(*, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
    """POST ``body`` to ``url`` once: no redirects, no retries, bounded time. Never raises."""
    connect, read = settings.HUB_WEBHOOKS_TIMEOUT
    timeout = urllib3.Timeout(connect=connect, read=read)
    try:
        scheme, host, port, target = parse_url(url)
        address = resolve_destination(host, port)
    except (ValueError, UnsafeDestination) as exc:
        return SendResult(status_code=None, latency_ms=None, error=str(exc))
    request_headers = {
        **headers,
        "Host": _host_header(host, port, scheme),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    pool = _pool(scheme, host, address, port, timeout)
    started = time.perf_counter()
    try:
        response = pool.urlopen(
            "POST",
            target,
            body=body,
            headers=request_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            excerpt = response.read(EXCERPT_BYTES)
        finally:
            response.release_conn()
            response.close()
    except Exception as exc:  # Every failure of the receiver is an attempt result.
        latency = round((time.perf_counter() - started) * 1000)
        return SendResult(status_code=None, latency_ms=latency, error=_describe(exc, timeout))
    finally:
        pool.close()
    latency = round((time.perf_counter() - started) * 1000)
    error = ""
    if 300 <= response.status < 400:
        location = response.headers.get("Location", "")
        error = f"Redirect to {location or '?'} not followed; update the endpoint URL."
    return SendResult(
        status_code=response.status,
        latency_ms=latency,
        response_excerpt=_text(excerpt),
        error=error,
    )
