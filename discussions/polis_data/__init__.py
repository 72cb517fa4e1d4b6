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

Where it is
-----------
- ``messages``: Message and PolisDataError, sentences for a person that the page showing them
  translates.
- ``layout``: the files' names, columns and conventions as constants; the types a
  conversation is read into and written from (Comment, Vote, Summary, Conversation); times.
- ``limits``: the caps on what is read (``LIMITS``), and why they are where they are.
- ``checked_csv``: the parts reading is made of: a file opened as CSV under its cap and
  checked as UTF-8, its header and rows, and cells read as whole numbers, ids, votes and
  timestamps, each refused with a PolisDataError that names the file, line and column.
- ``reading``: read_conversation and the reader of each file; the check of votes.csv's signs
  against participants-votes.csv.
- ``writing``: write_conversation and the writer of each file.

Names with a leading underscore are private to the package; the modules import them from
one another. The dependencies run one way, in the order above: each module imports only
modules listed before it (writing only layout), and reading and writing never each other.
Messages are marked with discussions.papers.messages.gettext_noop, which imports no Django.
"""

from discussions.polis_data.layout import (
    AGREE,
    COMMENT_COLUMNS,
    COMMENTS,
    DISAGREE,
    FILES,
    MODERATED_IN,
    MODERATED_OUT,
    PARTICIPANT_COLUMNS,
    PARTICIPANTS_VOTES,
    PASS,
    REQUIRED_COMMENT_COLUMNS,
    REQUIRED_VOTE_COLUMNS,
    SUMMARY,
    SUMMARY_KEYS,
    UNMODERATED,
    VOTE_COLUMNS,
    VOTES,
    Comment,
    Conversation,
    Summary,
    Vote,
    datetime_from_ms,
    ms_from_datetime,
    polis_datetime,
)
from discussions.polis_data.limits import (
    LIMITS,
    MAX_BYTES,
    MAX_COMMENTS,
    MAX_PARTICIPANTS,
    MAX_VOTE_ROWS,
)
from discussions.polis_data.messages import Message, PolisDataError, english_number
from discussions.polis_data.reading import (
    ParticipantsVotes,
    read_comments,
    read_conversation,
    read_participants_votes,
    read_summary,
    read_votes,
)
from discussions.polis_data.writing import (
    write_comments,
    write_conversation,
    write_participants_votes,
    write_summary,
    write_votes,
)

__all__ = [
    "AGREE",
    "COMMENTS",
    "COMMENT_COLUMNS",
    "DISAGREE",
    "FILES",
    "LIMITS",
    "MAX_BYTES",
    "MAX_COMMENTS",
    "MAX_PARTICIPANTS",
    "MAX_VOTE_ROWS",
    "MODERATED_IN",
    "MODERATED_OUT",
    "PARTICIPANTS_VOTES",
    "PARTICIPANT_COLUMNS",
    "PASS",
    "REQUIRED_COMMENT_COLUMNS",
    "REQUIRED_VOTE_COLUMNS",
    "SUMMARY",
    "SUMMARY_KEYS",
    "UNMODERATED",
    "VOTES",
    "VOTE_COLUMNS",
    "Comment",
    "Conversation",
    "Message",
    "ParticipantsVotes",
    "PolisDataError",
    "Summary",
    "Vote",
    "datetime_from_ms",
    "english_number",
    "ms_from_datetime",
    "polis_datetime",
    "read_comments",
    "read_conversation",
    "read_participants_votes",
    "read_summary",
    "read_votes",
    "write_comments",
    "write_conversation",
    "write_participants_votes",
    "write_summary",
    "write_votes",
]
