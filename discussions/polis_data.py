"""Pol.is open data: read and write a conversation in the layout of compdemocracy/openData.

Plain reading and writing, no Django: the service (services.polis_interop) turns what is read
here into a session, and a session into what is written here.

The layout
----------
Each conversation of github.com/compdemocracy/openData is a folder of CSV files (UTF-8, a
header row, "\\n" line ends, fields quoted only where they must be):

``comments.csv``
    ``timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body``
``votes.csv``
    ``timestamp,datetime,comment-id,voter-id,vote`` (every vote cast, earlier ones included)
``participants-votes.csv``
    ``participant,group-id,n-comments,n-votes,n-agree,n-disagree`` and then one column per
    comment id, each cell the participant's vote on it or empty
``summary.csv``
    no header: ``key,value`` rows ``topic``, ``url``, ``views``, ``voters``, ``voters-in-conv``,
    ``commenters``, ``comments``, ``groups``, ``conversation-description``

Conventions, as Pol.is's exporter writes them and red-dwarf's loader
(``reddwarf.data_loader.Loader``, ``reddwarf.models.Vote`` and ``Statement``) reads them:

- ``vote``: 1 agree, -1 disagree, 0 pass, in votes.csv and in participants-votes.csv alike.
  Pol.is stores votes the other way round (-1 agree) and its exporter negates them; Pol.is
  server versions whose votes.csv did not negate wrote -1 for agree there. With
  participants-votes.csv at hand, such a file is recognised (``read_conversation``).
- ``moderated``: 1 accepted, 0 not moderated (yet), -1 moderated out. Pol.is's analysis (and
  red-dwarf's, by default) leaves out -1 only.
- ``timestamp``: milliseconds since 1970 (openData); Pol.is's later exporter writes seconds.
  Read either, as red-dwarf does (a value above 2e10 is milliseconds); written in
  milliseconds. ``datetime`` is the same moment as Java's Date.toString wrote it
  (``Wed Jun 18 08:16:54 WIB 2014``): written in UTC, never read.
- ids (``comment-id``, ``author-id``, ``voter-id``, ``participant``) are small integers from 0.
- A participant may vote on a comment more than once: the latest vote counts (the
  greatest timestamp; of two with the same timestamp, the later row), as Pol.is counts and
  as red-dwarf's ``filter_duplicate_votes(keep="recent")`` keeps.
- ``agrees`` and ``disagrees`` of comments.csv are counts, and in some openData exports stale
  (compdemocracy/openData#6): read but not trusted, written from the votes.

Limits
------
Everything a file holds is read into memory before anything is written, and then a whole
conversation is written in one transaction: the caps below (``LIMITS``) bound the memory and
the length of that transaction, and each is refused with a message that names it. They are
far above real conversations (openData's run to about a thousand voters and a few hundred
comments: austria-climate.5twd2jsnkf has 1,116 voters and 522 comments) and no larger than
the synthesis is benchmarked on (bench_synthesis: up to 32,000 participants and 4,000
positions). Reading a million votes took 7 s and 230 MB at its peak, two million 13 s and
450 MB: the vote cap keeps an import under half a gigabyte. A comment longer than the csv
module's field limit (131,072 characters) is refused as it is read.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

AGREE, DISAGREE, PASS = 1, -1, 0
MODERATED_IN, UNMODERATED, MODERATED_OUT = 1, 0, -1

COMMENTS = "comments.csv"
VOTES = "votes.csv"
PARTICIPANTS_VOTES = "participants-votes.csv"
SUMMARY = "summary.csv"
FILES = (COMMENTS, VOTES, PARTICIPANTS_VOTES, SUMMARY)

COMMENT_COLUMNS = (
    "timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated",
    "comment-body",
)  # fmt: skip
VOTE_COLUMNS = ("timestamp", "datetime", "comment-id", "voter-id", "vote")
PARTICIPANT_COLUMNS = ("participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree")
SUMMARY_KEYS = (
    "topic", "url", "views", "voters", "voters-in-conv", "commenters", "comments", "groups",
    "conversation-description",
)  # fmt: skip
# What a file must have to be read; the other columns are read when present.
REQUIRED_COMMENT_COLUMNS = ("timestamp", "comment-id", "author-id", "moderated", "comment-body")
REQUIRED_VOTE_COLUMNS = ("timestamp", "comment-id", "voter-id", "vote")

_MB = 1024 * 1024

#: Bytes per file. A votes.csv row is 50 bytes in openData (``1403054214196,Wed Jun 18
#: 08:16:54 WIB 2014,0,5,-1``), about 90 with the datetimes of later Pol.is servers
#: (``Wed Jun 18 2014 08:16:54 GMT+0000 (Coordinated Universal Time)``): the cap holds
#: MAX_VOTE_ROWS rows of either. participants-votes.csv is a participants x
#: comments grid of mostly empty cells, only checked against votes.csv.
MAX_BYTES = {COMMENTS: 20 * _MB, VOTES: 192 * _MB, PARTICIPANTS_VOTES: 128 * _MB, SUMMARY: _MB}
#: Comments and participants (authors and voters): the columns and rows of the session's
#: synthesis, a dense participants x positions matrix. No larger than bench_synthesis's
#: largest (32,000 x 4,000): a bigger import would make a session whose synthesis nobody
#: has measured.
MAX_COMMENTS = 4_000
MAX_PARTICIPANTS = 32_000
#: Rows of votes.csv, earlier votes included: every row is held while the latest are picked.
#: The million-vote session of docs/exports.md (setup_demo --groups 100 --activity 2000:
#: 1,042,723 votes) goes out and back in, with room to spare.
MAX_VOTE_ROWS = 2_000_000

LIMITS = {
    "bytes per file": MAX_BYTES,
    "comments": MAX_COMMENTS,
    "votes.csv rows": MAX_VOTE_ROWS,
    "participants": MAX_PARTICIPANTS,
}

# A timestamp above this is in milliseconds, below it in seconds (2e10 s is the year 2603,
# 2e10 ms August 1970): pydantic's rule, which red-dwarf's models read timestamps with.
_MS_FROM = 20_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Of the votes compared between votes.csv and participants-votes.csv, at least this share must
# agree (or all be opposite: agree written as -1) for the two to be read as one conversation.
_CONSISTENT = 0.9


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogues (makemessages knows the name) and
    leaves it in English: it is translated where it is shown (as discussions.papers does)."""
    return message


def _same(value):
    return value


def english_number(value: int | float) -> str:
    """A number as the English messages write it: 2,147,483,647 and 2.0."""
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def _render(
    message: str,
    params: Mapping[str, object],
    translate: Callable[[str], str],
    number: Callable[[int | float], str],
) -> str:
    def shown(value: object) -> object:
        if isinstance(value, Message):
            return value.render(translate, number)
        if isinstance(value, list):  # of Messages, as a list in a sentence
            return ", ".join(str(shown(item)) for item in value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return number(value)
        return value

    text = translate(message)
    if params:
        text %= {key: shown(value) for key, value in params.items()}
    # One line, but French's no-break spaces (before ":" and ";") kept.
    return _SPACES.sub(" ", str(text)).strip(" ")


_SPACES = re.compile(r"[ \t\n\r\f\v\x1c-\x1f\x85\u2028\u2029]+")


class Message(str):
    """A sentence for a person: the English text (it is a str), with its %-format of named
    placeholders (``message``, marked with gettext_noop) and the values it names (``params``)
    kept apart, so that the page showing it can translate it: ``render(gettext, number)``.
    Numbers are written by ``number``; names, file names and quoted cells are strings."""

    message: str
    params: dict[str, object]

    def __new__(cls, message: str, params: Mapping[str, object] | None = None) -> Message:
        params = dict(params or {})
        self = super().__new__(cls, _render(message, params, _same, english_number))
        self.message = str(message)
        self.params = params
        return self

    def render(
        self,
        translate: Callable[[str], str] = _same,
        number: Callable[[int | float], str] = english_number,
    ) -> str:
        """The sentence in one line, translated by `translate`, its numbers written by
        `number`."""
        return _render(self.message, self.params, translate, number)


class PolisDataError(ValueError):
    """A file that cannot be read as Pol.is open data. str(error) says what, for a person,
    in English; ``error.render(gettext, number)`` says it in the active language."""

    def __init__(self, message: str, params: Mapping[str, object] | None = None) -> None:
        self.text = Message(message, params)
        self.message = self.text.message
        self.params = self.text.params
        super().__init__(str(self.text))

    def render(
        self,
        translate: Callable[[str], str] = _same,
        number: Callable[[int | float], str] = english_number,
    ) -> str:
        return self.text.render(translate, number)


@dataclass(slots=True)
class Comment:
    id: int
    author_id: int
    text: str
    #: 1 accepted, 0 not moderated, -1 moderated out.
    moderated: int
    timestamp_ms: int
    #: As comments.csv gave them (None when written from votes: they are counted then).
    agrees: int | None = None
    disagrees: int | None = None


@dataclass(slots=True)
class Vote:
    comment_id: int
    voter_id: int
    #: 1 agree, -1 disagree, 0 pass.
    vote: int
    timestamp_ms: int


@dataclass(frozen=True)
class Summary:
    topic: str = ""
    url: str = ""
    description: str = ""
    views: int | None = None
    voters: int | None = None
    voters_in_conv: int | None = None
    commenters: int | None = None
    comments: int | None = None
    groups: int | None = None


@dataclass
class Conversation:
    """A conversation: its comments by id, the latest vote of each voter on each comment (by
    comment, then voter), and what the files said about it besides."""

    comments: list[Comment]
    votes: list[Vote]
    summary: Summary = field(default_factory=Summary)
    #: Participant id -> Pol.is opinion group (participants-votes.csv's group-id), if known.
    group_ids: dict[int, int] = field(default_factory=dict)
    #: Earlier votes that a later one of the same voter on the same comment replaced.
    superseded_votes: int = 0
    #: What reading noticed that a person should know (one sentence each).
    notes: list[Message] = field(default_factory=list)

    @property
    def participant_ids(self) -> list[int]:
        """Everyone who wrote a comment or voted, by id."""
        return sorted({c.author_id for c in self.comments} | {v.voter_id for v in self.votes})

    @property
    def first_timestamp_ms(self) -> int | None:
        times = [c.timestamp_ms for c in self.comments] + [v.timestamp_ms for v in self.votes]
        return min(times, default=None)


# --------------------------------------------------------------------------------------------
# Times


def datetime_from_ms(ms: int) -> datetime:
    """The moment a timestamp in milliseconds stands for, in UTC, exactly."""
    return _EPOCH + timedelta(milliseconds=ms)


def ms_from_datetime(moment: datetime) -> int:
    """Milliseconds since 1970 (sub-millisecond parts dropped)."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def polis_datetime(ms: int) -> str:
    """The datetime column: Java's Date.toString, in UTC (``Wed Jun 18 01:16:54 UTC 2014``)."""
    return _datetime_text(ms // 1000)


@functools.lru_cache(maxsize=4096)  # votes come in bursts: many share their second
def _datetime_text(seconds: int) -> str:
    t = _EPOCH + timedelta(seconds=seconds)
    return (
        f"{_DAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day:02d} "
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} UTC {t.year}"
    )


# --------------------------------------------------------------------------------------------
# Reading


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


# Reading, the parts -------------------------------------------------------------------------


def _reader(data: bytes, name: str):
    """A csv reader over the file, decoded as it is read (the whole text is never held)."""
    limit = MAX_BYTES[name]
    if len(data) > limit:
        raise PolisDataError(
            gettext_noop("%(file)s is %(size)s MB; at most %(limit)s MB is read."),
            {"file": name, "size": round(len(data) / _MB, 1), "limit": limit // _MB},
        )
    _check_utf8(data, name)
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    return csv.reader(text, strict=True)


def _check_utf8(data: bytes, name: str) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    chunk = _MB
    for start in range(0, len(data), chunk):
        try:
            decoder.decode(data[start : start + chunk], final=start + chunk >= len(data))
        except UnicodeDecodeError as error:
            where = start + error.start
            raise PolisDataError(
                gettext_noop("%(file)s is not UTF-8 text (byte %(byte)s cannot be read)."),
                {"file": name, "byte": where},
            ) from None


def _header(reader, name: str, expected: Iterable[str]) -> list[str]:
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise PolisDataError(
            gettext_noop("%(file)s line %(line)s: %(error)s."),
            {"file": name, "line": "1", "error": str(error)},
        ) from None
    if not header:
        raise PolisDataError(
            gettext_noop("%(file)s is empty: it should start with the header %(header)s."),
            {"file": name, "header": ",".join(expected)},
        )
    return [column.strip() for column in header]


def _records(reader, name: str, width: int | None) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of each row that is not blank; every row ``width`` fields if given."""
    try:
        for row in reader:
            if not row:
                continue
            if width is not None and len(row) != width:
                raise PolisDataError(
                    gettext_noop(
                        "%(file)s line %(line)s has %(count)s fields; the header has %(width)s."
                    ),
                    {"file": name, "line": str(reader.line_num), "count": len(row), "width": width},
                )
            yield reader.line_num, row
    except csv.Error as error:
        raise PolisDataError(
            gettext_noop("%(file)s line %(line)s: %(error)s."),
            {"file": name, "line": str(reader.line_num), "error": str(error)},
        ) from None


class _Table:
    """A CSV file with a header naming its columns, checked for the required ones."""

    def __init__(self, data: bytes, name: str, full: tuple[str, ...], required: tuple[str, ...]):
        self.name = name
        self.reader = _reader(data, name)
        header = _header(self.reader, name, full)
        missing = [column for column in required if column not in header]
        if missing:
            raise PolisDataError(
                gettext_noop(
                    "%(file)s has no column %(missing)s: its header is %(header)s; Pol.is open "
                    "data's is %(expected)s."
                ),
                {
                    "file": name,
                    "missing": ", ".join(missing),
                    "header": ",".join(header),
                    "expected": ",".join(full),
                },
            )
        doubled = sorted({c for c in header if header.count(c) > 1 and c in full})
        if doubled:
            raise PolisDataError(
                gettext_noop("%(file)s has the column %(columns)s twice."),
                {"file": name, "columns": ", ".join(doubled)},
            )
        self.width = len(header)
        self.index = {column: header.index(column) for column in full if column in header}

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        return _records(self.reader, self.name, self.width)

    def cell(self, row: list[str], column: str) -> str | None:
        """The row's value in the column, None when the file has no such column."""
        at = self.index.get(column)
        return None if at is None else row[at]


def _int(value: str, name: str, line: int | None, column: str) -> int:
    cell = value.strip()
    try:
        return int(cell)
    except ValueError:
        params = {"file": name, "column": column, "value": repr(cell)}
        if line is None:
            raise PolisDataError(
                gettext_noop("%(file)s: %(column)s is %(value)s, not a whole number."), params
            ) from None
        raise PolisDataError(
            gettext_noop("%(file)s line %(line)s: %(column)s is %(value)s, not a whole number."),
            {**params, "line": str(line)},
        ) from None


def _id(value: str, name: str, line: int, column: str) -> int:
    number = _int(value, name, line, column)
    if not 0 <= number < _MAX_ID:
        raise PolisDataError(
            gettext_noop("%(file)s line %(line)s: %(column)s is %(value)s; ids are 0 to %(max)s."),
            {
                "file": name,
                "line": str(line),
                "column": column,
                "value": str(number),
                "max": _MAX_ID - 1,
            },
        )
    return number


def _optional_count(value: str | None, name: str, line: int | None, column: str) -> int | None:
    if value is None or not value.strip():
        return None
    return _int(value, name, line, column)


def _vote(value: str, name: str, line: int) -> int:
    vote = _VOTE_VALUES.get(value)
    if vote is None:
        vote = _VOTE_VALUES.get(value.strip())
    if vote is None:
        raise PolisDataError(
            gettext_noop(
                "%(file)s line %(line)s: the vote is %(value)s; Pol.is writes 1 (agree), -1 "
                "(disagree) or 0 (pass)."
            ),
            {"file": name, "line": str(line), "value": repr(value.strip())},
        )
    return vote


_VOTE_VALUES = {"1": AGREE, "+1": AGREE, "-1": DISAGREE, "0": PASS, "-0": PASS}
# Ids fit a database integer column (and two fit one 64-bit integer, _keys).
_MAX_ID = 2**31


def _timestamp(value: str, name: str, line: int) -> int:
    number = _int(value, name, line, "timestamp")
    if number < 0:
        raise PolisDataError(
            gettext_noop("%(file)s line %(line)s: the timestamp %(value)s is before 1970."),
            {"file": name, "line": str(line), "value": str(number)},
        )
    return number if number > _MS_FROM else number * 1000


# --------------------------------------------------------------------------------------------
# Writing


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
