"""A room's broadcasts, written to this server process's sockets of the room in one loop.

Through Channels, each broadcast reached each socket on a path of its own: the layer queued it
on the socket's channel, the consumer's task woke, decoded it, dispatched it and sent it, a
task switch and a decoding per socket per message. With 2,000 people in 100 rooms at 200
votes/s that was thousands of trips a second and most of a server process's time, where a
bare broadcast server writes the same frames in a loop for a fraction of a core
(docs/capacity.md, "One channel per process (fan-out)").

So each process listens to a room once, on one channel of its own (RoomSockets), and writes
each broadcast to its sockets of the room as it reads it (Outbox). What is meant for one
socket (a participant's review, being moved away) still goes through that socket's consumer.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

Send = Callable[[dict], Awaitable[None]]

# Broadcasts held for one socket that cannot take them yet (not accepted, or its client reads
# slowly). Beyond this the socket's page misses some and, seeing the gap in the broadcast
# numbers at the next one or at its heartbeat, fetches what it shows again.
OUTBOX_LIMIT = 100


class Outbox:
    """What one socket is sent by its room, in the order the room sent it.

    A broadcast is written at once, in the reading loop, without a task of its own. Only a
    socket that cannot take it now (its client's buffer is full, so the server's send waits)
    gets a task, which writes what waits behind it in order, so one slow laptop never holds
    up the room.
    """

    def __init__(self, send: Send, language: str = "") -> None:
        self._send = send
        self.language = language  # of the socket's page: which of a broadcast's HTML it takes
        self._waiting: deque[str] = deque()
        self._writer: asyncio.Task | None = None
        self._open = False  # accepted: broadcasts before that wait
        self._gone = False  # closed: broadcasts are dropped
        self.dropped = 0

    def open(self) -> None:
        """The socket is accepted: write what arrived during the handshake."""
        self._open = True
        if self._waiting and self._writer is None:
            self._writer = _task(self._write_waiting(None))

    def close(self) -> None:
        self._gone = True
        self._waiting.clear()

    def push(self, text: str) -> bool:
        """Write or queue a broadcast; False once the socket is closed."""
        if self._gone:
            return False
        if not self._open or self._writer is not None:
            self._hold(text)
            return True
        try:
            blocked = start(self._send({"type": "websocket.send", "text": text}))
        except (RuntimeError, OSError):
            self._closed_under_us()
            return False
        if blocked is not None:
            self._writer = _task(self._write_waiting(blocked))
        return True

    def _hold(self, text: str) -> None:
        if len(self._waiting) >= OUTBOX_LIMIT:
            self.dropped += 1
            if self.dropped == 1:
                log.warning("A socket's client is not reading: dropping its broadcasts")
            return
        self._waiting.append(text)

    async def _write_waiting(self, blocked: Coroutine | None) -> None:
        try:
            if blocked is not None:
                await blocked
            while self._waiting and not self._gone:
                await self._send({"type": "websocket.send", "text": self._waiting.popleft()})
        except (RuntimeError, OSError):
            self._closed_under_us()
        finally:
            self._writer = None

    def _closed_under_us(self) -> None:
        # uvicorn refuses a send once the client has gone (RuntimeError, or ClientDisconnected,
        # an OSError). The socket's disconnect, which follows, takes the outbox away.
        log.info("A broadcast reached a socket that had just closed")
        self.close()


def start(coroutine: Coroutine) -> Coroutine | None:
    """Run a coroutine until it first waits, here and now, without a task.

    Returns None if it finished, or else a coroutine to await that finishes it. (Python 3.12's
    eager tasks do this; the project runs on 3.11.) The server's send finishes at once unless
    the client's buffer is full; a task per socket per broadcast was what this module avoids.
    """
    try:
        waiting_on = coroutine.send(None)
    except StopIteration:
        return None
    return _finish(coroutine, waiting_on)


async def _finish(coroutine: Coroutine, waiting_on: Any) -> None:
    """Carry on a coroutine started by hand: wait for what it waits on, then resume it, which
    reads the outcome (a result, an error, a cancellation) from that future itself."""
    while True:
        try:
            if waiting_on is None:  # a bare yield: asyncio.sleep(0)
                await asyncio.sleep(0)
            else:
                # Taken over, as a task takes over the future its coroutine yields; without
                # this, awaiting the future again reads as a misuse of it.
                waiting_on._asyncio_future_blocking = False
                await waiting_on
        except asyncio.CancelledError:
            if waiting_on is None or not waiting_on.cancelled():
                coroutine.close()  # this task was cancelled, not what the coroutine awaited
                raise
        except Exception:
            pass  # the coroutine raises it when resumed
        try:
            waiting_on = coroutine.send(None)
        except StopIteration:
            return


class RoomSockets:
    """This process's sockets of each room, on one event loop, and the one channel on which
    the process hears the broadcasts of every room it has sockets in."""

    def __init__(self, layer) -> None:
        self.layer = layer
        self.rooms: dict[str, set[Outbox]] = {}  # channel-layer group -> its local sockets
        self.channel: str | None = None
        self._opening: asyncio.Task | None = None
        self._reader: asyncio.Task | None = None

    async def join(self, group: str, outbox: Outbox) -> None:
        """Add a socket to a room (before the socket is accepted, so nothing sent after the
        page's fetch is missed). Called again at each heartbeat, it renews the process's
        membership of the group where the layer expires them (settings.CHANNEL_GROUP_EXPIRY)."""
        channel = await self._channel()
        self.rooms.setdefault(group, set()).add(outbox)
        try:
            await self.layer.group_add(group, channel)
        except BaseException:
            self._forget(group, outbox)
            raise

    async def leave(self, group: str, outbox: Outbox) -> None:
        """Take a socket away; with the room's last, the process stops listening to it."""
        outbox.close()
        if self._forget(group, outbox) and self.channel is not None:
            await self.layer.group_discard(group, self.channel)

    def _forget(self, group: str, outbox: Outbox) -> bool:
        """True if that was the room's last socket here."""
        members = self.rooms.get(group)
        if members is None:
            return False
        members.discard(outbox)
        if members:
            return False
        del self.rooms[group]
        return True

    def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()

    async def _channel(self) -> str:
        # The first socket opens the channel; any arriving meanwhile wait for the same one.
        opening = self._opening
        if opening is None:
            opening = self._opening = _task(self._open())
        try:
            return await asyncio.shield(opening)
        except Exception:
            if self._opening is opening:
                self._opening = None  # Redis away: the next socket tries again
            raise

    async def _open(self) -> str:
        channel = await self.layer.new_channel("rooms.")
        self.channel = channel
        self._reader = _task(self._read(channel))
        return channel

    async def _read(self, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Could not read the rooms' broadcasts; trying again")
                await asyncio.sleep(1)
                continue
            self.deliver(message)

    def deliver(self, message: dict) -> None:
        group = message.get("group")
        in_each = message.get("html")
        if not isinstance(in_each, dict) or not in_each:
            log.warning("A room broadcast without HTML: %s", message.get("type"))
            return
        # A page whose language the broadcast has no HTML in (it was numbered just before
        # the page said which it speaks) takes another's: better than a gap.
        anyone = next(iter(in_each.values()))
        # push never awaits, so the set cannot change meanwhile.
        closed = [
            outbox
            for outbox in self.rooms.get(group, ())
            if not outbox.push(in_each.get(outbox.language, anyone))
        ]
        # A socket whose consumer ended without its disconnect (an error in a handler) is
        # found closed here, and goes.
        for outbox in closed:
            if self._forget(group, outbox) and self.channel is not None:
                _task(self._discard(group))

    async def _discard(self, group: str) -> None:
        try:
            await self.layer.group_discard(group, self.channel)
        except Exception:
            log.warning("Could not stop listening to %s", group)


_on_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RoomSockets] = (
    weakref.WeakKeyDictionary()
)


def room_sockets(layer) -> RoomSockets:
    """The running event loop's RoomSockets for this channel layer: one per server process
    (each test's event loop has its own)."""
    loop = asyncio.get_running_loop()
    rooms = _on_loop.get(loop)
    if rooms is None or rooms.layer is not layer:
        if rooms is not None:
            rooms.stop()
        rooms = _on_loop[loop] = RoomSockets(layer)
    return rooms


def _task(coroutine: Coroutine) -> asyncio.Task:
    # A context of its own: the task is no part of the socket that happened to start it
    # (asgiref keeps per-context state, see changes.RoomChanges._schedule).
    return asyncio.get_running_loop().create_task(coroutine, context=contextvars.Context())
