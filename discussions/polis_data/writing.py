"""Writing a conversation: write_conversation, the four files by name, and the writer of
each. Counts (a comment's agrees and disagrees, summary.csv's) come from the votes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from discussions.polis_data.layout import (
    AGREE,
    COMMENT_COLUMNS,
    COMMENTS,
    DISAGREE,
    PARTICIPANT_COLUMNS,
    PARTICIPANTS_VOTES,
    PASS,
    SUMMARY,
    VOTE_COLUMNS,
    VOTES,
    Conversation,
    Vote,
    polis_datetime,
)


def write_conversation(conversation: Conversation) -> dict[str, bytes]:
    """The four files, by name."""
    return {
        COMMENTS: write_comments(conversation),
        VOTES: write_votes(conversation.votes),
        PARTICIPANTS_VOTES: write_participants_votes(conversation),
        SUMMARY: write_summary(conversation),
    }


def _csv(rows: Iterable[Iterable[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _tallies(votes: Iterable[Vote], key) -> dict[int, list[int]]:
    """[agrees, disagrees, passes] by key(vote)."""
    tallies: dict[int, list[int]] = {}
    for vote in votes:
        tally = tallies.setdefault(key(vote), [0, 0, 0])
        tally[(AGREE, DISAGREE, PASS).index(vote.vote)] += 1
    return tallies


def write_comments(conversation: Conversation) -> bytes:
    """comments.csv, by comment id; agrees and disagrees counted from the votes."""
    tallies = _tallies(conversation.votes, lambda v: v.comment_id)
    rows: list[Iterable[object]] = [COMMENT_COLUMNS]
    for c in sorted(conversation.comments, key=lambda c: c.id):
        agrees, disagrees, _passes = tallies.get(c.id, (0, 0, 0))
        rows.append(
            (
                c.timestamp_ms,
                polis_datetime(c.timestamp_ms),
                c.id,
                c.author_id,
                agrees,
                disagrees,
                c.moderated,
                c.text,
            )
        )
    return _csv(rows)


def write_votes(votes: Iterable[Vote]) -> bytes:
    """votes.csv, by comment id then voter id (as Pol.is's exporter orders it)."""
    rows: list[Iterable[object]] = [VOTE_COLUMNS]
    rows.extend(
        (v.timestamp_ms, polis_datetime(v.timestamp_ms), v.comment_id, v.voter_id, v.vote)
        for v in sorted(votes, key=lambda v: (v.comment_id, v.voter_id, v.timestamp_ms))
    )
    return _csv(rows)


def write_participants_votes(conversation: Conversation) -> bytes:
    """participants-votes.csv: a row per participant who voted, by id; a column per comment.

    As Pol.is's exporter: participants who only wrote comments have no row, and the
    comment columns are every comment's id, moderated out or not.
    """
    comment_ids = sorted(c.id for c in conversation.comments)
    authored: dict[int, int] = {}
    for c in conversation.comments:
        authored[c.author_id] = authored.get(c.author_id, 0) + 1
    column = {cid: index for index, cid in enumerate(comment_ids)}
    by_voter: dict[int, dict[int, int]] = {}
    for v in conversation.votes:
        by_voter.setdefault(v.voter_id, {})[v.comment_id] = v.vote
    rows: list[Iterable[object]] = [(*PARTICIPANT_COLUMNS, *comment_ids)]
    for pid in sorted(by_voter):
        cast = by_voter[pid]
        values = list(cast.values())
        cells: list[object] = [""] * len(comment_ids)
        for cid, vote in cast.items():
            cells[column[cid]] = vote
        rows.append(
            (
                pid,
                conversation.group_ids.get(pid, ""),
                authored.get(pid, 0),
                len(cast),
                values.count(AGREE),
                values.count(DISAGREE),
                *cells,
            )
        )
    return _csv(rows)


def write_summary(conversation: Conversation) -> bytes:
    """summary.csv. The counts are the conversation's; views, voters-in-conv and groups
    come from the summary when it has them (what Pol.is saw and clustered)."""
    s = conversation.summary
    voters = len({v.voter_id for v in conversation.votes})
    in_groups = len(conversation.group_ids)
    groups = len(set(conversation.group_ids.values()))
    rows = (
        ("topic", s.topic),
        ("url", s.url),
        ("views", _first(s.views, len(conversation.participant_ids))),
        ("voters", voters),
        ("voters-in-conv", _first(s.voters_in_conv, in_groups if groups else voters)),
        ("commenters", len({c.author_id for c in conversation.comments})),
        ("comments", len(conversation.comments)),
        ("groups", _first(s.groups, groups)),
        ("conversation-description", s.description),
    )
    return _csv(rows)


def _first(given: int | None, counted: int) -> int:
    return counted if given is None else given
