"""The ERP drop location: a folder or an S3 prefix where the ERP leaves its exports.

``HUB_ERP_IMPORT_LOCATION`` is "" (off), a folder path, or ``s3://bucket/prefix``. Files at
its top level named ``accounts*``, ``contacts*`` or ``orders*`` with the extension ``.csv``
or ``.xlsx`` (any case) are imported in name order, so ``accounts_…`` comes before
``contacts_…`` before ``orders_…``; anything else is left alone. After its import a file is
moved to ``processed/`` below the location, or to ``failed/`` when it could not be read at
all; a report of its problems lands next to it. The ERP should write each file under another
name (``.part``, a leading dot) and rename it when complete, so that a half-written file is
never picked up; S3 uploads are whole by nature.

Nothing here touches the database: ``campaigns.services.sync.erp_import_files`` decides.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from campaigns.models import ImportKind

PROCESSED = "processed"
FAILED = "failed"
FILE_NAME = re.compile(r"^(accounts|contacts|orders)[^/\\]*\.(csv|xlsx)$", re.IGNORECASE)
# Files up to this size are held in memory when read from S3; larger ones spill to disk.
SPOOL_BYTES = 16 * 1024 * 1024


class DropLocationError(Exception):
    """The location cannot be listed, read or written; the message says where and why."""


@dataclass(frozen=True)
class DropFile:
    name: str  # inside the location, e.g. "orders_2026-11-23.csv"
    kind: ImportKind


def kind_of(name: str) -> ImportKind | None:
    match = FILE_NAME.match(name)
    return ImportKind(match.group(1).lower()) if match else None


class DropLocation(ABC):
    """Where the ERP's files wait: list them, read one, move it on, write a report."""

    url: str

    def files(self) -> list[DropFile]:
        """The files to import, in name order."""
        found = []
        for name in sorted(self.names()):
            kind = kind_of(name)
            if kind is not None:
                found.append(DropFile(name=name, kind=kind))
        return found

    @abstractmethod
    def names(self) -> list[str]:
        """Every file name at the top level."""

    @abstractmethod
    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """A binary, seekable stream of the file."""

    @abstractmethod
    def exists(self, path: str) -> bool: ...

    @abstractmethod
    def move(self, name: str, path: str) -> None: ...

    @abstractmethod
    def write(self, path: str, data: bytes) -> None: ...

    def move_to(self, name: str, folder: str) -> str:
        """Move a file into ``folder``, keeping an earlier file of the same name; the new path."""
        target = f"{folder}/{name}"
        if self.exists(target):
            stem, dot, extension = name.rpartition(".")
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
            target = f"{folder}/{stem}.{stamp}{dot}{extension}"
        self.move(name, target)
        return target


def fingerprint(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


class FolderLocation(DropLocation):
    def __init__(self, path: str) -> None:
        self.root = Path(path)
        self.url = str(self.root)

    def names(self) -> list[str]:
        try:
            return [entry.name for entry in self.root.iterdir() if entry.is_file()]
        except OSError as exc:
            raise DropLocationError(f"Cannot list the folder {self.root}: {exc}") from exc

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        try:
            stream = (self.root / name).open("rb")
        except OSError as exc:
            raise DropLocationError(f"Cannot read {self.root / name}: {exc}") from exc
        with stream:
            yield stream

    def exists(self, path: str) -> bool:
        return (self.root / path).exists()

    def move(self, name: str, path: str) -> None:
        target = self.root / path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.root / name, target)
        except OSError as exc:
            raise DropLocationError(f"Cannot move {name} to {target}: {exc}") from exc

    def write(self, path: str, data: bytes) -> None:
        target = self.root / path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            raise DropLocationError(f"Cannot write {target}: {exc}") from exc


class S3Location(DropLocation):
    """A prefix in an S3 bucket (or an S3-compatible store at ``endpoint_url``)."""

    def __init__(self, url: str, *, endpoint_url: str = "") -> None:
        import boto3
        from botocore.config import Config

        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise ImproperlyConfigured(
                f"HUB_ERP_IMPORT_LOCATION={url!r}: name the bucket, s3://bucket/prefix."
            )
        self.url = url
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            config=Config(
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def _errors(self, what: str):
        from botocore.exceptions import BotoCoreError, ClientError

        return _translated((BotoCoreError, ClientError), f"{what} ({self.url})")

    def names(self) -> list[str]:
        names = []
        with self._errors("Cannot list the ERP files"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix, Delimiter="/"
            )
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(self.prefix) :]
                    if name:
                        names.append(name)
        return names

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            with self._errors(f"Cannot read {name}"):
                self.client.download_fileobj(self.bucket, self.prefix + name, spool)
            spool.seek(0)
            yield spool

    def exists(self, path: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + path)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise DropLocationError(f"Cannot look for {path} ({self.url}): {exc}") from exc
        return True

    def move(self, name: str, path: str) -> None:
        with self._errors(f"Cannot move {name} to {path}"):
            self.client.copy_object(
                Bucket=self.bucket,
                Key=self.prefix + path,
                CopySource={"Bucket": self.bucket, "Key": self.prefix + name},
            )
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)

    def write(self, path: str, data: bytes) -> None:
        with self._errors(f"Cannot write {path}"):
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + path, Body=data)


@contextmanager
def _translated(errors: tuple[type[Exception], ...], what: str) -> Iterator[None]:
    try:
        yield
    except errors as exc:
        raise DropLocationError(f"{what}: {exc}") from exc


def get_drop_location() -> DropLocation | None:
    """The configured location, or None when the ERP import is off."""
    location = settings.HUB_ERP_IMPORT_LOCATION.strip()
    if not location:
        return None
    if location.startswith("s3://"):
        return S3Location(location, endpoint_url=settings.HUB_ERP_IMPORT_S3_ENDPOINT_URL)
    if "://" in location:
        raise ImproperlyConfigured(
            f"HUB_ERP_IMPORT_LOCATION={location!r}: use a folder path or s3://bucket/prefix."
        )
    return FolderLocation(location)
