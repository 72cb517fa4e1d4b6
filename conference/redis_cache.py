"""Django's Redis cache with one connection pool per process.

Django keeps its cache objects per async context, not per thread (django.utils.connection
uses asgiref's Local), and every request that conference.http runs in the thread pool starts
in a context of its own. Each request therefore built a new RedisCache, a new client, a new
connection pool and a new TCP connection to Redis (with its CLIENT SETINFO handshake): the
rate limits of a vote cost a fifth of the vote's time, and Redis saw one connection per
request (Django ticket #35651, open for Django 5.2). Here the client, which holds the pools
and is thread-safe, is shared by every cache object with the same servers and options.

Django's client also builds a redis.Redis object for every operation, which cost as long as
the round trip itself, and every vote, heartbeat and page reads the session through it
(docs/internals.md, "One Redis client per process for the cache", measures both). One per
pool serves every thread (redis-py's clients are thread-safe: each command takes a
connection from the pool).
"""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property


class OneRedisPerPool(RedisCacheClient):
    """Django's cache client, handing out one redis.Redis per connection pool."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._redis_of_pool: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._redis_of_pool.get(id(pool))
        if client is None:  # two threads may both build one: either is as good
            client = self._redis_of_pool[id(pool)] = self._client(connection_pool=pool)
        return client


_clients: dict[tuple, RedisCacheClient] = {}
_clients_lock = threading.Lock()


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = OneRedisPerPool

    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client
