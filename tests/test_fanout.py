"""A room's broadcasts written to the process's sockets in one loop (discussions.live.fanout)."""

import asyncio

import pytest
from channels.layers import InMemoryChannelLayer, get_channel_layer

from discussions import live
from discussions.live import fanout
from tests.deadlines import DEADLINE
from tests.layers import group_members

pytestmark = pytest.mark.asyncio


class Socket:
    """An ASGI send that records frames; while `stuck`, a send waits, as uvicorn's does when
    the client's buffer is full."""

    def __init__(self, stuck: bool = False):
        self.frames: list[str] = []
        self.free = asyncio.Event()
        if not stuck:
            self.free.set()
        self.closed = False

    async def send(self, message: dict) -> None:
        if not self.free.is_set():
            await self.free.wait()
        if self.closed:
            raise RuntimeError("Unexpected ASGI message 'websocket.send' after close")
        assert message["type"] == "websocket.send"
        self.frames.append(message["text"])


def opened(socket: Socket) -> fanout.Outbox:
    outbox = fanout.Outbox(socket.send)
    outbox.open()
    return outbox


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_broadcast_is_written_then_and_there_without_a_task():
    socket = Socket()
    outbox = opened(socket)
    tasks_before = asyncio.all_tasks()
    outbox.push("one")
    outbox.push("two")
    assert socket.frames == ["one", "two"]  # before this test's task let anything else run
    assert asyncio.all_tasks() == tasks_before


async def test_a_socket_that_cannot_take_more_holds_up_no_one_and_gets_all_in_order():
    slow, quick = Socket(stuck=True), Socket()
    slow_box, quick_box = opened(slow), opened(quick)
    for text in ("a", "b", "c"):
        slow_box.push(text)
        quick_box.push(text)
    assert quick.frames == ["a", "b", "c"]
    await settle()
    assert slow.frames == []
    slow.free.set()
    await settle()
    assert slow.frames == ["a", "b", "c"]
    slow_box.push("d")  # written at once again
    assert slow.frames == ["a", "b", "c", "d"]


async def test_broadcasts_during_the_handshake_wait_for_the_accept():
    socket = Socket()
    outbox = fanout.Outbox(socket.send)
    outbox.push("before")
    assert socket.frames == []
    outbox.open()
    outbox.push("after")
    await settle()
    assert socket.frames == ["before", "after"]


async def test_a_socket_that_never_reads_loses_broadcasts_beyond_the_limit_not_memory():
    socket = Socket(stuck=True)
    outbox = opened(socket)
    for number in range(fanout.OUTBOX_LIMIT + 10):
        outbox.push(str(number))
    assert outbox.dropped == 9  # the first is with the server's send, the next LIMIT wait
    socket.free.set()
    await settle()
    assert socket.frames == [str(n) for n in range(fanout.OUTBOX_LIMIT + 1)]


async def test_a_socket_closed_under_the_room_is_dropped_quietly():
    socket = Socket()
    outbox = opened(socket)
    socket.closed = True
    outbox.push("lost")  # no error for the room's loop
    socket.closed = False
    outbox.push("after")
    assert socket.frames == []


async def test_a_stuck_send_cancelled_with_its_task_is_closed():
    socket = Socket(stuck=True)
    outbox = opened(socket)
    outbox.push("never")
    await settle()
    writer = outbox._writer
    writer.cancel()
    await settle()
    assert writer.cancelled()
    socket.free.set()
    await settle()
    assert socket.frames == []


async def test_the_process_hears_each_room_once_and_writes_to_that_rooms_sockets_only():
    layer = get_channel_layer()
    rooms = fanout.room_sockets(layer)
    room, other = live.room_channel_group(10**6), live.room_channel_group(10**6 + 1)
    ada, ben, cleo = Socket(), Socket(), Socket()
    boxes = {name: opened(socket) for name, socket in (("ada", ada), ("ben", ben), ("cleo", cleo))}
    await rooms.join(room, boxes["ada"])
    await rooms.join(room, boxes["ben"])
    await rooms.join(other, boxes["cleo"])
    await rooms.join(room, boxes["ada"])  # a heartbeat's renewal: no second copy
    try:
        assert await group_members(room) == {rooms.channel}
        await layer.group_send(room, live.room_message(10**6, 7, "<p>to the room</p>"))
        await wait_for(lambda: ada.frames and ben.frames)
        assert ada.frames == ben.frames == ["<p>to the room</p>"]
        assert cleo.frames == []

        await rooms.leave(room, boxes["ada"])
        assert await group_members(room) == {rooms.channel}  # Ben is still here
        await rooms.leave(room, boxes["ben"])
        assert await group_members(room) == set()
        await layer.group_send(other, live.room_message(10**6 + 1, 8, "<p>other</p>"))
        await wait_for(lambda: cleo.frames)
        assert ada.frames == ben.frames == ["<p>to the room</p>"]
    finally:
        await rooms.leave(other, boxes["cleo"])
        rooms.stop()


async def test_each_event_loop_has_its_own_and_a_new_layer_replaces_the_old():
    layer = get_channel_layer()
    rooms = fanout.room_sockets(layer)
    assert fanout.room_sockets(layer) is rooms
    replaced = fanout.room_sockets(InMemoryChannelLayer())
    assert replaced is not rooms
    replaced.stop()


async def wait_for(condition, seconds: float = DEADLINE) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_socket_that_closes_while_its_broadcasts_wait_drops_them_quietly():
    socket = Socket(stuck=True)
    outbox = opened(socket)
    outbox.push("one")
    outbox.push("two")
    await settle()
    socket.closed = True
    socket.free.set()  # the waiting send resumes and finds the client gone
    await settle()
    assert socket.frames == []
    assert outbox._writer is None
    socket.closed = False
    outbox.push("three")  # closed for good: the disconnect follows
    assert socket.frames == []


async def test_a_socket_found_closed_by_a_broadcast_leaves_its_room():
    """A consumer that ended on an error never ran its disconnect: its outbox goes when a
    broadcast finds its socket closed, and with the room's last, the subscription."""
    layer = get_channel_layer()
    rooms = fanout.room_sockets(layer)
    room = live.room_channel_group(10**6 + 2)
    ada, ben = Socket(), Socket()
    ada_box, ben_box = opened(ada), opened(ben)
    await rooms.join(room, ada_box)
    await rooms.join(room, ben_box)
    try:
        ada.closed = True
        rooms.deliver(live.room_message(10**6 + 2, 1, "<p>one</p>"))
        assert rooms.rooms[room] == {ben_box}
        assert ben.frames == ["<p>one</p>"]
        ben.closed = True
        rooms.deliver(live.room_message(10**6 + 2, 2, "<p>two</p>"))
        assert room not in rooms.rooms
        await settle()
        assert rooms.channel not in await group_members(room)
    finally:
        rooms.stop()
