"""The reference client for shops that include placement fragments server-side.

A shop page must never wait long for the hub, nor break when the hub is down: the shop asks
for the fragment with a short timeout and, on a timeout or any error, shows its own default
content (fail-open). This module is that pattern in Python's standard library only, so it
can be copied into a shop's code as it is; a PHP or Java shop does the same:

1. ``GET {hub}/api/v1/placements/{slot}?format=html&locale={page language}`` with
   ``Authorization: Bearer {the shop's API token}`` (scope ``placements:read``) and
   ``X-Visitor-Token: {the visitor token}`` (from ``POST /api/v1/visitors`` at login);
2. one overall timeout of a few hundred milliseconds (PHP: cURL ``CURLOPT_TIMEOUT_MS``;
   Java: ``HttpClient`` with ``connectTimeout`` and ``HttpRequest.timeout``);
3. the answer's body only on status 200 with a non-empty body; the shop's default on
   anything else: a timeout, a refused connection, 4xx, 5xx, an empty answer.

Answers carry ``ETag`` and ``Cache-Control: private, max-age=60``: a shop may keep them for
that long per visitor.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode

logger = logging.getLogger(__name__)

# Fragments larger than this are not placements: read no more (and show the default).
MAX_FRAGMENT_BYTES = 512 * 1024


def fetch_placement(
    hub_url: str,
    api_token: str,
    visitor_token: str,
    slot: str,
    *,
    locale: str,
    timeout: float = 0.3,
    default_html: str,
) -> str:
    """The hub's HTML fragment for ``slot``, or ``default_html`` after ``timeout`` seconds
    or on any error (fail-open): this function never raises for the hub's sake."""
    url = (
        f"{hub_url.rstrip('/')}/api/v1/placements/{quote(slot, safe='')}?"
        f"{urlencode({'format': 'html', 'locale': locale})}"
    )
    headers = {"Accept": "text/html", "Authorization": f"Bearer {api_token}"}
    if visitor_token:
        headers["X-Visitor-Token"] = visitor_token
    request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310
    started = time.monotonic()
    try:
        # The timeout bounds connecting and each read; the deadline below bounds the whole.
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            if response.status != 200:
                raise urllib.error.HTTPError(url, response.status, "", response.headers, None)
            body = response.read(MAX_FRAGMENT_BYTES + 1)
        if time.monotonic() - started > timeout:
            raise TimeoutError("the answer came too late")
        if len(body) > MAX_FRAGMENT_BYTES:
            raise ValueError("the fragment is too large")
        fragment = body.decode("utf-8")
    except Exception as exc:  # fail-open: any failure shows the default
        logger.warning("webshop.placement_fallback slot=%s error=%s", slot, type(exc).__name__)
        return default_html
    if not fragment.strip():
        return default_html
    return fragment
