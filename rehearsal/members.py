"""The participants' browsers: joining the session, one socket each to their room, and what
each socket hears (sequence numbers, tally fragments, the answers to its votes)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rehearsal.actions import Actions
from rehearsal.client import Browser, HttpError, Origin, WebSocket, WebSocketClosed
from rehearsal.plan import REQUEST_TIMEOUT, Plan, RehearsalError
from rehearsal.stats import SeqLog, elapsed_ms

SEQ = re.compile(r'id="room-seq"[^>]*data-seq="(\d+)"')
# The tally swapped in by itself (out of band), not the one inside a new position's card.
TALLY = re.compile(r'id="tally-(\d+)"[^>]*?data-version="(\d+)"[^>]*hx-swap-oob')
# The answer to a vote sent on the socket: its id and what became of it (saved, refused...).
VOTE_ANSWER = re.compile(r'data-ack="([^"]+)"[^>]*data-status="(\w+)"')
GROUP_RADIO = re.compile(r'name="group"[^>]*value="(\d+)"')

JOIN_CONCURRENCY = 25
CONNECT_CONCURRENCY = 50
PING_EVERY = 25.0  # the page's heartbeat; the server counts a socket away after 75 s of none


@dataclass
class Member:
    index: int
    browser: Browser
    group: int = 0
    room_path: str = ""
    page_seq: int = 0
    socket: WebSocket | None = None
    seqs: SeqLog = field(default_factory=SeqLog)
    # position -> (version, arrival) of each tally fragment, in arrival order
    tallies: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    last_choice: dict[int, str] = field(default_factory=dict)
    # Votes sent on the socket, by id, until their answer comes: (its future, when sent).
    unanswered: dict[str, asyncio.Future] = field(default_factory=dict)
    reader: asyncio.Task | None = None
    seq_at_vote: int = 0  # the highest number this socket had seen when the votes started


def display_name(index: int) -> str:
    """The name participant `index` joins with (the scenario's facilitators find it so)."""
    return f"Rehearsal {index + 1:04d}"


class Members:
    """Everyone in the run (`all`), in the session's first `groups`. `on_message(member,
    message)` is what a page does with a broadcast beyond showing it (the scenario's pages
    re-fetch)."""

    def __init__(
        self,
        origin: Origin,
        code: str,
        plan: Plan,
        rng: random.Random,
        actions: Actions,
        on_message: Callable[[Member, str], None],
    ) -> None:
        self.origin = origin
        self.code = code
        self.plan = plan
        self.rng = rng
        self.actions = actions
        self.on_message = on_message
        self.all: list[Member] = []
        self.groups: list[int] = []
        self.join_times: list[float] = []
        self.ws_failed = 0

    def enrol(self) -> list[Member]:
        """A browser for each participant of the plan, none joined yet."""
        self.all = [
            Member(i, Browser(self.origin, timeout=REQUEST_TIMEOUT))
            for i in range(self.plan.participants)
        ]
        return self.all

    def joined(self) -> list[Member]:
        return [m for m in self.all if m.room_path]

    async def discover(self) -> None:
        """The session's groups, from the join page as a browser sees it: the first G."""
        probe = Browser(self.origin, timeout=REQUEST_TIMEOUT)
        try:
            page = await probe.request("GET", f"/join/{self.code}/")
        except (HttpError, TimeoutError) as error:
            raise RehearsalError(f"{self.origin.url} does not answer: {error}") from error
        finally:
            await probe.close()
        if page.status != 200:
            raise RehearsalError(f"/join/{self.code}/ answered {page.status}")
        found = list(dict.fromkeys(int(g) for g in GROUP_RADIO.findall(page.body)))
        if len(found) < self.plan.groups:
            raise RehearsalError(
                f"session {self.code} offers {len(found)} groups; --groups is {self.plan.groups}"
            )
        self.groups = found[: self.plan.groups]

    async def join_all(self) -> None:
        """Everyone joins, JOIN_CONCURRENCY at a time."""
        gate = asyncio.Semaphore(JOIN_CONCURRENCY)
        await asyncio.gather(*(self.join(m, gate) for m in self.all))

    async def connect_all(self, joined: list[Member]) -> None:
        """The joined open their room's socket, CONNECT_CONCURRENCY at a time."""
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        await asyncio.gather(*(self.connect(m, gate) for m in joined))

    async def join(self, member: Member, gate) -> None:
        group = self.groups[member.index % len(self.groups)]
        path = f"/join/{self.code}/"
        http = self.actions.http
        async with gate:
            started = time.monotonic()
            form = await http(member, "GET", path, kind="join_form")
            if form is None or form.status != 200:
                return
            answer = await http(
                member,
                "POST",
                path,
                {"display_name": display_name(member.index), "group": str(group)},
                referer=path,
                kind="join",
                expect=302,
            )
            if answer is None or answer.status != 302:
                return
            room_path = answer.headers.get("location", "")
            if room_path.startswith(self.origin.url):  # only ever the origin under test
                room_path = room_path[len(self.origin.url) :]
            if room_path != f"/rooms/{group}/":
                self.actions.errors["join_redirect"] += 1
                return
            page = await http(member, "GET", room_path, kind="room_page")
            if page is None or page.status != 200:
                return
            self.join_times.append(time.monotonic() - started)
        member.group, member.room_path = group, room_path
        seq = SEQ.search(page.body)
        member.page_seq = int(seq.group(1)) if seq else 0

    async def connect(self, member: Member, gate) -> None:
        async with gate:
            started = time.monotonic()
            try:
                member.socket = await WebSocket.connect(
                    self.origin,
                    f"/ws{member.room_path}",
                    cookies=member.browser.cookies,
                    timeout=REQUEST_TIMEOUT,
                    deflate=self.plan.deflate,
                )
            except (OSError, TimeoutError, WebSocketClosed) as error:
                self.ws_failed += 1
                status = "refused" if isinstance(error, WebSocketClosed) else "connection"
                if isinstance(error, TimeoutError):
                    status = "timeout"
                self.actions.log("socket").add(status, elapsed_ms(started), failed=True)
                return
            self.actions.log("socket").add("101", elapsed_ms(started))
        member.reader = asyncio.create_task(self._listen(member))

    async def _listen(self, member: Member) -> None:
        socket = member.socket
        heartbeat = asyncio.create_task(self._heartbeat(socket))
        try:
            while True:
                try:
                    message = await socket.receive()
                except WebSocketClosed:
                    return
                arrived = time.monotonic()
                seq = SEQ.search(message)
                if seq:
                    member.seqs.add(int(seq.group(1)))
                for pid, version in TALLY.findall(message):
                    member.tallies.setdefault(int(pid), []).append((int(version), arrived))
                answer = VOTE_ANSWER.search(message)
                if answer:
                    waiting = member.unanswered.pop(answer.group(1), None)
                    if waiting is not None and not waiting.done():
                        waiting.set_result((answer.group(2), message))
                self.on_message(member, message)
        finally:
            heartbeat.cancel()
            for waiting in member.unanswered.values():
                if not waiting.done():
                    waiting.set_exception(WebSocketClosed())
            member.unanswered.clear()

    async def _heartbeat(self, socket: WebSocket) -> None:
        """The page's ping every PING_EVERY, the first at a random point of the first period.

        A task of its own: waiting for each message with a timeout (to ping in time) made
        a task and a timer per message received, 4,000 a second at 200 votes/s in groups
        of 20, on the machine whose CPU the server's figures share."""
        await asyncio.sleep(PING_EVERY * (0.5 + self.rng.random() / 2))
        while not socket.closed:
            socket.send_text('{"type": "ping"}')
            await asyncio.sleep(PING_EVERY)

    def open_sockets(self) -> int:
        return sum(1 for m in self.all if m.socket and not m.socket.closed)

    async def close(self) -> None:
        for member in self.all:
            if member.socket:
                await member.socket.close()
            if member.reader:
                member.reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await member.reader
            await member.browser.close()
