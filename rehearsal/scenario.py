"""The scenario: a whole session at once, not only votes (`rehearse --scenario`).

The first minutes of a session are when everything meets: people arrive and post while the
facilitators are already at work. On one clock (t = 0 when the first participant arrives):

    the rush    participants arrive evenly over `join_window` seconds, each as a browser:
                the join form, the join, the room page, the room's socket. The first three
                of each group post once they have read the prompt and typed (a THINK share
                of the window after joining, and again after posting: a position each to
                vote on, then the group's moderation targets), while others still arrive.
    the votes   once everyone is in, votes at the offered rate for `duration` seconds, as
                the plain rehearsal's; meanwhile others post new positions (`post_rate` a
                second, the posting phase).
    all along   `facilitators` browsers, logged in as the facilitator, share the groups and
                act in every one of them once (FACILITATION), paced to spread over the run;
                one of them also announces to every group, once in the rush and once in the
                votes. The probe fetches the synthesis pages and the exports, as in the plain
                rehearsal, from the start.

Pages do what live.js does with the broadcasts: a "re-fetch" marker (a merge that moved the
reader's vote; a phase where tallies show or hide with it) makes each page of the group
fetch the regions it names again (the list, for these; a pin moves its card in the page,
which lists the newest first), and a participant
moved to another group follows the link to the new room and opens a socket there.

Roles in a group, by the order its members join (k = 0, 1, 2 ...):
  k = 0, 1, 2  post a position each, to vote on (the pin acts on the first); then k = 0 posts
               the position the facilitator hides and restores, and k = 1 and 2 post the
               same text, the duplicates the facilitator merges. Nobody votes on those: a
               vote on a position that has just been hidden or merged is refused, by design.
  k = 3        the participant the facilitator moves to the next group; not a voter, and not
               in the socket figures (its socket is closed by the move, by design).

Refusals the scenario causes by design are counted apart from failures: a post that arrives
while its group's facilitator has set "voting only" (422, "new positions are closed"), and
a moved participant's page re-fetching its old room (403). A 5xx is always a failure.

Longer than the harness's other modules (under 400 lines each), on purpose: it is one
script, read as one. The roles above, the pages' reactions and each facilitator's pass
depend on one another's timing (a pass waits for its group's posts and mover; the pages
follow the move), and the figures at the end (verdict, summary_lines) name its steps.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from dataclasses import dataclass, field

from rehearsal.client import Browser, Response
from rehearsal.members import Member, display_name
from rehearsal.plan import REQUEST_TIMEOUT, SETTLE
from rehearsal.run import Rehearsal

POSTERS = 3  # per group, the first to join: a position each to vote on
# The time a poster takes to read and type before each of their posts, as a share of the join
# window, drawn evenly (seeded): 6 to 18 s in a minute's rush. A room's first positions come
# while others still arrive, not the instant its first members are in.
THINK = (0.1, 0.3)
MOVER = 3  # the member of each group (by join order) the facilitator moves
GROUPS_PER_FACILITATOR = 10  # the default number of facilitators: one per this many groups
# A pass waits at most this long for its group's posts and mover before acting without them.
READY_TIMEOUT = 60.0
# After the votes, how long the facilitators may take to finish their pass (a slow server
# makes them late; the figures then say how many steps were never taken).
FINISH_TIMEOUT = 120.0
# One pass over one group: each step is a kind of action in the figures. "group_page" is the
# facilitator opening the group's page first (where the participants' ids are).
FACILITATION = (
    "group_page",
    "announce",
    "timer_start",
    "pin",
    "timer_pause",
    "hide",
    "timer_resume",
    "restore",
    "timer_extend",
    "phase_voting",
    "merge",
    "unpin",
    "phase_collecting",
    "move",
    "timer_stop",
)
REFRESH = re.compile(r'<div id="room-refresh"[^>]*>')
AWAY = re.compile(r'id="room-away"[^>]*data-href="([^"]*)"')
# A refusal by design, by kind of action: (status, words in the answer) -> reason.
REFUSALS = {
    "post": (422, "new positions are closed", "posting closed by the phase"),
}


def _refresh_regions(member: Member, message: str) -> list[str]:
    """What live.js fetches again for a refresh marker: the regions it names, or nothing for
    a merge that moved no vote of this reader's (none on the duplicate, or one on both) and
    for a pin on a page listing the newest first (live.js moves the card itself)."""
    marker = REFRESH.search(message)
    if marker is None:
        return []
    attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', marker.group(0)))
    voted = member.last_choice  # the tool's votes always choose (they never withdraw)
    moved_from, moved_to = attributes.get("votes-from"), attributes.get("votes-to")
    if moved_from and (int(moved_from) not in voted or (moved_to and int(moved_to) in voted)):
        return []
    if attributes.get("unless-sort") == "newest":  # the order the tool's pages list in
        return []
    return attributes.get("regions", "status positions").split()


def _moved_away(answer: Response) -> str:
    return "moved to another group" if answer.status == 403 else ""


@dataclass
class GroupPlan:
    """What the facilitator acts on in one group, as the group's first members post it."""

    ready: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0  # early members (posters, mover) still arriving
    pin: int | None = None
    hide: int | None = None
    duplicates: list[int] = field(default_factory=list)
    mover: Member | None = None


class Scenario(Rehearsal):
    def __init__(self, url, code, plan, progress) -> None:
        super().__init__(url, code, plan, progress)
        self.plans: dict[int, GroupPlan] = {}
        self.movers: list[Member] = []
        self.followed = 0  # moved participants whose page followed them to the new room
        self.steps_left = 0  # facilitation steps not yet taken
        self.deadline = 0.0  # when the facilitators aim to have finished their pass
        self.voting = asyncio.Event()
        self.vote_started = 0.0
        self.background: set[asyncio.Task] = set()  # the pages' re-fetches and follows
        self.spare_sockets = []  # sockets a move closed, for _close
        self.poster: asyncio.Task | None = None
        self.crew: list[asyncio.Task] = []
        self.finished_in = 0.0

    # --- The rush ---------------------------------------------------------------------------

    async def _fill(self) -> tuple[list[Member], float]:
        self.phase = "rush"
        started = time.monotonic()
        groups = self.members.groups
        members = self.members.enrol()
        for group in groups:
            self.plans[group] = GroupPlan()
        for member in members:
            member.group = groups[member.index % len(groups)]
            if self._rank(member) <= MOVER:
                self.plans[member.group].waiting += 1
        for plan in self.plans.values():
            if not plan.waiting:
                plan.ready.set()
        window = self.plan.join_window
        self.deadline = started + window + self.plan.duration
        self.probe.start()
        self._start_facilitators()
        step = window / len(members)
        await asyncio.gather(*(self._arrive(m, started + m.index * step) for m in members))
        join_seconds = time.monotonic() - started
        joined = self.members.joined()
        self.movers = [m for m in joined if self._rank(m) == MOVER]
        await asyncio.sleep(SETTLE)
        # The figures about sockets and votes are about those who stay: a move closes the
        # mover's socket by design.
        return [m for m in joined if self._rank(m) != MOVER], join_seconds

    def _rank(self, member: Member) -> int:
        """The member's place in its group's order of arrival: 0 for the first."""
        return member.index // len(self.members.groups)

    async def _arrive(self, member: Member, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        rank = self._rank(member)
        try:
            await self.members.join(member, contextlib.nullcontext())
            if not member.room_path:
                return
            await self.members.connect(member, contextlib.nullcontext())
            if rank < POSTERS:
                await self._post_first(member, rank)
            if rank == MOVER:
                self.plans[member.group].mover = member
        finally:
            if rank <= MOVER:
                plan = self.plans[member.group]
                plan.waiting -= 1
                if plan.waiting <= 0:
                    plan.ready.set()

    async def _post_first(self, member: Member, rank: int) -> None:
        """A position to vote on, then one the facilitator hides (rank 0) or merges (1, 2)."""
        group, plan = member.group, self.plans[member.group]
        await self._think()
        pid = await self._post(member, f"Rehearsal position {rank + 1} of group {group}.")
        if pid is not None:
            self.votes.positions.setdefault(group, []).append(pid)
            if rank == 0:
                plan.pin = pid
        await self._think()
        if rank == 0:
            plan.hide = await self._post(member, f"Rehearsal aside of group {group}: to hide.")
        else:
            pid = await self._post(member, f"Rehearsal duplicate of group {group}: to merge.")
            if pid is not None:
                plan.duplicates.append(pid)

    async def _think(self) -> None:
        await asyncio.sleep(self.rng.uniform(*THINK) * self.plan.join_window)

    async def _post(self, member: Member, text: str) -> int | None:
        answer = await self.actions.http(
            member,
            "POST",
            f"{member.room_path}post",
            {"text": text},
            htmx=True,
            referer=member.room_path,
            kind="post",
        )
        found = answer is not None and answer.status == 200 and _position_id(answer.body)
        return found or None

    # --- The votes, and posts meanwhile -----------------------------------------------------

    def _votes_starting(self, joined: list[Member], started: float) -> None:
        self.vote_started = started
        self.deadline = started + self.plan.duration
        self.voting.set()
        posters = [m for m in joined if m.socket]
        self.rng.shuffle(posters)
        if self.plan.post_rate > 0 and posters:
            self.poster = asyncio.create_task(self._posting(posters))

    async def _posting(self, members: list[Member]) -> None:
        """New positions at post_rate a second while the votes run, open loop, each from the
        next member of a shuffled round (nobody comes near the per-participant limit)."""
        total = int(self.plan.post_rate * self.plan.duration)
        tasks: set[asyncio.Task] = set()
        for n in range(total):
            delay = self.vote_started + n / self.plan.post_rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            member = members[n % len(members)]
            text = f"Rehearsal later position {n + 1}, from group {member.group}."
            task = asyncio.create_task(self._post(member, text))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT + 5)

    async def _votes_ended(self) -> None:
        if self.poster:
            await self.poster
        self.phase = "finish"
        # The facilitators finish their pass: the run is over when every group was acted in.
        done, pending = await asyncio.wait(self.crew, timeout=FINISH_TIMEOUT)
        for task in pending:
            task.cancel()
        for task in (*done, *pending):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.finished_in = time.monotonic() - self.vote_started
        # Let the last re-fetches and follows answer before the figures are read.
        if self.background:
            await asyncio.wait(self.background, timeout=REQUEST_TIMEOUT + 5)

    # --- Pages reacting to broadcasts -------------------------------------------------------

    def _on_message(self, member: Member, message: str) -> None:
        regions = _refresh_regions(member, message)
        if regions:
            self._spawn(self._refetch(member, member.room_path, regions))
        away = AWAY.search(message)
        if away:
            self._spawn(self._follow(member, away.group(1)))

    def _spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _refetch(self, member: Member, room: str, regions: list[str]) -> None:
        """live.js's resync on a refresh marker: the regions it names, fetched at once."""
        paths = {"status": f"{room}status", "positions": f"{room}positions?sort=newest"}
        await asyncio.gather(
            *(self._page(member, f"room_{r}", paths[r]) for r in regions if r in paths)
        )

    async def _page(self, member: Member, kind: str, path: str) -> None:
        # A page re-fetching the room its participant was just moved out of is answered 403:
        # a refusal this run caused (the browser follows the move a moment later).
        moving = self._rank(member) == MOVER
        await self.actions.http(
            member, "GET", path, htmx=True, kind=kind, refusal=_moved_away if moving else None
        )

    async def _follow(self, member: Member, room: str) -> None:
        """The page goes where the move sent it: the new room's page, then its socket."""
        page = await self.actions.http(member, "GET", room, kind="room_page")
        if page is None or page.status != 200:
            return
        self.spare_sockets.append(member.socket)
        member.room_path = room
        member.group = int(room.strip("/").split("/")[-1])
        member.socket = None
        await self.members.connect(member, contextlib.nullcontext())
        if member.socket:
            self.followed += 1

    def _refusal(self, kind: str, answer: Response) -> str:
        known = REFUSALS.get(kind)
        if known and answer.status == known[0] and known[1] in answer.body:
            return known[2]
        return ""

    # --- The facilitators -------------------------------------------------------------------

    def _start_facilitators(self) -> None:
        count = max(1, min(self.plan.facilitators, len(self.members.groups)))
        shares = [self.members.groups[f::count] for f in range(count)]
        self.steps_left = len(self.members.groups) * len(FACILITATION)
        self.crew = [
            asyncio.create_task(self._facilitate(groups, announcer=(f == 0)))
            for f, groups in enumerate(shares)
        ]

    async def _facilitate(self, groups: list[int], *, announcer: bool) -> None:
        browser = Browser(self.origin, timeout=REQUEST_TIMEOUT)
        try:
            if not await self.actions.login(browser, self.plan.facilitator):
                return
            announcing = asyncio.create_task(self._announce_all(browser)) if announcer else None
            left = [len(groups) * len(FACILITATION)]  # this facilitator's steps to take
            for group in groups:
                await self._act_in(browser, group, left)
            if announcing:
                await announcing
        finally:
            await browser.close()

    async def _pace(self, left: list[int]) -> None:
        """Spread a facilitator's steps left over the time left until the votes end: as a
        person would act, a step every few seconds, and at once when late."""
        await asyncio.sleep(max(0.0, (self.deadline - time.monotonic()) / max(1, left[0])))
        left[0] -= 1
        self.steps_left -= 1

    async def _act_in(self, browser: Browser, group: int, left: list[int]) -> None:
        """One pass over one group: every step of FACILITATION, in order."""
        plan = self.plans[group]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(plan.ready.wait(), READY_TIMEOUT)
        sid = self.plan.session_id
        referer = f"/facilitate/groups/{group}/"
        control = f"/facilitate/sessions/{sid}/control"

        async def post(kind: str, path: str, form: dict[str, str]) -> bool:
            answer = await self.actions.request(
                browser,
                kind,
                "POST",
                path,
                {"panel": "group", **form},
                htmx=True,
                referer=referer,
            )
            return answer is not None and answer.status == 200

        def on(kind: str, target: int | None) -> str | None:
            if target is None:
                self.actions.log(kind).skipped += 1
                return None
            return f"/facilitate/positions/{target}"

        page = None
        hidden = False
        survivor, absorbed = (sorted(plan.duplicates) + [None, None])[:2]
        if survivor is not None:
            self.deliveries.ignored_positions.add(survivor)  # the merge broadcasts its tally
        others = [g for g in self.members.groups if g != group]
        for kind in FACILITATION:
            await self._pace(left)
            if kind == "group_page":
                page = await self.actions.request(browser, kind, "GET", referer)
            elif kind == "announce":
                text = f"Rehearsal: five minutes left in group {group}."
                await post(kind, control, {"group": str(group), "action": kind, "text": text})
            elif kind.startswith("timer_"):
                form = {"group": str(group), "action": kind}
                if kind in ("timer_start", "timer_extend"):
                    # The phase stays as it is when the countdown ends (it never does here).
                    form |= {"minutes": "5" if kind == "timer_start" else "1", "then": ""}
                await post(kind, control, form)
            elif kind.startswith("phase_"):
                phase = kind.removeprefix("phase_")
                form = {"group": str(group), "action": "phase", "phase": phase}
                await post("phase", control, form)
            elif kind in ("pin", "unpin", "hide"):
                target = plan.hide if kind == "hide" else plan.pin
                path = on(kind, target)
                if path:
                    ok = await post(kind, path, {"action": kind, "reason": "Off topic."})
                    hidden = hidden or (kind == "hide" and ok)
            elif kind == "restore":
                path = on(kind, plan.hide if hidden else None)
                if path:
                    await post(kind, path, {"action": kind})
            elif kind == "merge":
                path = on(kind, absorbed)
                if path:
                    await post(kind, path, {"action": kind, "into": str(survivor)})
            elif kind == "move":
                mover = plan.mover
                pid = mover and page and _participant_id(page.body, display_name(mover.index))
                if not pid or not others:
                    self.actions.log(kind).skipped += 1
                    continue
                # The next group of the session: its page lists it among the move's choices.
                there = others[(self.members.groups.index(group)) % len(others)]
                await post(
                    kind, f"/facilitate/participants/{pid}", {"action": kind, "group": str(there)}
                )

    async def _announce_all(self, browser: Browser) -> None:
        """To every group at once, from the session's console: once in the middle of the
        rush, once in the middle of the votes."""
        sid = self.plan.session_id
        path = f"/facilitate/sessions/{sid}/control"
        form = {"group": "all", "action": "announce"}
        await asyncio.sleep(self.plan.join_window / 2)
        moments = ("the rush", "the votes")
        for n, moment in enumerate(moments):
            if n:
                await self.voting.wait()
                await asyncio.sleep(
                    max(0.0, self.vote_started + self.plan.duration / 2 - time.monotonic())
                )
            text = f"Rehearsal: an announcement to every group, in {moment}."
            await self.actions.request(
                browser,
                "announce_all",
                "POST",
                path,
                form | {"text": text},
                htmx=True,
                referer=f"/facilitate/sessions/{sid}/",
            )

    # --- Figures ----------------------------------------------------------------------------

    async def _run(self) -> dict:
        result = await super()._run()
        result["scenario"] = {
            "join_window_s": self.plan.join_window,
            "post_rate": self.plan.post_rate,
            "facilitators": len(self.crew),
            "facilitation_steps_not_taken": max(0, self.steps_left),
            # From the first vote to the facilitators' last step.
            "finished_after_votes_started_s": round(self.finished_in, 2),
            "movers": len(self.movers),
            "movers_followed": self.followed,
        }
        actions = result["actions"]
        result["server_errors"] = sum(
            n for a in actions.values() for s, n in a["statuses"].items() if s.startswith("5")
        )
        result["refused"] = sum(sum(a["refused"].values()) for a in actions.values())
        result["failed"] = sum(a["failed"] for a in actions.values())
        return result

    async def _close(self) -> None:
        tasks = [*self.crew, *self.background, *([self.poster] if self.poster else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for socket in self.spare_sockets:
            await socket.close()
        await super()._close()


def _position_id(body: str) -> int | None:
    found = re.search(r'id="position-(\d+)"', body)
    return int(found.group(1)) if found else None


def _participant_id(page: str, name: str) -> int | None:
    """A participant's id, from a facilitator's group page: the move form in their row."""
    cell = rf"<td><bdi>{re.escape(name)}</bdi></td>"
    found = re.search(rf"{cell}.*?/facilitate/participants/(\d+)", page, re.S)
    return int(found.group(1)) if found else None


# Reported, but not held to the p95 target: a facilitator logs in once, before acting, and
# the login's time is the password's hash (PBKDF2), slow on purpose.
NOT_TIMED = ("login_form", "login")


def verdict(result: dict, *, p95_ms: float = 1000.0) -> dict:
    """The issue's targets for the scenario: no 5xx, no deadlock, no update lost while
    voting, every kind of action's p95 under a second (but NOT_TIMED). A deadlock count of
    None (not PostgreSQL, or not read) is no verdict."""
    timed = {k: a for k, a in result["actions"].items() if k not in NOT_TIMED}
    slowest = max(
        ((kind, a["ms"]["p95"]) for kind, a in timed.items() if a["ms"]["p95"] is not None),
        key=lambda item: item[1],
        default=(None, None),
    )
    deadlocks = (result.get("deadlocks") or {}).get("count")
    return {
        "no_5xx": result["server_errors"] == 0,
        "no_deadlocks": None if deadlocks is None else deadlocks == 0,
        "nothing_lost_while_voting": result["lost_while_voting"] == 0,
        "p95_under_1s": slowest[1] is None or slowest[1] < p95_ms,
        "slowest_p95": {"kind": slowest[0], "ms": slowest[1]},
    }


def facilitators_for(groups: int) -> int:
    return math.ceil(groups / GROUPS_PER_FACILITATOR)


def summary_lines(result: dict) -> list[str]:
    """The scenario's table: one line per kind of action, then the targets."""
    s = result["scenario"]
    lines = [
        f"Scenario: {result['participants']} arriving over {s['join_window_s']} s "
        f"(all in after {result['join_seconds']} s), {result['offered_votes_per_s']} votes/s "
        f"and {s['post_rate']} posts/s for {result['duration_s']} s, "
        f"{s['facilitators']} facilitators ({s['facilitation_steps_not_taken']} steps not "
        f"taken, done {s['finished_after_votes_started_s']} s after the votes began), "
        f"{s['movers_followed']} of {s['movers']} moved participants followed",
        f"  {'action':<18}{'count':>7}{'ok':>7}{'refused':>8}{'failed':>7}{'skipped':>8}"
        f"{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}  statuses",
    ]
    for kind, a in result["actions"].items():
        ms = a["ms"]
        statuses = " ".join(f"{status}:{n}" for status, n in a["statuses"].items())
        lines.append(
            f"  {kind:<18}{a['count']:>7}{a['ok']:>7}{sum(a['refused'].values()):>8}"
            f"{a['failed']:>7}{a['skipped']:>8}"
            + "".join(f"{_ms(ms[p]):>8}" for p in ("p50", "p95", "p99", "max"))
            + f"  {statuses}"
        )
    refused = {}
    for a in result["actions"].values():
        for reason, n in a["refused"].items():
            refused[reason] = refused.get(reason, 0) + n
    lines.append(
        f"  answers 5xx {result['server_errors']}, failed {result['failed']}, refused by the "
        f"scenario's design {result['refused']} {refused or ''}"
    )
    if "deadlocks" in result:
        d = result["deadlocks"]
        lines.append(
            f"  deadlocks {d['count']} (pg_stat_database {d['pg_stat_database']}"
            + (f", log {d['log']}" if "log" in d else "")
            + f"; database {d['database']})"
        )
    if "targets" in result:
        t = result["targets"]
        slowest = t["slowest_p95"]
        lines.append(
            f"  targets: no 5xx {_yes(t['no_5xx'])}, no deadlock {_yes(t['no_deadlocks'])}, "
            f"nothing lost while voting {_yes(t['nothing_lost_while_voting'])}, every p95 "
            f"under 1 s {_yes(t['p95_under_1s'])} (slowest {slowest['kind']} "
            f"{slowest['ms']} ms)"
        )
    return lines


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _yes(met: bool | None) -> str:
    return "not read" if met is None else ("met" if met else "NOT met")
