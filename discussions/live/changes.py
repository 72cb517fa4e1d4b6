"""Tallies and presence: combined per group on the server's event loop, a few broadcasts a
second however fast people vote."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
from dataclasses import dataclass, field

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from discussions.live.db_threads import in_db_thread
from discussions.live.events import (
    CHANGES,
    _console,
    _send,
    changes_context,
    console_channel_group,
    console_message,
    in_languages,
    next_seq,
    render_event,
    room_channel_group,
    room_message,
)
from discussions.models import BreakoutGroup

log = logging.getLogger(__name__)


def tally_changed(group_id: int, position_id: int) -> None:
    """A vote changed a position's tally in this group: announce it after the commit.

    Inside a server process the announcement waits up to settings.LIVE_TALLY_WINDOW on the
    process's event loop and goes out with every other change of the group meanwhile,
    numbered and rendered once. A busy room then costs each socket a few messages a second
    however fast people vote, where one message per vote filled the sockets' queues and
    fell seconds behind (docs/capacity.md, "Tallies coalesced per window"). Elsewhere (a
    management command, a test without
    a server) it goes out at once.
    """
    transaction.on_commit(lambda: room_changes.add(group_id, position_id=position_id))


def presence_changed(group_id: int) -> None:
    """The number online in the group changed (a socket arrived or left): announce it, with
    the group's other changes. A room of 20 filling up at the start of a breakout sent 20
    numbered broadcasts to up to 20 sockets each; combined, a few."""
    room_changes.add(group_id, presence=True)


class RoomChanges:
    """Collects changed tallies and presence per group on the server's event loop, and
    sends each group's as one broadcast, at most one per settings.LIVE_TALLY_WINDOW.

    A change in a quiet group goes out at once; one that follows a broadcast of its group
    within the window waits for the window's end, with every other change of the group
    meanwhile. A few votes a second then cost nothing in latency, and a busy room costs
    each socket a few messages a second however fast people vote.

    One per process: each process sends what its own requests and sockets changed. Changes
    waiting when the process dies are not announced; tallies ride on the next change of the
    same position, and every page re-fetches at its next heartbeat if numbers were taken
    and not sent.
    """

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._start()

    def _start(self) -> None:
        self.waiting: dict[int, _Pending] = {}
        self.last_flush: dict[int, float] = {}  # group -> loop time of its last broadcast
        # One broadcast of a group at a time, so they leave in the order they were numbered.
        self.sending: dict[int, asyncio.Lock] = {}
        self.flushes: set[asyncio.Task] = set()
        self.consoles: dict[int, set[int]] = {}  # session -> groups changed, not yet told

    def serve_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """The ASGI entry point hands over the server's loop with each connection."""
        if loop is not self.loop:  # a new server (or test) loop: nothing carries over
            self.loop = loop
            self._start()

    def add(self, group_id: int, *, position_id: int | None = None, presence: bool = False):
        """From any thread: a request's thread after its commit, or a consumer on the loop."""
        running = _running_loop()
        if running is not None and running is not self.loop:
            self.serve_on(running)  # a consumer on a loop that never came through asgi.py
        loop = self.loop
        serving = loop is not None and not loop.is_closed() and loop.is_running()
        if not serving or (settings.LIVE_TALLY_WINDOW <= 0 and running is None):
            ids = set() if position_id is None else {position_id}
            _send_changes_now(group_id, ids, presence)
            return
        loop.call_soon_threadsafe(self._wait, group_id, position_id, presence)

    def _wait(self, group_id: int, position_id: int | None, presence: bool) -> None:
        pending = self.waiting.get(group_id)
        if pending is None:  # the first change since the last broadcast: schedule the next
            pending = self.waiting[group_id] = _Pending()
            loop = asyncio.get_running_loop()
            last = self.last_flush.get(group_id, -math.inf)
            self._schedule(group_id, max(0.0, last + settings.LIVE_TALLY_WINDOW - loop.time()))
        if position_id is not None:
            pending.position_ids.add(position_id)
        pending.presence |= presence

    async def _flush_after(self, group_id: int, delay: float) -> None:
        await asyncio.sleep(delay)
        async with self.sending.setdefault(group_id, asyncio.Lock()):
            await self._flush(group_id)

    async def _flush(self, group_id: int) -> None:
        pending = self.waiting.pop(group_id)
        self.last_flush[group_id] = asyncio.get_running_loop().time()
        try:
            seq, session_id, html = await _number_and_render(
                group_id, sorted(pending.position_ids), pending.presence
            )
        except Exception as exc:
            # The database is away. Nothing numbered, so no page sees a gap: without a
            # retry these tallies would stay stale on every screen until changed again.
            self._retry(group_id, pending, exc)
            return
        try:
            layer = get_channel_layer()
            await layer.group_send(room_channel_group(group_id), room_message(group_id, seq, html))
        except Exception:
            # As in publish: the number is taken, so the pages see the gap and re-fetch.
            log.exception("Could not publish changes event %s to group %s", seq, group_id)
        self._tell_consoles(session_id, group_id)

    def _tell_consoles(self, session_id: int, group_id: int) -> None:
        """The session's consoles hear which groups changed, in one message per
        CONSOLE_WINDOW: at 200 votes/s in 100 groups, one per vote was as many publishes
        to Redis as the rooms' broadcasts (docs/capacity.md, "Tallies coalesced per
        window"). A console re-fetches a group
        300 ms after hearing of it anyway (static/js/console.js)."""
        changed = self.consoles.get(session_id)
        if changed is not None:
            changed.add(group_id)
            return
        self.consoles[session_id] = {group_id}
        task = asyncio.get_running_loop().create_task(
            self._consoles_after(session_id), context=contextvars.Context()
        )
        self.flushes.add(task)
        task.add_done_callback(self.flushes.discard)

    async def _consoles_after(self, session_id: int) -> None:
        await asyncio.sleep(CONSOLE_WINDOW)
        group_ids = self.consoles.pop(session_id)
        try:
            await get_channel_layer().group_send(
                console_channel_group(session_id), console_message(group_ids)
            )
        except Exception:
            # The consoles re-fetch everything when their socket comes back.
            log.exception("Could not tell the consoles of session %s", session_id)

    def _retry(self, group_id: int, pending: _Pending, exc: Exception) -> None:
        if isinstance(exc, BreakoutGroup.DoesNotExist) or pending.failures >= RETRY_LIMIT:
            log.error("Gave up announcing the changes %s of group %s: %s", pending, group_id, exc)
            return
        delay = RETRY_SECONDS[min(pending.failures, len(RETRY_SECONDS) - 1)]
        log.warning(
            "Could not number the changes of group %s (%s); trying again in %s s",
            group_id,
            exc,
            delay,
        )
        pending.failures += 1
        waiting = self.waiting.get(group_id)
        if waiting is not None:  # newer changes are scheduled already: ride with them
            waiting.position_ids |= pending.position_ids
            waiting.presence |= pending.presence
            waiting.failures = max(waiting.failures, pending.failures)
            return
        self.waiting[group_id] = pending
        self._schedule(group_id, delay)

    def _schedule(self, group_id: int, delay: float) -> None:
        # A context of its own: the flush is no part of the request or socket whose change
        # opened it (asgiref keeps per-context state, e.g. that its single database thread is
        # taken, which in the vote's context made the flush refuse to run).
        task = asyncio.get_running_loop().create_task(
            self._flush_after(group_id, delay), context=contextvars.Context()
        )
        self.flushes.add(task)
        task.add_done_callback(self.flushes.discard)


CONSOLE_WINDOW = 0.25  # seconds a session's console notices gather before going out

# Seconds between attempts to number a group's changes while the database is away.
RETRY_SECONDS = (1, 2, 4, 8)
RETRY_LIMIT = 40  # about five minutes; pages re-fetch at reconnection anyway


@dataclass
class _Pending:
    position_ids: set[int] = field(default_factory=set)
    presence: bool = False
    failures: int = 0  # attempts to number these that failed (the database away)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # a thread without a loop: a request's, a command's
        return None


def _number_and_render_sync(
    group_id: int, position_ids: list[int], presence: bool
) -> tuple[int, int, dict[str, str]]:
    # One statement, committed on its own (autocommit): wrapped in a transaction it was
    # three round trips, and a busy conference takes a number a few hundred times a second.
    seq, session_id, languages = next_seq(group_id)
    # Rendered after the number is committed: it shows at least everything numbered before.
    # Read once, rendered in each language: this is every vote's broadcast.
    context = changes_context(group_id, position_ids, presence)
    html = in_languages(languages, lambda: render_event(CHANGES, seq, context))
    return seq, session_id, html


_number_and_render = in_db_thread(_number_and_render_sync)


def _send_changes_now(group_id: int, position_ids: set[int], presence: bool) -> None:
    try:
        seq, session_id, html = _number_and_render_sync(group_id, sorted(position_ids), presence)
        _send(room_channel_group(group_id), room_message(group_id, seq, html))
    except Exception:
        log.exception("Could not publish the changes %s of group %s", position_ids, group_id)
        return
    _console(session_id, group_id)


room_changes = RoomChanges()
