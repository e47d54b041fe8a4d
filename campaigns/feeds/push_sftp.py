"""The SFTP side of ``campaigns.feeds.push``: reading pinned host keys and secrets, uploading.

asyncssh is imported only when an SFTP target is checked or pushed to; ``push_files`` runs
``upload`` with ``asyncio.run``, since the Celery worker that calls it has no event loop.
Why the upload goes through a temporary name is said in ``campaigns.feeds.push``.
"""

from __future__ import annotations

import asyncio
import contextlib
import posixpath
import re
import secrets
import socket
import warnings
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from .push import PushFailed

if TYPE_CHECKING:
    from .push import PushTarget

# One write call hands asyncssh up to 1 MiB, which it sends as parallel requests; the
# timeout applies to each call, so a large file may take long as long as it keeps moving.
CHUNK_BYTES = 1 << 20
PRIVATE_KEY = "PRIVATE KEY-----"
# A temporary file untouched this long belongs to a push whose connection broke.
STALE_SECONDS = 3600


def load_asyncssh() -> Any:
    # asyncssh still mentions DSA, which cryptography deprecates with a warning at import
    # time; the hub never uses DSA, so that warning would only clutter the worker's log.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*DSA.*", category=UserWarning)
        import asyncssh
    return asyncssh


# --- checking the settings -------------------------------------------------------------------


def parse_host_keys(text: str) -> tuple[tuple[str, ...], str]:
    """The pinned keys in ``text`` as OpenSSH lines, and what is wrong ("" when nothing)."""
    asyncssh = load_asyncssh()
    text = text.strip()
    if not text:
        return (), _(
            "Pin the server's SSH host key (e.g. the output of `ssh-keyscan -t ed25519 host`): "
            "the hub never trusts a server it has not been told about."
        )
    if "PRIVATE KEY" in text:
        return (), _("This is a private key; the host key is the server's public key.")
    if re.match(r"^(SHA256|MD5):", text):
        return (), _(
            "This is a fingerprint; give the whole public key "
            "(e.g. from `ssh-keyscan -t ed25519 host`), which the fingerprint can confirm."
        )
    # One key in any format asyncssh reads (OpenSSH, RFC 4716), or several OpenSSH keys or
    # known_hosts lines, one a line: the server may present any of them.
    with contextlib.suppress(asyncssh.KeyImportError):
        return (_public_key_line(asyncssh.import_public_key(text)),), ""
    keys = []
    for line in (line.strip() for line in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        key = _import_host_key_line(asyncssh, line)
        if key is None:
            return (), _("Not an SSH public key or known_hosts line: %(line)s") % {
                "line": line[:60]
            }
        keys.append(key)
    return tuple(keys), ""


def _import_host_key_line(asyncssh: Any, line: str) -> str | None:
    if line.startswith("@"):  # @cert-authority, @revoked: not a pinned key
        return None
    # "ssh-ed25519 AAAA... comment", or known_hosts' "host[,host] ssh-ed25519 AAAA...".
    for candidate in (line, " ".join(line.split()[1:])):
        try:
            return _public_key_line(asyncssh.import_public_key(candidate))
        except asyncssh.KeyImportError:
            continue
    return None


def _public_key_line(key: Any) -> str:
    # "algorithm base64", without the comment a pasted key may carry.
    return " ".join(key.export_public_key("openssh").decode().split()[:2])


def parse_secret(secret: str) -> tuple[str, str]:
    """The password or private key in ``secret``, and what is wrong ("" when nothing)."""
    asyncssh = load_asyncssh()
    if PRIVATE_KEY in secret:
        secret = secret.strip() + "\n"
        try:
            asyncssh.import_private_key(secret)
        except asyncssh.KeyImportError as exc:
            if "passphrase" in str(exc).lower():
                return secret, _(
                    "This private key is protected by a passphrase; store it without one "
                    "(ssh-keygen -p) in this field, which is kept secret."
                )
            return secret, _("This private key cannot be read: %(error)s") % {"error": exc}
        return secret, ""
    # A password is one line; a browser may leave a line break at its end, nothing else.
    secret = secret.rstrip("\r\n")
    if not secret:
        return secret, _("Give the password or the private key (OpenSSH or PEM) of the user.")
    if "\n" in secret or "\r" in secret:
        return secret, _(
            "Neither a private key (-----BEGIN ... PRIVATE KEY-----) nor a password (one line)."
        )
    with contextlib.suppress(asyncssh.KeyImportError):
        asyncssh.import_public_key(secret)
        return secret, _(
            "This is a public key; the secret is the user's private key (or a password)."
        )
    return secret, ""


# --- uploading -------------------------------------------------------------------------------


async def upload(
    target: PushTarget, files: Sequence[tuple[str, Path]], timeout: float
) -> list[str]:
    """Write ``files`` into the target directory, each atomically; the URLs written."""
    asyncssh = load_asyncssh()
    written: list[str] = []
    stage = _("connecting to %(host)s:%(port)s") % {"host": target.host, "port": target.port}
    connection = None
    try:
        password, client_keys = target.secret, None
        if PRIVATE_KEY in target.secret:
            password, client_keys = None, [asyncssh.import_private_key(target.secret)]
        connection = await asyncssh.connect(
            target.host,
            port=target.port,
            username=target.username,
            password=password,
            client_keys=client_keys,
            # Only the pinned keys are trusted (no known_hosts file, no CA), and nothing of
            # the worker's own ~/.ssh (config, agent, keys) takes part.
            known_hosts=([asyncssh.import_public_key(key) for key in target.host_keys], [], []),
            x509_trusted_certs=None,
            config=[],
            agent_path=None,
            gss_host=None,
            connect_timeout=timeout,
            login_timeout=timeout,
        )
        # Each operation may take ``timeout`` seconds; one that takes longer ends the
        # connection (see _Bounded), so the next ones fail at once.
        bounded = _Bounded(connection, timeout)
        stage = _("starting SFTP")
        sftp = await bounded(connection.start_sftp_client())
        stage = _("opening the directory %(path)s") % {"path": target.directory}
        attrs = await bounded(sftp.stat(target.directory))
        if attrs.type != asyncssh.FILEXFER_TYPE_DIRECTORY:
            raise PushFailed(
                _("%(path)s on the server is not a directory.") % {"path": target.directory}
            )
        for name, path in files:
            stage = _("uploading %(name)s") % {"name": name}
            await _upload_one(asyncssh, sftp, bounded, posixpath.join(target.directory, name), path)
            written.append(target.location(name))
    except PushFailed as exc:
        raise PushFailed(exc.reason, written=written) from exc
    except Exception as exc:
        reason = _reason(asyncssh, exc, target, stage, timeout)
        raise PushFailed(reason, written=written) from exc
    finally:
        # No graceful SFTP exit: a server that stalled would keep that waiting too.
        if connection is not None:
            connection.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.wait_closed(), timeout)
    return written


class _Bounded:
    """Awaits one SFTP operation for at most ``timeout`` seconds, else ends the connection.

    Not ``asyncio.wait_for``: cancelling a large write would leave asyncssh's parallel write
    requests running on their own. Aborting the connection fails every outstanding request
    instead, so nothing is left behind, and the push reports the timeout.
    """

    def __init__(self, connection: Any, timeout: float) -> None:
        self.connection = connection
        self.timeout = timeout

    async def __call__(self, awaitable: Awaitable[Any]) -> Any:
        task = asyncio.ensure_future(awaitable)
        done, _pending = await asyncio.wait({task}, timeout=self.timeout)
        if done:
            return task.result()
        self.connection.abort()
        done, _pending = await asyncio.wait({task}, timeout=self.timeout)
        if done:
            task.exception()  # retrieved: it is the consequence, the timeout is the cause
        else:
            task.cancel()
        raise TimeoutError


async def _upload_one(
    asyncssh: Any, sftp: Any, bounded: _Bounded, final: str, local_path: Path
) -> None:
    directory, name = posixpath.split(final)
    temporary = posixpath.join(directory, f".{name}.tmp-{secrets.token_hex(6)}")
    try:
        remote = await bounded(sftp.open(temporary, "wb"))
        try:
            with Path(local_path).open("rb") as local:
                while chunk := local.read(CHUNK_BYTES):
                    await bounded(remote.write(chunk))
        except BaseException:
            with contextlib.suppress(Exception):
                await bounded(remote.close())
            raise
        # Some servers only report a full disk when the file is closed.
        await bounded(remote.close())
        await _replace(asyncssh, sftp, bounded, temporary, final)
    except BaseException:
        # Best effort: after a timeout or over a broken connection this fails too, and the
        # hidden file stays.
        with contextlib.suppress(Exception):
            await bounded(sftp.remove(temporary))
        raise
    with contextlib.suppress(Exception):
        await _sweep(sftp, bounded, final)


async def _replace(asyncssh: Any, sftp: Any, bounded: _Bounded, temporary: str, final: str) -> None:
    try:
        await bounded(sftp.posix_rename(temporary, final))
        return
    except asyncssh.SFTPOpUnsupported:
        pass
    # SFTPv3 only: its rename refuses an existing name, so the old file goes first.
    try:
        await bounded(sftp.rename(temporary, final))
    except asyncssh.SFTPError:
        if not await bounded(sftp.exists(final)):
            raise
        await bounded(sftp.remove(final))
        await bounded(sftp.rename(temporary, final))


async def _sweep(sftp: Any, bounded: _Bounded, final: str) -> None:
    """Remove temporary files of ``final`` left by earlier pushes whose connection broke.

    Only ones untouched for an hour by the server's clock (the new file's time is "now"): a
    push still under way writes at least once per timeout, so it is never among them.
    """
    now = (await bounded(sftp.stat(final))).mtime
    directory, name = posixpath.split(final)
    leftover = re.compile(rf"^\.{re.escape(name)}\.tmp-[0-9a-f]{{12}}$")
    stale = max(STALE_SECONDS, 2 * bounded.timeout)
    for entry in await bounded(sftp.readdir(directory)):
        mtime = entry.attrs.mtime
        if leftover.match(entry.filename) and now and mtime and mtime < now - stale:
            await bounded(sftp.remove(posixpath.join(directory, entry.filename)))


def _reason(
    asyncssh: Any, exc: BaseException, target: PushTarget, stage: str, timeout: float
) -> str:
    where = f"{target.host}:{target.port}"
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return _(
            "Host key mismatch: %(where)s presented a key that is not the pinned host key; "
            "nothing was sent. If the server's key really changed, pin the new one."
        ) % {"where": where}
    if isinstance(exc, asyncssh.PermissionDenied):
        return _(
            "Authentication refused: %(where)s did not accept user %(user)s with the "
            "stored password or key."
        ) % {"where": where, "user": target.username}
    if isinstance(exc, TimeoutError):
        return _("Timed out after %(seconds)s s while %(stage)s.") % {
            "seconds": f"{timeout:g}",
            "stage": stage,
        }
    if isinstance(exc, ConnectionRefusedError):
        return _("Connection refused by %(where)s.") % {"where": where}
    if isinstance(exc, socket.gaierror):
        return _("The server name %(host)s cannot be resolved.") % {"host": target.host}
    details = {"stage": stage, "error": getattr(exc, "reason", "") or str(exc)}
    if isinstance(exc, asyncssh.SFTPNoSuchFile | asyncssh.SFTPNoSuchPath):
        return _("No such directory or file on the server while %(stage)s: %(error)s") % details
    if isinstance(exc, asyncssh.SFTPPermissionDenied):
        return _("Access denied by the server while %(stage)s: %(error)s") % details
    if isinstance(exc, asyncssh.SFTPError):
        return _("The server refused while %(stage)s: %(error)s") % details
    if isinstance(exc, asyncssh.DisconnectError):
        return _("%(where)s closed the connection while %(stage)s: %(error)s") % {
            "where": where,
            **details,
        }
    details["error"] = details["error"] or type(exc).__name__
    return _("Failed while %(stage)s: %(error)s") % details
