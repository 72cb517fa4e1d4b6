"""Django's log lines for refused requests (answers 4xx): one line each, and a flood of them
cannot fill the disk.

Django logs a refusal that came from an exception (a 403 from PermissionDenied, a 400 from
a suspicious request) with the exception's whole traceback: thirty lines for what is one
fact, a request that was not allowed. A script hammering a page it may not see wrote
hundreds of them in a run. Here a refusal is its one line, and at most PER_SECOND of them
are written each second by a process; the rest are counted, and the next line written says
how many were left out. Answers 5xx keep their tracebacks: they are our bugs.
"""

from __future__ import annotations

import logging
import threading
import time

PER_SECOND = 20


class OneLineRefusals(logging.Filter):
    def __init__(self, name: str = "", per_second: int = PER_SECOND) -> None:
        super().__init__(name)
        self.per_second = per_second
        self._lock = threading.Lock()
        self._second = 0  # the whole second of monotonic time being counted
        self._written = 0  # refusals written in it
        self._left_out = 0  # refusals not written since the last one that was

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if not isinstance(status, int) or not 400 <= status < 500:
            return True
        record.exc_info = record.exc_text = record.stack_info = None
        with self._lock:
            second = int(time.monotonic())
            if second != self._second:
                self._second, self._written = second, 0
            if self._written >= self.per_second:
                self._left_out += 1
                return False
            self._written += 1
            left_out, self._left_out = self._left_out, 0
        if left_out:
            record.msg = f"{record.msg} ({left_out} more refusals before this one not logged)"
        return True
