"""One rehearsal: join, open sockets, post positions, vote at a fixed offered rate, and
measure what each socket receives. Runs against one origin; no Django imports.

Rehearsal composes the parts, each of one idea: the members (members.py: joining, their
sockets, what each hears), the votes (votes.py), the delivery accounting (deliveries.py:
fan-out latency, lost messages, by window), the facilitator's probe (probe.py), every
request's record (actions.py) and, with Plan.ramp, the ramp (ramp.py). It runs them in
order and reports their figures. The scenario (scenario.py) builds on it through its hooks:
_fill, _votes_starting, _votes_ended, _on_message, _refusal.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import time
from collections.abc import Callable

from rehearsal import ramp
from rehearsal.actions import Actions
from rehearsal.client import Origin, Response
from rehearsal.deliveries import Deliveries, by_window
from rehearsal.members import Member, Members
from rehearsal.plan import SETTLE, Plan
from rehearsal.probe import Probe
from rehearsal.stats import percentiles, process_sample
from rehearsal.votes import Votes


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
        self.phase = "start"
        self.actions = Actions(self._refusal)
        self.members = Members(self.origin, code, plan, self.rng, self.actions, self._on_message)
        self.votes = Votes(plan, self.rng, self.actions)
        self.deliveries = Deliveries()
        self.probe = Probe(self.origin, plan, self.actions)

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
        await self.members.discover()
        joined, join_seconds = await self._fill()

        self.phase = "vote"
        for member in joined:
            member.seq_at_vote = member.seqs.highest
        before = self.sample()
        vote_started = time.monotonic()
        client_cpu_started = time.process_time()
        rss_samples: list[float] = [before[1]] if before else []
        sampler = asyncio.create_task(self._sample_rss(rss_samples))
        self.probe.start()
        self._votes_starting(joined, vote_started)
        voters = [m for m in joined if m.socket and self.votes.positions.get(m.group)]
        await self.votes.run(voters, self.plan.rate, self.plan.duration)
        last_answer = max((v.answered for v in self.votes.sent), default=vote_started)
        window = max(self.plan.duration, last_answer - vote_started)
        after = self.sample()
        elapsed = time.monotonic() - vote_started
        client_cpu = (time.process_time() - client_cpu_started) / elapsed
        sampler.cancel()
        await self._votes_ended()
        self.phase = "drain"
        await self.probe.stop()

        await self.deliveries.drain(joined, self.members.groups, self.actions)
        ok_votes = self.votes.ok()
        deliveries, expected, unmatched = self.deliveries.match(
            joined, self.members.all, self.votes
        )
        latencies = [latency for _, latency in deliveries]
        result = {
            "url": self.origin.url,
            "code": self.code,
            "participants": self.plan.participants,
            "groups": self.plan.groups,
            "joined": len(joined),
            "connected": sum(1 for m in joined if m.socket and not m.socket.closed),
            "ws_failed": self.members.ws_failed,
            "join_seconds": round(join_seconds, 2),
            "join_ms": percentiles([t * 1000 for t in self.members.join_times]),
            "duration_s": self.plan.duration,
            "votes_sent": len(self.votes.sent),
            "votes_ok": len(ok_votes),
            "offered_votes_per_s": self.plan.rate,
            "achieved_votes_per_s": round(len(ok_votes) / window, 2) if window else 0.0,
            "fanout_ms": percentiles([t * 1000 for t in latencies]),
            # The same per WINDOW_SECONDS of votes sent: whether the slowest deliveries were
            # spread over the run or a few bad seconds (an export, a collection, the machine).
            "fanout_windows": by_window(deliveries, vote_started),
            "votes_over": self.plan.votes_over,
            # The vote's own answer, sent to answered: what of the fan-out is the vote's side.
            "vote_answer_ms": percentiles([(v.answered - v.started) * 1000 for v in ok_votes]),
            "fanout_deliveries": len(latencies),
            "fanout_expected": expected,
            "unmatched_fragments": unmatched,
            **self.deliveries.socket_figures(joined),
            "http_errors": dict(sorted(self.actions.errors.items())),
            "client_lag_max_ms": round(self.votes.lag_max * 1000, 1),
            # The tool's own CPU while voting: near 100 % it is one busy event loop, and its
            # late reading of the sockets adds to the latencies it measures.
            "client_cpu_percent": round(client_cpu * 100, 1),
            "actions": self.actions.figures(),
        }
        if self.plan.facilitator:
            result["probe"] = self.probe.figures()
        if before and after:
            result["server"] = {
                "pid": self.plan.server_pid,
                "cpu_percent": round((after[0] - before[0]) / elapsed * 100, 1),
                "rss_mb_max": round(max(rss_samples + [after[1]]), 1),
            }
        if self.plan.ramp:
            first = ramp.keeps_up(result)
            result["ramp"] = await ramp.ramp(self, joined, voters, first=first)
        return result

    # --- Steps the scenario replaces or adds to ---------------------------------------------

    async def _fill(self) -> tuple[list[Member], float]:
        """Everyone joins (JOIN_CONCURRENCY at a time), opens a socket, and a few per group
        post: the room the votes then run in. Returns the joined and the joining's seconds."""
        self.phase = "join"
        join_started = time.monotonic()
        self.members.enrol()
        await self.members.join_all()
        join_seconds = time.monotonic() - join_started
        joined = self.members.joined()

        self.phase = "connect"
        await self.members.connect_all(joined)

        self.phase = "post"
        await self.votes.post_positions(joined, self.members.groups)
        await asyncio.sleep(SETTLE)
        return joined, join_seconds

    def _votes_starting(self, joined: list[Member], started: float) -> None:
        """Called as the votes start (the scenario starts its posting phase here)."""

    async def _votes_ended(self) -> None:
        """Called once every vote is answered, before the sockets drain."""

    def _on_message(self, member: Member, message: str) -> None:
        """What a page does with a broadcast beyond showing it (the scenario re-fetches)."""

    def _refusal(self, kind: str, answer: Response) -> str:
        """Why an answer other than the expected one is a refusal this run caused by design
        (the scenario's facilitators close posting), or "" for a failure."""
        return ""

    async def _close(self) -> None:
        await self.members.close()

    # --- The server's process, and the progress line ----------------------------------------

    def sample(self) -> tuple[float, float] | None:
        return process_sample(self.plan.server_pid) if self.plan.server_pid else None

    async def _sample_rss(self, samples: list[float]) -> None:
        while True:
            await asyncio.sleep(1)
            sample = self.sample()
            if sample:
                samples.append(sample[1])

    async def _ticker(self, started: float) -> None:
        while True:
            self.progress(self._status(time.monotonic() - started))
            await asyncio.sleep(0.25)

    def _status(self, elapsed: float) -> str:
        total = max(1, int(self.plan.rate * self.plan.duration))
        done = self.votes.answered
        width = 24
        filled = int(width * done / total)
        sockets = self.members.open_sockets()
        joined = sum(1 for m in self.members.all if m.room_path)
        return (
            f"{self.origin.netloc} {self.phase:<7} [{'#' * filled}{'.' * (width - filled)}] "
            f"votes {done}/{total} joined {joined}/{self.plan.participants} "
            f"sockets {sockets} errors {sum(self.actions.errors.values())} {elapsed:5.1f}s"
        )
