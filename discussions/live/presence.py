"""Heartbeats written to the database together, a few seconds late, not one write each.

A room's page pings every 25 s (static/js/live.js) and its socket counts as online while its
Presence row was seen within queries.PRESENCE_TIMEOUT (75 s). With 2,000 sockets that is
80 heartbeats a second, and each wrote its row: an UPDATE and a commit, a share of the
server's time worth saving (docs/capacity.md, "Heartbeats written together"). Now a heartbeat
is only noted on the event loop, and every SEEN_EVERY seconds one UPDATE marks all the
sockets the process heard from. A row is then at most SEEN_EVERY seconds behind its last
heartbeat: far inside the timeout, so nobody is counted out early.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from collections.abc import Collection

from discussions.live.db_threads import in_db_thread
from discussions.services import presence as presence_writes

log = logging.getLogger(__name__)

SEEN_EVERY = 5.0  # seconds between the process's writes of the heartbeats it heard


class SeenSockets:
    """The sockets of one process (one event loop) heard from since the last write."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.noted: dict[str, tuple[int, int]] = {}  # channel name -> (participant, group)
        self.lock = asyncio.Lock()  # one write at a time
        self.writing: Collection[str] = ()  # the sockets of the write under way
        self.timer: asyncio.TimerHandle | None = None
        self.writes: set[asyncio.Task] = set()

    def note(self, channel_name: str, participant_id: int, group_id: int) -> None:
        """A heartbeat of a member's socket (on the loop; the membership is checked)."""
        self.noted[channel_name] = (participant_id, group_id)
        if self.timer is None:
            self.timer = self.loop.call_later(SEEN_EVERY, self._write_soon)

    def _write_soon(self) -> None:
        self.timer = None
        # A context of its own: the write is no part of whichever socket started the timer.
        task = self.loop.create_task(self.write(), context=contextvars.Context())
        self.writes.add(task)
        task.add_done_callback(self.writes.discard)

    async def write(self) -> None:
        """Mark every socket noted so far as seen now."""
        async with self.lock:
            noted, self.noted = self.noted, {}
            if not noted:
                return
            self.writing = noted.keys()
            try:
                await _mark_seen(noted)
            except Exception:
                # The database is away: the sockets' next heartbeats are noted again.
                log.warning("Could not mark %d sockets as seen", len(noted), exc_info=True)
            finally:
                self.writing = ()

    async def forget(self, channel_name: str) -> None:
        """Before a socket removes its Presence row: its heartbeat is no longer written, and
        a write under way that includes it finishes first, so that the write's re-creation
        of rows (see _mark_seen) cannot bring the row back once the socket has removed it.
        Other sockets leave without waiting."""
        self.noted.pop(channel_name, None)
        if channel_name in self.writing:
            async with self.lock:
                pass


_on_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SeenSockets] = (
    weakref.WeakKeyDictionary()
)


def seen_sockets() -> SeenSockets:
    """The running event loop's SeenSockets: one per server process (and per test loop)."""
    loop = asyncio.get_running_loop()
    seen = _on_loop.get(loop)
    if seen is None:
        seen = _on_loop[loop] = SeenSockets(loop)
    return seen


@in_db_thread
def _mark_seen(noted: dict[str, tuple[int, int]]) -> None:
    presence_writes.mark_seen(noted=noted)
