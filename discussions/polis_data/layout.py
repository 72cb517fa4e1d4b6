"""The layout of Pol.is open data as names and types: the files, their columns, the values of
a vote and of moderation; the Comment, Vote, Summary and Conversation a conversation is read
into and written from; and the times of its timestamp and datetime columns. The layout and
its conventions are described in the package's docstring (discussions.polis_data).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from discussions.polis_data.messages import Message

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

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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
