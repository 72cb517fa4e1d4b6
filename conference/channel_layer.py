"""channels_redis's publish/subscribe layer, publishing without waiting in line.

In channels_redis 4.3 each process's publishes (every room broadcast, every console notice)
take the one lock that also guards subscribing and unsubscribing, and hold it for the round
trip to Redis: a process publishes one message per round trip, behind every socket's
group_add and group_discard. With a conference connected and voting, a room's broadcast
waited seconds in that line (docs/capacity.md, "The publish/subscribe channel layer"), and
the next broadcast of the room waited for it.

Here publishing goes through a Redis client of its own, whose connection pool lets publishes
run side by side. Subscriptions keep the layer's lock and its single connection, as before.
"""

from __future__ import annotations

import asyncio

from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _wrap_close, create_pool
from redis import asyncio as aioredis


class _Shard(RedisSingleShardConnection):
    _publisher: aioredis.Redis | None = None

    async def publish(self, channel, message) -> None:
        if self._publisher is None:
            self._publisher = aioredis.Redis(connection_pool=create_pool(self.host))
        await self._publisher.publish(channel, message)

    async def flush(self) -> None:
        await super().flush()
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            await publisher.aclose(close_connection_pool=True)


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shards = [_Shard(shard.host, self) for shard in self._shards]


class PubSubChannelLayer(RedisPubSubChannelLayer):
    def _get_layer(self) -> RedisPubSubLoopLayer:
        # As channels_redis does it (one layer per event loop), with our shards.
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer
