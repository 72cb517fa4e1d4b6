"""Heavy pure-Python work (exports, the synthesis's results) in a process of its own.

A server process's event loop carries a thousand sockets. An export or the synthesis's
results of a large conference is a long stretch of pure Python. Built in a thread of that
process it holds the interpreter's lock (the GIL), and the loop waits for it every time it
comes back from a socket: a facilitator downloading exports slowed every room's updates
(docs/capacity.md, "Heavy pages in another process (offload)"). In a child process
the work takes another core's time, not the loop's lock; the calling thread waits for the
answer without holding the lock.

`OFFLOAD_PROCESSES` child processes per server process; 0 runs the work in the calling
thread, as the tests do unless they test this module. So does a database a child process
cannot open (SQLite in memory). The work must only read: the calls a child that dies had
are run again in their callers' threads, while another child starts.
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
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections

from conference import collector

log = logging.getLogger(__name__)

_lock = threading.Lock()
_children: _Children | None = None


class _Children:
    """The pool of child processes, and whether its first child has started."""

    def __init__(self) -> None:
        # Spawned, not forked: a fork would copy the event loop's threads and sockets. The
        # child opens the database this process uses now, which in a test run is not the
        # settings' own (test_<name>, or a file).
        self.pool = ProcessPoolExecutor(
            max_workers=settings.OFFLOAD_PROCESSES,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(copy.deepcopy(settings.DATABASES),),
        )
        self.ready = threading.Event()
        self.pool.submit(os.getpid).add_done_callback(self._started)

    def _started(self, future) -> None:
        if future.cancelled():
            return
        if error := future.exception():
            # Then every call runs in its caller's thread, as with no child at all.
            log.error("The offload process could not start: %r", error)
            return
        self.ready.set()


def run(function: Callable[..., Any], /, *args: Any) -> Any:
    """`function(*args)` in a child process, or in this thread (see above); its result, or
    the exception it raised. The function must be a module's own (it is sent by name), its
    arguments and result plain values (they are pickled).

    Until a child has started (seconds under load: Django and numpy to import), the work
    runs here: the first export need not wait for a process to start."""
    if not offloading():
        return function(*args)
    children = _the_children()
    if not children.ready.is_set():
        return function(*args)
    try:
        return children.pool.submit(_call, function, *args).result(timeout=settings.OFFLOAD_TIMEOUT)
    except BrokenProcessPool:
        # A child died (killed, out of memory): another starts, and this work runs here.
        log.warning("An offload process died; starting another")
        _drop(children)
        _the_children()
        return function(*args)


def offloading() -> bool:
    """Whether run() sends its work to a child process once one has started."""
    if settings.OFFLOAD_PROCESSES <= 0:
        return False
    connection = connections["default"]
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())


def warm() -> None:
    """Start the child processes now, without waiting for them."""
    if offloading():
        _the_children()


def warm_on_login(**signal) -> None:
    warm()


def wait_ready(timeout: float) -> bool:
    """Wait until a child has started; whether one has (tests)."""
    with _lock:
        children = _children
    return bool(children) and children.ready.wait(timeout)


def started() -> bool:
    """Whether the child processes have been asked to start."""
    with _lock:
        return _children is not None


def shutdown() -> None:
    """Stop the child processes, waiting for them: at a uvicorn worker's end (its
    lifespan), and in tests. A worker killed outright leaves them to go by themselves."""
    with _lock:
        children = _children
    if children:
        _drop(children, wait=True)


def _the_children() -> _Children:
    global _children
    with _lock:
        if _children is None:
            _children = _Children()
        return _children


def _drop(children: _Children, *, wait: bool = False) -> None:
    global _children
    with _lock:
        if _children is children:
            _children = None
    children.pool.shutdown(wait=wait, cancel_futures=True)


def _start_child(databases: dict) -> None:
    import django

    settings.DATABASES = databases  # before setup: nothing has opened a connection yet
    django.setup()
    # What the work needs (the views, numpy, scikit-learn, the PDF library) loaded now,
    # before the child counts as started: loaded by its first synthesis, under load that
    # synthesis took seconds; the price is memory (docs/capacity.md, "Heavy pages in another
    # process (offload)").
    import_module(settings.ROOT_URLCONF)
    collector.settle()
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
