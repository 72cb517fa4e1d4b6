"""The connection pool (conference.postgresql) after PostgreSQL went away and came back.

A request waits DB_POOL_TIMEOUT for a connection before it is refused. Once PostgreSQL is
back, the first request must find one within that wait: however long the outage lasted
(psycopg's pool otherwise spaces its reconnection attempts 1, 2, 4, 8... seconds apart, so
after a long outage the next one can be minutes away), and however many connections the
pool held idle when PostgreSQL restarted (otherwise a request draws the dead ones one at a
time, with a pause of a second, then two, between them).

The pool is built as production builds it, through Django's backend with the settings'
pool options, against a throwaway cluster; "a request" is a query through that backend.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.utils import ConnectionHandler

POOL_TIMEOUT = 3  # seconds a request waits for a connection (DB_POOL_TIMEOUT)


@pytest.fixture
def backend(throwaway_postgres, django_db_blocker):
    """Django's backend for the throwaway cluster, with the pool of production's settings
    (a database of its own: pytest-django's test database is not involved)."""
    handler = ConnectionHandler(
        {
            # A pool is kept per alias, process-wide: one of its own, beside pytest's.
            "default": {"ENGINE": "django.db.backends.dummy"},
            "pool_drill": {
                "ENGINE": "conference.postgresql",
                "NAME": throwaway_postgres.DATABASE,
                "USER": "postgres",
                "HOST": "127.0.0.1",
                "PORT": throwaway_postgres.port,
                "CONN_MAX_AGE": 0,
                "CONN_HEALTH_CHECKS": True,
                "OPTIONS": {
                    "pool": {
                        "min_size": 2,
                        "max_size": 8,
                        "timeout": POOL_TIMEOUT,
                        "reconnect_timeout": settings.DB_POOL_RECONNECT_TIMEOUT,
                    }
                },
            },
        }
    )
    backend = handler["pool_drill"]
    with django_db_blocker.unblock():
        try:
            yield backend
        finally:
            backend.close()
            backend.close_pool()


def request(backend) -> None:
    """One request's use of the database: a connection from the pool, a query, given back."""
    try:
        with backend.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        backend.close()


def refused(backend) -> bool:
    try:
        request(backend)
    except OperationalError:
        return True
    return False


def test_after_a_long_outage_the_first_request_finds_a_connection(throwaway_postgres, backend):
    request(backend)
    throwaway_postgres.stop("immediate")
    # Requests keep coming for 9 s, each refused after its wait: the pool tries to
    # reconnect all along, and psycopg's backoff alone would put its next attempt at
    # about 15 s, long after PostgreSQL is back.
    down = time.monotonic()
    outcomes = []
    while time.monotonic() - down < 9 - POOL_TIMEOUT:
        outcomes.append(refused(backend))
    time.sleep(max(0.0, down + 9 - time.monotonic()))
    throwaway_postgres.start()

    assert outcomes and all(outcomes), "a request was served with PostgreSQL down"
    request(backend)  # within POOL_TIMEOUT, or OperationalError


def test_after_a_quick_restart_the_first_request_skips_every_dead_connection(
    throwaway_postgres, backend
):
    request(backend)  # Django opens the pool at the first connection
    pool = backend.pool
    connections = [pool.getconn() for _ in range(6)]
    for connection in connections:
        pool.putconn(connection)
    time.sleep(1.5)  # idle long enough to be checked before use (RECENTLY_USED)
    throwaway_postgres.stop("immediate")
    throwaway_postgres.start()

    request(backend)  # within POOL_TIMEOUT, or OperationalError
