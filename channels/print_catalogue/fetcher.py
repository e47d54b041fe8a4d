"""What WeasyPrint may read while it renders a catalogue: the hub's own files, nothing else.

A catalogue's HTML carries URLs that editors influenced (images, documents, links). By
default WeasyPrint fetches any URL it meets, ``file:`` and the internal network included, so
a crafted URL could make the renderer read the server's files or call an internal service
and put the answer into a PDF (server-side request forgery). ``HubURLFetcher`` reads only:

- media files (product images and their renditions), through the default storage, so local
  files and S3 alike, without a network request;
- static files (the catalogue's fonts, logos and stylesheets), through the staticfiles
  storage or finders;
- ``data:`` URLs (inline images such as QR codes).

Every other URL (another host, another path of the hub, ``file:``, ``ftp:``, a path that
climbs out with ``..``) is refused with ``RefusedURL``; WeasyPrint then leaves that resource
out and logs it, and nothing is requested.
"""

from __future__ import annotations

import mimetypes
import posixpath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import default_storage
from weasyprint.urls import URLFetcher, URLFetcherResponse


class RefusedURL(ValueError):
    """A URL the catalogue renderer may not read."""


class MissingFile(RefusedURL):
    """A URL of the hub's own files naming a file that is not there."""


def _prefix_match(url: str, prefix: str, base: str) -> str | None:
    """The storage name of ``url`` under ``prefix`` (a URL, absolute or a path of the hub
    at ``base``), or None when it is not under it."""
    absolute = prefix if "://" in prefix else base.rstrip("/") + prefix
    target, root = urlsplit(url), urlsplit(absolute)
    if (target.scheme, target.netloc) != (root.scheme, root.netloc):
        return None
    if not target.path.startswith(root.path):
        return None
    name = unquote(target.path[len(root.path) :])
    normal = posixpath.normpath(name)
    if not name or "\\" in name or "\x00" in name or normal.startswith(("..", "/")):
        raise RefusedURL(f"Not a file of the hub: {url}")
    if normal != name.rstrip("/"):
        raise RefusedURL(f"Not a plain path: {url}")
    return normal


class HubURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that reads only the hub's media and static files."""

    def __init__(self, *, base_url: str | None = None, **kwargs) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, **kwargs)
        self.base_url = base_url or settings.WAGTAILADMIN_BASE_URL

    def fetch(self, url, headers=None):
        if url.lower().startswith("data:"):
            return super().fetch(url, headers)
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise RefusedURL(f"Only the hub's own files are read, not {url}")
        media = _prefix_match(url, settings.MEDIA_URL, self.base_url)
        if media is not None:
            if not default_storage.exists(media):
                raise MissingFile(f"No such media file: {url}")
            with default_storage.open(media, "rb") as file:
                return self._response(url, media, file.read())
        static = _prefix_match(url, settings.STATIC_URL, self.base_url)
        if static is not None:
            found = finders.find(static)
            if found:
                with open(found, "rb") as file:
                    return self._response(url, static, file.read())
            if staticfiles_storage.exists(static):
                with staticfiles_storage.open(static, "rb") as file:
                    return self._response(url, static, file.read())
            raise MissingFile(f"No such static file: {url}")
        raise RefusedURL(f"Only the hub's media and static files are read, not {url}")

    @staticmethod
    def _response(url: str, name: str, data: bytes) -> URLFetcherResponse:
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, data, {"Content-Type": media_type})
