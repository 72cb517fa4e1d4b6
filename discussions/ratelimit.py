"""Rate limits on joining, posting and voting, shared across server processes.

Fixed windows counted in Django's cache: Redis when REDIS_URL is set (so every process sees
the same counts), process memory otherwise. The limits are far above what a person does in a
breakout room and far below what a script guessing join codes or flooding a room needs.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient

from conference.outages import OutageLog
from discussions.services.errors import ServiceError

log = logging.getLogger(__name__)


class Limited(ServiceError):
    """Refused because of a rate limit: the views answer 429 Too Many Requests."""


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int
    message: str


# Wrong join codes per network address (right ones are never limited: a venue shares one).
JOIN = Limit("join", 30, 60, "Too many wrong join codes from this network: wait a minute.")
POST = Limit("post", 10, 60, "You are posting very fast: wait a moment before the next one.")
VOTE = Limit("vote", 120, 60, "You are voting very fast: wait a moment.")
# The same per network address, against a script that joins many participants to flood a room.
# A venue shares one address: settings.VOTES_PER_ADDRESS and POSTS_PER_ADDRESS size these.
POST_ADDRESS = Limit(
    "post-address",
    settings.POSTS_PER_ADDRESS,
    60,
    "Too many positions from this network: wait a moment.",
)
VOTE_ADDRESS = Limit(
    "vote-address",
    settings.VOTES_PER_ADDRESS,
    60,
    "Too many votes from this network: wait a moment.",
)


def _key(limit: Limit, key: str) -> str:
    return f"rl:{limit.name}:{key}:{int(time.time()) // limit.seconds}"


def over(limit: Limit, key: str) -> bool:
    """Whether `key` has used up `limit` in the current window (without counting a use)."""
    try:
        return (cache.get(_key(limit, key)) or 0) >= limit.count
    except Exception:
        _counters_unreachable()
        return False


def exceeded(limit: Limit, key: str) -> bool:
    """Count one more use of `limit` by `key` in the current window; True once over it.

    With the counters unreachable (Redis restarting) the use is let through: refusing every
    vote of a conference for want of a counter would lose far more than a flood could.
    """
    return _count([(limit, key)]) != []


def _count(uses: list[tuple[Limit, str]]) -> list[tuple[Limit, str]]:
    """Count one use of each (limit, key); the ones now over their limit, in order.

    On Redis, all of them in one round trip. Through Django's cache API a vote took four
    (add and incr, per limit), each building a new Redis client: 7 % of a server process's
    time at 60 votes/s (docs/capacity.md).
    """
    redis_cache = getattr(cache, "_cache", None)  # the backend's client, through the proxy
    if not isinstance(redis_cache, RedisCacheClient):
        return [(limit, key) for limit, key in uses if _exceeded_in_cache(limit, key)]
    try:
        pipeline = _redis_client(redis_cache).pipeline(transaction=True)
        for limit, key in uses:
            cache_key = cache.make_and_validate_key(_key(limit, key))
            pipeline.incr(cache_key)
            # NX: only the window's first use sets the expiry (Redis 7).
            pipeline.expire(cache_key, limit.seconds + 1, nx=True)
        counts = pipeline.execute()[::2]
    except Exception:
        _counters_unreachable()
        return []
    return [use for use, used in zip(uses, counts, strict=True) if used > use[0].count]


@functools.lru_cache(maxsize=4)
def _redis_client(redis_cache: RedisCacheClient):
    """One client per process on the cache's own connection pool (thread-safe)."""
    return redis_cache.get_client(write=True)


def _exceeded_in_cache(limit: Limit, key: str) -> bool:
    cache_key = _key(limit, key)
    try:
        # add() only sets a missing key, so two processes never reset each other's count.
        cache.add(cache_key, 0, timeout=limit.seconds + 1)
        try:
            used = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr(): a fresh window
            cache.add(cache_key, 1, timeout=limit.seconds + 1)
            used = 1
    except Exception:
        _counters_unreachable()
        return False
    return used > limit.count


# Every request of the conference meets the outage: one line per 10 s.
_counters_unreachable = OutageLog(log, "Rate-limit counters unreachable: letting requests through")


def refuse(limit: Limit, key: str) -> Limited:
    """The refusal to raise or show; logged once per key and window, so a flood of refused
    requests does not become a flood of log lines."""
    try:
        first = cache.add(f"{_key(limit, key)}:logged", 1, timeout=limit.seconds + 1)
    except Exception:
        first = True
    if first:
        log.warning("Rate limit %r reached by %s", limit.name, key)
    return Limited(limit.message)


def check(request, participant_id: int, per_participant: Limit, per_address: Limit) -> None:
    """Count one write by this participant and from the caller's address: Limited if either
    is over its limit."""
    over_limits = _count(
        [(per_participant, f"participant-{participant_id}"), (per_address, client_address(request))]
    )
    if over_limits:
        raise refuse(*over_limits[0])


def client_address(request) -> str:
    """The caller's address. Behind a proxy, REMOTE_ADDR is the proxy: deployments that set
    SECURE_PROXY_SSL_HEADER_FROM_PROXY trust its X-Forwarded-For's last hop too."""
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "unknown")
