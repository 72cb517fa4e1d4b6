"""The vote writer: votes that come over a server process's sockets, written in batches.

A page sends its vote on the room's socket with an id of its own (consumers.RoomConsumer).
The process's one VoteWriter queues it; while a batch is being written the next one
gathers, and each batch is one transaction (services.cast_votes). A vote that comes soon
after the last batch waits settings.VOTE_GATHER_WINDOW for company, so a busy process
writes several votes per commit; a vote in a quiet moment is written at once.
Only once its batch has committed is a vote answered, with its id: an answered vote is
durable. A vote whose batch failed is answered "not saved"; one whose process died before
answering is not answered at all, and the page says so and fetches what was saved when its
socket is back (static/js/live.js).

The answer is the vote's buttons as the HTTP form's answer renders them
(templates/room/_vote.html), marked with the vote's id and its status:

    saved      the vote is in the database (or was already: a re-send changes nothing)
    refused    a rule refused it (voting closed, the position hidden ...): the message says
    limited    over a rate limit; unsaved: the database failed; away: not a member now.
               These three carry no buttons: the page puts its own back.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from discussions import queries, ratelimit, services
from discussions.live.db_threads import in_db_thread

log = logging.getLogger(__name__)

MAX_BATCH = 200  # votes per transaction at most: a batch's statements grow with it

# In English, marked for translation: translated when a vote is answered with it.
UNSAVED = gettext_noop(
    "Your vote was not saved: the server could not save it. Try again in a moment."
)


@dataclass(frozen=True)
class Answer:
    """What a vote's page is told: `html` for its socket; `away` if the voter is no longer
    a member of the group (the socket is closed after the answer)."""

    html: str
    away: bool = False


@dataclass
class Queued:
    request: services.VoteRequest
    vote_id: str
    address: str
    answer: Callable[[Answer], None]
    # The voter's page's language: one batch answers pages in several.
    language: str = settings.LANGUAGE_CODE


class VoteWriter:
    """The votes of one server process (one event loop), queued and written in batches."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: deque[Queued] = deque()
        self.writing: asyncio.Task | None = None
        self.last_batch_end = -math.inf  # loop time

    def submit(
        self,
        request: services.VoteRequest,
        vote_id: str,
        address: str,
        answer: Callable[[Answer], None],
    ) -> None:
        """Queue a vote (on the loop); `answer` is called on the loop once it is written, in
        the language active where the vote was submitted (its socket's)."""
        language = translation.get_language() or settings.LANGUAGE_CODE
        self.queue.append(Queued(request, vote_id, address, answer, language))
        if self.writing is None:
            # A context of its own: the writer is no part of the socket that woke it.
            self.writing = self.loop.create_task(self._write_all(), context=contextvars.Context())

    async def _write_all(self) -> None:
        try:
            # Busy (a batch ended a moment ago): wait a little for the votes about to come,
            # and write them in one transaction. Quiet: at once.
            gather = settings.VOTE_GATHER_WINDOW
            if gather > 0 and self.loop.time() - self.last_batch_end < gather:
                await asyncio.sleep(gather)
            while self.queue:
                batch = [self.queue.popleft() for _ in range(min(MAX_BATCH, len(self.queue)))]
                try:
                    answers = await _write(batch)
                except Exception:
                    log.exception("Could not write a batch of %d votes", len(batch))
                    answers = [_unsaved(queued) for queued in batch]
                for queued, answer in zip(batch, answers, strict=True):
                    try:
                        queued.answer(answer)
                    except Exception:
                        log.exception("Could not answer a vote")
                self.last_batch_end = self.loop.time()
        finally:
            self.writing = None


_on_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, VoteWriter] = (
    weakref.WeakKeyDictionary()
)


def vote_writer() -> VoteWriter:
    """The running event loop's VoteWriter: one per server process (and per test loop)."""
    loop = asyncio.get_running_loop()
    writer = _on_loop.get(loop)
    if writer is None:
        writer = _on_loop[loop] = VoteWriter(loop)
    return writer


def write_batch(batch: list[Queued]) -> list[Answer]:
    """Count the batch against the rate limits, write what they let through, and render
    each vote's answer (in a database thread, off the event loop: _write)."""
    refusals = ratelimit.votes_refused([(q.request.participant_id, q.address) for q in batch])
    allowed = [q.request for q, refusal in zip(batch, refusals, strict=True) if refusal is None]
    ballots = iter(services.cast_votes(allowed))
    answers = []
    for queued, refusal in zip(batch, refusals, strict=True):
        with translation.override(queued.language):
            if refusal is not None:
                message = _(refusal.limit.message) if refusal.limit else str(refusal)
                answers.append(Answer(_control(queued, "limited", message)))
            else:
                answers.append(_answer(queued, next(ballots)))
    return answers


_write = in_db_thread(write_batch)


def _answer(queued: Queued, ballot: services.Ballot) -> Answer:
    status = "saved" if ballot.saved else "refused"
    if not ballot.member:
        return Answer(_control(queued, "away", ballot.error), away=True)
    if ballot.position is None:  # nothing to vote on here (any more): say so in its place
        return Answer(
            format_html(
                '<p class="error" role="alert" id="vote-{}" data-ack="{}" data-status="{}">{}</p>',
                queued.request.position_id,
                queued.vote_id,
                status,
                ballot.error,
            )
        )
    position = ballot.position
    position.my_choice = ballot.vote.choice if ballot.vote else None
    context = {
        "group": {"pk": queued.request.group_id},  # the room the vote came from
        "position": position,
        "vote_choices": queries.VOTE_BUTTONS,
        "vote_error": ballot.error,
        "csrf_token": "",  # the page's htmx header carries it, for the HTTP fallback
        "ack": queued.vote_id,
        "ack_status": status,
    }
    return Answer(render_to_string("room/_vote.html", context))


def _unsaved(queued: Queued) -> Answer:
    with translation.override(queued.language):
        return Answer(_control(queued, "unsaved", _(UNSAVED)))


def _control(queued: Queued, status: str, message: str) -> str:
    """An answer without buttons: the page puts back its own and shows the message."""
    return format_html(
        '<div id="vote-answer" hidden data-ack="{}" data-status="{}" data-position="{}">{}</div>',
        queued.vote_id,
        status,
        queued.request.position_id,
        message,
    )
