"""Django's Redis cache with one connection pool per process.

Django keeps its cache objects per async context, not per thread (django.utils.connection
uses asgiref's Local), and every request that conference.http runs in the thread pool starts
in a context of its own. Each request therefore built a new RedisCache, a new client, a new
connection pool and a new TCP connection to Redis (with its CLIENT SETINFO handshake): the
rate limits of a vote cost a fifth of the vote's time, and Redis saw one connection per
request (Django ticket #35651, open for Django 5.2). Here the client, which holds the pools
and is thread-safe, is shared by every cache object with the same servers and options.
"""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple, RedisCacheClient] = {}
_clients_lock = threading.Lock()


class SharedPoolRedisCache(RedisCache):
    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client
