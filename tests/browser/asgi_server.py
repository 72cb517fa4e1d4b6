"""The real ASGI app (daphne) in a subprocess, for tests that need WebSockets.

pytest-django's `live_server` is a WSGI thread: it cannot upgrade a connection to a
WebSocket. These helpers run `daphne conference.asgi:application` as its own process against
the test's database, so the test must commit its data: use
`pytest.mark.django_db(transaction=True)`.

- SQLite: pytest-django's test database is in memory, which another process cannot open.
  `use_a_sqlite_file_for_this_run()`, called when a module that starts servers is imported,
  makes it a file for the whole run; the server gets SQLITE_PATH pointing at it.
- PostgreSQL: the server gets a DATABASE_URL for the test database (`test_<name>`).
- REDIS_URL is passed through when set (or given per server): then several servers share
  one channel layer, and the test process's own writes reach their sockets too.

Every server shares one SECRET_KEY, so a session cookie signed by one is valid on the next
(a restarted server, or the other process of a pair).
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connections

from tests.deadlines import START_DEADLINE

DAPHNE = Path(sys.executable).with_name("daphne")
START_TIMEOUT = START_DEADLINE
STOP_TIMEOUT = 5.0
# One key for every server of the run: sessions survive a restart and cross processes.
SECRET_KEY = secrets.token_urlsafe(50)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sqlite_in_memory(name: str) -> bool:
    return not name or name == ":memory:" or "mode=memory" in name


def database_env() -> dict[str, str]:
    """Environment that points a server process at the database this test uses now."""
    db = connections["default"].settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if sqlite_in_memory(name):
            pytest.fail(
                "The SQLite test database is in memory, which a server process cannot open: "
                "call use_a_sqlite_file_for_this_run() when this test module is imported."
            )
        return {"SQLITE_PATH": name}
    if db["ENGINE"] == "django.db.backends.postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = quote(db.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = db.get("HOST") or "127.0.0.1"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return {"DATABASE_URL": f"postgres://{credentials}{host}{port}/{quote(db['NAME'])}"}
    pytest.fail(f"No server process for database engine {db['ENGINE']}")


class AsgiServer:
    """One daphne process on a fixed port, which can be stopped and started again."""

    def __init__(self, *, env: dict[str, str], log_dir: Path, name: str = "server") -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}-{self.port}.log"
        self.env = env
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.wait = True  # start() returns once the server answers (a test may not wait)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        """The server's command line; a subclass runs another server the same way."""
        return [str(DAPHNE), "-b", "127.0.0.1", "-p", str(self.port), "conference.asgi:application"]

    def start(self) -> None:
        assert not self.running, f"{self.name} is already running"
        self.starts += 1
        with self.log_path.open("a") as log:
            log.write(f"\n=== start {self.starts} of {self.name} on port {self.port} ===\n")
            log.flush()
            self.process = subprocess.Popen(
                self.command(),
                cwd=settings.BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if self.wait:
            self.wait_until_ready()

    def wait_until_ready(self) -> None:
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        last_error = ""
        while time.monotonic() < deadline:
            if not self.running:
                code = self.process.returncode  # read before stop() forgets the process
                self.stop()
                pytest.fail(
                    f"{self.name} exited with code {code} before answering /healthz:\n{self.log()}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError) as error:
                last_error = str(error)
            time.sleep(0.1)
        self.stop()
        pytest.fail(
            f"{self.name} did not answer /healthz within {START_TIMEOUT:.0f} s "
            f"({last_error}):\n{self.log()}",
            pytrace=False,
        )

    def stop(self, *, kill: bool = False) -> None:
        """Stop the process (SIGTERM, or SIGKILL like a crash) and wait for it to exit."""
        if self.process is None:
            return
        if self.process.poll() is None:
            started = time.monotonic()
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
                how = "exited"
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
                how = "did not exit: killed"
            with self.log_path.open("a") as log:
                log.write(f"=== {how} after {time.monotonic() - started:.1f} s ===\n")
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self, tail: int = 12_000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except FileNotFoundError:
            return "(no output)"


def server_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SQLITE_PATH", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "conference.settings",
        "SECRET_KEY": SECRET_KEY,
        # Static files straight from the finders, as in development.
        "DEBUG": "true",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    env |= database_env()
    env |= overrides
    return env


def use_a_sqlite_file_for_this_run() -> None:
    """On SQLite, make this run's test database a file, so server processes can open it.

    Call it at import time from each module whose tests start servers (the browser
    conftest, tests/test_two_processes.py): that is collection, before any test creates the
    database. A fixture override of django_db_modify_db_settings would not do: the first
    test to use the database decides for the whole run, and pytest-django runs the plain
    database tests, which do not see this directory's fixtures, first. PostgreSQL is
    untouched (test_<name>).
    """
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        return
    test = db.setdefault("TEST", {})
    if not sqlite_in_memory(test.get("NAME") or ""):
        return  # done already, or a file chosen in the settings
    directory = Path(tempfile.mkdtemp(prefix="breakout-test-db-"))
    # pytest-django deletes the file when it drops the database; the folder goes at exit.
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    test["NAME"] = str(directory / "test.sqlite3")
    # A throwaway file: no need to wait for the disk at every commit (this process only).
    db.setdefault("OPTIONS", {}).setdefault("init_command", "PRAGMA synchronous=OFF")


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def start_asgi_server(
    transactional_db: None, tmp_path: Path
) -> Iterator[Callable[..., AsgiServer]]:
    """Start daphne processes on the test database: `start_asgi_server(REDIS_URL=...)`.

    Depends on transactional_db, so the servers stop before the database is flushed. At the
    end each is killed, and its log printed (pytest shows it when the test failed).
    """
    servers: list[AsgiServer] = []

    def start(name: str = "", **env: str) -> AsgiServer:
        name = name or f"server{len(servers) + 1}"
        server = AsgiServer(env=server_env(**env), log_dir=tmp_path, name=name)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
    for server in servers:
        print(f"--- log of {server.name} ({server.url}) ---\n{server.log()}")


@pytest.fixture
def asgi_server(start_asgi_server: Callable[..., AsgiServer]) -> AsgiServer:
    """One server process of the real ASGI app, running; `.url`, `.stop()`, `.start()`."""
    return start_asgi_server()
