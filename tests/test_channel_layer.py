"""The Redis publish/subscribe layer, publishing without waiting in line
(conference.channel_layer). On a Redis database of its own, on the embedded default too."""

import asyncio

import pytest
import pytest_asyncio

from conference.channel_layer import PubSubChannelLayer
from tests.deadlines import DEADLINE

pytestmark = pytest.mark.asyncio

REDIS = "redis://127.0.0.1:6379/7"
WAIT = DEADLINE  # for what must arrive: see tests/deadlines.py


@pytest_asyncio.fixture
async def layer():
    layer = PubSubChannelLayer(hosts=[{"address": REDIS}])
    yield layer
    await layer.flush()


async def test_a_group_send_reaches_the_groups_channels(layer):
    channel = await layer.new_channel()
    await layer.group_add("room.1", channel)
    await layer.group_send("room.1", {"type": "room.event", "html": "<p>hello</p>"})
    message = await asyncio.wait_for(layer.receive(channel), WAIT)
    assert message == {"type": "room.event", "html": "<p>hello</p>"}


async def test_publishing_does_not_wait_for_subscribing(layer):
    """channels_redis holds one lock per process for every publish, subscribe and unsubscribe,
    each for its round trip to Redis: broadcasts queued behind sockets' group_add."""
    channel = await layer.new_channel()
    await layer.group_add("room.2", channel)
    shard = layer._get_layer()._shards[0]
    async with shard._lock:  # as while a socket's subscription is on its way
        await asyncio.wait_for(layer.group_send("room.2", {"type": "room.event"}), WAIT)
        await asyncio.wait_for(
            asyncio.gather(*(layer.group_send("room.2", {"type": "n", "n": n}) for n in range(5))),
            WAIT,
        )
    received = [await asyncio.wait_for(layer.receive(channel), WAIT) for _ in range(6)]
    assert received[0] == {"type": "room.event"}
    assert sorted(m["n"] for m in received[1:]) == [0, 1, 2, 3, 4]
