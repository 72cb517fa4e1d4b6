"""What the fault drills share: a session to vote in, voters (over HTTP or their room
sockets), and what screens show."""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import re
import select
import subprocess
import sys
import threading
import time
import urllib.error
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections
from playwright.sync_api import Page, expect

from discussions import services
from discussions.models import Participant as ParticipantRow
from discussions.models import Position, Session, Vote
from tests.deadlines import DEADLINE, wait_until
from tests.test_two_processes import Participant

CHOICES = {"agree": 1, "disagree": -1, "pass": 0}
LABELS = {1: "agree", -1: "disagree", 0: "pass"}


DRILL_PAPER = b"""# Drill paper

What should allies pay for? How should trade disputes be settled?

## Alliances

Alliances are multilateral organizations.

## Trade

Trade rules need enforcement.
"""


def set_up_server_database(env: dict[str, str], script: str) -> dict:
    """Run `script` with `manage.py shell` against a server's own database (a throwaway
    cluster, not pytest's): it migrates, writes what the drill needs and prints it as JSON
    on its last line, which is returned."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"setting up the drill's database failed:\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def make_session(groups: int = 2) -> Session:
    """A session on a small paper (the demo paper takes seconds to import)."""
    paper = services.import_paper(data=DRILL_PAPER, filename="drill.md", publish=True).paper
    return services.create_session(paper=paper, name="Fault drill", group_count=groups)


def open_room(page: Page, client: Participant) -> Page:
    """Open a joined HTTP participant's room in a browser page (its cookies, no join pages)
    and wait until it is live."""
    page.context.add_cookies(
        [
            {"name": cookie.name, "value": cookie.value, "url": client.server.url}
            for cookie in client.cookies
        ]
    )
    page.goto(client.server.url + client.room_path)
    expect(page.locator("#connection")).to_have_text("Live")
    return page


def open_screen(page: Page, server, session: Session, group_id: int) -> Page:
    """The projector's view of one group."""
    page.goto(f"{server.url}/screen/{session.screen_token}/groups/{group_id}/")
    expect(page.locator("#connection")).to_have_text("Live")
    return page


def post_positions(session: Session, group_id: int, texts: list[str]) -> list[Position]:
    """Positions by a participant of their own, before any page opens.

    In a thread of its own: Playwright's event loop runs in the test's thread, where the
    after-commit publish (async_to_sync) is refused.
    """

    def write() -> list[Position]:
        try:
            author = services.join_session(
                session=session, display_name="Author", group_id=group_id
            )
            return [services.post_position(participant=author, text=text) for text in texts]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(write).result()


@dataclass
class Attempt:
    voter: int  # participant id
    position: int
    choice: int
    started: float
    status: int | str  # HTTP status, or the error's name when there was no answer
    elapsed: float = 0.0
    answer: str = ""  # the body of an error answer

    @property
    def answered(self) -> float:
        return self.started + self.elapsed


@dataclass
class Voters:
    """HTTP voters, each in a thread of its own, one vote at a time (as a person clicks).

    Each vote changes the voter's mind on a random position, so the app always writes.
    Every attempt is recorded with its answer.
    """

    clients: list[Participant]
    positions: list[int]
    group_id: int
    interval: float
    seed: int = 7
    attempts: list[Attempt] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for index, client in enumerate(self.clients):
            thread = threading.Thread(target=self._run, args=(index, client), daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self, index: int, client: Participant) -> None:
        rng = random.Random(self.seed * 1000 + index)
        voter = int(client.participant_id)
        mine: dict[int, int] = {}
        # Spread the voters' clocks so their requests interleave.
        self._stop.wait(self.interval * index / max(1, len(self.clients)))
        while not self._stop.is_set():
            position = rng.choice(self.positions)
            choice = rng.choice([c for c in CHOICES.values() if c != mine.get(position)])
            started = time.monotonic()
            answer = ""
            try:
                client.request(
                    f"/rooms/{self.group_id}/positions/{position}/vote",
                    {"choice": LABELS[choice]},
                    htmx=True,
                )
                status: int | str = 200
            except urllib.error.HTTPError as error:
                status = error.code
                answer = error.read().decode(errors="replace")[:500]
            except OSError as error:  # refused, reset, timed out
                status = type(error).__name__
            self.attempts.append(
                Attempt(
                    voter, position, choice, started, status, time.monotonic() - started, answer
                )
            )
            if status == 200:
                mine[position] = choice
            self._stop.wait(self.interval)

    def acknowledged(self, since: float = -math.inf) -> list[Attempt]:
        """The votes answered 200, of those sent at `since` (time.monotonic()) or later."""
        return [a for a in self.attempts if a.status == 200 and a.started >= since]

    def wait_for_acknowledged(self, count: int, since: float = -math.inf) -> None:
        """Until `count` votes sent at `since` or later have been answered 200: the voting
        got going, or goes on. A count, not a time: a loaded machine answers fewer a second."""
        wait_until(lambda: len(self.acknowledged(since)) >= count, f"{count} votes acknowledged")

    def failed(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status != 200]

    def check_database(
        self, rows: dict[tuple[int, int], int] | None = None, *, strict: bool = False
    ) -> list[str]:
        """Every acknowledged vote is in the database: for each (voter, position), the row
        holds the last acknowledged choice, unless a later attempt went unanswered (it may
        have been written or not: then the row holds one of those choices).

        `strict`: and no refused vote is: a later attempt the server answered with an error
        does not count as possibly written, and a pair with no acknowledged vote has no row.
        `rows`: {(voter, position): choice} read elsewhere (a database of the server's own),
        instead of the test database's."""
        if rows is None:
            rows = {
                (v.participant_id, v.position_id): v.choice
                for v in Vote.objects.filter(position_id__in=self.positions)
            }
        problems = []
        by_pair: dict[tuple[int, int], list[Attempt]] = {}
        for attempt in sorted(self.attempts, key=lambda a: a.started):
            by_pair.setdefault((attempt.voter, attempt.position), []).append(attempt)
        for pair, attempts in by_pair.items():
            acked = [i for i, a in enumerate(attempts) if a.status == 200]
            if not acked and not strict:
                continue
            last = acked[-1] if acked else -1
            later = attempts[last + 1 :]
            if strict:
                later = [a for a in later if not isinstance(a.status, int)]
            allowed = {attempts[last].choice if acked else None} | {a.choice for a in later}
            if rows.get(pair) not in allowed:
                problems.append(
                    f"voter {pair[0]} on position {pair[1]}: database has {rows.get(pair)}, "
                    f"last acknowledged {attempts[last].choice if acked else None}, "
                    f"allowed {sorted(allowed, key=str)}"
                )
        return problems


def join_clients(
    server, session: Session, group_id: int, count: int, prefix: str = "Voter"
) -> list[Participant]:
    """HTTP participants who joined through the join pages; `.participant_id` set."""
    clients = []
    for n in range(count):
        client = Participant(server)
        name = f"{prefix} {n + 1}"
        client.join(session.code, name, group_id)
        client.participant_id = ParticipantRow.objects.get(session=session, display_name=name).pk
        clients.append(client)
    return clients


def database_tallies(position_ids: list[int]) -> dict[int, str]:
    """{position id: "a agree, d disagree, p pass"}, as the tallies' aria-labels say it."""
    counts = Counter(
        (v.position_id, v.choice) for v in Vote.objects.filter(position_id__in=position_ids)
    )
    return {
        pid: f"{counts[pid, 1]} agree, {counts[pid, -1]} disagree, {counts[pid, 0]} pass"
        for pid in position_ids
    }


def screen_tallies(page: Page, position_ids: list[int]) -> dict[int, str | None]:
    return page.evaluate(
        """ids => Object.fromEntries(ids.map(id => {
            const el = document.getElementById("tally-" + id);
            return [id, el ? el.getAttribute("aria-label") : null];
        }))""",
        position_ids,
    )


def wait_until_screens_match(
    pages: dict[str, Page], position_ids, timeout: float = DEADLINE
) -> float:
    """Poll until every page shows the database's tallies; return how long it took, or
    raise AssertionError listing what each page shows against the database."""
    started = time.monotonic()
    while True:
        expected = {str(k): v for k, v in database_tallies(position_ids).items()}
        shown = {name: screen_tallies(page, position_ids) for name, page in pages.items()}
        wrong = {name: tallies for name, tallies in shown.items() if tallies != expected}
        if not wrong:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(
                f"after {timeout} s, screens differ from the database {expected}: {wrong}"
            )
        time.sleep(0.25)


STATE_RECORDER = """() => {
    const el = document.getElementById("connection");
    window.__states = [[el.dataset.state, performance.now()]];
    new MutationObserver(() => {
        const last = window.__states[window.__states.length - 1];
        const state = el.dataset.state;
        if (last[0] !== state) window.__states.push([state, performance.now()]);
    }).observe(el, {attributes: true, attributeFilter: ["data-state"]});
}"""


def record_connection_states(page: Page) -> None:
    """Keep the history of the page's connection state (live, reconnecting ...)."""
    page.evaluate(STATE_RECORDER)


def connection_states(page: Page) -> list[str]:
    return [state for state, _ in page.evaluate("window.__states")]


SEQ = re.compile(r'id="room-seq"[^>]*data-seq="(\d+)"')
TALLY = re.compile(r'id="tally-(\d+)"[^>]*?aria-label="([^"]*)"', re.S)


class Member:
    """A room socket in a thread of its own, as a page keeps one: it answers the server's
    pings, sends the page's heartbeat every `heartbeat` seconds, and records every
    broadcast's sequence number and each position's tally from the highest-numbered
    broadcast that carried it. `reconnect=True` opens a new socket when the server drops
    this one (the page's reconnection)."""

    def __init__(self, client: Participant, *, heartbeat: float = 25.0, reconnect: bool = False):
        self.client = client
        self.heartbeat = heartbeat
        self.reconnect = reconnect
        self.seqs: list[int] = []
        self.tallies: dict[int, str] = {}
        self._tally_seqs: dict[int, int] = {}  # position -> number of its tally's broadcast
        self.messages: list[str] = []
        self.drops = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.socket = client.socket()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last_ping = time.monotonic()
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.socket.sock], [], [], 0.2)
                if ready or self.socket.buffer:
                    self._take(self.socket.receive(timeout=DEADLINE))
                if time.monotonic() - last_ping >= self.heartbeat:
                    with self._lock:
                        self.socket.send_text('{"type": "ping"}')
                    last_ping = time.monotonic()
            except (OSError, ConnectionError) as error:
                if self._stop.is_set():
                    return
                self.drops += 1
                if not self.reconnect:
                    self.errors.append(repr(error))
                    return
                self._reopen()

    def _reopen(self) -> None:
        while not self._stop.is_set():
            try:
                self.socket = self.client.socket()
                self.reopened_at = time.monotonic()
                return
            except (OSError, AssertionError):
                self._stop.wait(0.2)

    def _take(self, message: str) -> None:
        """As the page does (static/js/live.js): a broadcast numbered below one already
        applied changes nothing. Two server processes number and publish their own
        broadcasts, so the last two of a group can arrive in the other order; the page
        drops the older, and re-fetches at the gap the newer showed."""
        self.messages.append(message)
        seq = None
        if match := SEQ.search(message):
            seq = int(match[1])
            self.seqs.append(seq)
        for pid, label in TALLY.findall(message):
            position = int(pid)
            if seq is None or seq > self._tally_seqs.get(position, -1):
                self.tallies[position] = label
                self._tally_seqs[position] = -1 if seq is None else seq

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.socket.close()

    def gaps(self) -> list[int]:
        """Numbers between this socket's first and last broadcast that never arrived."""
        if not self.seqs:
            return []
        seen = set(self.seqs)
        return [n for n in range(min(seen), max(seen) + 1) if n not in seen]


@dataclass
class WatchedRoom:
    """A room on a server: three positions, pages watching it (participants' and the
    projector's, their connection states recorded) and HTTP voters, not yet started."""

    server: object
    position_ids: list[int]
    pages: dict[str, Page]
    voters: Voters


def watched_room(server, new_page, *, watchers: int) -> WatchedRoom:
    """Set up the room every drill watches: positions posted before the server is asked to
    be ready (`start_uvicorn(..., wait=False)`), then the pages, then six voters."""
    session = make_session()
    group = session.groups.order_by("position").first()
    positions = post_positions(
        session, group.pk, ["Alliances pay for themselves.", "Trade needs teeth.", "Fund the UN."]
    )
    ids = [p.pk for p in positions]
    server.wait_until_ready()

    clients = join_clients(server, session, group.pk, watchers, prefix="Watcher")
    pages = {f"watcher {n}": open_room(new_page(), c) for n, c in enumerate(clients, 1)}
    pages["screen"] = open_screen(new_page(), server, session, group.pk)
    for page in pages.values():
        record_connection_states(page)
    voters = Voters(
        clients=join_clients(server, session, group.pk, 6),
        positions=ids,
        group_id=group.pk,
        interval=0.6,  # under the per-participant limit of 2 votes/s
    )
    return WatchedRoom(server, ids, pages, voters)


VOTE_CHOICES = ("agree", "disagree", "pass", "withdraw")
VOTE_ROWS = {"agree": 1, "disagree": -1, "pass": 0, "withdraw": None}  # Vote.choice, or no row
ACK = re.compile(r'data-ack="([^"]+)"[^>]*?data-status="(\w+)"')


@dataclass
class SocketVote:
    """One vote sent on a room socket, as the page sends it, and what became of it."""

    voter: int  # participant id
    position: int
    choice: str  # agree, disagree, pass or withdraw
    vote_id: str
    sent: float  # time.monotonic()
    connection: int  # which of the voter's sockets carried it: 0 the first, 1 the next ...
    status: str | None = None  # its answer's data-status; None: never answered
    answered: float | None = None

    @property
    def row(self) -> int | None:
        """The vote's row's choice once written (None: no row)."""
        return VOTE_ROWS[self.choice]


class SocketVoter(Member):
    """A participant voting over their room socket, as the page does (static/js/live.js):
    each vote a frame with an id of its own, answered with that id once its batch has
    committed (discussions/live/votes.py). One thread sends and reads, so a socket's votes
    are sent in order and those in flight when it drops are known exactly.

    While `voting` is set it sends `burst` votes every `interval` seconds, with at most
    `in_flight` unanswered; each changes the voter's mind on a random position (another
    choice than the last sent there; withdraw included). `burst_now(n)` sends n more
    straight away (it wakes the thread). When the server drops the socket it opens a new
    one (`reconnect`): the votes in flight on the old one stay unanswered, and voting goes
    on on the new one.

    Keep `burst / interval` under the per-participant limit (ratelimit.VOTE, 2 a second):
    a vote answered "limited" is a failure to a drill.
    """

    def __init__(
        self,
        client: Participant,
        positions: list[int],
        *,
        interval: float,
        burst: int = 1,
        in_flight: int = 4,
        seed: int = 0,
    ) -> None:
        self.voter = int(client.participant_id)
        self.positions = positions
        self.interval = interval
        self.burst = burst
        self.in_flight = in_flight
        self.rng = random.Random(seed)
        self.votes: list[SocketVote] = []
        self.by_id: dict[str, SocketVote] = {}
        self.unknown_acks: list[str] = []
        self.connection = 0
        self.ports = [0]  # each connection's local port (its server worker's: worker_of_ports)
        self.dropped_at: list[float] = []
        self.reopened: list[float] = []
        self.voting = threading.Event()
        self._extra = 0
        self._next = 0.0
        self._last_sent: dict[int, str] = {}
        self._wake_read, self._wake_write = os.pipe()
        super().__init__(client, reconnect=True)
        self.ports[0] = self.socket.sock.getsockname()[1]

    @property
    def port(self) -> int:
        return self.ports[-1]

    def start_voting(self, at: float) -> None:
        """Vote from `at` (time.monotonic()) on."""
        self._next = at
        self.voting.set()

    def burst_now(self, count: int) -> None:
        with self._lock:
            self._extra += count
        os.write(self._wake_write, b"!")

    def pending(self) -> list[SocketVote]:
        """Votes sent on the current socket and not answered yet."""
        with self._lock:
            return [v for v in self.votes if v.connection == self.connection and v.status is None]

    def saved(self, since: float = -math.inf, connection: int = 0) -> list[SocketVote]:
        with self._lock:
            return [
                v
                for v in self.votes
                if v.status == "saved" and v.sent >= since and v.connection >= connection
            ]

    def _send_vote(self) -> None:
        position = self.rng.choice(self.positions)
        last = self._last_sent.get(position, "withdraw")  # no vote yet: nothing to withdraw
        choice = self.rng.choice([c for c in VOTE_CHOICES if c != last])
        self._last_sent[position] = choice
        vote = SocketVote(
            self.voter,
            position,
            choice,
            f"p{self.voter}-{len(self.votes) + 1}",
            time.monotonic(),
            self.connection,
        )
        with self._lock:
            # Recorded before it is sent: a send that fails may still have reached the server.
            self.votes.append(vote)
            self.by_id[vote.vote_id] = vote
        self.socket.send_text(
            json.dumps({"type": "vote", "id": vote.vote_id, "position": position, "choice": choice})
        )

    def _run(self) -> None:
        last_ping = time.monotonic()
        while not self._stop.is_set():
            try:
                now = time.monotonic()
                with self._lock:
                    extra, self._extra = self._extra, 0
                for _ in range(extra):
                    self._send_vote()
                if self.voting.is_set() and now >= self._next:
                    for _ in range(self.burst):
                        if len(self.pending()) < self.in_flight:
                            self._send_vote()
                    self._next = now + self.interval  # no catching up: never a rush
                ready, _, _ = select.select([self.socket.sock, self._wake_read], [], [], 0.05)
                if self._wake_read in ready:
                    os.read(self._wake_read, 64)
                    continue
                if ready or self.socket.buffer:
                    self._take(self.socket.receive(timeout=DEADLINE))
                if time.monotonic() - last_ping >= self.heartbeat:
                    self.socket.send_text('{"type": "ping"}')
                    last_ping = time.monotonic()
            except (OSError, ConnectionError) as error:
                if self._stop.is_set():
                    return
                self.drops += 1
                self.dropped_at.append(time.monotonic())
                self.errors.append(repr(error))
                self.socket.close()
                self._reopen()
                if self._stop.is_set():
                    return
                with self._lock:
                    self.connection += 1
                    self.ports.append(self.socket.sock.getsockname()[1])
                    self.reopened.append(self.reopened_at)

    def close(self) -> None:
        super().close()
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _take(self, message: str) -> None:
        super()._take(message)
        for vote_id, status in ACK.findall(message):
            with self._lock:
                vote = self.by_id.get(vote_id)
                if vote is None or vote.status is not None:
                    self.unknown_acks.append(f"{vote_id} {status}")
                    continue
                vote.status, vote.answered = status, time.monotonic()


def worker_of_ports(server) -> dict[int, int]:
    """{client-side port: the pid of the server worker holding that connection}, for the
    established connections to the server's port (/proc: the worker's socket inodes, and
    the connection's remote port in the kernel's table)."""
    ports = {}  # socket inode -> the client's port
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == server.port and fields[3] == "01":  # 01: ESTABLISHED
                    ports[fields[9]] = int(fields[2].rsplit(":", 1)[1], 16)
    owners = {}
    for pid in server.worker_pids():
        with contextlib.suppress(FileNotFoundError, PermissionError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:[") and target[8:-1] in ports:
                        owners[ports[target[8:-1]]] = pid
    return owners


def exited(pid: int) -> bool:
    """The process has exited (a zombie until its parent, the supervisor, reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")
