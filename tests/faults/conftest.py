"""Fault drills: the real app in server processes, with its services failing under it.

Helpers shared by the drills in this package:

- `throwaway_redis`: a redis-server of the test's own on a free port (no persistence), which
  the test may stop, kill and start again. The shared Redis on 6379 is never touched.
- `start_uvicorn`: the production server, `uvicorn --workers N`, on the test database (as
  tests/browser/asgi_server.py does for daphne); `worker_pids()` and `sockets_by_worker()`
  tell which worker holds which connection, so a drill can kill the busiest one.
- Playwright's browser, from tests/browser/conftest.py.

Every process started here is stopped at the end of its test, and its log printed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.asgi_server import (  # noqa: F401 (fixtures)
    AsgiServer,
    free_port,
    server_env,
    start_asgi_server,
    use_a_sqlite_file_for_this_run,
)
from tests.browser.conftest import browser, chromium_path, new_page  # noqa: F401 (fixtures)

# The server processes must open the test database: on SQLite, a file for the whole run.
use_a_sqlite_file_for_this_run()

UVICORN = Path(sys.executable).with_name("uvicorn")
REDIS_SERVER = "redis-server"


class RedisServer:
    """A throwaway redis-server: no snapshot, no append-only file, so a restart loses
    everything, as a crashed cache does."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.log_path = directory / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        assert self.process is None, "redis is already running"
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
                "--logfile", str(self.log_path),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"redis-server exited: {self.log()}", pytrace=False)
            if self.client().ping():
                return
            time.sleep(0.05)
        pytest.fail(f"redis-server did not answer on port {self.port}", pytrace=False)

    def client(self, db: int = 0):
        import redis

        return _Quiet(redis.Redis(port=self.port, db=db, socket_timeout=2))

    def stop(self, *, kill: bool = True) -> None:
        """Kill it (as a crash does) or stop it cleanly, and wait for it to exit."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        with contextlib.suppress(FileNotFoundError):
            return self.log_path.read_text(errors="replace")[-4000:]
        return "(no log)"


class _Quiet:
    """A redis client whose ping() says False instead of raising while the server starts."""

    def __init__(self, client) -> None:
        self._client = client

    def ping(self) -> bool:
        import redis

        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False

    def __getattr__(self, name):
        return getattr(self._client, name)


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class UvicornServer(AsgiServer):
    """`uvicorn conference.asgi:application --workers N`, as in production."""

    def __init__(self, *, workers: int, options: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.workers = workers
        self.options = options
        self.wait = True  # start() waits until every worker is up

    def start(self) -> None:
        assert not self.running, f"{self.name} is already running"
        self.starts += 1
        with self.log_path.open("a") as log:
            log.write(f"\n=== start {self.starts} of {self.name} on port {self.port} ===\n")
            log.flush()
            self.process = subprocess.Popen(
                [
                    str(UVICORN),
                    "conference.asgi:application",
                    "--host", "127.0.0.1",
                    "--port", str(self.port),
                    "--workers", str(self.workers),
                    "--log-level", "warning",
                    *self.options,
                ],
                cwd=settings.BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        if self.wait:
            self.wait_until_ready()

    def wait_until_ready(self) -> None:
        self._wait_until_healthy()
        # /healthz answered from one worker: wait for all of them.
        deadline = time.monotonic() + 30
        while self.workers > 1 and len(self.worker_pids()) < self.workers:
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name}: not all {self.workers} workers started", pytrace=False)
            time.sleep(0.1)

    def worker_pids(self) -> list[int]:
        """The supervisor's live worker processes."""
        if not self.running:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(FileNotFoundError):
            pids = [int(pid) for pid in path.read_text().split()]
            # multiprocessing's resource tracker is a child too: workers run our app.
            return [pid for pid in pids if _is_worker(pid)]
        return []

    def sockets_by_worker(self) -> dict[int, int]:
        """For each worker, how many established TCP connections to our port it holds."""
        established = _established_inodes(self.port)
        counts = {}
        for pid in self.worker_pids():
            inodes = set()
            with contextlib.suppress(FileNotFoundError, PermissionError):
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    with contextlib.suppress(OSError):
                        target = os.readlink(fd)
                        if target.startswith("socket:["):
                            inodes.add(target[8:-1])
            counts[pid] = len(inodes & established)
        return counts


def _is_worker(pid: int) -> bool:
    with contextlib.suppress(OSError):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        return b"resource_tracker" not in cmdline
    return False


def _established_inodes(port: int) -> set[str]:
    """Inodes of established TCP sockets whose local port is `port` (server side)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
                    inodes.add(fields[9])
    return inodes


@pytest.fixture
def start_uvicorn(transactional_db: None, tmp_path: Path) -> Iterator[Callable[..., UvicornServer]]:
    """Start `uvicorn --workers N` on the test database: `start_uvicorn(workers=2, ...)`.

    Keyword arguments other than workers/options/name become the server's environment.
    """
    servers: list[UvicornServer] = []

    def start(
        name: str = "",
        *,
        workers: int = 2,
        options: list[str] | None = None,
        wait: bool = True,
        **env: str,
    ) -> UvicornServer:
        name = name or f"uvicorn{len(servers) + 1}"
        server = UvicornServer(
            workers=workers,
            options=options or [],
            env=server_env(**env),
            log_dir=tmp_path,
            name=name,
        )
        server.wait = wait  # False: call wait_until_ready() before using it
        servers.append(server)
        server.start()
        server.wait = True
        return server

    yield start
    for server in servers:
        server.stop()
    for server in servers:
        print(f"--- log of {server.name} ({server.url}) ---\n{server.log()}")
