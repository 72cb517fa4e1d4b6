"""Votes: cast, change or withdraw, many in one transaction.

Every vote takes this path, one at a time from the HTTP form (cast_vote) or in batches
from the vote writer of a server process (discussions.live.votes: the votes that came over
the sockets while the previous batch was being written). The rules are the same either
way and are checked for each vote of a batch in order:

- the voter is still a member of the group their page is in (not removed, not moved);
- the group takes votes now (its phase, with a countdown that ran out counted as over);
- the position is one they may vote on (their group's own, or the session's plenary
  round's; rules.votable) and is visible;
- one vote per participant per position: casting the one you have changes nothing and
  sends nothing; withdrawing one you do not have, likewise.

A batch costs the same few statements whatever its size: read the voters and their
groups; lock the positions in id order (the lock order of discussions.services) reading
the voters' votes on them in the same statement; one upsert, one delete for withdrawals,
one update numbering the tallies' changes; the commit. The rows are locked, so two
processes' batches touching one position queue behind each other, and each number read
under the lock plus the changes is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from discussions import live, queries, rows
from discussions.models import BreakoutGroup, Participant, Position, Session, Vote
from discussions.rules import member_rows, votable
from discussions.services.errors import ServiceError
from discussions.services.locks import retry_on_conflict
from discussions.services.pacing import apply_due_timer

CHOICES = {
    "agree": Vote.Choice.AGREE,
    "disagree": Vote.Choice.DISAGREE,
    "pass": Vote.Choice.PASS,
}
WITHDRAW = "withdraw"

# Lazy: a batch holds several participants' votes, each answered in its reader's language
# where the answer is rendered.
NOT_VOTABLE = gettext_lazy("That position is not in your group (or was removed).")
NOT_A_MEMBER = gettext_lazy("You are no longer in this group.")
CLOSED = gettext_lazy("Voting is closed in this group.")
NOT_A_CHOICE = gettext_lazy("A vote is agree, disagree or pass.")


@dataclass(frozen=True)
class VoteRequest:
    """A vote as a page sent it: who, from which group's page, on what, which choice
    (agree, disagree, pass or withdraw)."""

    participant_id: int
    group_id: int
    position_id: int
    choice: str


@dataclass
class Ballot:
    """What became of one vote: the position (its tally_version counting this batch's
    changes) and the voter's vote on it now (None: none, or withdrawn). A refused vote
    has its reason in `error`, and still the position and the voter's vote where the voter
    may see them; `member` is False when the voter is no longer in the group."""

    position: Position | None
    vote: Vote | None
    error: str = ""

    @property
    def saved(self) -> bool:
        return not self.error

    @property
    def member(self) -> bool:
        return self.error != NOT_A_MEMBER


def cast_vote(
    *, participant: Participant, position_id: int, choice: str, group: BreakoutGroup | None = None
) -> Ballot:
    """Record one participant's vote on a position (the HTTP form's path): cast_votes for
    one vote, raising ServiceError if it is refused. A caller that has just read the
    participant's group with its membership check (the view) passes it as `group`, which
    saves the batch reading it again."""
    request = VoteRequest(participant.pk, participant.group_id, position_id, choice)
    members = None
    if group is not None and group.pk == participant.group_id:
        members = {participant.pk: group}
    (ballot,) = cast_votes([request], members=members)
    if ballot.error:
        raise ServiceError(ballot.error)
    return ballot


@retry_on_conflict
def cast_votes(
    requests: Sequence[VoteRequest], *, members: dict[int, BreakoutGroup] | None = None
) -> list[Ballot]:
    """Record the votes, in order, in one transaction: a Ballot for each request.

    `members`: {participant: group} as the caller has just read them with a membership
    check; without it, the voters' membership and groups are read here.

    Side effects: after the commit, every changed position's tally is announced to the
    rooms that show it (live.tally_changed: combined per group, a few broadcasts a second).
    """
    if not requests:
        return []
    if members is None:
        groups = _members_groups([request.participant_id for request in requests])
    else:
        groups = {pk: apply_due_timer(group) for pk, group in members.items()}
    with transaction.atomic():
        positions, votes = _lock_with_votes(
            [r.position_id for r in requests], [r.participant_id for r in requests]
        )
        now = timezone.now()
        ballots = []
        changes: dict[int, int] = {}  # position -> changes of its tally in this batch
        for request in requests:
            ballot, changed = _apply(request, groups, positions, votes, now)
            ballots.append(ballot)
            if changed:
                changes[request.position_id] = changes.get(request.position_id, 0) + 1
        if changes:
            _write(votes, changes, now)
            _announce({pk: positions[pk] for pk in changes})
    for position_id, count in changes.items():
        positions[position_id].tally_version += count
    return ballots


def _members_groups(participant_ids: list[int]) -> dict[int, BreakoutGroup]:
    """{participant: their group} for the voters still in the session, each group read
    once, fresh, with a countdown that ran out written down (it may close the voting).
    One statement, written out (discussions/rows.py): the ORM's compiling of it was a third
    of a lone vote's time."""
    voters = sorted(set(participant_ids))
    found = member_rows(f"pa.id, {rows.columns(BreakoutGroup, 'g')}", voters)
    groups: dict[int, BreakoutGroup] = {}
    members = {}
    for row in found:
        group, _ = rows.take(BreakoutGroup, row, 1)
        if group.pk not in groups:
            groups[group.pk] = apply_due_timer(group) if group.timer_due() else group
        members[row[0]] = groups[group.pk]
    return members


def _lock_with_votes(
    position_ids: list[int], participant_ids: list[int]
) -> tuple[dict[int, Position], dict[tuple[int, int], Vote]]:
    """The positions that exist of those named, locked in id order, each with its group's
    session (`session_id`) and whether its tally is hidden from participants
    (`tally_hidden`: the answer then shows nothing counted, not even its version); and the
    voters' votes on them, {(participant, position): vote}. One statement, written out
    (discussions/rows.py), as every batch runs it."""
    wanted = sorted({pk for pk in position_ids if rows.in_range(Position, pk)})
    if not wanted:
        return {}, {}
    voters = sorted(set(participant_ids))
    # FOR NO KEY UPDATE, as every lock of ours (services.locks.locked); SQLite has none.
    lock = " FOR NO KEY UPDATE OF p" if connection.features.has_select_for_update_of else ""
    sql = f"""
        SELECT {rows.columns(Position, "p")}, g.session_id, g.phase, s.hide_tallies,
               {rows.columns(Vote, "v")}
        FROM {Position._meta.db_table} p
        JOIN {BreakoutGroup._meta.db_table} g ON g.id = p.group_id
        JOIN {Session._meta.db_table} s ON s.id = g.session_id
        LEFT JOIN {Vote._meta.db_table} v
            ON v.position_id = p.id AND v.participant_id IN ({", ".join(["%s"] * len(voters))})
        WHERE p.id IN ({", ".join(["%s"] * len(wanted))})
        ORDER BY p.id
        {lock}
    """
    positions: dict[int, Position] = {}
    votes: dict[tuple[int, int], Vote] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*voters, *wanted])
        found = cursor.fetchall()
    for row in found:
        position, end = rows.take(Position, row, 0)
        position = positions.setdefault(position.pk, position)
        position.session_id, phase, hide_tallies = row[end : end + 3]
        position.tally_hidden = queries.hidden_by(hide_tallies, phase)
        vote, _ = rows.take(Vote, row, end + 3)
        if vote is not None:
            votes[(vote.participant_id, vote.position_id)] = vote
    return positions, votes


def _apply(
    request: VoteRequest,
    groups: dict[int, BreakoutGroup],
    positions: dict[int, Position],
    votes: dict[tuple[int, int], Vote],
    now,
) -> tuple[Ballot, bool]:
    """One vote against the batch's state so far: its Ballot, and whether it changed the
    position's tally. `votes` is updated (a withdrawn vote's entry keeps its row, choice
    None, for the delete)."""
    group = groups.get(request.participant_id)
    if group is None or group.pk != request.group_id:
        return Ballot(None, None, NOT_A_MEMBER), False
    position = positions.get(request.position_id)
    if position is None or not position.is_visible or not votable(position, group):
        return Ballot(None, None, NOT_VOTABLE), False
    key = (request.participant_id, request.position_id)
    vote = votes.get(key)
    current = vote if vote is not None and vote.choice is not None else None
    if request.choice != WITHDRAW and request.choice not in CHOICES:
        return Ballot(position, current, NOT_A_CHOICE), False
    if not group.accepts_votes:
        return Ballot(position, current, CLOSED), False
    if request.choice == WITHDRAW:
        if current is None:
            return Ballot(position, None), False
        current.choice = None  # deleted by _write
        return Ballot(position, None), True
    choice = CHOICES[request.choice]
    if current is not None and current.choice == choice:
        return Ballot(position, current), False
    if vote is None:
        vote = votes[key] = Vote(
            participant_id=request.participant_id, position_id=position.pk, cast_at=now
        )
    vote.choice, vote.cast_at = choice, now
    return Ballot(position, vote), True


def _write(votes: dict[tuple[int, int], Vote], changes: dict[int, int], now) -> None:
    """Write the batch's votes (those cast now: an upsert; those withdrawn: a delete) and
    number the changes of the tallies. Written out: one statement each, whatever the batch.

    The upsert also covers a vote inserted since it was read (another tab of the same
    participant, in another process's batch before this one locked the position): that row
    takes this choice, with no savepoint to recover.
    """
    cast = [v for v in votes.values() if v.choice is not None and v.cast_at == now]
    withdrawn = [v.pk for v in votes.values() if v.choice is None and v.pk is not None]
    ids = sorted(changes)
    count = (
        f"UPDATE {Position._meta.db_table} SET tally_version = tally_version + CASE id "
        f"{' '.join(['WHEN %s THEN %s'] * len(ids))} END "
        f"WHERE id IN ({', '.join(['%s'] * len(ids))})"
    )
    count_values = [value for pk in ids for value in (pk, changes[pk])] + ids
    with connection.cursor() as cursor:
        if withdrawn:
            marks = ", ".join(["%s"] * len(withdrawn))
            cursor.execute(f"DELETE FROM {Vote._meta.db_table} WHERE id IN ({marks})", withdrawn)
        if not cast:
            cursor.execute(count, count_values)
        else:
            when = connection.ops.adapt_datetimefield_value(now)
            values = [(v.participant_id, v.position_id, v.choice, when) for v in cast]
            upsert = f"""
                INSERT INTO {Vote._meta.db_table} (participant_id, position_id, choice, cast_at)
                VALUES {", ".join(["(%s, %s, %s, %s)"] * len(cast))}
                ON CONFLICT (participant_id, position_id)
                DO UPDATE SET choice = EXCLUDED.choice, cast_at = EXCLUDED.cast_at
                RETURNING id, participant_id, position_id
            """
            upsert_values = [value for row in values for value in row]
            if connection.vendor == "postgresql":
                # One statement, the numbering riding on the upsert in a WITH clause: a
                # round trip fewer, and round trips are most of PostgreSQL's work here.
                cursor.execute(
                    f"WITH cast_votes AS ({upsert}), counted AS ({count}) "
                    "SELECT id, participant_id, position_id FROM cast_votes",
                    upsert_values + count_values,
                )
            else:  # SQLite takes no writes in WITH
                cursor.execute(upsert, upsert_values)
            for pk, participant_id, position_id in cursor.fetchall():
                votes[(participant_id, position_id)].pk = pk
            if connection.vendor != "postgresql":
                cursor.execute(count, count_values)
    for vote in votes.values():
        if vote.choice is None:
            vote.pk = None


def _announce(changed: dict[int, Position]) -> None:
    """After the commit, each changed tally goes to the rooms that show it: a plenary
    position's to every group of its session, another's to its own group."""
    sessions = {p.session_id for p in changed.values() if p.plenary}
    rooms: dict[int, list[int]] = {}
    if sessions:
        for group_id, session_id in (
            BreakoutGroup.objects.filter(session__in=sessions)
            .order_by("pk")
            .values_list("pk", "session_id")
        ):
            rooms.setdefault(session_id, []).append(group_id)
    for position in changed.values():
        for room in rooms[position.session_id] if position.plenary else [position.group_id]:
            live.tally_changed(room, position.pk)
