"""Pushing a feed's files to where a receiver fetches them: an S3 bucket or an SFTP server.

Most receivers fetch a feed from the hub's secret URL; some read it from their own bucket or
SFTP server instead. After a run validated its files, the engine calls ``push_files`` with the
feed's target, parsed by ``parse_push_target`` from the feed's ``push_url``,
``push_host_key`` and ``push_secret`` (the admin form calls the same function in ``clean()``,
so a run never meets a target that cannot work on paper).

A receiver polls on its own schedule, so it must never read half a file:

- SFTP: each file is written under a hidden temporary name in the target directory
  (``.feed.xml.tmp-<random>``), closed, then renamed over the final name. OpenSSH's
  ``posix-rename`` (or SFTPv5's rename with overwrite) replaces the old file in one step.
  A server with neither only has SFTPv3's rename, which refuses an existing name: there the
  old file is removed first, so for a moment the name is absent (a receiver sees no file, or
  the one it already has), never a partial one. A failed upload removes its temporary file;
  after a lost connection that is impossible, and the hidden file (never renamed, so never
  taken for the feed) stays until the next successful push of that file removes it.
- S3: a PUT makes an object visible only once all of it arrived; a reader gets the previous
  object or the new one, never a mix.

The server's SSH host key must be pinned in ``push_host_key``: a target without one is
refused, never trusted on first use. Every failure raises ``PushFailed`` with a reason the
engine records on the run. Connecting and every single operation are bounded by
``HUB_FEED_PUSH_TIMEOUT`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

MEDIA_TYPES = {
    ".xml": "application/xml",
    ".json": "application/json",
    ".jsonl": "application/jsonl",
    ".csv": "text/csv; charset=utf-8",
    ".tsv": "text/tab-separated-values; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".gz": "application/gzip",
    ".zip": "application/zip",
}
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
AWS_ACCESS_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")


class PushFailed(Exception):
    """A push did not complete; ``str()`` is the reason, ``written`` what arrived before."""

    def __init__(self, reason: str, *, written: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.written = list(written)


@dataclass(frozen=True)
class PushTarget:
    """Where a feed's files go: ``s3://bucket/prefix`` or ``sftp://user@host:port/path``.

    ``directory`` is the SFTP directory: absolute, or relative to the login directory for
    ``sftp://user@host/~/path``. ``host_keys`` are the pinned server keys (OpenSSH format).
    ``secret`` is the SFTP password or private key, or an S3 ``ACCESS_KEY_ID:SECRET`` pair
    (empty: the hub's own AWS credentials); it never shows in ``repr()``.
    """

    scheme: Literal["s3", "sftp"]
    bucket: str = ""
    prefix: str = ""  # "" or ends with "/"
    host: str = ""
    port: int = 22
    username: str = ""
    directory: str = ""
    host_keys: tuple[str, ...] = ()
    secret: str = field(default="", repr=False)

    def __str__(self) -> str:
        return self.location("")

    def location(self, name: str) -> str:
        """The URL of the remote file ``name`` (or of the target itself for "")."""
        if self.scheme == "s3":
            return f"s3://{self.bucket}/{self.prefix}{name}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        directory = self.directory
        if not directory.startswith("/"):
            directory = "/~" if directory == "." else f"/~/{directory}"
        path = posixpath.join(directory, name) if name else directory
        return f"sftp://{quote(self.username, safe='')}@{host}:{self.port}{quote(path)}"


def parse_push_target(url: str, *, host_key: str = "", secret: str = "") -> PushTarget:
    """The target of ``push_url``, its pinned ``push_host_key`` and its ``push_secret``.

    Raises ``ValidationError`` keyed by the field at fault ("push_url", "push_host_key",
    "push_secret"), with every field's problem at once where the scheme is known.
    """
    url = url.strip()
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme not in ("s3", "sftp"):
        raise ValidationError(
            {
                "push_url": _(
                    "Use s3://bucket/prefix or sftp://user@host[:port]/path; "
                    "other kinds of address are not supported."
                )
            }
        )
    errors: dict[str, list[str]] = {}
    if scheme == "s3":
        target = _parse_s3(url, errors)
        if host_key.strip():
            errors.setdefault("push_host_key", []).append(
                _("A host key is only used for SFTP; leave it empty for S3.")
            )
        credentials = _parse_aws_secret(secret, errors)
        if target is not None and not errors:
            return PushTarget(scheme="s3", bucket=target[0], prefix=target[1], secret=credentials)
    else:
        from .push_sftp import parse_host_keys, parse_secret

        parts = _parse_sftp(url, errors)
        keys, problem = parse_host_keys(host_key)
        if problem:
            errors["push_host_key"] = [problem]
        secret, problem = parse_secret(secret)
        if problem:
            errors["push_secret"] = [problem]
        if parts is not None and not errors:
            host, port, username, directory = parts
            return PushTarget(
                scheme="sftp",
                host=host,
                port=port,
                username=username,
                directory=directory,
                host_keys=keys,
                secret=secret,
            )
    raise ValidationError(errors)


def _parse_s3(url: str, errors: dict[str, list[str]]) -> tuple[str, str] | None:
    parts = urlsplit(url)
    problem = ""
    if parts.username or parts.password or parts.port or "@" in parts.netloc:
        problem = _("An S3 address holds no user, password or port: s3://bucket/prefix.")
    elif parts.query or parts.fragment:
        problem = _("An S3 address has no ?query or #fragment: s3://bucket/prefix.")
    elif not parts.netloc:
        problem = _("Name the bucket: s3://bucket/prefix.")
    elif not BUCKET_NAME.match(parts.netloc):
        problem = _(
            "%(bucket)s is not an S3 bucket name (3 to 63 lower-case letters, digits, dots "
            "and hyphens)."
        ) % {"bucket": parts.netloc}
    if problem:
        errors.setdefault("push_url", []).append(problem)
        return None
    prefix = unquote(parts.path).strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


def _parse_aws_secret(secret: str, errors: dict[str, list[str]]) -> str:
    secret = secret.strip()
    if not secret:
        return ""
    key_id, colon, key = secret.partition(":")
    if colon and AWS_ACCESS_KEY_ID.match(key_id) and key and not re.search(r"\s", key):
        return secret
    errors.setdefault("push_secret", []).append(
        _(
            "For S3 give ACCESS_KEY_ID:SECRET_ACCESS_KEY of a key allowed to write to the "
            "bucket, or leave it empty to use the hub's own AWS credentials."
        )
    )
    return ""


def _parse_sftp(url: str, errors: dict[str, list[str]]) -> tuple[str, int, str, str] | None:
    parts = urlsplit(url)
    problem = ""
    try:
        port = parts.port or 22
    except ValueError:
        port = 0
    if parts.password is not None:
        problem = _(
            "Do not put the password in the address: write sftp://user@host/path and the "
            "password into the secret."
        )
    elif parts.query or parts.fragment:
        problem = _("An SFTP address has no ?query or #fragment: sftp://user@host/path.")
    elif not parts.hostname:
        problem = _("Name the server: sftp://user@host[:port]/path.")
    elif not parts.username:
        problem = _("Name the user to log in as: sftp://user@host[:port]/path.")
    elif not port:
        problem = _("The port must be a number from 1 to 65535.")
    elif not parts.path:
        problem = _(
            "Name the directory to write to: sftp://user@host/upload for /upload, "
            "or sftp://user@host/~/feeds for feeds in the user's login directory."
        )
    if problem:
        errors.setdefault("push_url", []).append(problem)
        return None
    path = unquote(parts.path)
    # As curl reads it: /path is absolute, /~/path is relative to the login directory.
    if path == "/~" or path.startswith("/~/"):
        directory = path[3:].strip("/") or "."
    else:
        directory = path.rstrip("/") or "/"
    return parts.hostname, port, unquote(parts.username), directory


# --- pushing ---------------------------------------------------------------------------------


def push_files(
    target: PushTarget,
    files: Sequence[tuple[str, Path]],
    *,
    media_types: Mapping[str, str] | None = None,
) -> list[str]:
    """Upload each ``(remote name, local path)`` to ``target``, each file atomically.

    Returns the URLs of the remote files written, in order. ``media_types`` sets an S3
    object's Content-Type by remote name; otherwise it follows the extension. Raises
    ``PushFailed`` (with the files written before the failure) on any problem; a remote
    name that is not a plain file name is a caller's error (``ValueError``).
    """
    names = [name for name, _path in files]
    for name in names:
        if not _plain_name(name):
            raise ValueError(f"Not a plain file name to push: {name!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"A file name is pushed twice: {names!r}")
    for _name, path in files:
        if not Path(path).is_file():
            raise PushFailed(_("The file to push is missing: %(path)s") % {"path": path})
    timeout = float(settings.HUB_FEED_PUSH_TIMEOUT)
    try:
        if target.scheme == "s3":
            written = _push_s3(target, files, timeout, media_types or {})
        else:
            from .push_sftp import upload

            written = asyncio.run(upload(target, files, timeout))
    except PushFailed as exc:
        logger.warning(
            "feeds.push.failed target=%s written=%d reason=%s", target, len(exc.written), exc
        )
        raise
    logger.info("feeds.push.done target=%s files=%d", target, len(written))
    return written


def _plain_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and not re.search(r"[/\\\x00-\x1f]", name)


# --- S3 ---


def _push_s3(
    target: PushTarget,
    files: Sequence[tuple[str, Path]],
    timeout: float,
    media_types: Mapping[str, str],
) -> list[str]:
    # boto3 is imported here only, as in campaigns.erp: nothing else needs it at import time.
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    credentials: dict[str, str] = {}
    if target.secret:
        key_id, _colon, key = target.secret.partition(":")
        credentials = {"aws_access_key_id": key_id, "aws_secret_access_key": key}
    client = boto3.session.Session(**credentials).client(
        "s3",
        endpoint_url=settings.HUB_FEED_PUSH_S3_ENDPOINT_URL or None,
        region_name=settings.HUB_FEED_PUSH_S3_REGION or None,
        config=Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"mode": "standard", "max_attempts": 3},
        ),
    )
    written: list[str] = []
    for name, path in files:
        key = target.prefix + name
        media_type = media_types.get(name) or MEDIA_TYPES.get(
            Path(name).suffix.lower(), "application/octet-stream"
        )
        try:
            # One PUT (up to 5 GB): the object appears whole or not at all.
            with Path(path).open("rb") as body:
                client.put_object(Bucket=target.bucket, Key=key, Body=body, ContentType=media_type)
        except (BotoCoreError, ClientError) as exc:
            reason = _s3_reason(exc, target, name, timeout)
            raise PushFailed(reason, written=written) from exc
        written.append(target.location(name))
    return written


def _s3_reason(exc: Exception, target: PushTarget, name: str, timeout: float) -> str:
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    where = target.location(name)
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        if code == "NoSuchBucket":
            return _("The bucket %(bucket)s does not exist.") % {"bucket": target.bucket}
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
            return _("Authentication refused by S3 (%(code)s): check the access key.") % {
                "code": code
            }
        if code in ("AccessDenied", "AllAccessDisabled", "403"):
            return _("Access denied: the credentials may not write %(where)s.") % {"where": where}
        return _("S3 refused %(where)s: %(code)s %(message)s") % {
            "where": where,
            "code": code,
            "message": error.get("Message", ""),
        }
    if isinstance(exc, NoCredentialsError):
        return _("No AWS credentials: give an access key in the secret or configure the hub's.")
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return _("Timed out after %(seconds)s s while uploading %(where)s.") % {
            "seconds": f"{timeout:g}",
            "where": where,
        }
    if isinstance(exc, EndpointConnectionError):
        return _("Cannot connect to S3: %(error)s") % {"error": exc}
    return _("Failed while uploading %(where)s: %(error)s") % {"where": where, "error": exc}
