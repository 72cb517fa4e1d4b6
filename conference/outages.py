"""A log line for an outage that every request meets (Redis restarting, say): written at
most once every few seconds, so the log shows the outage, not a flood of copies of it."""

from __future__ import annotations

import logging
import math
import time


class OutageLog:
    def __init__(self, logger: logging.Logger, message: str, every_seconds: float = 10.0):
        self.logger, self.message, self.every_seconds = logger, message, every_seconds
        self.last = -math.inf  # monotonic time of the last line written

    def __call__(self) -> None:
        """Log the exception being handled, unless a line went out a moment ago."""
        now = time.monotonic()
        if now - self.last > self.every_seconds:
            self.last = now
            self.logger.exception(self.message)
