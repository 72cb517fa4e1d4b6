"""Django's PostgreSQL backend, whose connection pool checks a connection only after a pause.

With CONN_HEALTH_CHECKS on (settings), Django's pool sends an empty query on every connection
it hands out, to find the ones a restarted PostgreSQL left dead. That is a round trip before
every request and every socket's database call: about 230 a second with 2,000 people
connected at 100 votes/s, a fifth of PostgreSQL's statements, on a machine whose two cores
PostgreSQL and the server share (docs/capacity.md).

Here a connection handed out within the last RECENTLY_USED seconds is handed out unchecked.
Under load the pool's connections take turns many times a second, so nearly no check is
made; a restart of PostgreSQL leaves every connection idle for longer than that, so after
one each is checked (and replaced) before use, as before. Should PostgreSQL go and come back
within that second, a request may meet a dead connection: it fails with the usual "nothing
was saved" answer (discussions.middleware.DatabaseUnavailable) and the pool drops it.
"""

from __future__ import annotations

import math
from time import monotonic

from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool

RECENTLY_USED = 1.0  # seconds


def check_after_a_pause(connection) -> None:
    now = monotonic()
    if now - getattr(connection, "_conference_handed_out", -math.inf) > RECENTLY_USED:
        ConnectionPool.check_connection(connection)  # raises if the connection is dead
    connection._conference_handed_out = now


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # Django hands the pool psycopg's own check; the pool calls it at each checkout.
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = check_after_a_pause
        return pool
