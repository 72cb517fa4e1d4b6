"""What the sockets received, against what they should have: each vote's fan-out to every
other member of its group, and the broadcasts (numbered per group) a socket never got.

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
import time
from collections import Counter

from rehearsal.actions import Actions
from rehearsal.members import SEQ, Member
from rehearsal.plan import SETTLE
from rehearsal.stats import percentiles
from rehearsal.votes import Votes

DRAIN_TIMEOUT = 15.0  # after the last answer, how long sockets may take to catch up
WINDOW_SECONDS = 10  # fan-out percentiles per this many seconds of voting (fanout_windows)


class Deliveries:
    """Each group's last broadcast number (`final`, read by `drain`), and the positions whose
    tallies no vote of this run explains, by design (a merge's survivor in the scenario):
    their fragments are not "unmatched"."""

    def __init__(self) -> None:
        self.final: dict[int, int] = {}
        self.ignored_positions: set[int] = set()

    async def drain(self, joined: list[Member], groups: list[int], actions: Actions) -> None:
        """Read each group's last sequence number, then let the sockets catch up to it."""
        await asyncio.sleep(SETTLE)  # a server may hold tallies back a moment to combine them
        self.final = {}
        for group in groups:
            member = next((m for m in joined if m.group == group), None)
            page = member and await actions.http(member, "GET", member.room_path)
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

    def lost(self, member: Member, after: int = 0) -> int:
        last = self.final.get(member.group, member.seqs.highest)
        return member.seqs.lost(last, member.page_seq, after)

    def lost_while_voting(self, joined: list[Member]) -> int:
        """Losses among the numbers sent once every socket was in (the joining phase's
        arrivals can cross a socket's subscription out of order, between processes)."""
        return sum(self.lost(m, after=m.seq_at_vote) for m in joined if m.socket)

    def match(
        self, joined: list[Member], members: list[Member], votes: Votes
    ) -> tuple[list[tuple[float, float]], int, int]:
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
            if pid not in votes.by_position and pid not in self.ignored_positions
        )
        for vote in votes.sent:
            if not vote.ok:
                continue
            group = members[vote.voter].group
            for member in joined:
                if member.group != group or not member.socket or member.index == vote.voter:
                    continue
                expected += 1
                highest, arrivals = reached.get((member.index, vote.position), ([], []))
                k = bisect.bisect_left(highest, vote.version)
                if k < len(highest):
                    deliveries.append((vote.started, arrivals[k] - vote.started))
        return deliveries, expected, unmatched

    def socket_figures(self, joined: list[Member]) -> dict:
        """What the sockets lost, how they ended, and what they received."""
        sockets = [m.socket for m in joined if m.socket]
        return {
            "lost": sum(self.lost(m) for m in joined if m.socket),
            # Where the losses were: a few sockets missing everything (closed) or many
            # sockets missing a little (dropped messages) are different problems.
            "sockets_with_losses": sum(1 for m in joined if m.socket and self.lost(m)),
            "sockets_closed": sum(1 for s in sockets if s.closed),
            # Why: the server's close code (4403: refused, e.g. no longer a member; 1011: a
            # ping it sent went unanswered in time), or "none" for a connection that ended
            # without a close frame.
            "sockets_closed_codes": dict(
                sorted(Counter(str(s.close_code or "none") for s in sockets if s.closed).items())
            ),
            "lost_while_voting": self.lost_while_voting(joined),
            "duplicated": sum(m.seqs.duplicated for m in joined if m.socket),
            # What the sockets received: the bytes on the wire (what the venue's wifi
            # carries) and the messages' own, and how many sockets the server compressed.
            "socket_bytes": {
                "wire": sum(s.wire_bytes for s in sockets),
                "messages": sum(s.message_bytes for s in sockets),
                "compressed_sockets": sum(1 for s in sockets if s.deflate is not None),
            },
        }


def by_window(deliveries: list[tuple[float, float]], started: float) -> list[dict]:
    """Fan-out percentiles (ms) of the votes sent in each WINDOW_SECONDS from `started`."""
    windows: dict[int, list[float]] = {}
    for sent, latency in deliveries:
        windows.setdefault(int((sent - started) // WINDOW_SECONDS), []).append(latency * 1000)
    return [
        {"from_s": k * WINDOW_SECONDS, "deliveries": len(windows[k]), **percentiles(windows[k])}
        for k in sorted(windows)
    ]
