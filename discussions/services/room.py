"""Writes inside a breakout room: post a position, cast, change or withdraw a vote."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from discussions import live, rows
from discussions.models import BreakoutGroup, Participant, Position, Vote
from discussions.services.errors import ServiceError
from discussions.services.facilitation import apply_due_timer
from discussions.services.locks import lock_group, retry_on_conflict

CHOICES = {
    "agree": Vote.Choice.AGREE,
    "disagree": Vote.Choice.DISAGREE,
    "pass": Vote.Choice.PASS,
}
WITHDRAW = "withdraw"


def _end_due_countdown(participant: Participant) -> None:
    """Write down a countdown that ran out, in its own transaction, before the write: the
    phase switch must stay even when the write it closes is then refused."""
    apply_due_timer(BreakoutGroup.objects.get(pk=participant.group_id))


@retry_on_conflict
def post_position(*, participant: Participant, text: str) -> Position:
    """Post a position to the participant's group, on the group's current prompt.

    Side effects: after commit, every socket of the group gets the new position; with
    pre-moderation it waits for a facilitator instead, and only its author sees it.
    """
    # Browsers submit a line break as \r\n but count it as one character against maxlength.
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise ServiceError("Write your position before posting it.")
    if len(text) > Position.MAX_LENGTH:
        raise ServiceError(
            f"Your position is {len(text)} characters; the limit is {Position.MAX_LENGTH}."
        )
    _end_due_countdown(participant)
    with transaction.atomic():
        # Re-read and locked: its phase decides (a countdown that ran out a moment ago
        # counts), and its broadcast number is taken in the same transaction.
        group = lock_group(participant.group_id)
        if not group.accepts_positions:
            phase = BreakoutGroup.Phase(group.effective_phase).label
            raise ServiceError(
                f"The facilitator has set this group to “{phase}”: new positions are closed."
            )
        if group.current_prompt_id is None:
            raise ServiceError("This group has no prompt yet: wait for the facilitator.")
        premoderated = group.session.premoderation
        position = Position.objects.create(
            group=group,
            prompt_id=group.current_prompt_id,
            author=participant,
            text=text,
            status=Position.Status.PENDING if premoderated else Position.Status.VISIBLE,
        )
        if premoderated:
            live.notify_console(group)  # it waits in the facilitators' queue, unseen
        else:
            live.publish(group.pk, lambda seq: live.position_added_html(position.pk, seq))
    return position


@dataclass
class Ballot:
    """What a vote left behind: the position (with the tally version this vote made) and
    the voter's vote on it now (None after a withdrawal)."""

    position: Position
    vote: Vote | None


@retry_on_conflict
def cast_vote(
    *, participant: Participant, position_id: int, choice: str, group: BreakoutGroup | None = None
) -> Ballot:
    """Record the participant's vote on a position of their own group.

    choice is agree, disagree, pass or withdraw. Casting the vote one already has changes
    nothing and sends nothing. Side effects: after commit, the group's sockets get the
    position's new tally (within a moment, combined with the group's other changed tallies:
    live.tally_changed).

    This is the hottest write of a conference, so it keeps its round trips to the database
    few and its lock small: the position's row, not the group's. Votes on one position
    queue behind each other (that numbers them: tally_version), votes on the rest of the
    room do not, and numbering broadcasts happens after the commit (live.tally_changed).
    The group is read, not locked: a vote racing the facilitator's "voting closed" by a
    few milliseconds may still count, as a paper ballot handed in at the bell would. A caller
    that has just read the participant's group (the view, with its membership check) passes
    it as `group`; otherwise it is read here, as the participant's copy may be old.
    """
    if choice != WITHDRAW and choice not in CHOICES:
        raise ServiceError("A vote is agree, disagree or pass.")
    if group is None or group.pk != participant.group_id:
        group = BreakoutGroup.objects.get(pk=participant.group_id)
    group = apply_due_timer(group)
    with transaction.atomic():
        position, vote = _lock_votable(group, participant, position_id)
        if position is None or not position.is_visible:
            raise ServiceError("That position is not in your group (or was removed).")
        if not group.accepts_votes:
            raise ServiceError("Voting is closed in this group.")
        if choice == WITHDRAW:
            if vote is None:
                return Ballot(position, None)
            vote.delete()
            vote = None
            _count_a_vote(position)
        elif vote is not None and vote.choice == CHOICES[choice]:
            return Ballot(position, vote)
        else:
            vote = _record_and_count(participant, position, CHOICES[choice])
        # A plenary position is on every group's screen; its own group's otherwise.
        rooms = (
            BreakoutGroup.objects.filter(session=participant.session_id)
            .order_by("pk")
            .values_list("pk", flat=True)
            if position.plenary
            else [position.group_id]
        )
        for room in rooms:
            live.tally_changed(room, position.pk)
    return Ballot(position, vote)


def _lock_votable(
    group: BreakoutGroup, participant: Participant, position_id: int
) -> tuple[Position | None, Vote | None]:
    """The position, if a member of the group may vote on it (queries.votable_in: the
    group's own, or the session's plenary round), its row locked; and the participant's
    vote on it, if any. One statement written out, as every vote runs it (discussions/rows.py).

    Only the position's row is locked, not its group's: votes on one position queue behind
    each other, votes on the rest of the room do not.
    """
    if not rows.in_range(Position, position_id):
        return None, None
    # FOR NO KEY UPDATE, as every lock of ours (services.locks.locked); SQLite has none.
    lock = " FOR NO KEY UPDATE OF p" if connection.features.has_select_for_update_of else ""
    sql = f"""
        SELECT {rows.columns(Position, "p")}, {rows.columns(Vote, "v")}
        FROM {Position._meta.db_table} p
        LEFT JOIN {Vote._meta.db_table} v ON v.position_id = p.id AND v.participant_id = %s
        WHERE p.id = %s AND (p.group_id = %s OR (p.plenary AND p.group_id IN (
            SELECT id FROM {BreakoutGroup._meta.db_table} WHERE session_id = %s)))
        {lock}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [participant.pk, position_id, group.pk, group.session_id])
        row = cursor.fetchone()
    if row is None:
        return None, None
    position, end = rows.take(Position, row, 0)
    vote, _ = rows.take(Vote, row, end)
    return position, vote


def _record_and_count(participant: Participant, position: Position, choice: int) -> Vote:
    """Write the participant's vote on the position (new or changed) and number the change
    of the position's tally.

    Written out, as every vote runs it: the ORM's bulk_create and save were a tenth of a
    server process at 200 votes/s. On PostgreSQL it is one statement, the tally's UPDATE
    riding on the vote's in a WITH clause: a round trip fewer per vote, and the round trips
    are most of PostgreSQL's work at that rate (docs/capacity.md). SQLite takes no writes in
    WITH, so there it is two.

    The write is an upsert: should another tab of the same participant have inserted a vote
    since it was read, that row takes this choice, with no savepoint to recover. The
    version is exact: every vote on the position holds its row's lock (_lock_votable), so
    the version read under the lock plus one is this vote's.
    """
    vote = Vote(participant=participant, position=position, choice=choice, cast_at=timezone.now())
    upsert = f"""
        INSERT INTO {Vote._meta.db_table} (participant_id, position_id, choice, cast_at)
        VALUES (%s, %s, %s, %s)
        ON CONFLICT (participant_id, position_id)
        DO UPDATE SET choice = EXCLUDED.choice, cast_at = EXCLUDED.cast_at
        RETURNING id
    """
    values = [
        participant.pk,
        position.pk,
        choice,
        connection.ops.adapt_datetimefield_value(vote.cast_at),
    ]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(upsert, values)
            (vote.pk,) = cursor.fetchone()
            _count_a_vote(position)
            return vote
        cursor.execute(
            f"WITH cast_vote AS ({upsert}) {COUNT_A_VOTE} RETURNING (SELECT id FROM cast_vote)",
            [*values, position.pk],
        )
        (vote.pk,) = cursor.fetchone()
    position.tally_version += 1
    return vote


COUNT_A_VOTE = (
    f"UPDATE {Position._meta.db_table} SET tally_version = tally_version + 1 WHERE id = %s"
)


def _count_a_vote(position: Position) -> None:
    """Number a change of the position's tally (see _record_and_count)."""
    with connection.cursor() as cursor:
        cursor.execute(COUNT_A_VOTE, [position.pk])
    position.tally_version += 1
