"""The PostgreSQL pool checks a connection only after a pause, and all of them when one is
found dead (conference.postgresql); tests/faults/test_pool_recovery.py restarts PostgreSQL."""

import psycopg
import pytest
from django.db import connections
from psycopg_pool import ConnectionPool

from conference.postgresql import base


class Connection:
    """Stands in for a psycopg connection: the check runs an empty query on it."""

    def __init__(self, alive: bool = True):
        self.alive = alive
        self.checks = 0
        self.autocommit = True

    def execute(self, query: str) -> None:
        assert query == ""
        self.checks += 1
        if not self.alive:
            raise psycopg.OperationalError("server closed the connection unexpectedly")


class Pool:
    """Stands in for the pool: counts the checks of all its idle connections."""

    def __init__(self):
        self.checks = 0

    def check(self) -> None:
        self.checks += 1


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(base, "monotonic", lambda: now[0])
    return now


def test_a_connection_handed_out_lately_is_not_checked_again(clock):
    pool, connection = Pool(), Connection()
    base.check_after_a_pause(pool, connection)
    clock[0] += 0.5
    base.check_after_a_pause(pool, connection)
    base.check_after_a_pause(pool, connection)
    assert connection.checks == 1
    clock[0] += base.RECENTLY_USED + 0.1  # a pause: checked again
    base.check_after_a_pause(pool, connection)
    assert connection.checks == 2
    assert pool.checks == 0


def test_a_dead_connection_fails_its_check_every_time_and_has_the_pool_check_the_rest(clock):
    pool, connection = Pool(), Connection(alive=False)
    for _ in range(2):
        with pytest.raises(psycopg.OperationalError):
            base.check_after_a_pause(pool, connection)
    assert connection.checks == 2  # a failed check does not count as a use
    assert pool.checks == 2


def postgresql_settings(**overrides) -> dict:
    """Our backend's settings for the machine's PostgreSQL (database "test")."""
    return connections["default"].settings_dict | {
        "ENGINE": "conference.postgresql",
        "NAME": "test",
        "HOST": "127.0.0.1",
        "PORT": 5432,
        "USER": "postgres",
        "PASSWORD": "",
        "CONN_MAX_AGE": 0,
        **overrides,
    }


def test_the_backends_pool_uses_that_check():
    settings_dict = postgresql_settings(
        CONN_HEALTH_CHECKS=True, OPTIONS={"pool": {"min_size": 1, "max_size": 2}}
    )
    wrapper = base.DatabaseWrapper(settings_dict, alias="pool-check-test")
    try:
        assert isinstance(wrapper.pool, ConnectionPool)  # built, not opened
        assert wrapper.pool._check.func is base.check_after_a_pause
        assert wrapper.pool._check.args == (wrapper.pool,)
    finally:
        wrapper.close_pool()


@pytest.mark.django_db  # lets this test open a connection of its own to PostgreSQL
def test_a_query_run_five_times_on_a_connection_is_prepared_by_postgresql():
    # With the options settings gives PostgreSQL (DB_PREPARED_STATEMENTS, on by default).
    settings_dict = postgresql_settings(
        OPTIONS={"server_side_binding": True, "prepare_threshold": 5}
    )
    wrapper = base.DatabaseWrapper(settings_dict, alias="prepare-test")
    try:
        with wrapper.cursor() as cursor:
            prepared = []
            for n in range(7):
                cursor.execute("SELECT %s + 1", [n])
                assert cursor.fetchone() == (n + 1,)
                cursor.execute(
                    "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                    ["SELECT $1 + 1%"],
                )
                prepared.append(cursor.fetchone()[0])
        assert prepared == [0, 0, 0, 0, 0, 1, 1]  # from the sixth run on (psycopg: "more than 5")
    finally:
        wrapper.close()
