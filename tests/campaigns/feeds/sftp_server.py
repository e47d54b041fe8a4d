"""A real SFTP server for the push tests: asyncssh on 127.0.0.1, in its own thread and loop.

It serves one directory as its root (a virtual chroot), accepts one user by password or by
public key, and keeps a journal of the file operations clients ask for (so a test can see in
which order a file was written and renamed) and of the login attempts. ``on_open`` and
``on_write`` let a test look at the directory in the middle of an upload, or make the server
fail or stall there.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncssh

USER = "receiver"
PASSWORD = "correct horse battery staple"


class EventLoopThread:
    """An event loop running in a daemon thread; ``run`` waits for a coroutine's result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, awaitable: Awaitable[Any], timeout: float = 10) -> Any:
        async def wait() -> Any:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wait(), self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class _Login(asyncssh.SSHServer):
    def __init__(self, server: SFTPServer) -> None:
        self.server = server
        self.client_key = server.client_key.convert_to_public()

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        self.server.logins.append(("password", username))
        return username == USER and password == PASSWORD

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        self.server.logins.append(("publickey", username))
        return username == USER and key == self.client_key


class SFTPServer:
    """The server: ``root`` on disk is "/" for the client; ``journal`` lists operations."""

    def __init__(self, loop: EventLoopThread, root: Path, host_key: Any, client_key: Any) -> None:
        self.loop = loop
        self.root = root
        self.host_key = host_key
        self.client_key = client_key
        self.logins: list[tuple[str, str]] = []
        self.journal: list[tuple[str, ...]] = []
        self.on_open: Callable[[str], Any] | None = None
        self.on_write: Callable[[str, int], Any] | None = None
        self.acceptor = loop.run(
            asyncssh.listen(
                "127.0.0.1",
                0,
                server_host_keys=[host_key],
                server_factory=lambda: _Login(self),
                sftp_factory=self._session,
                allow_scp=False,
            )
        )
        self.port = self.acceptor.get_port()

    @property
    def host_key_line(self) -> str:
        return self.host_key.export_public_key().decode().strip()

    def url(self, path: str = "/") -> str:
        return f"sftp://{USER}@127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        async def close() -> None:
            self.acceptor.close()
            await self.acceptor.wait_closed()

        self.loop.run(close())

    def _session(self, chan: Any) -> asyncssh.SFTPServer:
        return _RecordingSFTP(chan, self)


class _RecordingSFTP(asyncssh.SFTPServer):
    def __init__(self, chan: Any, server: SFTPServer) -> None:
        super().__init__(chan, chroot=str(server.root).encode())
        self.server = server
        self.names: dict[int, str] = {}

    def open(self, path: bytes, pflags: int, attrs: Any) -> Any:
        name = path.decode()
        self.server.journal.append(("open", name))
        if self.server.on_open is not None:
            self.server.on_open(name)
        file = super().open(path, pflags, attrs)
        self.names[id(file)] = name
        return file

    def write(self, file_obj: Any, offset: int, data: bytes) -> Any:
        name = self.names[id(file_obj)]
        hook = self.server.on_write
        answer = hook(name, offset) if hook is not None else None
        if asyncio.iscoroutine(answer):

            async def write_later() -> int:
                await answer
                return super(_RecordingSFTP, self).write(file_obj, offset, data)

            return write_later()
        return super().write(file_obj, offset, data)

    def close(self, file_obj: Any) -> Any:
        self.server.journal.append(("close", self.names.pop(id(file_obj), "?")))
        return super().close(file_obj)

    def rename(self, oldpath: bytes, newpath: bytes) -> Any:
        self.server.journal.append(("rename", oldpath.decode(), newpath.decode()))
        return super().rename(oldpath, newpath)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> Any:
        self.server.journal.append(("posix_rename", oldpath.decode(), newpath.decode()))
        return super().posix_rename(oldpath, newpath)

    def remove(self, path: bytes) -> Any:
        self.server.journal.append(("remove", path.decode()))
        return super().remove(path)
