"""Results shared by the facilitators of a session, and between the server processes.

A synthesis of 2,000 participants takes a second or more under load, and every facilitator's
page asks for its results again whenever the session changes: so the results part of the
page (rendered by discussions.views.synthesis_rows) and the vote-burst flags are computed
once for everyone watching, kept for SYNTHESIS_FRESH seconds, computed again in the
background after that, and handed between processes through the cache. Placeholders stand
for each caller's own (the CSRF token, the refetch trigger) in what is shared.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import translation
from django.utils.crypto import salted_hmac

from discussions import matrix, offload, voting_bursts
from discussions.models import Prompt, Session
from discussions.views.synthesis_rows import render_results

log = logging.getLogger(__name__)


def _placeholder(purpose: str) -> str:
    """Stands for the caller's CSRF token, or for the trigger that fetches results again,
    in the shared results until they are sent. Derived from the secret key: the same in
    every server process (they share results through the cache), and unguessable, so that
    no text a participant writes (escaped into the page) can be taken for one."""
    return f"{purpose}-{salted_hmac('synthesis results placeholder', purpose).hexdigest()[:32]}"


CSRF_PLACEHOLDER = _placeholder("csrf")
REFETCH_PLACEHOLDER = _placeholder("again")


def shared_results(session: Session, prompt: Prompt | None) -> Shared:
    """The results part of the page, shared by all the facilitators of a session watching
    it, and computed again in the background once SYNTHESIS_FRESH seconds old.

    Every facilitator's page re-fetches its results whenever the session changes (at most
    every 5 s); a synthesis of 2,000 participants takes a second or more under load, so a
    hundred facilitators computing each their own would take the server, and even one made
    every request wait for it. So a request is answered with the results at hand, at most
    SYNTHESIS_FRESH old plus the time the next computation takes, and the page says when
    they are from. Anything that changes the list of positions (a new one, one hidden or
    merged, one sent to the plenary or taken out of it) shows at once, as it changes the
    key: those requests wait for their computation. Exports compute their own, always exact.
    """
    fresh = settings.SYNTHESIS_FRESH
    # Shared by the facilitators reading the same language: the page's words are in it.
    language = translation.get_language() or settings.LANGUAGE_CODE
    if fresh <= 0:
        return Shared(_render_results(session, prompt, language), current=True)
    listed = tuple(
        matrix.visible_positions(session, prompt.pk if prompt else None)
        .order_by("pk")
        .values_list("pk", "plenary", "pinned")
    )
    return _shared.get(
        (session.pk, prompt.pk if prompt else None, language),
        listed,
        fresh,
        lambda: _render_results(session, prompt, language),
    )


def _render_results(session: Session, prompt: Prompt | None, language: str) -> str:
    """The numbers, and the page's part that shows them in `language`, built by
    discussions.offload (in a process of its own under a server: pure Python that would
    hold the sockets' lock)."""
    return offload.run(
        render_results,
        session.pk,
        prompt.pk if prompt else None,
        CSRF_PLACEHOLDER,
        REFETCH_PLACEHOLDER,
        language,
    )


def session_bursts(session: Session) -> list[voting_bursts.Burst]:
    """The session's flags, shared by its facilitators for SYNTHESIS_FRESH seconds, and
    found again in the background after that, as the results are (SharedResults).

    Finding them reads every vote's choice: 0.14 s for a conference of 2,000 on a busy
    machine (docs/synthesis.md), for every opening of the page by each of a hundred
    facilitators if not shared. Shared safely: they hold participants' ids only, the same
    for everyone; names, groups and removals are read for each request
    (views.synthesis.vote_bursts)."""
    fresh = settings.SYNTHESIS_FRESH
    if fresh <= 0:
        return voting_bursts.session_bursts(session)
    return _shared_bursts.get(
        (session.pk,), None, fresh, lambda: voting_bursts.session_bursts(session)
    ).result


class Shared(NamedTuple):
    result: Any
    current: bool  # False: older than fresh, and being computed again


class SharedResults:
    """Results per subject, reused while their version is the same. Once older than
    `fresh`, the next request starts computing them again in a thread of their own and is
    answered with the ones at hand. A new version waits for its computation, and one
    thread computes a subject while the others wait for it (thread-safe).

    Shared between server processes too, through `store` (the cache: Redis in production):
    results another process computed less than `fresh` ago, of the same version, are taken
    instead of computed. Without it each process computed its own every `fresh` seconds
    while anyone watched: two processes, twice the work, and an export waiting behind it in
    the offload process (docs/capacity.md, "The synthesis computed once, rendered once").
    A store that fails is passed over."""

    def __init__(self, store=cache, namespace: str = "") -> None:
        self.store = store
        self.namespace = namespace  # only processes of one namespace share results
        self._lock = threading.Lock()
        self._kept: dict = {}  # subject -> (version, computation started at, result)
        self._computing: dict = {}  # subject -> lock held while computing it
        self._refreshing: set = set()  # subjects being computed again in the background

    def get(self, subject, version, fresh: float, compute) -> Shared:
        with self._lock:
            kept = self._kept.get(subject)
            if kept and kept[0] == version:
                if time.monotonic() - kept[1] < fresh:
                    return Shared(kept[2], current=True)
                if subject not in self._refreshing:
                    self._refreshing.add(subject)
                    threading.Thread(
                        target=self._refresh,
                        args=(subject, version, fresh, compute),
                        name="synthesis",
                        daemon=True,
                    ).start()
                return Shared(kept[2], current=False)
            computing = self._computing.setdefault(subject, threading.Lock())
        with computing:
            with self._lock:
                kept = self._kept.get(subject)  # another thread may just have computed it
            if kept and kept[0] == version:
                return Shared(kept[2], current=True)
            return Shared(self._compute(subject, version, fresh, compute), current=True)

    def _compute(self, subject, version, fresh: float, compute):
        # Their age counts from the start: a vote cast while they were being computed may
        # be missing from them (static/js/console.js relies on this).
        taken = self._from_other_processes(subject, version, fresh)
        if taken is not None:
            started, result = taken
        else:
            started, started_wall = time.monotonic(), time.time()
            result = compute()
            self._to_other_processes(subject, (version, started_wall, result), fresh)
        with self._lock:
            now = time.monotonic()
            # Subjects nobody asked for during ten freshness periods are let go.
            self._kept = {
                key: kept for key, kept in self._kept.items() if now - kept[1] < 10 * fresh
            }
            self._kept[subject] = (version, started, result)
        return result

    def _from_other_processes(self, subject, version, fresh: float) -> tuple | None:
        """(started, result) of results of this version less than `fresh` old, if another
        process (or this one) left them in the store; their start on this process's clock."""
        try:
            stored = self.store.get(self._store_key(subject))
        except Exception as error:
            log.warning("Could not read the shared synthesis (%s); computing it here", error)
            return None
        if stored is None or stored[0] != version:
            return None
        age = time.time() - stored[1]
        return (time.monotonic() - age, stored[2]) if 0 <= age < fresh else None

    def _to_other_processes(self, subject, stored: tuple, fresh: float) -> None:
        try:
            self.store.set(self._store_key(subject), stored, timeout=10 * fresh)
        except Exception as error:
            log.warning("Could not share the synthesis with the other processes (%s)", error)

    def _refresh(self, subject, version, fresh: float, compute) -> None:
        try:
            self._compute(subject, version, fresh, compute)
        except Exception:
            log.exception("Could not compute the synthesis again; the last one stays")
        finally:
            with self._lock:
                self._refreshing.discard(subject)
            connections.close_all()  # this thread's own: back to the pool

    def _store_key(self, subject) -> str:
        return ":".join(["synthesis-results", self.namespace, *map(str, subject)])

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


# Processes with another secret key (in development, each its own) write other placeholders
# into their results: they must not take each other's.
_shared = SharedResults(namespace=_placeholder("shared"))
# Ids and numbers only (no placeholders): every process may share them.
_shared_bursts = SharedResults(namespace="vote-bursts")


def forget_shared() -> None:
    """Drop this process's shared results and flags (tests start each from nothing)."""
    _shared.clear()
    _shared_bursts.clear()
