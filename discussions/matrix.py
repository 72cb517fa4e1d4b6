"""The vote matrix of a session, read from the database in a fixed number of queries.

The synthesis package works on arrays only; this is the one place that turns rows into those arrays,
so the view's cost does not grow with the number of positions or people (five queries,
pinned in a test).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import connections

from discussions.models import BreakoutGroup, Participant, Position, Prompt, Session, Vote


@dataclass(frozen=True)
class SessionMatrix:
    groups: list[BreakoutGroup]
    positions: list[Position]  # rows of the synthesis, by id
    participant_ids: np.ndarray
    V: np.ndarray  # participants x positions: +1, -1, 0, NaN (not voted)
    breakout: np.ndarray  # breakout-group index of each participant
    texts: list[str]
    languages: list[str]  # each position's author's page language, for the themes

    @property
    def n_groups(self) -> int:
        return len(self.groups)


def visible_positions(session: Session, prompt_id: int | None = None):
    positions = Position.objects.filter(group__session=session, status=Position.Status.VISIBLE)
    if prompt_id is not None:
        positions = positions.filter(prompt=prompt_id)
    return positions


def session_matrix(session: Session, prompt_id: int | None = None) -> SessionMatrix:
    """Every visible position (of one prompt, or all) against every participant.

    Hidden, rejected and merged positions are left out, as are their votes; participants who
    have not voted are rows of NaN, which the synthesis treats as not yet seen.
    """
    groups = list(session.groups.order_by("position", "pk"))
    group_index = {group.pk: index for index, group in enumerate(groups)}
    positions = list(visible_positions(session, prompt_id).order_by("pk"))
    _attach_groups_and_prompts(positions, groups)
    people = list(
        Participant.objects.filter(session=session).order_by("pk").values_list("pk", "group_id")
    )
    votes = Vote.objects.filter(position__in=visible_positions(session, prompt_id)).values_list(
        "participant_id", "position_id", "choice"
    )
    participant_ids = np.array([pk for pk, _group in people], dtype=np.int64)
    position_ids = np.array([position.pk for position in positions], dtype=np.int64)
    V = np.full((len(people), len(positions)), np.nan)
    cells = _fetch_ints(votes)
    # Both id lists are sorted, so a vote's row and column are found by bisection, for all
    # votes at once: a million votes take a fraction of a second, not a Python loop.
    V[np.searchsorted(participant_ids, cells[:, 0]), np.searchsorted(position_ids, cells[:, 1])] = (
        cells[:, 2]
    )
    return SessionMatrix(
        groups=groups,
        positions=positions,
        participant_ids=participant_ids,
        V=V,
        breakout=np.array([group_index[group] for _pk, group in people], dtype=np.int64),
        texts=[position.text for position in positions],
        languages=[position.language for position in positions],
    )


def _attach_groups_and_prompts(positions: list[Position], groups: list[BreakoutGroup]) -> None:
    """Give each position its group and prompt (with the prompt's question and section), as
    the synthesis and the exports show them: the same few objects shared by every position.
    A join per position (select_related) built a copy of each for every row, twice the time
    (docs/capacity.md, "Exports in a constant number of queries")."""
    by_pk = {group.pk: group for group in groups}
    prompts = Prompt.objects.filter(pk__in={p.prompt_id for p in positions}).select_related(
        "question__section", "section"
    )
    prompt_by_pk = {prompt.pk: prompt for prompt in prompts}
    group_field, prompt_field = Position.group.field, Position.prompt.field
    for position in positions:
        group_field.set_cached_value(position, by_pk[position.group_id])
        prompt_field.set_cached_value(position, prompt_by_pk[position.prompt_id])


def _fetch_ints(queryset) -> np.ndarray:
    """The rows of a values_list of integers as an (n, k) array, without building a Python
    object per row the way the ORM would."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    width = len(queryset.query.values_select) or 1
    return np.array(rows, dtype=np.int64).reshape(-1, width)
