"""Calls made at once from many threads, each with a database connection of its own: the
tests that lock rows run them against PostgreSQL in CI."""

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from tests.deadlines import DEADLINE


class Threads:
    """Runs calls on as many threads at once, all on the test database.

    On PostgreSQL that is the test database itself. On SQLite, Django's test database lives
    in shared-cache memory, where a second writer fails at once with "database table is
    locked" instead of waiting (the busy timeout does not apply to shared-cache locks). So the
    committed test data is copied to a file, which behaves like the app's own SQLite file
    (BEGIN IMMEDIATE, 20 s timeout), and every thread, this one included, uses that file.
    """

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.original = connections[DEFAULT_DB_ALIAS]
        self.file_settings = None

    def use_test_database(self) -> None:
        if self.file_settings is not None:
            wrapper = type(self.original)(self.file_settings, DEFAULT_DB_ALIAS)
            connections[DEFAULT_DB_ALIAS] = wrapper

    def run(self, calls: list) -> list:
        if self.original.vendor == "sqlite" and self.file_settings is None:
            path = self.tmp_path / "concurrency.sqlite3"
            self.original.ensure_connection()
            with closing(sqlite3.connect(path)) as target:
                self.original.connection.backup(target)
            self.file_settings = {**self.original.settings_dict, "NAME": str(path)}
            self.use_test_database()

        start = threading.Barrier(len(calls))

        def run(call):
            self.use_test_database()
            try:
                connection.ensure_connection()
                start.wait(timeout=DEADLINE)  # everyone connected: now all at once
                return call()
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(run, calls))

    def restore(self) -> None:
        if connections[DEFAULT_DB_ALIAS] is not self.original:
            connections[DEFAULT_DB_ALIAS].close()
            connections[DEFAULT_DB_ALIAS] = self.original


@pytest.fixture
def threads(tmp_path):
    threads = Threads(tmp_path)
    yield threads
    threads.restore()
