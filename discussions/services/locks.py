"""Row locks of the writes, taken in one order, and the retry of a transaction that a
conflict aborted anyway. The order and its reasons are in the package's docstring
(discussions/services/__init__.py); every lock a service takes comes from here.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection
from django.db.models import Model, QuerySet

from discussions.models import BreakoutGroup, Participant, Position, Session

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=Model)

# PostgreSQL's SQLSTATEs for a transaction aborted by a conflict with another: run it again.
DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
ATTEMPTS = 3


def locked(queryset: QuerySet[M]) -> QuerySet[M]:
    """The queryset's own rows locked, FOR NO KEY UPDATE: not the rows of tables it joins
    with select_related (a group read with its session locked the session too), and in the
    mode that lets other transactions insert rows referring to them (their foreign-key
    checks take KEY SHARE, which only FOR UPDATE blocks). No write here changes a key."""
    return queryset.select_for_update(of=("self",), no_key=True)


def lock_session(session_id: int) -> Session:
    return locked(Session.objects).get(pk=session_id)


def lock_groups(group_ids: Iterable[int]) -> list[BreakoutGroup]:
    """The groups that exist of those named, locked in id order (one statement: PostgreSQL
    locks the rows as the sort returns them), each with its session read, not locked."""
    groups = BreakoutGroup.objects.select_related("session").filter(pk__in=set(group_ids))
    return list(locked(groups).order_by("pk"))


def lock_group(group_id: int) -> BreakoutGroup:
    return locked(BreakoutGroup.objects.select_related("session")).get(pk=group_id)


def lock_participant(participant_id: int) -> Participant | None:
    """The participant, locked; the caller has locked their group first."""
    return locked(Participant.objects).filter(pk=participant_id).first()


def lock_positions(position_ids: Iterable[int]) -> dict[int, Position]:
    """The positions that exist of those named, locked in id order, each with its group (and
    the group's session) as locked by lock_groups: their groups first, then them.

    A position never changes group, so reading its group before taking the locks is safe.
    """
    ids = sorted(set(position_ids))
    group_ids = Position.objects.filter(pk__in=ids).values_list("group_id", flat=True)
    groups = {group.pk: group for group in lock_groups(group_ids)}
    positions = locked(Position.objects.select_related("author")).filter(pk__in=ids)
    found = {position.pk: position for position in positions.order_by("pk")}
    for position in found.values():
        position.group = groups[position.group_id]
    return found


def retry_on_conflict(write: Callable[P, R]) -> Callable[P, R]:
    """Run the write again, a few times, when PostgreSQL aborts its transaction for a
    conflict with another (a deadlock, a serialization failure), before letting the error
    answer 503: an aborted transaction wrote nothing, and its after-commit pushes are
    dropped with it, so running it again is safe.

    By design no two writes wait on each other in a cycle (the lock order); this is the
    safety net for what the design missed. A write inside a caller's transaction is not
    retried here: the caller's whole transaction was aborted, not just this write.
    """

    @functools.wraps(write)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return write(*args, **kwargs)
            except OperationalError as error:
                if attempt == ATTEMPTS or connection.in_atomic_block or not _conflict(error):
                    raise
                log.warning(
                    "%s: transaction aborted by a conflict (%s), attempt %s of %s",
                    write.__name__,
                    str(error).strip().splitlines()[0],
                    attempt,
                    ATTEMPTS,
                )
                # Apart, so the two sides of a deadlock do not meet again at once.
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")

    return run


def _conflict(error: OperationalError) -> bool:
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    return sqlstate in (DEADLOCK_DETECTED, SERIALIZATION_FAILURE)
