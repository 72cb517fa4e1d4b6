"""Pol.is open data in and out: a conversation becomes a session, a session a conversation.

The files are read and written by discussions.polis_data; here they meet the database.
Both directions stay in this one module, longer than most: each is the other's mirror (a
comment's author and votes, a participant's pseudonym, a vote's sign), and the round trip
is what tests/test_polis_interop.py holds them to.

A Pol.is conversation becomes a session with one breakout group holding all of it:

- its topic and description: the session's name, and a small published paper of their own
  (a section titled with the topic holding the description, and one framing question, the
  description, or the topic when there is none), unless a paper is given;
- each participant (author or voter): a participant ``Participant <id>``, all joined at the
  conversation's first moment, so that the order of joining is the order of the Pol.is ids;
- each comment: a position of its author on the group's prompt, written when the comment
  was; moderated out (-1): hidden, with the reason "Moderated out in Pol.is"; not moderated
  (0): visible, as Pol.is's analysis counts it, or awaiting review with
  ``strict_moderation`` (Pol.is's strict moderation shows only accepted comments);
- each voter's latest vote on a comment: their vote, cast when it was.

The session is closed (no joining, the group's phase Closed): it is a record to read, and
the people in it cannot come back to it. All of it is written in one transaction, or
nothing is: participants and positions with bulk_create, votes with plain INSERTs sent in
batches (executemany), a few dozen statements for 100,000 votes.

A session becomes a conversation with every position of every group and prompt, in the
order they were written (comment ids 0, 1, 2 ...), and every participant in the order they
joined (ids 0, 1, 2 ...: the exports' P001 is Pol.is participant 0). Visible positions are
moderated 1 (they count in the synthesis, as accepted comments in any Pol.is analysis);
awaiting review 0; hidden, rejected and merged -1. participants-votes.csv's group-id is the
participant's opinion group in the synthesis of the whole session (as the other exports have
it), as Pol.is writes its own opinion groups there. summary.csv: the session's name as the
topic, its prompts (one a line) as the description.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from itertools import islice

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import connections, router, transaction
from django.db.models import Max
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from discussions import polis_data
from discussions.models import (
    BreakoutGroup,
    Paper,
    Participant,
    Position,
    Prompt,
    Question,
    Section,
    Session,
    Vote,
)
from discussions.polis_data import Comment, Conversation, PolisDataError, Summary
from discussions.services.errors import ServiceError, has_something_to_read, readable
from discussions.services.paper_import import publish_paper
from discussions.services.sessions import create_session

MODERATED_OUT_REASON = "Moderated out in Pol.is"
DEFAULT_TOPIC = "Pol.is conversation"
PARTICIPANT_NAME = "Participant {id}"
_VOTE_BATCH = 5_000
_MAX_TITLE = 300
_MAX_SESSION_NAME = 200

_MODERATED = {
    Position.Status.VISIBLE: polis_data.MODERATED_IN,
    Position.Status.PENDING: polis_data.UNMODERATED,
    Position.Status.HIDDEN: polis_data.MODERATED_OUT,
    Position.Status.REJECTED: polis_data.MODERATED_OUT,
    Position.Status.MERGED: polis_data.MODERATED_OUT,
}


# --------------------------------------------------------------------------------------------
# Import


def import_polis_conversation(
    *,
    comments: bytes,
    votes: bytes,
    participants_votes: bytes | None = None,
    summary: bytes | None = None,
    name: str | None = None,
    paper: Paper | None = None,
    prompt: Prompt | None = None,
    language: str = "",
    user: AbstractBaseUser | None = None,
    strict_moderation: bool = False,
    invert_votes: bool | None = None,
) -> Session:
    """Create a session from a Pol.is conversation's files (see the module's docstring).

    ``comments`` and ``votes`` are comments.csv and votes.csv; ``participants_votes`` and
    ``summary`` are optional (participants-votes.csv checks votes.csv's vote signs;
    summary.csv gives the topic and description). ``name`` defaults to the topic. With
    ``paper`` (published), the session is over that paper, on ``prompt`` or its first
    framing question, instead of a paper made from the topic.

    What reading the files noticed (earlier votes replaced by later ones, inverted signs)
    is on the returned session as ``polis_notes`` (a list of sentences; not stored).
    Raises ServiceError, having written nothing, for files that cannot be read or imported.
    """
    try:
        conversation = polis_data.read_conversation(
            comments=comments,
            votes=votes,
            participants_votes=participants_votes,
            summary=summary,
            invert_votes=invert_votes,
        )
    except PolisDataError as error:
        raise ServiceError(error.render(_, number)) from error
    return import_conversation(
        conversation=conversation,
        name=name,
        paper=paper,
        prompt=prompt,
        language=language,
        user=user,
        strict_moderation=strict_moderation,
    )


def import_conversation(
    *,
    conversation: Conversation,
    name: str | None = None,
    paper: Paper | None = None,
    prompt: Prompt | None = None,
    language: str = "",
    user: AbstractBaseUser | None = None,
    strict_moderation: bool = False,
) -> Session:
    """import_polis_conversation, from a conversation already read."""
    texts = _position_texts(conversation.comments)
    if paper is not None and paper.is_draft:
        raise ServiceError(_("Publish the paper before importing a conversation into it."))
    if prompt is not None and (paper is None or prompt.paper_id != paper.pk):
        raise ServiceError(_("The prompt must be one of the given paper's."))
    topic = " ".join(readable(conversation.summary.topic).split()) or DEFAULT_TOPIC
    description = readable(conversation.summary.description).strip()
    name = name if name is not None and name.strip() else _shortened(topic, _MAX_SESSION_NAME)
    with transaction.atomic():
        if paper is None:
            paper, prompt = _paper_for(topic, description, user)
        session = create_session(
            paper=paper,
            name=name,
            group_count=1,
            user=user,
            prompts=[prompt] if prompt is not None else None,
            language=language,
        )
        Session.objects.filter(pk=session.pk).update(joining_open=False)
        session.joining_open = False
        group = session.groups.get()
        BreakoutGroup.objects.filter(pk=group.pk).update(phase=BreakoutGroup.Phase.CLOSED)
        _write_conversation(conversation, texts, session, group, strict_moderation)
    session.polis_notes = list(conversation.notes)
    return session


def _position_texts(comments: list[Comment]) -> dict[int, str]:
    """Each comment's text as a position keeps it (services.room.post_position's clean-up);
    refuses empty and over-long ones, naming them."""
    texts: dict[int, str] = {}
    empty: list[int] = []
    too_long: list[int] = []
    for comment in comments:
        text = readable(comment.text.replace("\r\n", "\n")).strip()
        if not has_something_to_read(text):
            empty.append(comment.id)
        elif len(text) > Position.MAX_LENGTH:
            too_long.append(comment.id)
        texts[comment.id] = text
    if empty:
        raise ServiceError(
            # Translators: after the colon, the ids of the comments (of a Pol.is conversation).
            _("Comments without text cannot be positions: %(ids)s.") % {"ids": _ids(empty)}
        )
    if too_long:
        raise ServiceError(
            _("A position holds at most %(limit)s characters; these comments are longer: %(ids)s.")
            % {"limit": Position.MAX_LENGTH, "ids": _ids(too_long)}
        )
    return texts


def number(value: int | float) -> str:
    """A number of a polis_data message, in the active language: 2,147,483,647 in English."""
    if isinstance(value, float):
        return number_format(value, 1, force_grouping=True)
    return number_format(value, force_grouping=True)


def _ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:10])
    if len(ids) <= 10:
        return shown
    return ngettext("%(ids)s, … (%(count)s in all)", "%(ids)s, … (%(count)s in all)", len(ids)) % {
        "ids": shown,
        "count": number(len(ids)),
    }


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _paper_for(topic: str, description: str, user: AbstractBaseUser | None) -> tuple[Paper, Prompt]:
    """A published paper for the conversation, and its framing question's prompt: the same
    paper for the same topic and description (identified, as imported papers are, by the
    hash of its content)."""
    question_text = description or topic
    digest = hashlib.sha256(
        b"pol.is open data\0" + topic.encode() + b"\0" + description.encode()
    ).hexdigest()
    paper = Paper.objects.filter(sha256=digest, status=Paper.Status.PUBLISHED).first()
    if paper is None:
        lineage = ("polis-" + slugify(topic))[:255].rstrip("-") or "polis"
        latest = Paper.objects.filter(lineage=lineage).aggregate(v=Max("version"))["v"] or 0
        paper = Paper.objects.create(
            title=_shortened(topic, _MAX_TITLE),
            source_name="Pol.is open data",
            lineage=lineage,
            version=latest + 1,
            sha256=digest,
            created_by=user if user is not None and user.is_authenticated else None,
        )
        section = Section.objects.create(
            paper=paper, position=0, title=_shortened(topic, _MAX_TITLE), text=description
        )
        Question.objects.create(
            paper=paper, section=section, position=0, text=question_text, is_framing=True
        )
        paper = publish_paper(paper=paper)
    prompt = paper.prompts.filter(kind=Prompt.Kind.QUESTION).order_by("position").first()
    return paper, prompt


def _write_conversation(
    conversation: Conversation,
    texts: dict[int, str],
    session: Session,
    group: BreakoutGroup,
    strict_moderation: bool,
) -> None:
    start = polis_data.datetime_from_ms(conversation.first_timestamp_ms or 0)
    pids = conversation.participant_ids
    people = Participant.objects.bulk_create(
        Participant(session=session, group=group, display_name=PARTICIPANT_NAME.format(id=pid))
        for pid in pids
    )
    # joined_at is set on insert (auto_now_add): everyone joined when the conversation began,
    # so that the order of joining (joined_at, then id) is the order of the Pol.is ids.
    Participant.objects.filter(session=session).update(joined_at=start)
    participant = {pid: person.pk for pid, person in zip(pids, people, strict=True)}

    vote_counts: dict[int, int] = {}
    for vote in conversation.votes:
        vote_counts[vote.comment_id] = vote_counts.get(vote.comment_id, 0) + 1
    unmoderated = Position.Status.PENDING if strict_moderation else Position.Status.VISIBLE
    status = {
        polis_data.MODERATED_IN: Position.Status.VISIBLE,
        polis_data.UNMODERATED: unmoderated,
        polis_data.MODERATED_OUT: Position.Status.HIDDEN,
    }
    positions = Position.objects.bulk_create(
        Position(
            group=group,
            prompt_id=group.current_prompt_id,
            author_id=participant[comment.author_id],
            text=texts[comment.id],
            status=status[comment.moderated],
            moderation_reason=(
                MODERATED_OUT_REASON if comment.moderated == polis_data.MODERATED_OUT else ""
            ),
            tally_version=vote_counts.get(comment.id, 0),
        )
        for comment in conversation.comments
    )
    # created_at too is set on insert: written again, as Pol.is had it.
    for position, comment in zip(positions, conversation.comments, strict=True):
        position.created_at = polis_data.datetime_from_ms(comment.timestamp_ms)
    Position.objects.bulk_update(positions, ["created_at"], batch_size=500)
    position = {c.id: p.pk for c, p in zip(conversation.comments, positions, strict=True)}

    _insert_votes(
        (
            participant[vote.voter_id],
            position[vote.comment_id],
            vote.vote,
            polis_data.datetime_from_ms(vote.timestamp_ms),
        )
        for vote in conversation.votes
    )


def _insert_votes(rows) -> None:
    """Insert (participant id, position id, choice, cast_at) rows as they are.

    Not bulk_create: Vote.cast_at is auto_now, which an insert through the ORM overwrites
    with the present moment, and a vote's moment is part of the conversation. A plain
    INSERT of many rows per statement is as fast.
    """
    db = router.db_for_write(Vote)
    connection = connections[db]
    ops = connection.ops
    meta = Vote._meta
    columns = ", ".join(
        ops.quote_name(meta.get_field(name).column)
        for name in ("participant", "position", "choice", "cast_at")
    )
    sql = f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s)"
    adapt = ops.adapt_datetimefield_value
    rows = iter(rows)
    with connection.cursor() as cursor:
        while batch := [(p, q, c, adapt(at)) for p, q, c, at in islice(rows, _VOTE_BATCH)]:
            cursor.executemany(sql, batch)


# --------------------------------------------------------------------------------------------
# Export


def export_polis_conversation(session: Session, *, site_url: str = "") -> dict[str, bytes]:
    """The session as Pol.is open data: comments.csv, votes.csv, participants-votes.csv and
    summary.csv, by name (see the module's docstring). ``site_url`` (``https://host``) is
    put before the session's organizer page in summary.csv's url."""
    return polis_data.write_conversation(session_conversation(session, site_url=site_url))


def export_polis_zip(session_id: int, site_url: str = "") -> bytes:
    """The four files in one zip, as the organizer's page downloads them (from plain values,
    so that discussions.offload can build it in a process of its own)."""
    files = export_polis_conversation(Session.objects.get(pk=session_id), site_url=site_url)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
    return buffer.getvalue()


def session_conversation(session: Session, *, site_url: str = "") -> Conversation:
    """The session as a polis_data.Conversation."""
    people = list(
        Participant.objects.filter(session=session)
        .order_by("joined_at", "pk")
        .values_list("pk", flat=True)
    )
    pid = {pk: index for index, pk in enumerate(people)}
    positions = [
        row
        for row in Position.objects.filter(group__session=session)
        .order_by("pk")
        .values_list("pk", "author_id", "text", "status", "created_at")
        # By someone who joined while the export read: left for the next export.
        if row[1] in pid
    ]
    tid = {row[0]: index for index, row in enumerate(positions)}
    comments = [
        Comment(
            id=tid[pk],
            author_id=pid[author],
            text=text,
            moderated=_MODERATED[status],
            timestamp_ms=polis_data.ms_from_datetime(created_at),
        )
        for pk, author, text, status, created_at in positions
    ]
    rows = Vote.objects.filter(position__group__session=session).values_list(
        "participant_id", "position_id", "choice", "cast_at"
    )
    votes = [
        polis_data.Vote(tid[position], pid[participant], choice, polis_data.ms_from_datetime(at))
        for participant, position, choice, at in rows.iterator(chunk_size=10_000)
        # A vote by someone who joined, or on a position written, while the export read:
        # left for the next export.
        if participant in pid and position in tid
    ]
    votes.sort(key=lambda v: (v.comment_id, v.voter_id))
    visible = [row[0] for row in positions if row[3] == Position.Status.VISIBLE]
    group_ids, k = _opinion_groups(people, visible, pid, tid, votes)
    prompts = [prompt.heading for prompt in session.ordered_prompts()]
    summary = Summary(
        topic=session.name,
        url=site_url.rstrip("/") + session.get_absolute_url(),
        description="\n".join(prompts),
        views=len(people),  # everyone who joined, as Pol.is counts who opened it
        groups=k,
    )
    return Conversation(comments=comments, votes=votes, summary=summary, group_ids=group_ids)


def _opinion_groups(
    people: list[int],
    visible: list[int],
    pid: dict[int, int],
    tid: dict[int, int],
    votes: list[polis_data.Vote],
) -> tuple[dict[int, int], int]:
    """Each participant's opinion group (Pol.is id -> group) and their number: those of the
    whole session's synthesis, as the other exports and the synthesis page (all prompts)
    show them. The matrix is ordered as discussions.matrix orders it (participants and
    visible positions by primary key), for the same groups."""
    if not visible or not votes:
        return {}, 0
    # Here, not at the top: every importer of discussions.services would load scikit-learn.
    from discussions import synthesis as syn

    by_pk = sorted(people)
    row = {pid[pk]: index for index, pk in enumerate(by_pk)}
    column = {tid[pk]: index for index, pk in enumerate(sorted(visible))}
    V = np.full((len(by_pk), len(column)), np.nan)
    for vote in votes:
        j = column.get(vote.comment_id)
        if j is not None:
            V[row[vote.voter_id], j] = vote.vote
    if np.isnan(V).all():
        return {}, 0
    groups = syn.opinion_groups(V)
    labels = groups.labels
    group_ids = {
        pid[pk]: int(labels[index]) for index, pk in enumerate(by_pk) if labels[index] >= 0
    }
    return group_ids, groups.k
