"""The read rules that views, sockets and services share, each in one place: who is still a
member of a room, and which positions a member may vote on.

A rule is written here in every form its callers need, side by side: SQL for the paths
every vote and heartbeat takes (the ORM's compiling was much of a vote's time,
docs/capacity.md, "Hot reads written as SQL"), the ORM for pages, Python for rows already
read. A change to a rule is
made to all its forms at once, here.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import connection
from django.db.models import Q

from discussions import rows
from discussions.models import BreakoutGroup, Participant, Position, Prompt, Session

# --- Membership ----------------------------------------------------------------------------------
# A participant is a member of the group they are in until a facilitator removes them; a
# browser is the participant its identity cookie names for that conference session
# (discussions.identity), and only under that session's key.


def member_rows(
    select: str, participant_ids: list[int], *, group_id: int | None = None, joins: str = ""
) -> list[tuple]:
    """`select` (SQL over `pa`, the participant, and `g`, their group, plus `joins`) for
    those of the participants who are still members, of `group_id` if given."""
    marks = ", ".join(["%s"] * len(participant_ids))
    in_group = " AND pa.group_id = %s" if group_id is not None else ""
    sql = f"""
        SELECT {select}
        FROM {Participant._meta.db_table} pa
        JOIN {BreakoutGroup._meta.db_table} g ON g.id = pa.group_id
        {joins}
        WHERE pa.id IN ({marks}) AND pa.removed_at IS NULL{in_group}
    """
    params = [*participant_ids, *([group_id] if group_id is not None else [])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _candidates(joined: Mapping[str, int], group_id: int) -> list[int]:
    """The participants a browser's cookie names, if the group could exist at all."""
    if not rows.in_range(BreakoutGroup, group_id):
        return []
    return [pk for pk in joined.values() if type(pk) is int]


def participant_for(joined: Mapping[str, int], session_id: int) -> Participant | None:
    """The participant this browser is in a session, from its identity cookie's entries
    (removed or not: the join pages tell them so)."""
    participant_id = joined.get(str(session_id))
    if participant_id is None:
        return None
    return (
        Participant.objects.select_related("group", "session")
        .filter(pk=participant_id, session=session_id)
        .first()
    )


def member_in(joined: Mapping[str, int], group_id: int) -> Participant | None:
    """The browser's participant in this group, still a member, with the group (its session
    and current prompt) read fresh by the same query; None if the browser is not a member.

    `joined` is the browser's identity cookie's entries. One query: every room request
    checks membership, and two queries (the group's, then the participant's) were a third
    of a vote's time.
    """
    candidates = _candidates(joined, group_id)
    if not candidates:
        return None
    found = member_rows(
        f"{rows.columns(Participant, 'pa')}, {rows.columns(BreakoutGroup, 'g')}, "
        f"{rows.columns(Session, 's')}, {rows.columns(Prompt, 'pr')}",
        candidates,
        group_id=group_id,
        joins=f"""JOIN {Session._meta.db_table} s ON s.id = g.session_id
        LEFT JOIN {Prompt._meta.db_table} pr ON pr.id = g.current_prompt_id""",
    )
    for row in found:
        participant, end = rows.take(Participant, row, 0)
        # Joined under this session's key, not another's (a browser in two conferences).
        if joined.get(str(participant.session_id)) != participant.pk:
            continue
        group, end = rows.take(BreakoutGroup, row, end)
        session, end = rows.take(Session, row, end)
        prompt, _ = rows.take(Prompt, row, end)
        group.session, group.current_prompt = session, prompt
        participant.group, participant.session = group, session  # the same rows: no query
        return participant
    return None


def still_member(joined: Mapping[str, int], group_id: int) -> tuple[int, int] | None:
    """(participant id, the room's latest broadcast number) if the browser is still a member
    of the group, else None: member_in's rule, without the rows it builds.

    For the room's sockets, which need no more at their opening and at each of their
    80 heartbeats a second (2,000 sockets): building the four model instances was about a
    third of member_in's time.
    """
    candidates = _candidates(joined, group_id)
    if not candidates:
        return None
    found = member_rows("pa.id, pa.session_id, g.broadcast_seq", candidates, group_id=group_id)
    for participant_id, session_id, broadcast_seq in found:
        if joined.get(str(session_id)) == participant_id:  # under this session's key
            return participant_id, broadcast_seq
    return None


# --- What a member may vote on -------------------------------------------------------------------
# Their group's own positions, and the plenary round's, which every group of the session sees.


def votable_in(group: BreakoutGroup) -> Q:
    """The rule as a filter on positions."""
    return Q(group=group) | Q(plenary=True, group__session=group.session_id)


def votable(position: Position, group: BreakoutGroup) -> bool:
    """The rule for a position already read, with its group's session as `session_id`."""
    return position.group_id == group.pk or (
        position.plenary and position.session_id == group.session_id
    )
