"""Rate limits on joining, posting, voting and wrong passwords, shared across server processes.

Fixed windows counted in Django's cache: Redis when REDIS_URL is set (so every process sees
the same counts), process memory otherwise. The limits are far above what a person does in a
breakout room and far below what a script guessing join codes or flooding a room needs.

Guessing join codes: a code is six of 25 characters, short enough to type, so what keeps a
live one from being guessed is how few wrong ones a guesser may try (the README works out
how long a guess takes). Wrong codes are counted per network (guessing_refused); a right
one never is. Past the limit, codes typed there are slowed, not blocked: one is answered
every couple of seconds (a turn), right or wrong alike, and the others are asked to try
again when the next turn comes: answering the right ones at once would tell a guesser
which codes exist, and holding them all for the rest of the minute locked a venue's typists
out for its mistypes. What shows
the code was not guessed is answered all the same (the join link's key, the QR code, a
browser that joined: discussions.views.joining), so a venue behind one address never
locks itself out.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from conference.outages import OutageLog
from discussions.services.errors import ServiceError

log = logging.getLogger(__name__)


class Limited(ServiceError):
    """Refused because of a rate limit: the views answer 429 Too Many Requests. Its text is
    in the language active where it was made; `limit` says it again in another."""

    def __init__(self, message: str, limit: Limit | None = None) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int
    # In English, marked for translation (gettext_noop): translated where it is shown, in the
    # reader's language (refuse() and the views), so it stays a plain string here.
    message: str
    # Past the count, one request is still answered every `turn` seconds (0: none until the
    # window ends): what slows guessing without blocking the right codes (guessing_refused).
    turn: int = 0


# Wrong join codes (and screen links) per network, and from all networks together: see
# guessing_refused. Right codes are never counted: joins are limited per session instead,
# by what a session takes (its whole audience in a minute, all behind one address).
JOIN = Limit(
    "join",
    settings.WRONG_CODES_PER_ADDRESS,
    60,
    gettext_noop("Many wrong join codes came from this network."),
    turn=2,
)
JOIN_SITE = Limit(
    "join-site",
    settings.WRONG_CODES_PER_SITE,
    60,
    gettext_noop("Many wrong join codes are being tried on this site right now."),
    turn=1,  # shared by every network that guessed
)
SITE = "site"  # the key of the count over all networks
SESSION_JOIN = Limit(
    "session-join",
    settings.JOINS_PER_SESSION,
    60,
    gettext_noop("Very many people are joining this session at this moment."),
)
POST = Limit(
    "post", 10, 60, gettext_noop("You are posting very fast: wait a moment before the next one.")
)
VOTE = Limit("vote", 120, 60, gettext_noop("You are voting very fast: wait a moment."))
# The same per network address, against a script that joins many participants to flood a room.
# A venue shares one address: settings.VOTES_PER_ADDRESS and POSTS_PER_ADDRESS size these.
POST_ADDRESS = Limit(
    "post-address",
    settings.POSTS_PER_ADDRESS,
    60,
    gettext_noop("Too many positions from this network: wait a moment."),
)
VOTE_ADDRESS = Limit(
    "vote-address",
    settings.VOTES_PER_ADDRESS,
    60,
    gettext_noop("Too many votes from this network: wait a moment."),
)
# Wrong passwords per network, whatever the usernames: each costs a password hash (a fifth of
# a second of a request thread), so past them a login from there is refused before its
# password is hashed (discussions.views.login). Right passwords are never counted: a venue's
# staff log in from one address. Each username has a lockout of its own (django-axes).
WRONG_LOGIN = Limit(
    "wrong-login",
    settings.WRONG_LOGINS_PER_ADDRESS,
    60,
    gettext_noop("Many wrong passwords came from this network."),
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
    """Count one use of each (limit, key); the ones now over their limit, in order."""
    return [use for use, over_it in zip(uses, _count_each(uses), strict=True) if over_it]


def _count_each(uses: list[tuple[Limit, str]]) -> list[bool]:
    """Count one use of each (limit, key), in order; for each, whether it went over.

    On Redis, all of them in one round trip. Through Django's cache API a vote took four
    (add and incr, per limit), each building a new Redis client, a share of a server
    process's time worth saving (docs/capacity.md, "Rate limits for a venue behind one
    address").
    """
    redis_cache = getattr(cache, "_cache", None)  # the backend's client, through the proxy
    if not isinstance(redis_cache, RedisCacheClient):
        return [_exceeded_in_cache(limit, key) for limit, key in uses]
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
        return [False] * len(uses)
    return [used > limit.count for (limit, _), used in zip(uses, counts, strict=True)]


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
    return Limited(_(limit.message), limit)


def check(request, participant_id: int, per_participant: Limit, per_address: Limit) -> None:
    """Count one write by this participant and from the caller's address: Limited if either
    is over its limit."""
    over_limits = _count(
        [(per_participant, f"participant-{participant_id}"), (per_address, client_address(request))]
    )
    if over_limits:
        raise refuse(*over_limits[0])


def votes_refused(votes: list[tuple[int, str]]) -> list[Limited | None]:
    """Count a batch of votes, each (participant, address) as check() counts one, in one
    round trip: for each, its refusal if a limit was over, else None."""
    uses = []
    for participant_id, address in votes:
        uses += [(VOTE, f"participant-{participant_id}"), (VOTE_ADDRESS, address)]
    over_each = _count_each(uses)
    refusals: list[Limited | None] = []
    for i in range(0, len(uses), 2):
        over_limits = [
            use
            for use, over_it in zip(uses[i : i + 2], over_each[i : i + 2], strict=True)
            if over_it
        ]
        refusals.append(refuse(*over_limits[0]) if over_limits else None)
    return refusals


def guessing_refused(request) -> Limit | None:
    """The limit that holds back a code typed from the caller's network just now; None when
    it may be looked up.

    Past the site's limit (many networks, each under its own), a network that sent a wrong
    code in this window takes turns with every other such network, one lookup a second
    (JOIN_SITE.turn), while the others, a venue that typed its codes right, go on as
    before. Past its own limit a network takes turns of its own, one lookup every
    JOIN.turn seconds. A right code typed there joins at its next try; a guesser gets a
    lookup a turn more. The counts are read, not counted: count_wrong_guess counts, once a
    code turns out wrong (so requests in flight when the limit is reached, a handful per
    server process, may each still be answered).
    """
    here = network(request)
    mine, site = _key(JOIN, here), _key(JOIN_SITE, SITE)
    try:
        used = cache.get_many([mine, site])  # one round trip on Redis
    except Exception:
        _counters_unreachable()
        return None
    wrong_here = used.get(mine) or 0
    if wrong_here and (used.get(site) or 0) >= JOIN_SITE.count:
        limit, key = JOIN_SITE, SITE
    elif wrong_here >= JOIN.count:
        limit, key = JOIN, here
    else:
        return None
    return None if _take_turn(limit, key) else limit


def _take_turn(limit: Limit, key: str) -> bool:
    """Whether this request has the key's current turn of the limit (the first to ask)."""
    turn = f"rl:{limit.name}-turn:{key}:{int(time.time()) // limit.turn}"
    try:
        return cache.add(turn, 1, timeout=limit.turn + 1)  # add(): only the first one sets it
    except Exception:
        _counters_unreachable()
        return True


def count_wrong_guess(request) -> None:
    """Count a wrong code (or screen link) from the caller's network, and from all."""
    _count([(JOIN, network(request)), (JOIN_SITE, SITE)])


def login_refused(request) -> Limited | None:
    """The refusal of a login from the caller's network, past its wrong passwords this
    minute; None when its password may be checked. Read, not counted: count_wrong_login
    counts, once a password turns out wrong."""
    here = network(request)
    return refuse(WRONG_LOGIN, here) if over(WRONG_LOGIN, here) else None


def count_wrong_login(request) -> None:
    _count([(WRONG_LOGIN, network(request))])


def retry_after(limit: Limit) -> int:
    """Seconds until `limit` answers again: its next turn, or the end of its window."""
    period = limit.turn or limit.seconds
    return period - int(time.time()) % period


def network(request) -> str:
    """The caller's network: its address, or for IPv6 the /64 it is in, since one machine
    commonly has a whole /64 of addresses to choose from (as a venue behind NAT has one
    IPv4 address)."""
    address = client_address(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def network_address(request) -> str | None:
    """The caller's network as one address (an IPv6 /64 as its first), for django-axes,
    which keeps failed logins in an address column; None when the caller's address is not
    an IP address."""
    try:
        return str(ipaddress.ip_network(network(request)).network_address)
    except ValueError:
        return None


def client_address(request) -> str:
    """The caller's address. Behind a proxy, REMOTE_ADDR is the proxy: deployments that set
    SECURE_PROXY_SSL_HEADER_FROM_PROXY trust its X-Forwarded-For's last hop too."""
    return address_in(request.META)


def socket_address(scope: dict) -> str:
    """A WebSocket's caller's address, as client_address reads a request's."""
    client = scope.get("client") or ("unknown", 0)
    meta = {"REMOTE_ADDR": client[0]}
    for name, value in scope.get("headers") or ():
        if name == b"x-forwarded-for":
            meta["HTTP_X_FORWARDED_FOR"] = value.decode("latin-1")
    return address_in(meta)


def address_in(meta) -> str:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return meta.get("REMOTE_ADDR", "unknown")
