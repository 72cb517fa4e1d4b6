"""Reading a conversation: read_conversation, the reader of each file, and the check of
votes.csv's signs against participants-votes.csv. What a file holds is checked as it is read
(checked_csv) and within the caps (limits); anything that cannot be read is refused with a
PolisDataError, and nothing is read.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from discussions.papers.messages import gettext_noop
from discussions.polis_data.checked_csv import (
    _header,
    _id,
    _int,
    _optional_count,
    _reader,
    _records,
    _Table,
    _timestamp,
    _vote,
)
from discussions.polis_data.layout import (
    COMMENT_COLUMNS,
    COMMENTS,
    MODERATED_IN,
    MODERATED_OUT,
    PARTICIPANT_COLUMNS,
    PARTICIPANTS_VOTES,
    REQUIRED_COMMENT_COLUMNS,
    REQUIRED_VOTE_COLUMNS,
    SUMMARY,
    UNMODERATED,
    VOTE_COLUMNS,
    VOTES,
    Comment,
    Conversation,
    Summary,
    Vote,
)
from discussions.polis_data.limits import MAX_COMMENTS, MAX_PARTICIPANTS, MAX_VOTE_ROWS
from discussions.polis_data.messages import Message, PolisDataError

# Of the votes compared between votes.csv and participants-votes.csv, at least this share must
# agree (or all be opposite: agree written as -1) for the two to be read as one conversation.
_CONSISTENT = 0.9


def read_conversation(
    *,
    comments: bytes,
    votes: bytes,
    participants_votes: bytes | None = None,
    summary: bytes | None = None,
    invert_votes: bool | None = None,
) -> Conversation:
    """Read a conversation's files (comments.csv and votes.csv; the others optional).

    ``invert_votes``: True reads votes.csv's -1 as agree (a Pol.is server that wrote its
    stored signs); False reads 1 as agree, as openData has it; None (the default) reads 1 as
    agree unless participants-votes.csv shows votes.csv the other way round, and says so in
    the notes. Raises PolisDataError for anything that cannot be read, reading nothing.
    """
    conversation = Conversation(comments=read_comments(comments), votes=[])
    known = {c.id for c in conversation.comments}
    conversation.votes, conversation.superseded_votes = read_votes(votes, known)
    if participants_votes is not None:
        shown = read_participants_votes(participants_votes, known)
        conversation.group_ids = shown.group_ids
        invert = _check_signs(conversation, shown, invert_votes)
    else:
        invert = bool(invert_votes)
    if invert:
        conversation.votes = [
            Vote(v.comment_id, v.voter_id, -v.vote, v.timestamp_ms) for v in conversation.votes
        ]
    if summary is not None:
        conversation.summary = read_summary(summary)
    participants = len(conversation.participant_ids)
    if participants > MAX_PARTICIPANTS:
        raise PolisDataError(
            gettext_noop(
                "The conversation has %(count)s participants (authors and voters); "
                "at most %(limit)s are imported."
            ),
            {"count": participants, "limit": MAX_PARTICIPANTS},
        )
    if conversation.superseded_votes:
        conversation.notes.append(
            Message(
                gettext_noop(
                    "%(count)s earlier votes were replaced by the same voter's later vote on "
                    "the same comment: the latest vote counts."
                ),
                {"count": conversation.superseded_votes},
            )
        )
    return conversation


def read_comments(data: bytes) -> list[Comment]:
    """comments.csv: one Comment per row, by id."""
    table = _Table(data, COMMENTS, COMMENT_COLUMNS, REQUIRED_COMMENT_COLUMNS)
    comments: dict[int, Comment] = {}
    for line, row in table.rows():
        if len(comments) >= MAX_COMMENTS:
            raise PolisDataError(
                gettext_noop("%(file)s has more than %(limit)s comments."),
                {"file": COMMENTS, "limit": MAX_COMMENTS},
            )
        comment_id = _id(table.cell(row, "comment-id"), COMMENTS, line, "comment-id")
        if comment_id in comments:
            raise PolisDataError(
                gettext_noop("%(file)s line %(line)s: comment %(id)s appears twice."),
                {"file": COMMENTS, "line": str(line), "id": str(comment_id)},
            )
        moderated = _int(table.cell(row, "moderated"), COMMENTS, line, "moderated")
        if moderated not in (MODERATED_IN, UNMODERATED, MODERATED_OUT):
            raise PolisDataError(
                gettext_noop(
                    "%(file)s line %(line)s: moderated is %(value)s; Pol.is writes 1 "
                    "(accepted), 0 (not moderated) or -1 (moderated out)."
                ),
                {
                    "file": COMMENTS,
                    "line": str(line),
                    "value": repr(table.cell(row, "moderated").strip()),
                },
            )
        comments[comment_id] = Comment(
            id=comment_id,
            author_id=_id(table.cell(row, "author-id"), COMMENTS, line, "author-id"),
            text=table.cell(row, "comment-body"),
            moderated=moderated,
            timestamp_ms=_timestamp(table.cell(row, "timestamp"), COMMENTS, line),
            agrees=_optional_count(table.cell(row, "agrees"), COMMENTS, line, "agrees"),
            disagrees=_optional_count(table.cell(row, "disagrees"), COMMENTS, line, "disagrees"),
        )
    return [comments[i] for i in sorted(comments)]


def read_votes(data: bytes, comment_ids: set[int]) -> tuple[list[Vote], int]:
    """votes.csv: the latest vote of each voter on each comment, by comment then voter, and
    how many earlier votes those replaced. Every vote must be on a comment of comment_ids."""
    table = _Table(data, VOTES, VOTE_COLUMNS, REQUIRED_VOTE_COLUMNS)
    at = [table.index[name] for name in ("comment-id", "voter-id", "vote", "timestamp")]
    # Four columns of machine integers: a million votes take 26 MB, not a Python object each.
    comments, voters, values, times = array("q"), array("q"), array("b"), array("q")
    unknown: dict[int, int] = {}  # comment id -> first line that votes on it
    for line, row in table.rows():
        if len(times) >= MAX_VOTE_ROWS:
            raise PolisDataError(
                gettext_noop("%(file)s has more than %(limit)s votes."),
                {"file": VOTES, "limit": MAX_VOTE_ROWS},
            )
        comment_id = _id(row[at[0]], VOTES, line, "comment-id")
        voter_id = _id(row[at[1]], VOTES, line, "voter-id")
        vote = _vote(row[at[2]], VOTES, line)
        timestamp = _timestamp(row[at[3]], VOTES, line)
        if comment_id not in comment_ids:
            unknown.setdefault(comment_id, line)
            continue
        comments.append(comment_id)
        voters.append(voter_id)
        values.append(vote)
        times.append(timestamp)
    if unknown:
        examples = [
            Message(gettext_noop("comment %(id)s (line %(line)s)"), {"id": str(c), "line": str(n)})
            for c, n in sorted(unknown.items())[:5]
        ]
        raise PolisDataError(
            gettext_noop(
                "%(file)s has votes on %(count)s comments that %(other)s does not have: "
                "%(examples)s%(more)s. Are the two files from the same conversation?"
            ),
            {
                "file": VOTES,
                "other": COMMENTS,
                "count": len(unknown),
                "examples": examples,
                "more": ", …" if len(unknown) > 5 else "",
            },
        )
    c, v = np.frombuffer(comments, np.int64), np.frombuffer(voters, np.int64)
    x, t = np.frombuffer(values, np.int8), np.frombuffer(times, np.int64)
    # By voter, comment, time and row: the last of each (voter, comment) is its latest vote,
    # the later row of two at the same moment.
    order = np.lexsort((np.arange(len(t)), t, c, v))
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (v[order][1:] != v[order][:-1]) | (c[order][1:] != c[order][:-1])
    kept = order[last]
    kept = kept[np.lexsort((v[kept], c[kept]))]
    votes = [
        Vote(*fields)
        for fields in zip(
            c[kept].tolist(), v[kept].tolist(), x[kept].tolist(), t[kept].tolist(), strict=True
        )
    ]
    return votes, len(t) - len(kept)


@dataclass(frozen=True)
class ParticipantsVotes:
    """What participants-votes.csv shows: opinion groups, and votes as three columns."""

    #: Participant id -> opinion group, for the participants that have one.
    group_ids: dict[int, int]
    participants: np.ndarray
    comments: np.ndarray
    votes: np.ndarray


def read_participants_votes(data: bytes, comment_ids: set[int]) -> ParticipantsVotes:
    """participants-votes.csv: each participant's opinion group (those that have one), and
    each vote it shows."""
    reader = _reader(data, PARTICIPANTS_VOTES)
    header = _header(reader, PARTICIPANTS_VOTES, PARTICIPANT_COLUMNS)
    fixed = len(PARTICIPANT_COLUMNS)
    if tuple(header[:fixed]) != PARTICIPANT_COLUMNS:
        raise PolisDataError(
            gettext_noop(
                "%(file)s should start with the columns %(columns)s, then one column per "
                "comment id."
            ),
            {"file": PARTICIPANTS_VOTES, "columns": ",".join(PARTICIPANT_COLUMNS)},
        )
    columns = []
    for name in header[fixed:]:
        comment_id = _id(name, PARTICIPANTS_VOTES, 1, "column")
        if comment_id not in comment_ids:
            raise PolisDataError(
                gettext_noop(
                    "%(file)s has a column for comment %(id)s, which %(other)s does not have. "
                    "Are the files from the same conversation?"
                ),
                {"file": PARTICIPANTS_VOTES, "id": str(comment_id), "other": COMMENTS},
            )
        columns.append(comment_id)
    group_ids: dict[int, int] = {}
    participants, comments, votes = array("q"), array("q"), array("b")
    seen: set[int] = set()
    for line, row in _records(reader, PARTICIPANTS_VOTES, len(header)):
        pid = _id(row[0], PARTICIPANTS_VOTES, line, "participant")
        if pid in seen:
            raise PolisDataError(
                gettext_noop("%(file)s line %(line)s: participant %(id)s appears twice."),
                {"file": PARTICIPANTS_VOTES, "line": str(line), "id": str(pid)},
            )
        seen.add(pid)
        if len(seen) > MAX_PARTICIPANTS:
            raise PolisDataError(
                gettext_noop("%(file)s has more than %(limit)s participants."),
                {"file": PARTICIPANTS_VOTES, "limit": MAX_PARTICIPANTS},
            )
        if row[1].strip():
            group_ids[pid] = _id(row[1], PARTICIPANTS_VOTES, line, "group-id")
        for comment_id, cell in zip(columns, row[fixed:], strict=True):
            if cell and not cell.isspace():
                participants.append(pid)
                comments.append(comment_id)
                votes.append(_vote(cell, PARTICIPANTS_VOTES, line))
    return ParticipantsVotes(
        group_ids=group_ids,
        participants=np.frombuffer(participants, np.int64),
        comments=np.frombuffer(comments, np.int64),
        votes=np.frombuffer(votes, np.int8),
    )


def read_summary(data: bytes) -> Summary:
    """summary.csv: key,value rows; keys it does not know are passed over."""
    values: dict[str, str] = {}
    for _line, row in _records(_reader(data, SUMMARY), SUMMARY, None):
        if row[0].strip():
            values.setdefault(row[0].strip(), row[1] if len(row) > 1 else "")

    def count(key: str) -> int | None:
        return _optional_count(values.get(key), SUMMARY, None, key)

    return Summary(
        topic=values.get("topic", "").strip(),
        url=values.get("url", "").strip(),
        description=values.get("conversation-description", "").strip(),
        views=count("views"),
        voters=count("voters"),
        voters_in_conv=count("voters-in-conv"),
        commenters=count("commenters"),
        comments=count("comments"),
        groups=count("groups"),
    )


def _keys(voters: np.ndarray, comments: np.ndarray) -> np.ndarray:
    """One integer per (voter, comment): ids are below 2**31 (_id)."""
    return (voters.astype(np.int64) << 31) | comments.astype(np.int64)


def _check_signs(conversation: Conversation, shown: ParticipantsVotes, invert: bool | None) -> bool:
    """Whether to read votes.csv's signs inverted, from the votes participants-votes.csv
    shows too; refuses two files that disagree beyond what a later export explains."""
    votes = conversation.votes
    ours = _keys(
        np.fromiter((v.voter_id for v in votes), np.int64, len(votes)),
        np.fromiter((v.comment_id for v in votes), np.int64, len(votes)),
    )
    values = np.fromiter((v.vote for v in votes), np.int64, len(votes))
    order = np.argsort(ours)
    ours, values = ours[order], values[order]
    theirs = _keys(shown.participants, shown.comments)
    found = np.searchsorted(ours, theirs).clip(max=max(len(ours) - 1, 0))
    both = (ours[found] == theirs) if len(ours) else np.zeros(len(theirs), dtype=bool)
    mine, other = values[found[both]], shown.votes[both].astype(np.int64)
    compared = int(both.sum())
    # A pass reads the same either way round: it counts in both `same` and `opposite`.
    same, opposite = int((mine == other).sum()), int((mine == -other).sum())
    decided = bool(invert)
    if invert is None and opposite > same and opposite >= _CONSISTENT * compared:
        decided = True
        conversation.notes.append(
            Message(
                gettext_noop(
                    "%(file)s writes agree as -1 (as some Pol.is servers did): its votes were "
                    "read the other way round, as %(other)s shows them."
                ),
                {"file": VOTES, "other": PARTICIPANTS_VOTES},
            )
        )
    agreeing = opposite if decided else same
    if compared and agreeing < _CONSISTENT * compared:
        raise PolisDataError(
            gettext_noop(
                "%(file)s and %(other)s disagree on %(count)s of the %(total)s votes both show. "
                "Are they from the same conversation and the same export?"
            ),
            {
                "file": VOTES,
                "other": PARTICIPANTS_VOTES,
                "count": compared - agreeing,
                "total": compared,
            },
        )
    if compared and agreeing < compared:
        conversation.notes.append(
            Message(
                gettext_noop(
                    "%(file)s differs from %(other)s on %(count)s of %(total)s votes (an export "
                    "taken at another moment?): %(other)s was used."
                ),
                {
                    "file": PARTICIPANTS_VOTES,
                    "other": VOTES,
                    "count": compared - agreeing,
                    "total": compared,
                },
            )
        )
    return decided
