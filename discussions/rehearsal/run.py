"""The rehearsal itself: join, open sockets, post positions, vote at a fixed offered rate,
and measure what each socket receives. Runs against one origin; no Django imports.

Votes go as the pages send them: on the room's socket, each with an id that the server's
answer carries once the vote is durable (discussions/live/votes.py); or, with
Plan.votes_over "http", as the HTTP form's fallback posts them. Either way "vote" in the
actions is the vote sent to answered.

Fan-out latency: a vote's start to the arrival, at each other member's socket, of
the first tally fragment for the same position (id="tally-<pid>") that includes the vote.
Tallies carry a version (the number of vote writes on the position) and the vote's answer
says the version it saw, so one combined fragment can answer several votes, and a fragment
that overtakes the vote's answer still counts. The answer is rendered just after the vote's
commit: when another vote on the same position commits in between, the version it reports
is that later one, and the latency measured is at most one broadcast longer than the truth.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import gc
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from discussions.rehearsal.client import (
    Browser,
    HttpError,
    Origin,
    Response,
    WebSocket,
    WebSocketClosed,
)
from discussions.rehearsal.stats import (
    ActionLog,
    SeqLog,
    machine_speed_ms,
    percentiles,
    process_sample,
)

SEQ = re.compile(r'id="room-seq"[^>]*data-seq="(\d+)"')
# The tally swapped in by itself (out of band), not the one inside a new position's card.
TALLY = re.compile(r'id="tally-(\d+)"[^>]*?data-version="(\d+)"[^>]*hx-swap-oob')
ANSWER_VERSION = re.compile(r'data-tally-version="(\d+)"')
# The answer to a vote sent on the socket: its id and what became of it (saved, refused...).
VOTE_ANSWER = re.compile(r'data-ack="([^"]+)"[^>]*data-status="(\w+)"')
GROUP_RADIO = re.compile(r'name="group"[^>]*value="(\d+)"')
POSITION = re.compile(r'id="position-(\d+)"')
CHOICES = ("agree", "disagree", "pass")

JOIN_CONCURRENCY = 25
CONNECT_CONCURRENCY = 50
POSITIONS_PER_GROUP = 3
PING_EVERY = 25.0  # the page's heartbeat; the server counts a socket away after 75 s of none
SETTLE = 1.0  # seconds between posting positions and the first vote
DRAIN_TIMEOUT = 15.0  # after the last answer, how long sockets may take to catch up
REQUEST_TIMEOUT = 30.0
PROBE_EVERY = 1.0
WINDOW_SECONDS = 10  # fan-out percentiles per this many seconds of voting (fanout_windows)


class RehearsalError(Exception):
    """The run could not start (no such session, too few groups, server unreachable)."""


@dataclass
class Plan:
    participants: int
    groups: int
    rate: float
    duration: float
    seed: int = 7
    server_pid: int | None = None
    # A facilitator (username, password) and the session's id: while the votes run, the
    # synthesis pages and exports are fetched every PROBE_EVERY seconds and timed.
    facilitator: tuple[str, str] | None = None
    session_id: int | None = None
    # Offer per-message compression on the sockets, as browsers do.
    deflate: bool = True
    # The scenario (scenario.py): a whole session at once, not only votes. Participants
    # arrive over join_window seconds, post_rate positions a second are posted while the
    # votes run, and `facilitators` browsers act in every group throughout.
    scenario: bool = False
    join_window: float = 30.0
    post_rate: float = 1.0
    facilitators: int = 1
    # How votes travel: "socket", as the pages send them, or "http", the form's fallback.
    votes_over: str = "socket"
    # After the run, the same sockets vote at rising rates until the server falls behind
    # (Rehearsal._ramp): the highest rate it keeps up with.
    ramp: bool = False


@dataclass
class Vote:
    position: int
    voter: int
    started: float
    ok: bool | None = None
    answered: float = 0.0
    version: int = 0  # the tally version the answer reported


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


@contextlib.contextmanager
def _no_collector_pauses():
    """Python's cyclic garbage collector off while a rehearsal runs.

    Its full collections walk every object the run holds (2,000 members, each socket's
    arrivals) and stopped the event loop for 50 ms after 20 s of the bare ceiling with
    2,000 sockets, about 200 ms later in longer runs: every message that arrived meanwhile
    was timed that much late, the ceiling's maximum included (6.6 ms without them).
    Reference counting still frees everything that is not a cycle.
    """
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Rehearsal:
    def __init__(self, url: str, code: str, plan: Plan, progress: Callable[[str], None] | None):
        self.origin = Origin.parse(url)
        self.code = code
        self.plan = plan
        self.progress = progress
        self.rng = random.Random(plan.seed)
        self.members: list[Member] = []
        self.groups: list[int] = []
        self.positions: dict[int, list[int]] = {}  # group -> position ids
        self.votes: dict[int, list[Vote]] = {}  # position -> votes, in start order
        self.sent: list[Vote] = []
        self.answered = 0  # votes sent and answered (or failed), for the progress line
        self.votes_sent_on_sockets = 0  # numbers the votes' ids
        self.errors: Counter[str] = Counter()
        self.ws_failed = 0
        self.join_times: list[float] = []
        self.lag_max = 0.0
        self.phase = "start"
        self.probe_ms: dict[str, list[float]] = {}
        self.probe_errors: Counter[str] = Counter()
        self.probing = False
        self.prober: asyncio.Task | None = None
        # Every answer, by kind of action: what the scenario reports, and the plain run too.
        self.actions: dict[str, ActionLog] = {}
        # Positions whose tallies no vote of this run explains, by design (a merge's survivor
        # in the scenario): their fragments are not "unmatched".
        self.ignored_positions: set[int] = set()

    # --- Steps ------------------------------------------------------------------------------

    async def run(self) -> dict:
        started = time.monotonic()
        # No progress line (--no-progress, --json in scripts): no ticker either, since
        # counting 2,000 sockets four times a second was a twentieth of the tool's own time.
        ticker = asyncio.create_task(self._ticker(started)) if self.progress else None
        try:
            with _no_collector_pauses():
                return await self._run()
        finally:
            if ticker:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            await self._close()

    async def _run(self) -> dict:
        await self._discover()
        joined, join_seconds = await self._fill()

        self.phase = "vote"
        for member in joined:
            member.seq_at_vote = member.seqs.highest
        before = self._sample()
        vote_started = time.monotonic()
        client_cpu_started = time.process_time()
        rss_samples: list[float] = [before[1]] if before else []
        sampler = asyncio.create_task(self._sample_rss(rss_samples))
        self._start_probe()
        self._votes_starting(joined, vote_started)
        voters = [m for m in joined if m.socket and self.positions.get(m.group)]
        await self._vote(voters, self.plan.rate, self.plan.duration)
        last_answer = max((v.answered for v in self.sent), default=vote_started)
        window = max(self.plan.duration, last_answer - vote_started)
        after = self._sample()
        elapsed = time.monotonic() - vote_started
        client_cpu = (time.process_time() - client_cpu_started) / elapsed
        sampler.cancel()
        await self._votes_ended()
        self.phase = "drain"
        await self._stop_probe()

        await self._drain(joined)
        connected = sum(1 for m in joined if m.socket and not m.socket.closed)
        ok_votes = [v for v in self.sent if v.ok]
        deliveries, expected, unmatched = self._deliveries(joined)
        latencies = [latency for _, latency in deliveries]
        result = {
            "url": self.origin.url,
            "code": self.code,
            "participants": self.plan.participants,
            "groups": self.plan.groups,
            "joined": len(joined),
            "connected": connected,
            "ws_failed": self.ws_failed,
            "join_seconds": round(join_seconds, 2),
            "join_ms": percentiles([t * 1000 for t in self.join_times]),
            "duration_s": self.plan.duration,
            "votes_sent": len(self.sent),
            "votes_ok": len(ok_votes),
            "offered_votes_per_s": self.plan.rate,
            "achieved_votes_per_s": round(len(ok_votes) / window, 2) if window else 0.0,
            "fanout_ms": percentiles([t * 1000 for t in latencies]),
            # The same per WINDOW_SECONDS of votes sent: whether the slowest deliveries were
            # spread over the run or a few bad seconds (an export, a collection, the machine).
            "fanout_windows": _by_window(deliveries, vote_started),
            "votes_over": self.plan.votes_over,
            # The vote's own answer, sent to answered: what of the fan-out is the vote's side.
            "vote_answer_ms": percentiles([(v.answered - v.started) * 1000 for v in ok_votes]),
            "fanout_deliveries": len(latencies),
            "fanout_expected": expected,
            "unmatched_fragments": unmatched,
            "lost": sum(self._lost(m) for m in joined if m.socket),
            # Where the losses were: a few sockets missing everything (closed) or many
            # sockets missing a little (dropped messages) are different problems.
            "sockets_with_losses": sum(1 for m in joined if m.socket and self._lost(m)),
            "sockets_closed": sum(1 for m in joined if m.socket and m.socket.closed),
            # Why: the server's close code (4403: refused, e.g. no longer a member; 1011: a
            # ping it sent went unanswered in time), or "none" for a connection that ended
            # without a close frame.
            "sockets_closed_codes": dict(
                sorted(
                    Counter(
                        str(m.socket.close_code or "none")
                        for m in joined
                        if m.socket and m.socket.closed
                    ).items()
                )
            ),
            # Losses among the numbers sent once every socket was in (the joining phase's
            # arrivals can cross a socket's subscription out of order, between processes).
            "lost_while_voting": sum(
                self._lost(m, after=m.seq_at_vote) for m in joined if m.socket
            ),
            "duplicated": sum(m.seqs.duplicated for m in joined if m.socket),
            # What the sockets received: the bytes on the wire (what the venue's wifi
            # carries) and the messages' own, and how many sockets the server compressed.
            "socket_bytes": {
                "wire": sum(m.socket.wire_bytes for m in joined if m.socket),
                "messages": sum(m.socket.message_bytes for m in joined if m.socket),
                "compressed_sockets": sum(
                    1 for m in joined if m.socket and m.socket.deflate is not None
                ),
            },
            "http_errors": dict(sorted(self.errors.items())),
            "client_lag_max_ms": round(self.lag_max * 1000, 1),
            # The tool's own CPU while voting: near 100 % it is one busy event loop, and its
            # late reading of the sockets adds to the latencies it measures.
            "client_cpu_percent": round(client_cpu * 100, 1),
            "actions": {kind: log.figures() for kind, log in sorted(self.actions.items())},
        }
        if self.plan.facilitator:
            result["probe"] = {
                **{name: percentiles(times) for name, times in self.probe_ms.items()},
                "errors": dict(sorted(self.probe_errors.items())),
            }
        if before and after:
            result["server"] = {
                "pid": self.plan.server_pid,
                "cpu_percent": round((after[0] - before[0]) / elapsed * 100, 1),
                "rss_mb_max": round(max(rss_samples + [after[1]]), 1),
            }
        if self.plan.ramp:
            result["ramp"] = await self._ramp(joined, voters, first=keeps_up(result))
        return result

    async def _ramp(self, joined: list[Member], voters: list[Member], *, first: bool) -> dict:
        """The highest rate this server keeps up with (keeps_up): the same sockets vote for
        RAMP_STEP_SECONDS at each rate, RAMP_FACTOR times the last, from the plan's, until a
        step falls behind. `first`: whether the run at the plan's rate kept up."""
        steps: list[dict] = []
        best = self.plan.rate if first else None
        rate = round(self.plan.rate * RAMP_FACTOR)
        while best is not None and rate <= RAMP_LIMIT:
            step = await self._ramp_step(joined, voters, rate)
            steps.append(step)
            if not step["keeps_up"]:
                break
            best = rate
            rate = round(rate * RAMP_FACTOR)
        return {"max_votes_per_s": best, "steps": steps}

    async def _ramp_step(self, joined: list[Member], voters: list[Member], rate: float) -> dict:
        """One step of the ramp, measured as the run is, on its own votes and broadcasts."""
        self.sent, self.votes, self.lag_max = [], {}, 0.0
        for member in joined:
            member.tallies = {}
            member.seq_at_vote = member.seqs.highest
        before = self._sample()
        started = time.monotonic()
        self._start_probe()
        await self._vote(voters, rate, RAMP_STEP_SECONDS)
        window = max([RAMP_STEP_SECONDS] + [v.answered - started for v in self.sent])
        after = self._sample()
        elapsed = time.monotonic() - started
        await self._stop_probe()
        await self._drain(joined)
        deliveries, expected, _ = self._deliveries(joined)
        ok_votes = [v for v in self.sent if v.ok]
        lost = sum(self._lost(m, after=m.seq_at_vote) for m in joined if m.socket)
        step = {
            "offered_votes_per_s": rate,
            "votes_sent": len(self.sent),
            "votes_ok": len(ok_votes),
            "achieved_votes_per_s": round(len(ok_votes) / window, 2),
            "fanout_ms": percentiles([latency * 1000 for _, latency in deliveries]),
            "fanout_deliveries": len(deliveries),
            "fanout_expected": expected,
            "vote_answer_ms": percentiles([(v.answered - v.started) * 1000 for v in ok_votes]),
            "lost": lost,
            "lost_while_voting": lost,
            "client_lag_max_ms": round(self.lag_max * 1000, 1),
        }
        if before and after:
            step["server"] = {"cpu_percent": round((after[0] - before[0]) / elapsed * 100, 1)}
        step["keeps_up"] = keeps_up(step)
        return step

    async def _fill(self) -> tuple[list[Member], float]:
        """Everyone joins (JOIN_CONCURRENCY at a time), opens a socket, and a few per group
        post: the room the votes then run in. Returns the joined and the joining's seconds."""
        self.phase = "join"
        join_started = time.monotonic()
        gate = asyncio.Semaphore(JOIN_CONCURRENCY)
        self.members = [
            Member(i, Browser(self.origin, timeout=REQUEST_TIMEOUT))
            for i in range(self.plan.participants)
        ]
        await asyncio.gather(*(self._join(m, gate) for m in self.members))
        join_seconds = time.monotonic() - join_started
        joined = [m for m in self.members if m.room_path]

        self.phase = "connect"
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        await asyncio.gather(*(self._connect(m, gate) for m in joined))

        self.phase = "post"
        await self._post_positions(joined)
        await asyncio.sleep(SETTLE)
        return joined, join_seconds

    def _votes_starting(self, joined: list[Member], started: float) -> None:
        """Called as the votes start (the scenario starts its posting phase here)."""

    async def _votes_ended(self) -> None:
        """Called once every vote is answered, before the sockets drain."""

    async def _discover(self) -> None:
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

    async def _join(self, member: Member, gate: asyncio.Semaphore) -> None:
        group = self.groups[member.index % len(self.groups)]
        path = f"/join/{self.code}/"
        async with gate:
            started = time.monotonic()
            form = await self._http(member, "GET", path, kind="join_form")
            if form is None or form.status != 200:
                return
            answer = await self._http(
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
                self.errors["join_redirect"] += 1
                return
            page = await self._http(member, "GET", room_path, kind="room_page")
            if page is None or page.status != 200:
                return
            self.join_times.append(time.monotonic() - started)
        member.group, member.room_path = group, room_path
        seq = SEQ.search(page.body)
        member.page_seq = int(seq.group(1)) if seq else 0

    async def _connect(self, member: Member, gate: asyncio.Semaphore) -> None:
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
                self._log("socket").add(status, _ms(started), failed=True)
                return
            self._log("socket").add("101", _ms(started))
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
                self._on_message(member, message)
        finally:
            heartbeat.cancel()
            for waiting in member.unanswered.values():
                if not waiting.done():
                    waiting.set_exception(WebSocketClosed())
            member.unanswered.clear()

    def _on_message(self, member: Member, message: str) -> None:
        """What a page does with a broadcast beyond showing it (the scenario re-fetches)."""

    async def _heartbeat(self, socket: WebSocket) -> None:
        """The page's ping every PING_EVERY, the first at a random point of the first period.

        A task of its own: waiting for each message with a timeout (to ping in time) made
        a task and a timer per message received, 4,000 a second at 200 votes/s in groups
        of 20, on the machine whose CPU the server's figures share."""
        await asyncio.sleep(PING_EVERY * (0.5 + self.rng.random() / 2))
        while not socket.closed:
            socket.send_text('{"type": "ping"}')
            await asyncio.sleep(PING_EVERY)

    def _deliveries(self, joined: list[Member]) -> tuple[list[tuple[float, float]], int, int]:
        """Match votes with the fragments that carried them, at every other member's socket.

        Returns ((vote's start, latency) of each delivery, expected deliveries, fragments for
        positions of no vote here).
        """
        deliveries: list[tuple[float, float]] = []
        expected = 0
        reached: dict[tuple[int, int], tuple[list[int], list[float]]] = {}
        for member in joined:
            for pid, fragments in member.tallies.items():
                # The first fragment at or above a version, by bisecting the running maximum.
                highest, running = [], 0
                for version, _ in fragments:
                    running = max(running, version)
                    highest.append(running)
                reached[member.index, pid] = (highest, [t for _, t in fragments])
        unmatched = sum(
            len(fragments)
            for member in joined
            for pid, fragments in member.tallies.items()
            if pid not in self.votes and pid not in self.ignored_positions
        )
        for vote in self.sent:
            if not vote.ok:
                continue
            group = self.members[vote.voter].group
            for member in joined:
                if member.group != group or not member.socket or member.index == vote.voter:
                    continue
                expected += 1
                highest, arrivals = reached.get((member.index, vote.position), ([], []))
                k = bisect.bisect_left(highest, vote.version)
                if k < len(highest):
                    deliveries.append((vote.started, arrivals[k] - vote.started))
        return deliveries, expected, unmatched

    async def _post_positions(self, joined: list[Member]) -> None:
        async def post(member: Member, n: int) -> None:
            answer = await self._http(
                member,
                "POST",
                f"{member.room_path}post",
                {"text": f"Rehearsal position {n + 1} of group {member.group}."},
                htmx=True,
                referer=member.room_path,
                kind="post",
            )
            if answer is not None and answer.status == 200:
                found = POSITION.search(answer.body)
                if found:
                    self.positions.setdefault(member.group, []).append(int(found.group(1)))

        posters = []
        for group in self.groups:
            members = [m for m in joined if m.group == group]
            posters += [(m, n) for n, m in enumerate(members[:POSITIONS_PER_GROUP])]
        await asyncio.gather(*(post(m, n) for m, n in posters))

    async def _vote(self, voters: list[Member], rate: float, duration: float) -> None:
        if not voters:
            return
        order = voters[:]
        self.rng.shuffle(order)
        total = int(rate * duration)
        tasks: set[asyncio.Task] = set()
        start = time.monotonic()
        for k in range(total):
            due = start + k / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.lag_max = max(self.lag_max, time.monotonic() - due)
            member = order[k % len(order)]
            pid = self.rng.choice(self.positions[member.group])
            # Always a change of mind: the app sends nothing for a vote that changes nothing.
            choice = self.rng.choice([c for c in CHOICES if c != member.last_choice.get(pid)])
            member.last_choice[pid] = choice
            task = asyncio.create_task(self._cast(member, pid, choice))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT + 5)

    async def _cast(self, member: Member, pid: int, choice: str) -> None:
        vote = Vote(pid, member.index, time.monotonic())
        self.votes.setdefault(pid, []).append(vote)
        self.sent.append(vote)
        if self.plan.votes_over == "socket":
            status, body = await self._send_vote(member, pid, choice, vote)
        else:
            answer = await self._http(
                member,
                "POST",
                f"{member.room_path}positions/{pid}/vote",
                {"choice": choice},
                htmx=True,
                referer=member.room_path,
                kind="vote",
            )
            status = "saved" if answer is not None and answer.status == 200 else "failed"
            body = answer.body if answer is not None else ""
        vote.answered = time.monotonic()
        version = status == "saved" and ANSWER_VERSION.search(body)
        vote.ok = bool(version)
        self.answered += 1
        if vote.ok:
            vote.version = int(version.group(1))

    async def _send_vote(self, member: Member, pid: int, choice: str, vote: Vote):
        """A vote on the member's socket, as the page sends it: (the answer's status, the
        answer), timed under "vote"; ("closed" or "timeout", "") without an answer."""
        socket = member.socket
        self.votes_sent_on_sockets += 1
        vote_id = f"r{self.votes_sent_on_sockets}"
        waiting = asyncio.get_running_loop().create_future()
        member.unanswered[vote_id] = waiting
        try:
            if socket is None or socket.closed:
                raise WebSocketClosed()
            socket.send_text(
                json.dumps({"type": "vote", "id": vote_id, "position": pid, "choice": choice})
            )
            status, body = await asyncio.wait_for(waiting, REQUEST_TIMEOUT)
        except (WebSocketClosed, OSError, TimeoutError) as error:
            member.unanswered.pop(vote_id, None)
            status = "timeout" if isinstance(error, TimeoutError) else "closed"
            self.errors[f"vote_{status}"] += 1
            self._log("vote").add(status, _ms(vote.started), failed=True)
            return status, ""
        # A rule's refusal is by design (the scenario hides and merges positions); the rest
        # (rate-limited, not saved) are failures.
        refused = "refused by a rule" if status == "refused" else ""
        self._log("vote").add(status, _ms(vote.started), failed=status != "saved", refused=refused)
        if status != "saved":
            self.errors[f"vote_{status}"] += 1
        return status, body

    async def _drain(self, joined: list[Member]) -> None:
        """Read each group's last sequence number, then let the sockets catch up to it."""
        await asyncio.sleep(SETTLE)  # a server may hold tallies back a moment to combine them
        self.final: dict[int, int] = {}
        for group in self.groups:
            member = next((m for m in joined if m.group == group), None)
            page = member and await self._http(member, "GET", member.room_path)
            found = page and page.status == 200 and SEQ.search(page.body)
            if found:
                self.final[group] = int(found.group(1))
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while time.monotonic() < deadline:
            behind = [
                m
                for m in joined
                if m.socket and not m.socket.closed and m.seqs.highest < self.final.get(m.group, 0)
            ]
            if not behind:
                break
            await asyncio.sleep(0.1)

    def _start_probe(self) -> None:
        if self.plan.facilitator and self.prober is None:
            self.probing = True
            self.prober = asyncio.create_task(self._probe())

    async def _stop_probe(self) -> None:
        self.probing = False
        if self.prober:
            self.prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.prober

    async def _probe(self) -> None:
        """A facilitator watching the synthesis and downloading exports while the room votes:
        each page's time to answer, in ms."""
        browser = Browser(self.origin, timeout=REQUEST_TIMEOUT)
        sid = self.plan.session_id
        try:
            if not await self._login(browser):
                self.probe_errors["login"] += 1
                return
            pages = {
                "synthesis_page": f"/facilitate/sessions/{sid}/synthesis",
                "synthesis_results": f"/facilitate/sessions/{sid}/synthesis/results",
                "export_md": f"/organizer/sessions/{sid}/export?format=md",
                "export_csv": f"/organizer/sessions/{sid}/export?format=csv",
            }
            # Until the votes end, not only until cancelled: should a cancellation be lost
            # (see Browser.request), the probe must not fetch pages for ever.
            while self.probing:
                for name, path in pages.items():
                    started = time.monotonic()
                    page = await self._request(browser, name, "GET", path)
                    if page is None:
                        self.probe_errors[name] += 1
                        continue
                    if page.status != 200:
                        self.probe_errors[f"{name} {page.status}"] += 1
                        continue
                    self.probe_ms.setdefault(name, []).append(_ms(started))
                await asyncio.sleep(PROBE_EVERY)
        finally:
            await browser.close()

    async def _login(self, browser: Browser) -> bool:
        """Log `browser` in as the facilitator, as the login form does."""
        user, password = self.plan.facilitator
        await self._request(browser, "login_form", "GET", "/accounts/login/")
        answer = await self._request(
            browser,
            "login",
            "POST",
            "/accounts/login/",
            {"username": user, "password": password},
            referer="/accounts/login/",
            expect=302,
        )
        return answer is not None and answer.status == 302

    def _lost(self, member: Member, after: int = 0) -> int:
        last = self.final.get(member.group, member.seqs.highest)
        return member.seqs.lost(last, member.page_seq, after)

    # --- Helpers ----------------------------------------------------------------------------

    async def _http(
        self, member: Member, method: str, path: str, form=None, **kwargs
    ) -> Response | None:
        """A participant's request: its failures (>= 400, or no answer) counted in
        `http_errors` too."""
        return await self._request(
            member.browser, kwargs.pop("kind", ""), method, path, form, errors=self.errors, **kwargs
        )

    async def _request(
        self,
        browser: Browser,
        kind: str,
        method: str,
        path: str,
        form=None,
        *,
        expect: int = 200,
        errors: Counter[str] | None = None,
        refusal: Callable[[Response], str] | None = None,
        **kwargs,
    ) -> Response | None:
        """One request, timed and recorded under `kind` (unless empty); None without an
        answer. `errors`, if given, counts answers >= 400 and requests without one;
        `refusal`, if given, says why an unexpected answer is a refusal by design ("" if not),
        instead of `_refusal`."""
        started = time.monotonic()
        try:
            answer = await browser.request(method, path, form, **kwargs)
        except (HttpError, TimeoutError) as error:
            failure = "timeout" if isinstance(error, TimeoutError) else "connection"
            if errors is not None:
                errors[failure] += 1
            if kind:
                self._log(kind).add(failure, _ms(started), failed=True)
            return None
        if errors is not None and answer.status >= 400:
            errors[str(answer.status)] += 1
        if kind:
            ok = answer.status == expect
            refused = "" if ok else (refusal or partial(self._refusal, kind))(answer)
            self._log(kind).add(str(answer.status), _ms(started), failed=not ok, refused=refused)
        return answer

    def _refusal(self, kind: str, answer: Response) -> str:
        """Why an answer other than the expected one is a refusal this run caused by design
        (the scenario's facilitators close posting), or "" for a failure."""
        return ""

    def _log(self, kind: str) -> ActionLog:
        log = self.actions.get(kind)
        if log is None:
            log = self.actions[kind] = ActionLog()
        return log

    def _sample(self) -> tuple[float, float] | None:
        return process_sample(self.plan.server_pid) if self.plan.server_pid else None

    async def _sample_rss(self, samples: list[float]) -> None:
        while True:
            await asyncio.sleep(1)
            sample = self._sample()
            if sample:
                samples.append(sample[1])

    async def _ticker(self, started: float) -> None:
        while True:
            self.progress(self._status(time.monotonic() - started))
            await asyncio.sleep(0.25)

    def _status(self, elapsed: float) -> str:
        total = max(1, int(self.plan.rate * self.plan.duration))
        done = self.answered
        width = 24
        filled = int(width * done / total)
        sockets = sum(1 for m in self.members if m.socket and not m.socket.closed)
        joined = sum(1 for m in self.members if m.room_path)
        return (
            f"{self.origin.netloc} {self.phase:<7} [{'#' * filled}{'.' * (width - filled)}] "
            f"votes {done}/{total} joined {joined}/{self.plan.participants} "
            f"sockets {sockets} errors {sum(self.errors.values())} {elapsed:5.1f}s"
        )

    async def _close(self) -> None:
        for member in self.members:
            if member.socket:
                await member.socket.close()
            if member.reader:
                member.reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await member.reader
            await member.browser.close()


def display_name(index: int) -> str:
    """The name participant `index` joins with (the scenario's facilitators find it so)."""
    return f"Rehearsal {index + 1:04d}"


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


# --- The ceiling ------------------------------------------------------------------------------


# The ramp: a step "keeps up" when it achieves this share of its offered rate with fan-out
# p99 within the bound; the ceiling's maximum is the highest such step.
KEEPS_UP_SHARE = 0.95
KEEPS_UP_P99_MS = 250.0
RAMP_STEP_SECONDS = 10.0
RAMP_FACTOR = 2**0.5  # ours: finer steps than the ceiling's doubling, as ours is the figure
RAMP_LIMIT = 6400.0  # votes/s: past this the client, not the ceiling, is being measured


def _by_window(deliveries: list[tuple[float, float]], started: float) -> list[dict]:
    """Fan-out percentiles (ms) of the votes sent in each WINDOW_SECONDS from `started`."""
    windows: dict[int, list[float]] = {}
    for sent, latency in deliveries:
        windows.setdefault(int((sent - started) // WINDOW_SECONDS), []).append(latency * 1000)
    return [
        {"from_s": k * WINDOW_SECONDS, "deliveries": len(windows[k]), **percentiles(windows[k])}
        for k in sorted(windows)
    ]


def keeps_up(result: dict) -> bool:
    """Kept up with the offered rate, lost nothing while voting, p99 within the bound.

    Losses in the joining phase do not count: there a group's arrival broadcasts, numbered
    in one process and sent by another, can cross a socket's subscription (the page then
    sees a gap and re-fetches); `lost_while_voting` is what the votes' fan-out lost.
    """
    p99 = result["fanout_ms"]["p99"]
    return (
        result["achieved_votes_per_s"] >= KEEPS_UP_SHARE * result["offered_votes_per_s"]
        and result.get("lost_while_voting", result["lost"]) == 0
        and p99 is not None
        and p99 <= KEEPS_UP_P99_MS
    )


async def ramp_ceiling(plan: Plan, progress: Callable[[str], None] | None) -> dict:
    """The ceiling's maximum: the same rehearsal on the bare server at doubling rates, from
    the plan's, until a step does not keep up (or RAMP_LIMIT). The bare server has no vote
    limit, so a participant may vote faster than the app would let them."""
    steps, best = [], None
    rate = plan.rate
    while rate <= RAMP_LIMIT:
        step_plan = Plan(**{**plan.__dict__, "rate": rate, "duration": RAMP_STEP_SECONDS})
        result = await rehearse_ceiling(step_plan, progress)
        ok = keeps_up(result)
        steps.append(
            {
                "offered_votes_per_s": rate,
                "achieved_votes_per_s": result["achieved_votes_per_s"],
                "fanout_ms": result["fanout_ms"],
                "lost": result["lost"],
                "lost_while_voting": result["lost_while_voting"],
                "client_lag_max_ms": result["client_lag_max_ms"],
                "server": result.get("server"),
                "keeps_up": ok,
            }
        )
        if not ok:
            break
        best = rate
        rate *= 2
    return {"max_votes_per_s": best, "steps": steps}


async def rehearse_ceiling(plan: Plan, progress: Callable[[str], None] | None) -> dict:
    """Start the bare server on a free 127.0.0.1 port, run the same rehearsal, stop it."""
    import socket
    import sys
    from pathlib import Path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = Path(__file__).with_name("ceiling.py")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        "--port",
        str(port),
        "--groups",
        str(plan.groups),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        probe_browser = Browser(Origin.parse(url), timeout=2)
        for _ in range(100):  # up to ~10 s to start
            with contextlib.suppress(HttpError, TimeoutError):
                if (await probe_browser.request("GET", "/healthz")).status == 200:
                    break
            await asyncio.sleep(0.1)
        else:
            raise RehearsalError("the ceiling server did not start")
        await probe_browser.close()
        # The bare server has no synthesis or facilitators: no probe there, and its
        # comparison is the votes' fan-out, the plain rehearsal's.
        ceiling_plan = Plan(
            **{
                **plan.__dict__,
                "server_pid": process.pid,
                "facilitator": None,
                "scenario": False,
                "ramp": False,  # the ceiling's is ramp_ceiling's, a fresh server per step
            }
        )
        result = await Rehearsal(url, "CEILING", ceiling_plan, progress).run()
        result.pop("code", None)
        return result
    finally:
        process.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()


def ratio(ours: dict, ceiling: dict) -> dict:
    def divide(a, b):
        return round(a / b, 3) if a is not None and b else None

    return {
        "achieved_votes_per_s": divide(
            ours["achieved_votes_per_s"], ceiling["achieved_votes_per_s"]
        ),
        "fanout_p50": divide(ours["fanout_ms"]["p50"], ceiling["fanout_ms"]["p50"]),
        "fanout_p95": divide(ours["fanout_ms"]["p95"], ceiling["fanout_ms"]["p95"]),
    }


async def rehearse(
    url: str,
    code: str,
    plan: Plan,
    progress: Callable[[str], None] | None,
    *,
    ramp: bool = False,
    ceiling: bool = True,
) -> dict:
    driver = Rehearsal
    if ramp and not plan.scenario:  # a scenario's session has ended by the ramp's time
        plan = Plan(**{**plan.__dict__, "ramp": True})
    if plan.scenario:
        from discussions.rehearsal.scenario import Scenario  # it builds on this module

        driver = Scenario
    speed_before = machine_speed_ms()
    result = await driver(url, code, plan, progress).run()
    result["machine_speed_ms"] = {"before": speed_before, "after": machine_speed_ms()}
    if not ceiling:
        return result
    result["ceiling"] = await rehearse_ceiling(plan, progress)
    result["ratio_to_ceiling"] = ratio(result, result["ceiling"])
    if ramp:
        # Our highest rate kept up with (the run's ramp) against the ceiling's maximum.
        maximum = await ramp_ceiling(plan, progress)
        ours = result.get("ramp", {}).get("max_votes_per_s")
        best = maximum["max_votes_per_s"]
        maximum["ours_keeping_up_votes_per_s"] = ours
        maximum["ratio"] = round(ours / best, 4) if ours and best else None
        result["ceiling_max"] = maximum
    return result
