"""Django's PostgreSQL backend, with a connection pool that checks a connection only after a
pause and comes back at once after PostgreSQL does.

With CONN_HEALTH_CHECKS on (settings), Django's pool sends an empty query on every connection
it hands out, to find the ones a restarted PostgreSQL left dead. That is a round trip before
every request and every socket's database call: a large share of PostgreSQL's statements
under a conference's load, on a machine whose cores PostgreSQL and the server share
(docs/capacity.md, "Database connections").

Here a connection handed out within the last RECENTLY_USED seconds is handed out unchecked.
Under load the pool's connections take turns many times a second, so nearly no check is
made; a restart of PostgreSQL leaves every connection idle for longer than that, so after
one each is checked (and replaced) before use, as before. Should PostgreSQL go and come back
within that second, a request may meet a dead connection: it fails with the usual "nothing
was saved" answer (discussions.middleware.DatabaseUnavailable) and the pool drops it.

After a restart, psycopg's pool would be slow to serve again in two ways, both of which
leave requests refused once PostgreSQL is back (tests/faults/test_pool_recovery.py):

- A request that draws a dead connection draws the next after a pause of a second, then
  two, then four: with several idle connections left dead it runs out of DB_POOL_TIMEOUT.
  Here the first dead one found has the pool check all its idle connections at once.
- While PostgreSQL is away, the pool retries each connection it lost 1, 2, 4, 8... seconds
  apart, for up to five minutes: after an outage of a minute the next attempt can be half
  a minute after PostgreSQL is back. The settings give the pool a reconnect_timeout of
  two seconds (one of its public options), and the next request that needs a connection
  has it try again at once.

The check is handed to the pool through its private `_check`: Django 5.2 passes its own
check and refuses another in OPTIONS["pool"] (Django ticket #37075, merged in April 2026
after the 5.2 branch). docs/internals.md lists it with the other private internals we use.
"""

from __future__ import annotations

import functools
import math
from time import monotonic

import psycopg
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool

RECENTLY_USED = 1.0  # seconds


def check_after_a_pause(pool: ConnectionPool, connection) -> None:
    now = monotonic()
    if now - getattr(connection, "_conference_handed_out", -math.inf) > RECENTLY_USED:
        try:
            ConnectionPool.check_connection(connection)
        except psycopg.Error:
            # Whatever killed this connection killed the others idle beside it.
            pool.check()
            raise  # the pool drops this one and hands out another
    connection._conference_handed_out = now


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # Django hands the pool psycopg's own check; the pool calls it at each checkout.
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = functools.partial(check_after_a_pause, pool)
        return pool
