"""Fault drills: the real app in server processes, with its services failing under it.

Helpers shared by the drills in this package:

- `throwaway_redis`: a redis-server of the test's own on a free port (no persistence), which
  the test may stop, kill and start again. The shared Redis on 6379 is never touched.
- `throwaway_postgres`: a PostgreSQL cluster of the test's own (initdb in a temporary
  directory, a free port), which the test may stop and start again; on both backends. The
  shared PostgreSQL on 5432 is never touched.
- `start_uvicorn`: the production server, `uvicorn --workers N`, on the test database (as
  tests/browser/asgi_server.py does for daphne); `worker_pids()` and `sockets_by_worker()`
  tell which worker holds which connection, so a drill can kill the busiest one.
- Playwright's browser, from tests/browser/conftest.py.

Every process started here is stopped at the end of its test, and its log printed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser.asgi_server import (  # noqa: F401 (fixtures)
    AsgiServer,
    free_port,
    server_env,
    start_asgi_server,
    use_a_sqlite_file_for_this_run,
)
from tests.browser.conftest import browser, chromium_path, new_page  # noqa: F401 (fixtures)
from tests.deadlines import DEADLINE, START_DEADLINE

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
        deadline = time.monotonic() + DEADLINE
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


def postgres_bin() -> Path:
    """The directory of initdb and pg_ctl: Debian keeps them off PATH, by major version."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    if found := shutil.which("initdb"):
        return Path(found).parent
    pytest.fail(
        "PostgreSQL's server binaries (initdb, pg_ctl) are missing: `python3 dev.py test` "
        "installs them (apt-get install postgresql). The drill is not skipped.",
        pytrace=False,
    )


class PostgresServer:
    """A throwaway PostgreSQL cluster on a free port: trust authentication, no fsync.

    initdb refuses to run as root, so as root the cluster belongs to the `postgres` user
    and its commands run through runuser. Its directory is under /tmp, not pytest's
    tmp_path, which is private to the user running the tests.
    """

    DATABASE = "drill"

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="drill-postgres-"))
        self.data = self.directory / "data"
        self.log_path = self.directory / "postgres.log"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{self.DATABASE}"
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.running = False

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            [*self.as_owner, str(self.bin / program), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode:
            pytest.fail(
                f"{program} failed ({result.returncode}): {result.stdout}{result.stderr}\n"
                f"{self.log()}",
                pytrace=False,
            )

    def create(self) -> None:
        """initdb, start, and create the database."""
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        self.start()
        import psycopg

        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as connection:
            connection.execute(f"CREATE DATABASE {self.DATABASE}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log_path),
            "-w", "-t", "30", "-o", options,
        )  # fmt: skip
        self.running = True

    def stop(self, mode: str = "immediate") -> None:
        """`immediate`: every backend is killed at once, as a crash does (recovery at the
        next start); `fast`: a clean shutdown."""
        if self.running:
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "30")
            self.running = False

    def connect(self):
        import psycopg

        return psycopg.connect(self.url.replace("postgres://", "postgresql://"), autocommit=True)

    def log(self) -> str:
        with contextlib.suppress(FileNotFoundError, PermissionError):
            return self.log_path.read_text(errors="replace")[-4000:]
        return "(no log)"

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def throwaway_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.create()
        yield server
    finally:
        server.stop("fast")
        print(f"--- log of the throwaway PostgreSQL on port {server.port} ---\n{server.log()}")
        server.remove()


class UvicornServer(AsgiServer):
    """`uvicorn conference.asgi:application --workers N`, as in production."""

    def __init__(self, *, workers: int, options: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.workers = workers
        self.options = options

    def command(self) -> list[str]:
        return [
            str(UVICORN),
            "conference.asgi:application",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--workers", str(self.workers),
            "--log-level", "warning",
            *self.options,
        ]  # fmt: skip

    def wait_until_ready(self) -> None:
        self._wait_until_healthy()
        # /healthz answered from one worker: wait for all of them.
        deadline = time.monotonic() + START_DEADLINE
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
