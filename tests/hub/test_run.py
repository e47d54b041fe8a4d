"""`make run`: Ctrl-C stops the web server, the worker and beat together, within seconds.

Starts honcho with the real Procfile on an empty var directory (its own SQLite files and
broker), waits until all three are up, then does what a terminal does on Ctrl-C: SIGINT to
honcho's process group.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HONCHO = Path(sys.executable).parent / "honcho"
STOP_WITHIN = 10
START_WITHIN = 90

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads process groups from /proc (Linux)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def living_processes(groups: set[int]) -> list[str]:
    """The processes still alive (not zombies) in these process groups, as 'pid command'."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        # The command in brackets may hold spaces: the fields after it are fixed.
        state, _, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) in groups and state != "Z":
            alive.append(f"{entry.name} {command}")
    return alive


class Honcho:
    """`honcho start` with the Procfile, as `make run` starts it, in its own process group."""

    def __init__(self, var_dir: Path) -> None:
        self.port = free_port()
        self.log = var_dir / "honcho.log"
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"}
        }
        environment.update(
            DJANGO_SETTINGS_MODULE="hub.settings.dev",
            HUB_VAR_DIR=str(var_dir),
            HOST="127.0.0.1",
            PATH=f"{HONCHO.parent}{os.pathsep}{environment.get('PATH', '')}",
            PYTHONUNBUFFERED="1",
        )
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [HONCHO, "start", "--port", str(self.port), "--procfile", "Procfile"],
                cwd=ROOT,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def groups(self) -> set[int]:
        """Honcho's group and those of web, the workers and beat (honcho starts each in its own)."""
        groups = {self.process.pid}
        for line in self.output().splitlines():
            if "started (pid=" in line:
                groups.add(int(line.rsplit("pid=", 1)[1].rstrip(")")))
        return groups

    def web_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"GET /robots.txt HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                return connection.recv(12).startswith(b"HTTP/")
        except OSError:
            return False

    def all_up(self) -> bool:
        output = self.output()
        # Both workers (default and render queues) say "ready.".
        return output.count("ready.") >= 2 and "beat: Starting" in output and self.web_answers()

    def kill_everything(self) -> None:
        for group in self.groups():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        self.process.wait(10)


@pytest.fixture
def honcho(tmp_path):
    started = Honcho(tmp_path)
    yield started
    started.kill_everything()


def test_ctrl_c_stops_web_worker_and_beat_within_seconds(honcho):
    deadline = time.monotonic() + START_WITHIN
    while not honcho.all_up():
        assert honcho.process.poll() is None, honcho.output()
        assert time.monotonic() < deadline, honcho.output()
        time.sleep(0.2)
    groups = honcho.groups()
    # Honcho's own and one per Procfile line: web, worker (with beat), render.
    assert len(groups) == 4, honcho.output()

    os.killpg(honcho.process.pid, signal.SIGINT)

    stopped_by = time.monotonic() + STOP_WITHIN
    while living_processes(groups) and time.monotonic() < stopped_by:
        time.sleep(0.1)
    # Before the fix the worker hung at exit until honcho killed it, 10.7 s after Ctrl-C.
    # Whether each stopped by itself ("SIGKILL" not in the output) is not asserted: honcho
    # kills what still runs 5 s after the first process stopped, and on a loaded machine
    # the worker's clean stop can take longer than that.
    assert living_processes(groups) == [], honcho.output()


def proportional_megabytes(groups: set[int]) -> float:
    """The memory of every process in these process groups, in MB: each one's proportional
    set size (PSS), so that pages shared between processes (a forked child's copy-on-write
    pages, the libraries) count once, as the machine spends them."""
    total_kb = 0
    for line in living_processes(groups):
        pid = line.split()[0]
        with contextlib.suppress(OSError):
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            total_kb += next(
                int(row.split()[1]) for row in rollup.splitlines() if row.startswith("Pss:")
            )
    return total_kb / 1024


def test_the_embedded_stack_stays_lean(honcho):
    """`make run` on the embedded default stays under 600 MB: one web worker with threads,
    beat inside the worker, and no process importing what only another one needs."""
    deadline = time.monotonic() + START_WITHIN
    while not honcho.all_up():
        assert honcho.process.poll() is None, honcho.output()
        assert time.monotonic() < deadline, honcho.output()
        time.sleep(0.2)
    time.sleep(2)  # the first beat tick has run

    used = proportional_megabytes(honcho.groups())
    print(f"make run: {used:.0f} MB (PSS)")
    assert used < 600, honcho.output()
