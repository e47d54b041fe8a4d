"""The feed's secret URL: ``GET /feeds/<token>/<part name>``, no login, no session.

The token is the credential: it is looked up by its SHA-256 hash (the hub stores nothing
else), so a wrong, revoked or guessed token meets the same plain 404 as an unknown part, and
the comparison of secrets happens in the database index, never byte by byte in Python.
An inactive feed is not served.
A reader gets the complete files of the feed's current run: ETag (the part's SHA-256) and
Last-Modified for conditional requests, the stored gzip copy for clients that accept it,
streamed from storage in chunks.
"""

from __future__ import annotations

import re

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from campaigns.models import Feed
from core.tokens import hash_token

from .runs import feed_channel, feed_spec
from .storage import stored_file

ACCEPTS_GZIP = re.compile(r"(?:^|,)\s*gzip\s*(?:,|$|;(?!\s*q\s*=\s*0(?:\.0*)?\s*(?:,|$)))")


def _accepts_gzip(request: HttpRequest) -> bool:
    return bool(ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "").lower()))


def _media_type(feed: Feed) -> str:
    try:
        channel = feed_channel(feed)
    except ValueError:
        # The format left HUB_CHANNELS; its last good file is still the receiver's.
        return "application/octet-stream"
    return channel.media_type_for(
        feed_spec(feed, generated_at=feed.current_run.started_at, since=None)
    )


@require_safe
def feed_file(request: HttpRequest, token: str, name: str) -> HttpResponse:
    feed = (
        Feed.objects.select_related("current_run")
        .filter(token_hash=hash_token(token), active=True, current_run__isnull=False)
        .first()
    )
    part = feed.current_run.part(name) if feed else None
    if part is None:
        raise Http404("Not found.")
    run = feed.current_run
    etag = f'"{part["sha256"]}"'
    last_modified = run.finished_at.timestamp()
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        patch_vary_headers(not_modified, ("Accept-Encoding",))
        return not_modified
    gzip = _accepts_gzip(request) and bool(part.get("gzip_path"))
    stored = stored_file(part["gzip_path"] if gzip else part["path"])
    response = FileResponse(stored, content_type=_media_type(feed), filename=name)
    response["Content-Length"] = str(part["gzip_size"] if gzip else part["size"])
    if gzip:
        response["Content-Encoding"] = "gzip"
        # Another representation of the same bytes: weak, so If-None-Match still matches.
        response["ETag"] = f"W/{etag}"
    else:
        response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Accept-Encoding",))
    return response
