"""With Redis, two server processes share the groups: a participant connected to one sees
votes cast through the other.

Two daphne processes of the real ASGI app, on the test's database, with the Redis channel
layer whatever this run's own layer is (on the embedded SQLite run too). No browser: the
participants are the capacity rehearsal's client (rehearsal/client.py: a browser's HTTP with
its cookie jar, and the room's WebSocket), driven step by step on an event loop of the
test's own. Redis runs on every machine this project uses (CI starts it), so its absence
fails the test: it is never skipped.

Participant, below, is the same person on urllib and a blocking socket, for tests that keep
participants in threads (the fault drills, tests/browser/test_synthesis_page.py).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest

from discussions import services
from discussions.models import Position
from rehearsal.client import BlockingWebSocket, Browser, Origin, WebSocket
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
    """One person's browser, without the browser, for threads: a cookie jar and HTTP
    requests on urllib (its errors are what the fault drills count), and room sockets."""

    def __init__(self, server: AsgiServer) -> None:
        self.server = server
        self.cookies = CookieJar()
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

    def socket(self) -> BlockingWebSocket:
        """A socket to the joined room, with the participant's cookie: the rehearsal's
        client, blocking (the fault drills keep these in threads)."""
        return BlockingWebSocket.connect(
            Origin.parse(self.server.url),
            f"/ws{self.room_path}",
            cookies={"participant": self.cookie("participant")},
            timeout=DEADLINE,
        )


def tally(position_id: int, agree: int, disagree: int) -> str:
    return (
        rf'id="room-seq"[^>]*data-seq="\d+".*id="tally-{position_id}".*'
        rf"✓ {agree} agree.*✗ {disagree} disagree"
    )


async def join(browser: Browser, code: str, name: str, group_id: int) -> str:
    """The join pages, as a browser goes through them: the form (and its CSRF cookie), the
    join, and the room it leads to. Returns the room's path."""
    path = f"/join/{code}/"
    assert (await browser.request("GET", path)).status == 200
    form = {"display_name": name, "group": str(group_id)}
    answer = await browser.request("POST", path, form, referer=path)
    assert answer.status == 302, f"{path}: {answer.status}"
    room = urllib.parse.urlsplit(answer.headers.get("location", "")).path
    assert room == f"/rooms/{group_id}/", answer.headers
    assert (await browser.request("GET", room)).status == 200
    return room


async def post(browser: Browser, room: str, path: str, form: dict[str, str]) -> str:
    """What htmx posts from the room's page; the answer's body."""
    answer = await browser.request("POST", path, form, htmx=True, referer=room)
    assert answer.status == 200, f"{path}: {answer.status}"
    return answer.body


async def connect(browser: Browser, room: str) -> WebSocket:
    return await WebSocket.connect(
        browser.origin, f"/ws{room}", cookies=browser.cookies, timeout=DEADLINE, deflate=False
    )


async def wait_for(socket: WebSocket, pattern: str, timeout: float) -> str:
    """The first message matching `pattern` (a regex)."""
    seen = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = await socket.receive()
                if re.search(pattern, message, re.S):
                    return message
                seen.append(message)
    except TimeoutError:
        pass
    pytest.fail(f"no message matching {pattern!r} within {timeout} s; got {seen!r}")


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

    # One step at a time on a loop of the test's own: between steps no loop runs, and the
    # database is the test's to read as before.
    loop = asyncio.new_event_loop()
    run = loop.run_until_complete
    ana = Browser(Origin.parse(one.url), timeout=DEADLINE)
    ben = Browser(Origin.parse(two.url), timeout=DEADLINE)
    sockets: list[WebSocket] = []
    try:
        room = run(join(ana, session.code, "Ana", group.pk))
        run(join(ben, session.code, "Ben", group.pk))
        run(post(ana, room, f"{room}post", {"text": "Two servers, one room."}))
        position = Position.objects.get()
        vote = f"{room}positions/{position.pk}/vote"

        ana_socket = run(connect(ana, room))
        sockets.append(ana_socket)
        ben_socket = run(connect(ben, room))
        sockets.append(ben_socket)
        # Each socket hears the other arrive, whichever process it is on.
        run(wait_for(ana_socket, r'id="presence"[^>]*>2 online', timeout=DEADLINE))
        run(wait_for(ben_socket, r'id="presence"[^>]*>2 online', timeout=DEADLINE))

        # Ben votes on process two; Ana's socket on process one gets the new tally. (How
        # fast is printed, not bounded: tests/deadlines.py.)
        started = time.monotonic()
        answer = run(post(ben, room, vote, {"choice": "agree"}))
        assert 'aria-pressed="true"' in answer
        run(wait_for(ana_socket, tally(position.pk, agree=1, disagree=0), timeout=DEADLINE))
        latency = time.monotonic() - started
        print(
            f"vote through process two reached a socket on process one in {latency * 1000:.0f} ms"
        )

        # And the other way round.
        started = time.monotonic()
        run(post(ana, room, vote, {"choice": "disagree"}))
        run(wait_for(ben_socket, tally(position.pk, agree=1, disagree=1), timeout=DEADLINE))
        latency = time.monotonic() - started
        print(
            f"vote through process one reached a socket on process two in {latency * 1000:.0f} ms"
        )
    finally:
        for socket in sockets:
            run(socket.close())
        run(ana.close())
        run(ben.close())
        loop.close()
