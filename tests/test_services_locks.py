"""services.locks: a write aborted by a conflict runs again, a bounded number of times.

The conflicts themselves (two writes waiting on each other) only happen on PostgreSQL, under
load: tests/faults/test_opening_rush.py makes them meet. Here the retry's rules, with the
error Django raises for them (its OperationalError, caused by psycopg's).
"""

import psycopg.errors
import pytest
from django.db import OperationalError, transaction

from discussions.services import locks


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(locks.time, "sleep", lambda seconds: None)


def aborted(cause: Exception) -> OperationalError:
    """What Django raises when psycopg's error reaches it (DatabaseErrorWrapper)."""
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as error:
        return error


class Write:
    """A write that fails with the given errors first, then succeeds."""

    __name__ = "write"  # as a service function has, for the retry's log line

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, value: str) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return value


def test_a_write_aborted_by_a_deadlock_runs_again_and_succeeds():
    write = Write(aborted(psycopg.errors.DeadlockDetected("deadlock detected")))
    assert locks.retry_on_conflict(write)("saved") == "saved"
    assert write.calls == 2


def test_a_serialization_failure_is_retried_too():
    write = Write(aborted(psycopg.errors.SerializationFailure("could not serialize")))
    assert locks.retry_on_conflict(write)("saved") == "saved"
    assert write.calls == 2


def test_a_write_that_keeps_conflicting_gives_up_after_three_attempts():
    conflicts = [aborted(psycopg.errors.DeadlockDetected("deadlock")) for _ in range(5)]
    write = Write(*conflicts)
    with pytest.raises(OperationalError):
        locks.retry_on_conflict(write)("never")
    assert write.calls == locks.ATTEMPTS == 3


def test_other_database_errors_are_not_retried():
    write = Write(aborted(psycopg.errors.OperationalError("connection refused")))
    with pytest.raises(OperationalError, match="connection refused"):
        locks.retry_on_conflict(write)("never")
    assert write.calls == 1


@pytest.mark.django_db
def test_a_write_inside_a_callers_transaction_is_not_retried():
    """The caller's whole transaction was aborted: running only this write again would
    write it without what the caller wrote before it."""
    write = Write(aborted(psycopg.errors.DeadlockDetected("deadlock")))
    with pytest.raises(OperationalError), transaction.atomic():
        locks.retry_on_conflict(write)("never")
    assert write.calls == 1
