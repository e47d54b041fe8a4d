"""Conditional GETs: an ETag and Last-Modified on every answer, a 304 before any work.

A route computes its ETag from a cheap fingerprint (a few keys and timestamps), then hands
the rest of its work to ``conditional_json`` as a function: on a matching ``If-None-Match``
Django's ``get_conditional_response`` answers 304 (weak comparison, ``*`` included, as RFC
9110 asks of a GET) and the function never runs, so nothing is loaded or serialised.

ETags are strong (the body is byte-for-byte the same while the tag is); a weak tag a proxy
presents still matches. ``If-Modified-Since`` is not consulted: Last-Modified is informative
only, because a page's version also depends on rows it no longer holds.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag

CACHE_CONTROL = "private, max-age=0, must-revalidate"


def etag_for(*parts: Any) -> str:
    """A strong, quoted ETag that changes whenever any of ``parts`` does."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()
    return quote_etag(base64.urlsafe_b64encode(digest).decode().rstrip("="))


def _with_validators(
    response: HttpResponse, etag: str, last_modified: datetime | None
) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    # The answer differs per client (scopes) and per encoding (gzip).
    response["Vary"] = "Authorization, Accept-Encoding"
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    return response


def conditional_json(
    request: HttpRequest,
    *,
    etag: str,
    last_modified: datetime | None,
    build: Callable[[], Any],
) -> HttpResponse:
    """304 if the client holds this version, else ``build()`` encoded as JSON; both with
    the validators (ETag, Last-Modified, Cache-Control, Vary)."""
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(orjson.dumps(build()), content_type="application/json")
    return _with_validators(response, etag, last_modified)
