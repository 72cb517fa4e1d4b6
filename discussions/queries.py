"""Reads the room pages and broadcasts share: positions with their tallies, who is online."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from discussions.models import BreakoutGroup, Participant, Position, Presence, Session, Vote

# A socket whose browser has not pinged for this long is counted as gone (the client pings
# every 25 s; the server's own WebSocket ping evicts dead sockets).
PRESENCE_TIMEOUT = timedelta(seconds=75)

SORTS = {
    # Translators: the orders a room lists its positions in.
    "newest": _("Newest"),
    "agreed": _("Most agreed"),
    "divisive": _("Most divisive"),
    "unvoted": _("Not yet voted by me"),
}
DEFAULT_SORT = "newest"
# Orders that follow the tallies: while the tallies are hidden they would show the ranking.
TALLY_SORTS = ("agreed", "divisive")


def sorts_for(group: BreakoutGroup) -> dict[str, str]:
    """The orders a room offers its participants now."""
    if tallies_hidden(group):
        return {key: label for key, label in SORTS.items() if key not in TALLY_SORTS}
    return SORTS


def offered_sort(group: BreakoutGroup, sort: str) -> str:
    """The order asked for if the room offers it now, else the default."""
    return sort if sort in sorts_for(group) else DEFAULT_SORT


@dataclass(frozen=True)
class Tally:
    agree: int
    disagree: int
    passed: int

    @property
    def total(self) -> int:
        return self.agree + self.disagree + self.passed

    @property
    def votes(self) -> int:
        return self.total

    # A tally's bar is drawn as a share of at least this many votes, the rest of it left
    # empty: a single vote painted the whole bar, as if the room had spoken.
    BAR_FLOOR = 5

    def bar_width(self, count: int) -> int:
        """The width, in percent of the bar, of a part of the tally."""
        return round(100 * count / max(self.total, self.BAR_FLOOR))

    @property
    def agree_bar(self) -> int:
        return self.bar_width(self.agree)

    @property
    def disagree_bar(self) -> int:
        return self.bar_width(self.disagree)

    @property
    def pass_bar(self) -> int:
        return self.bar_width(self.passed)


def with_tallies(positions: QuerySet[Position]) -> QuerySet[Position]:
    return positions.annotate(
        agree=Count("votes", filter=Q(votes__choice=Vote.Choice.AGREE)),
        disagree=Count("votes", filter=Q(votes__choice=Vote.Choice.DISAGREE)),
        passed=Count("votes", filter=Q(votes__choice=Vote.Choice.PASS)),
    )


def tally_of(position: Position) -> Tally:
    return Tally(position.agree, position.disagree, position.passed)


def _with_my_vote(positions: QuerySet[Position], participant: Participant | None):
    if participant is None:
        return positions
    mine = Vote.objects.filter(participant=participant, position=OuterRef("pk"))
    return positions.annotate(
        my_choice=Subquery(mine.values("choice")[:1], output_field=IntegerField()),
        voted=Exists(mine),
    )


def _finish(positions, group: BreakoutGroup) -> list[Position]:
    result = list(positions)
    hidden = tallies_hidden(group)
    for position in result:
        position.tally = tally_of(position)
        position.tally_hidden = hidden
    return result


def room_positions(
    group: BreakoutGroup, participant: Participant | None, sort: str = DEFAULT_SORT
) -> list[Position]:
    """The visible positions of the group's current prompt, sorted, each with its tally and
    (when a participant is given) that participant's own vote as `my_choice`. Positions in
    the plenary round are listed apart (plenary_positions). An order the room does not
    offer now (sorts_for) is the default one."""
    sort = offered_sort(group, sort)
    shown = Q(status=Position.Status.VISIBLE)
    if participant is not None:
        # Authors see their own positions while they await review.
        shown |= Q(status=Position.Status.PENDING, author=participant)
    positions = with_tallies(
        Position.objects.filter(
            shown, group=group, prompt=group.current_prompt_id, plenary=False
        ).select_related("author")
    )
    positions = _with_my_vote(positions, participant)
    if participant is not None and sort == "unvoted":
        positions = positions.filter(voted=False)
    order = {
        "agreed": [F("agree").desc(), "-created_at", "-pk"],
        # Divisive: as many against as for, and many votes.
        "divisive": [Least("agree", "disagree").desc(), F("agree").desc(), "-created_at"],
    }.get(sort, ["-created_at", "-pk"])
    # Pinned positions stay on top whatever the order.
    return _finish(positions.order_by("-pinned", *order), group)


def plenary_positions(group: BreakoutGroup, participant: Participant | None) -> list[Position]:
    """The session's plenary round: positions every group sees and votes on."""
    positions = with_tallies(
        Position.objects.filter(
            plenary=True, status=Position.Status.VISIBLE, group__session=group.session_id
        ).select_related("author", "group")
    )
    return _finish(_with_my_vote(positions, participant).order_by("pk"), group)


def position_with_tally(position_id: int) -> Position:
    """One position with its tally, as a broadcast shows it to the whole room."""
    position = with_tallies(Position.objects.select_related("author", "group__session")).get(
        pk=position_id
    )
    position.tally = tally_of(position)
    position.tally_hidden = tallies_hidden(position.group)
    return position


@dataclass(frozen=True)
class TallyUpdate:
    """A position's tally as a broadcast carries it: what room/_tally.html reads."""

    pk: int
    tally_version: int
    tally: Tally
    tally_hidden: bool


def positions_with_tallies(position_ids: list[int]) -> list[TallyUpdate]:
    """Several positions' tallies, in one query, as a broadcast shows them.

    Plain SQL, as every broadcast of a busy room runs it: through the ORM the same query
    took several times as long of a server process's time (docs/capacity.md, "Hot reads
    written as SQL"). The rule for hiding is the room page's (hidden_by).
    """
    if not position_ids:
        return []
    marks = ", ".join(["%s"] * len(position_ids))
    sql = f"""
        SELECT p.id, p.tally_version, g.phase, s.hide_tallies,
               COUNT(CASE WHEN v.choice = %s THEN 1 END),
               COUNT(CASE WHEN v.choice = %s THEN 1 END),
               COUNT(CASE WHEN v.choice = %s THEN 1 END)
        FROM {Position._meta.db_table} p
        JOIN {BreakoutGroup._meta.db_table} g ON g.id = p.group_id
        JOIN {Session._meta.db_table} s ON s.id = g.session_id
        LEFT JOIN {Vote._meta.db_table} v ON v.position_id = p.id
        WHERE p.id IN ({marks})
        GROUP BY p.id, p.tally_version, g.phase, s.hide_tallies
        ORDER BY p.id
    """
    choices = [Vote.Choice.AGREE, Vote.Choice.DISAGREE, Vote.Choice.PASS]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*choices, *position_ids])
        rows = cursor.fetchall()
    return [
        TallyUpdate(
            pk=pk,
            tally_version=version,
            tally=Tally(agree, disagree, passed),
            tally_hidden=hidden_by(hide, phase),
        )
        for pk, version, phase, hide, agree, disagree, passed in rows
    ]


def tallies_hidden(group: BreakoutGroup) -> bool:
    return hidden_by(group.session.hide_tallies, group.phase)


def hidden_by(hide_tallies: bool, phase: str) -> bool:
    """Participants see no tallies until voting closes, when the session asks for that."""
    return bool(hide_tallies) and phase != BreakoutGroup.Phase.CLOSED


def groups_to_join(session: Session) -> QuerySet[BreakoutGroup]:
    """The session's groups as the join form lists them: `size` (members) and `is_full`.
    Lazy: the form reads it only when its shared copy is out of date."""
    groups = session.groups.annotate(size=Count("participants"))
    if session.group_capacity is None:
        return groups.annotate(is_full=Value(False))
    full = ExpressionWrapper(Q(size__gte=session.group_capacity), output_field=BooleanField())
    return groups.annotate(is_full=full)


def online_counts(group_ids: list[int]) -> dict[int, int]:
    """Participants online per group, for many groups in one query."""
    since = timezone.now() - PRESENCE_TIMEOUT
    rows = (
        Presence.objects.filter(group__in=group_ids, last_seen__gte=since)
        .values("group")
        .annotate(n=Count("participant", distinct=True))
    )
    return {row["group"]: row["n"] for row in rows}


def online_count(group_id: int) -> int:
    since = timezone.now() - PRESENCE_TIMEOUT
    return (
        Presence.objects.filter(group=group_id, last_seen__gte=since)
        .values("participant")
        .distinct()
        .count()
    )


# (value, label, symbol) of the vote buttons; the symbol means colour is never the only cue.
# (value, label, symbol): the label in the reader's language, when the buttons are drawn.
VOTE_BUTTONS = [
    (Vote.Choice.AGREE.value, pgettext_lazy("vote", "Agree"), "✓"),
    (Vote.Choice.DISAGREE.value, pgettext_lazy("vote", "Disagree"), "✗"),
    (Vote.Choice.PASS.value, pgettext_lazy("vote", "Pass"), "–"),
]
