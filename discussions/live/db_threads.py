"""Where the event loop's database work runs (the sockets', and the room broadcasts').

On PostgreSQL, in a pool of threads: database_sync_to_async's default runs all of it, for
every socket of the process, on one single thread, and with 2,000 sockets heartbeats and
arrivals queued behind one another for seconds (docs/capacity.md, "Database
connections"). Each call is independent: its own connection, handed back after it.

On SQLite, on that single thread, as before: SQLite takes one writer at a time whatever the
threads, and the in-memory database of the tests answers "table is locked" at once (no busy
timeout in shared-cache mode) when two threads meet on a table.
"""

from __future__ import annotations

import functools

from channels.db import database_sync_to_async
from django.db import connections

in_db_thread = functools.partial(
    database_sync_to_async, thread_sensitive=connections["default"].vendor == "sqlite"
)
