"""Heavy pure-Python work (exports, the synthesis's results) in a process of its own.

A server process's event loop carries a thousand sockets. An export of a 2,000-person
conference takes about 0.1 s of pure Python, the synthesis's results 0.2 s. Built in a
thread of that process they hold the interpreter's lock (the GIL), and the loop waits for
it every time it comes back from a socket: with a facilitator downloading exports, the
fan-out's p99 was 526-600 ms against 232 ms without (docs/capacity.md). In a child process
the work takes another core's time, not the loop's lock; the calling thread waits for the
answer without holding the lock.

`OFFLOAD_PROCESSES` child processes per server process; 0 runs the work in the calling
thread, as the tests do unless they test this module. So does a database a child process
cannot open (SQLite in memory). The work must only read: a child that dies takes its
calls with it, and they are run once more in a new one.
"""

from __future__ import annotations

import copy
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def run(function: Callable[..., Any], /, *args: Any) -> Any:
    """`function(*args)` in a child process, or in this thread (see above); its result, or
    the exception it raised. The function must be a module's own (it is sent by name), its
    arguments and result plain values (they are pickled)."""
    if not offloading():
        return function(*args)
    pool = _the_pool()
    try:
        return pool.submit(_call, function, *args).result(timeout=settings.OFFLOAD_TIMEOUT)
    except BrokenProcessPool:
        log.warning("An offload process died; starting another for %s", function.__name__)
        _drop(pool)
        return _the_pool().submit(_call, function, *args).result(timeout=settings.OFFLOAD_TIMEOUT)


def offloading() -> bool:
    """Whether run() sends its work to a child process."""
    if settings.OFFLOAD_PROCESSES <= 0:
        return False
    connection = connections["default"]
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())


def warm() -> None:
    """Start the child processes now, without waiting for them: under load one takes
    seconds to start, and the first export or synthesis need not wait for it."""
    if offloading():
        _the_pool().submit(os.getpid)


def warm_on_login(**signal) -> None:
    warm()


def started() -> bool:
    with _lock:
        return _pool is not None


def shutdown() -> None:
    """Stop the child processes (tests; a server's exit stops them by itself)."""
    with _lock:
        pool = _pool
    if pool:
        _drop(pool)


def _the_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # Spawned, not forked: a fork would copy the event loop's threads and sockets.
            # The child opens the database this process uses now, which in a test run is
            # not the settings' own (test_<name>, or a file).
            _pool = ProcessPoolExecutor(
                max_workers=settings.OFFLOAD_PROCESSES,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_child,
                initargs=(copy.deepcopy(settings.DATABASES),),
            )
        return _pool


def _drop(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def _start_child(databases: dict) -> None:
    import django

    settings.DATABASES = databases  # before setup: nothing has opened a connection yet
    django.setup()
    # A server process killed outright (SIGKILL, out of memory) leaves its children behind,
    # waiting for work that never comes: each goes when its parent has gone.
    parent = multiprocessing.parent_process()
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent) -> None:
    parent.join()
    os._exit(0)


def _call(function: Callable[..., Any], *args: Any) -> Any:
    # As Django does around each request: a connection the database dropped (a restart) is
    # not used again, and a pooled one goes back to its pool after the work.
    close_old_connections()
    try:
        return function(*args)
    finally:
        close_old_connections()
