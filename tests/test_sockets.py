"""The tests' WebSocket client lets a consumer finish handling a disconnect (tests/sockets.py)."""

import asyncio

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator as ChannelsCommunicator

from tests.sockets import WebsocketCommunicator

# Database access allowed, though these consumers keep no data: Channels' consumers close
# stale connections at every message (channels.db.aclose_old_connections), in the thread
# where the other socket tests' database work ran. On SQLite that thread's in-memory
# connection is never closed, so after those tests this checked it, and a test without
# database access failed ("Database access not allowed") when run after tests/test_consumers.
pytestmark = [pytest.mark.asyncio, pytest.mark.django_db]

# Longer than Channels' own wait (1 s), as a loaded machine makes a consumer's real work.
SLOW = 1.5


class SlowToLeave(AsyncWebsocketConsumer):
    left: list[str] = []

    async def connect(self) -> None:
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await asyncio.sleep(SLOW)
        self.left.append("done")


@pytest.mark.parametrize(
    ("client", "finished"), [(ChannelsCommunicator, False), (WebsocketCommunicator, True)]
)
async def test_a_disconnect_is_handled_to_its_end(client, finished):
    SlowToLeave.left = []
    socket = client(SlowToLeave.as_asgi(), "/ws/slow/")
    assert (await socket.connect())[0]
    await socket.disconnect()
    assert (SlowToLeave.left == ["done"]) is finished
