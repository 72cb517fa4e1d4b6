"""The export document of one session (or one of its groups): everything gathered once.

build() reads the session through the same matrix and synthesis the live view uses, plus a
few queries of its own (the votes of positions the matrix leaves out, the votes in long
form, the paper, the recommendations, the moderation log), into one JSON-ready document:
the JSON export is exactly this, and every renderer only formats it. pseudonyms() names the
participants: "P001" is the session's first participant to join, the same in every export
of the session.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from django.db import connections
from django.db.models import Prefetch
from psycopg.types.datetime import TimestamptzLoader

from discussions import matrix, synthesis
from discussions.models import (
    BreakoutGroup,
    ModerationEntry,
    Participant,
    Position,
    Question,
    Session,
    Vote,
)

SCHEMA_VERSION = 1
CHOICE_NAMES = {1: "agree", -1: "disagree", 0: "pass"}


def _number(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def pseudonyms(session: Session, *, names: bool) -> dict[int, str]:
    """Participant id -> how exports call them: a stable pseudonym, or the display name."""
    people = Participant.objects.filter(session=session).order_by("joined_at", "pk")
    # Plain values, not 2,000 model instances: exports are downloaded during live sessions.
    return {
        pk: display_name if names else f"P{index:03d}"
        for index, (pk, display_name) in enumerate(
            people.values_list("pk", "display_name"), start=1
        )
    }


def _session_phase(groups: list[BreakoutGroup]) -> str:
    phases = {group.phase for group in groups}
    return phases.pop() if len(phases) == 1 else "mixed"


def build(
    session: Session,
    *,
    group: BreakoutGroup | None = None,
    names: bool = False,
    full: bool = False,
    votes: bool = True,
    progress=None,
) -> dict:
    """The whole export as one JSON-ready document (the JSON format is exactly this).

    `full` adds hidden, rejected and merged positions and the moderation log: the
    organizer's own record. `votes=False` leaves out the long list of votes, which the
    reports (Markdown, PDF) do not print. `progress(step, total)` is called as stages finish.
    """
    step = _stepper(progress, 5)
    m = matrix.session_matrix(session)
    result = synthesis.synthesize(
        m.V, m.breakout, max(m.n_groups, 1), m.texts, languages=m.languages, seed=0
    )
    step()
    who = pseudonyms(session, names=names)
    column = {position.pk: j for j, position in enumerate(m.positions)}
    in_scope = (lambda p: p.group_id == group.pk) if group else (lambda p: True)

    if full:
        # Each position's prompt, its question's section or its own: no query per position.
        positions = Position.objects.filter(group__session=session).select_related(
            "group", "prompt__question__section", "prompt__section"
        )
    else:
        positions = m.positions  # the visible ones, read with the same relations, by pk
    positions = [p for p in sorted(positions, key=lambda p: p.pk) if in_scope(p)]
    counts = _counts(positions, m, column)
    step()
    position_rows = [_position_row(p, counts, column, result, m, who) for p in positions]
    position_ids = {p.pk for p in positions}
    vote_rows = _votes(position_ids, who) if votes else []
    step()
    groups = [g for g in m.groups if group is None or g.pk == group.pk]
    document = {
        "schema_version": SCHEMA_VERSION,
        "generated": datetime.now().astimezone().isoformat(timespec="seconds"),
        "scope": {"group": group.name if group else None, "names": names, "full": full},
        "session": {
            "name": session.name,
            "code": session.code,
            "created": session.created_at.isoformat(),
            "phase": _session_phase(m.groups),
        },
        "paper": _paper(session),
        "groups": _groups(groups, m, position_rows),
        "positions": position_rows,
        "votes": vote_rows,
        "recommendations": _recommendations(session, who),
        "synthesis": _synthesis(result, m, position_ids),
    }
    step()
    if full:
        document["moderation"] = _moderation(session, group, who)
    step()
    return document


def _stepper(progress, total: int):
    done = [0]

    def step() -> None:
        done[0] += 1
        if progress:
            progress(done[0], total)

    return step


def _counts(positions, m, column) -> dict[int, dict[str, int]]:
    """Agree, disagree and pass per position: read off the vote matrix for visible
    positions; only the others (in the full record) are counted in the database."""
    counts = {}
    # Each column's counts at once (NaN, not voted, equals none of the three).
    agree = (m.V == 1).sum(axis=0).tolist()
    disagree = (m.V == -1).sum(axis=0).tolist()
    passed = (m.V == 0).sum(axis=0).tolist()
    for position in positions:
        j = column.get(position.pk)
        if j is not None:
            counts[position.pk] = {"agree": agree[j], "disagree": disagree[j], "pass": passed[j]}
    others = [p.pk for p in positions if p.pk not in counts]
    for pk in others:
        counts[pk] = {"agree": 0, "disagree": 0, "pass": 0}
    rows = Vote.objects.filter(position__in=others).values_list("position", "choice")
    for position_id, choice in rows:
        counts[position_id][CHOICE_NAMES[choice]] += 1
    return counts


def _votes(position_ids: set[int], who: dict[int, str]) -> list[dict]:
    """Votes in long form, one row each."""
    if not position_ids:
        # No query: the ORM answers an empty IN itself, which a raw query cannot take.
        return []
    rows = (
        Vote.objects.filter(position__in=position_ids)
        .order_by("position", "participant")
        .values_list("participant", "position", "choice", "cast_at")
    )
    return [
        {
            "position": position_id,
            "participant": who[participant_id],
            "vote": CHOICE_NAMES[choice],
            "time": cast_at.isoformat(),
        }
        for participant_id, position_id, choice, cast_at in _with_fast_timestamps(rows)
    ]


def _with_fast_timestamps(rows) -> list[tuple]:
    """The rows of a values_list, its timestamps read by psycopg's own (compiled) loader.

    Django reads every PostgreSQL timestamp through a loader of its own written in Python
    (to attach its time zone): most of the time the votes of a conference's CSV export took
    to read (docs/capacity.md, "Exports in a constant number of queries"). The connection's
    time zone is UTC, as Django sets it, so the values are the same. Elsewhere (SQLite,
    whose timestamps are text), the ORM converts them as usual.
    """
    connection = connections[rows.db]
    if connection.vendor != "postgresql":
        return list(rows.iterator(chunk_size=20_000))
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        # This cursor's own loaders: the connection's, and Django's other queries, keep theirs.
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        return cursor.fetchall()


def _position_row(position, counts, column, result, m, who) -> dict:
    tally = counts[position.pk]
    j = column.get(position.pk)
    by_group = {}
    if j is not None:
        by_group = {
            m.groups[g].name: {
                "votes": int(result.groups.votes[g, j]),
                "agree_rate": _number(result.groups.rate[g, j]),
            }
            for g in np.flatnonzero(result.groups.votes[:, j])  # the groups that voted on it
        }
    decided = tally["agree"] + tally["disagree"]
    section = position.prompt.context_section
    return {
        "id": position.pk,
        "group": position.group.name,
        "prompt": position.prompt.heading,
        "section": section.title if section else None,
        "author": who[position.author_id],
        "text": position.text,
        "status": position.status,
        "plenary": position.plenary,
        "agree": tally["agree"],
        "disagree": tally["disagree"],
        "pass": tally["pass"],
        "support": round(tally["agree"] / decided, 4) if decided else None,
        "consensus": round(float(result.consensus[j]), 4) if j is not None else None,
        "by_group": by_group,
        **({"moderation_reason": position.moderation_reason} if position.moderation_reason else {}),
        "created": position.created_at.isoformat(),
    }


def _paper(session: Session) -> dict:
    paper = session.paper
    return {
        "title": paper.title,
        "version": paper.version,
        "framing_questions": [q.text for q in paper.framing_questions()],
        "sections": [
            {
                "title": s.title,
                "level": s.level,
                "questions": [q.text for q in s.questions.all() if not q.is_framing],
            }
            for s in paper.sections.prefetch_related(
                Prefetch("questions", queryset=Question.objects.order_by("position"))
            )
        ],
    }


def _groups(groups, m, position_rows) -> list[dict]:
    members = dict(zip(*np.unique(m.breakout, return_counts=True), strict=True))
    index = {g.pk: i for i, g in enumerate(m.groups)}
    positions_per_group: dict[str, int] = {}
    votes_per_group: dict[str, int] = {}
    for row in position_rows:
        name = row["group"]
        positions_per_group[name] = positions_per_group.get(name, 0) + 1
        votes_per_group[name] = (
            votes_per_group.get(name, 0) + row["agree"] + row["disagree"] + row["pass"]
        )
    return [
        {
            "name": group.name,
            "phase": group.phase,
            "participant_count": int(members.get(index[group.pk], 0)),
            "position_count": positions_per_group.get(group.name, 0),
            "vote_count": votes_per_group.get(group.name, 0),
        }
        for group in groups
    ]


def _recommendations(session: Session, who) -> list[dict]:
    return [
        {
            "rank": rank,
            "text": r.text,
            "prompt": r.prompt.heading if r.prompt else None,
            "sources": [p.pk for p in r.sources.all()],
            "dissent_note": r.dissent_note,
        }
        for rank, r in enumerate(
            session.recommendations.select_related(
                "prompt__question", "prompt__section"
            ).prefetch_related("sources"),
            start=1,
        )
    ]


def _synthesis(result: synthesis.Synthesis, m, position_ids: set[int]) -> dict:
    ids = [p.pk for p in m.positions]

    def pick(indices):
        return [ids[j] for j in indices if ids[j] in position_ids]

    opinion = result.opinion
    return {
        "broad_consensus": pick(result.broad_consensus),
        "most_divisive": pick(result.most_divisive),
        "backed_by_one_group": [
            {"position": ids[j], "group": m.groups[g].name}
            for j, g in result.backed_by_one_group
            if ids[j] in position_ids
        ],
        "opinion_groups": [
            {
                "size": int(opinion.sizes[g]),
                "representative": pick(opinion.representative[g]),
            }
            for g in range(opinion.k)
        ],
        "opinion_consensus": pick(opinion.consensus),
        # The opinion map, so the figure can be redrawn: one point per participant.
        "opinion_map": [
            {"x": round(float(x), 4), "y": round(float(y), 4), "group": int(label)}
            for (x, y), label in zip(opinion.coords.tolist(), opinion.labels.tolist(), strict=True)
        ],
        "themes": [
            {"name": theme.name, "positions": pick(theme.positions)} for theme in result.themes
        ],
    }


def _moderation(session: Session, group, who) -> list[dict]:
    entries = ModerationEntry.objects.filter(session=session).select_related("actor", "group")
    if group is not None:
        entries = entries.filter(group=group)
    return [
        {
            "time": e.created_at.isoformat(),
            "actor": e.actor.get_username() if e.actor else "countdown",
            "action": e.action,
            "group": e.group.name if e.group else None,
            "position": e.position_id,
            "participant": who.get(e.participant_id) if e.participant_id else None,
            "detail": e.detail,
        }
        for e in entries.order_by("created_at", "pk")
    ]
