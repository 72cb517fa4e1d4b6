"""Browser sessions: kept in the database, read through the cache (Redis in production).

Organizers and facilitators have sessions (participants have a signed cookie instead,
discussions.identity): every console request and socket message reads one to know who is
asking. Read from the database it was a noticeable share of a request's time
(docs/capacity.md, "Identity in a signed cookie");
from the cache it is one round trip to Redis. Django's cached_db engine does this, but with the
cache away (Redis restarting) every request that read or started a session failed. Here a
cache that is away makes requests slower, not failed: they read and write the database
alone, and the outage is logged.

The cache keeps a session for at most CACHE_SECONDS. A copy made stale by a write the cache
missed (Redis away for the write, then back with its data) therefore heals by itself within
that time, for the price of one database read per browser per minute. Deleting a session
(logging out) still fails loudly when the cache is away, as in Django: a session must not
stay usable from a copy nobody could remove.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

from conference.outages import OutageLog

log = logging.getLogger(__name__)

CACHE_SECONDS = 60

# Every request of the conference meets the outage: one line per 10 s.
_cache_unreachable = OutageLog(log, "Session cache unreachable: using the database alone")


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict:
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            _cache_unreachable()
            return self._load_from_database(keep_in_cache=False)
        if data is None:
            return self._load_from_database(keep_in_cache=True)
        return data

    def _load_from_database(self, *, keep_in_cache: bool) -> dict:
        stored = self._get_session_from_db()
        if stored is None:
            return {}
        data = self.decode(stored.session_data)
        if keep_in_cache:
            self._keep(data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def save(self, must_create: bool = False) -> None:
        DatabaseStore.save(self, must_create)
        self._keep(self._session, self.get_expiry_age())

    def _keep(self, data: dict, expiry_age: int) -> None:
        try:
            self._cache.set(self.cache_key, data, min(CACHE_SECONDS, expiry_age))
        except Exception:
            _cache_unreachable()

    def exists(self, session_key: str) -> bool:
        # Asked for every new session key: the database answers when the cache cannot.
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            _cache_unreachable()
        return DatabaseStore.exists(self, session_key)
