"""Bursts of identical voting from fresh participants: sock puppets, flagged for facilitators.

Anyone with the join code can be anyone, as many times as they like (issue 26): a script
joins a room as dozens of participants within seconds and has them all cast the same votes,
200 votes in a few seconds, to tilt the synthesis. Nothing in a single request tells such a
participant from a real one, and the rate limits are sized for a venue sharing one network,
so the synthesis page shows the facilitators who looks like one: they check, and remove
those who are not in the room on the group page (services.remove_participant).

A flag is a set of at least MIN_CLUSTER participants, none removed, who

(a) joined together: each within JOIN_GAP of the next, all within JOIN_SPAN;
(b) cast exactly the same votes, on MIN_IDENTICAL positions or more: the same positions,
    the same choices, and no other vote;
(c) cast them at a machine's pace: each of them cast theirs at most PACE apart on average,
    or on every one of the positions their votes came at most PACE apart on average.

Each criterion alone is common in a genuine room: people who sit together join together,
strong consensus makes neighbours vote alike on a few positions, and a voting phase has
everyone voting in the same minutes. Together they are not, while a script meets all three
without trying (tests/test_voting_bursts.py plays both). A flag is a prompt to look, never
an automatic removal.

`find_bursts` is pure, over plain data (`Voter`); `session_bursts` reads a session's in
one query, two when there is anything to look at.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from discussions.models import Session, Vote

# Two people voting alike is a pair of friends; three or more, alike in every vote, is a
# pattern worth a facilitator's glance (and what a script needs to move a tally).
MIN_CLUSTER = 3
# Two or three quick, identical clicks are within anyone's reach, and the pace of so few
# votes measures nothing; over five or more a person's reading time shows. This alone
# does not make a flag: in a room that agrees strongly, many vote alike on five positions
# (the genuine rooms of the tests do); (a) and (c) tell them from a script's.
MIN_IDENTICAL = 5
# A script joins its puppets in a loop, milliseconds apart (500 joins took 6 s); people
# arriving in a room join over minutes, but a table scanning the QR code together can join
# within seconds of each other, so this alone proves nothing and is kept generous: it
# tells "appeared together" from "in the same session".
JOIN_GAP = timedelta(minutes=2)
JOIN_SPAN = timedelta(minutes=5)
# Nobody reads positions of up to 500 characters and votes on them in under two seconds
# each, on average over five or more; a script casts one every few tens of milliseconds
# (200 votes in 3.6 s). Measured per participant (a script voting puppet by puppet) and
# per position across the participants (one voting position by position); either is a
# burst. On average, so that a script pausing once is still one: n votes within
# PACE * (n - 1) of each other.
PACE = timedelta(seconds=2)


@dataclass(frozen=True)
class Voter:
    """One participant, not removed, as the detection sees them."""

    participant_id: int
    joined_at: datetime
    group_id: int
    votes: Mapping[int, tuple[int, datetime]]  # position id -> (choice, cast_at)


@dataclass(frozen=True)
class Burst:
    """Participants who joined together and voted exactly alike, at a machine's pace."""

    participant_ids: tuple[int, ...]  # in the order they joined
    group_ids: tuple[int, ...]  # their breakout groups, ascending
    positions: int  # how many positions they voted on, identically
    first_joined_at: datetime
    joined_within: timedelta  # from the first of them joining to the last
    voted_within: timedelta  # from the first of their votes cast to the last

    @property
    def size(self) -> int:
        return len(self.participant_ids)


def find_bursts(voters: Iterable[Voter]) -> list[Burst]:
    """Every flag among these voters, ordered by when they joined (see the module's rule)."""
    alike: dict[frozenset, list[Voter]] = defaultdict(list)
    for voter in voters:
        if len(voter.votes) >= MIN_IDENTICAL:
            alike[frozenset((pos, vote[0]) for pos, vote in voter.votes.items())].append(voter)
    bursts = []
    for same in alike.values():
        for together in _joined_together(same):
            if _in_step(together):
                bursts.append(_burst(together))
            else:
                quick = [voter for voter in together if _quick(voter)]
                bursts.extend(_burst(run) for run in _joined_together(quick))
    return sorted(bursts, key=lambda b: (b.first_joined_at, b.participant_ids))


def suspects(votes: Iterable[tuple[int, int, int]]) -> set[int]:
    """The participants who voted exactly alike (b) with enough others, from (participant
    id, position id, choice) rows: everyone find_bursts may flag, and usually few. Reading
    the times of 100,000 votes is most of the cost (see session_bursts): only these
    participants' are read."""
    ballots: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for participant_id, position_id, choice in votes:
        ballots[participant_id].add((position_id, choice))
    alike: dict[frozenset, list[int]] = defaultdict(list)
    for participant_id, ballot in ballots.items():
        if len(ballot) >= MIN_IDENTICAL:
            alike[frozenset(ballot)].append(participant_id)
    return {pk for same in alike.values() if len(same) >= MIN_CLUSTER for pk in same}


def _joined_together(voters: list[Voter]) -> list[list[Voter]]:
    """Runs of at least MIN_CLUSTER voters, each joined within JOIN_GAP of the previous,
    and all within JOIN_SPAN of the run's first (a longer chain is cut into several)."""
    runs: list[list[Voter]] = []
    run: list[Voter] = []
    for voter in sorted(voters, key=lambda v: (v.joined_at, v.participant_id)):
        if run and (
            voter.joined_at - run[-1].joined_at > JOIN_GAP
            or voter.joined_at - run[0].joined_at > JOIN_SPAN
        ):
            runs.append(run)
            run = []
        run.append(voter)
    runs.append(run)
    return [run for run in runs if len(run) >= MIN_CLUSTER]


def _at_pace(times: list[datetime]) -> bool:
    """Whether these moments follow each other at most PACE apart on average."""
    return max(times) - min(times) <= PACE * (len(times) - 1)


def _quick(voter: Voter) -> bool:
    """Whether this voter cast all their votes at a machine's pace."""
    return _at_pace([cast_at for _choice, cast_at in voter.votes.values()])


def _in_step(voters: list[Voter]) -> bool:
    """Whether, on every position they voted on, their votes came at a machine's pace."""
    return all(
        _at_pace([voter.votes[position][1] for voter in voters]) for position in voters[0].votes
    )


def _burst(voters: list[Voter]) -> Burst:
    cast = [cast_at for voter in voters for _choice, cast_at in voter.votes.values()]
    return Burst(
        participant_ids=tuple(voter.participant_id for voter in voters),
        group_ids=tuple(sorted({voter.group_id for voter in voters})),
        positions=len(voters[0].votes),
        first_joined_at=voters[0].joined_at,
        joined_within=voters[-1].joined_at - voters[0].joined_at,
        voted_within=max(cast) - min(cast),
    )


def session_bursts(session: Session, group_ids: Iterable[int] | None = None) -> list[Burst]:
    """The flags of a session, or of some of its groups: the votes' choices, then the
    suspects' votes with their times and their participants (that second query only when
    there are suspects), whatever the size.

    For 2,000 participants and 100,000 votes on SQLite, reading every vote with its time
    took 0.5 s, as long as the synthesis; this way the whole took 0.14 s (docs/synthesis.md).
    Votes on every prompt and on positions since hidden count: a script's votes are one
    pattern wherever they were cast, and the voters, not the positions, are what a flag is
    about."""
    votes = Vote.objects.filter(participant__session=session, participant__removed_at__isnull=True)
    if group_ids is not None:
        votes = votes.filter(participant__group__in=list(group_ids))
    ids = suspects(votes.values_list("participant_id", "position_id", "choice"))
    if not ids:
        return []
    voters: dict[int, Voter] = {}
    timed = votes.filter(participant__in=ids).values_list(
        "participant_id",
        "participant__joined_at",
        "participant__group_id",
        "position_id",
        "choice",
        "cast_at",
    )
    for participant_id, joined_at, group_id, position_id, choice, cast_at in timed:
        voter = voters.get(participant_id)
        if voter is None:
            voter = voters[participant_id] = Voter(participant_id, joined_at, group_id, {})
        voter.votes[position_id] = (choice, cast_at)
    return find_bursts(voters.values())
