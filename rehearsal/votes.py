"""The positions the votes go to, and the votes: at a fixed offered rate, each a change of
mind, sent on the member's socket as the pages send them (each with an id that the server's
answer carries once the vote is durable, discussions/live/votes.py) or, with Plan.votes_over
"http", posted as the HTTP form's fallback posts them. Either way "vote" in the actions is
the vote sent to answered."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from dataclasses import dataclass

from rehearsal.actions import Actions
from rehearsal.client import WebSocketClosed
from rehearsal.members import Member
from rehearsal.plan import REQUEST_TIMEOUT, Plan
from rehearsal.stats import elapsed_ms

ANSWER_VERSION = re.compile(r'data-tally-version="(\d+)"')
POSITION = re.compile(r'id="position-(\d+)"')
CHOICES = ("agree", "disagree", "pass")
POSITIONS_PER_GROUP = 3


@dataclass
class Vote:
    position: int
    voter: int
    started: float
    ok: bool | None = None
    answered: float = 0.0
    version: int = 0  # the tally version the answer reported


class Votes:
    """The positions by group, and every vote sent (`sent`, and by position `by_position`)
    with what became of it."""

    def __init__(self, plan: Plan, rng: random.Random, actions: Actions) -> None:
        self.plan = plan
        self.rng = rng
        self.actions = actions
        self.positions: dict[int, list[int]] = {}  # group -> position ids
        self.reset()
        self.answered = 0  # votes sent and answered (or failed), for the progress line
        self.sent_on_sockets = 0  # numbers the votes' ids

    def reset(self) -> None:
        """Forget the votes sent so far (the ramp measures each step on its own)."""
        self.by_position: dict[int, list[Vote]] = {}  # position -> votes, in start order
        self.sent: list[Vote] = []
        self.lag_max = 0.0  # how late the schedule sent a vote, at worst

    def ok(self) -> list[Vote]:
        return [v for v in self.sent if v.ok]

    async def post_positions(self, joined: list[Member], groups: list[int]) -> None:
        """The first POSITIONS_PER_GROUP members of each group post a position each."""

        async def post(member: Member, n: int) -> None:
            answer = await self.actions.http(
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
        for group in groups:
            members = [m for m in joined if m.group == group]
            posters += [(m, n) for n, m in enumerate(members[:POSITIONS_PER_GROUP])]
        await asyncio.gather(*(post(m, n) for m, n in posters))

    async def run(self, voters: list[Member], rate: float, duration: float) -> None:
        """`rate` votes a second for `duration` seconds, open loop, from a shuffled round of
        `voters`; then until every vote is answered (or REQUEST_TIMEOUT + 5 s)."""
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
        self.by_position.setdefault(pid, []).append(vote)
        self.sent.append(vote)
        if self.plan.votes_over == "socket":
            status, body = await self._send(member, pid, choice, vote)
        else:
            answer = await self.actions.http(
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

    async def _send(self, member: Member, pid: int, choice: str, vote: Vote):
        """A vote on the member's socket, as the page sends it: (the answer's status, the
        answer), timed under "vote"; ("closed" or "timeout", "") without an answer."""
        socket = member.socket
        self.sent_on_sockets += 1
        vote_id = f"r{self.sent_on_sockets}"
        waiting = asyncio.get_running_loop().create_future()
        member.unanswered[vote_id] = waiting
        log, errors = self.actions.log("vote"), self.actions.errors
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
            errors[f"vote_{status}"] += 1
            log.add(status, elapsed_ms(vote.started), failed=True)
            return status, ""
        # A rule's refusal is by design (the scenario hides and merges positions); the rest
        # (rate-limited, not saved) are failures.
        refused = "refused by a rule" if status == "refused" else ""
        log.add(status, elapsed_ms(vote.started), failed=status != "saved", refused=refused)
        if status != "saved":
            errors[f"vote_{status}"] += 1
        return status, body
