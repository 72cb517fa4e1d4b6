"""With Redis, two server processes share the groups: a participant connected to one sees
votes cast through the other.

Two daphne processes of the real ASGI app, on the test's database, with the Redis channel
layer whatever this run's own layer is (on the embedded SQLite run too). No browser: the
participants are plain HTTP clients (urllib, with a cookie jar each) and a small WebSocket
client on the standard library. Redis runs on every machine this project uses (CI starts
it), so its absence fails the test: it is never skipped.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.cookiejar
import os
import re
import socket
import struct
import time
import urllib.parse
import urllib.request

import pytest

from discussions import services
from discussions.models import Position
from tests.browser.asgi_server import (  # noqa: F401
    AsgiServer,
    start_asgi_server,
    use_a_sqlite_file_for_this_run,
)
from tests.conftest import DEMO_PAPER
from tests.deadlines import DEADLINE

# The server processes must open the test database: on SQLite, a file for the whole run.
use_a_sqlite_file_for_this_run()

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as error:
        pytest.fail(
            f"Redis does not answer at {REDIS_URL} ({error}). This test needs it: start Redis "
            "(CI's .ci/run does) or set REDIS_URL. It is not skipped.",
            pytrace=False,
        )
    return REDIS_URL


class Participant:
    """One person's browser, without the browser: a cookie jar and HTTP requests."""

    def __init__(self, server: AsgiServer) -> None:
        self.server = server
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.room_path = ""

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.cookies if c.name == name)

    def request(self, path: str, data: dict | None = None, *, htmx: bool = False) -> str:
        headers = {}
        if data is not None:
            # What htmx sends: the CSRF token in a header, and the page's origin.
            headers |= {"X-CSRFToken": self.cookie("csrftoken"), "Origin": self.server.url}
            headers["Referer"] = self.server.url + (self.room_path or "/")
        if htmx:
            headers["HX-Request"] = "true"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.server.url + path, data=body, headers=headers)
        # A deadline for "no answer at all", not a bound on how fast: the fault drills' voters
        # use this client on a loaded machine, and count a request with no answer as failed.
        with self.opener.open(request, timeout=DEADLINE) as response:
            assert response.status == 200, f"{path}: {response.status}"
            self.last_url = response.url
            return response.read().decode()

    def join(self, code: str, name: str, group_id: int) -> None:
        self.request(f"/join/{code}/")  # the form, and the CSRF cookie
        self.request(f"/join/{code}/", {"display_name": name, "group": str(group_id)})
        self.room_path = urllib.parse.urlsplit(self.last_url).path
        assert self.room_path == f"/rooms/{group_id}/", self.last_url

    def socket(self) -> WebSocket:
        ws_url = self.server.url.replace("http://", "ws://") + f"/ws{self.room_path}"
        return WebSocket(
            ws_url, origin=self.server.url, cookie=f"participant={self.cookie('participant')}"
        )


class WebSocket:
    """Just enough of RFC 6455 for a test: handshake, text frames in, pings answered."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, url: str, *, origin: str, cookie: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=DEADLINE)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: {origin}\r\nCookie: {cookie}\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            assert chunk, f"the server closed the handshake: {self.buffer!r}"
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, *lines = head.decode(errors="replace").split("\r\n")
        assert " 101 " in status, f"handshake refused: {head.decode(errors='replace')}"
        headers = dict(line.lower().split(": ", 1) for line in lines)
        accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()
        assert headers.get("sec-websocket-accept") == accept.lower(), head

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the socket")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        length = len(payload)
        header = bytes([0x80 | opcode])
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def receive(self, timeout: float) -> str:
        """The next text message; TimeoutError if none comes in time."""
        self.sock.settimeout(timeout)
        message = b""
        while True:
            first, second = self._read(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8))[0]
            if second & 0x80:
                mask = self._read(4)
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read(length)))
            else:
                payload = self._read(length)
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise ConnectionError(f"the server closed the socket (code {code})")
            if opcode == 0x9:
                self._send(0xA, payload)
                continue
            if opcode in (0x1, 0x0):
                message += payload
                if first & 0x80:
                    return message.decode()

    def wait_for(self, pattern: str, timeout: float) -> tuple[str, float]:
        """The first message matching `pattern` (a regex), and how long it took."""
        started = time.monotonic()
        seen = []
        while (left := timeout - (time.monotonic() - started)) > 0:
            try:
                message = self.receive(left)
            except TimeoutError:
                break
            if re.search(pattern, message, re.S):
                return message, time.monotonic() - started
            seen.append(message)
        pytest.fail(f"no message matching {pattern!r} within {timeout} s; got {seen!r}")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._send(0x8, struct.pack("!H", 1000))
        self.sock.close()


def tally(position_id: int, agree: int, disagree: int) -> str:
    return (
        rf'id="room-seq"[^>]*data-seq="\d+".*id="tally-{position_id}".*'
        rf"✓ {agree} agree.*✗ {disagree} disagree"
    )


def test_votes_cast_through_one_process_reach_sockets_on_the_other(
    start_asgi_server,  # noqa: F811 (the fixture imported above)
    redis_url,
):
    one = start_asgi_server("one", REDIS_URL=redis_url)
    two = start_asgi_server("two", REDIS_URL=redis_url)
    paper = services.import_paper(
        data=DEMO_PAPER.read_bytes(), filename=DEMO_PAPER.name, publish=True
    ).paper
    session = services.create_session(paper=paper, name="Two processes", group_count=2)
    group = session.groups.order_by("position").first()

    ana, ben = Participant(one), Participant(two)
    ana.join(session.code, "Ana", group.pk)
    ben.join(session.code, "Ben", group.pk)
    ana.request(f"/rooms/{group.pk}/post", {"text": "Two servers, one room."}, htmx=True)
    position = Position.objects.get()

    ana_socket, ben_socket = ana.socket(), ben.socket()
    try:
        # Each socket hears the other arrive, whichever process it is on.
        ana_socket.wait_for(r'id="presence"[^>]*>2 online', timeout=DEADLINE)
        ben_socket.wait_for(r'id="presence"[^>]*>2 online', timeout=DEADLINE)

        # Ben votes on process two; Ana's socket on process one gets the new tally. (How
        # fast is printed, not bounded: tests/deadlines.py.)
        started = time.monotonic()
        answer = ben.request(
            f"/rooms/{group.pk}/positions/{position.pk}/vote", {"choice": "agree"}, htmx=True
        )
        assert 'aria-pressed="true"' in answer
        ana_socket.wait_for(tally(position.pk, agree=1, disagree=0), timeout=DEADLINE)
        latency = time.monotonic() - started
        print(
            f"vote through process two reached a socket on process one in {latency * 1000:.0f} ms"
        )

        # And the other way round.
        started = time.monotonic()
        ana.request(
            f"/rooms/{group.pk}/positions/{position.pk}/vote", {"choice": "disagree"}, htmx=True
        )
        ben_socket.wait_for(tally(position.pk, agree=1, disagree=1), timeout=DEADLINE)
        latency = time.monotonic() - started
        print(
            f"vote through process one reached a socket on process two in {latency * 1000:.0f} ms"
        )
    finally:
        ana_socket.close()
        ben_socket.close()
