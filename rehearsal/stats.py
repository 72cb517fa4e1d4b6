"""Figures: percentiles, sequence-number bookkeeping per socket, every answer to each kind of
action, a server process's CPU/RSS."""

from __future__ import annotations

import math
import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50, p95, p99 (nearest rank) and max of `values`, in the same unit; None when empty."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {
        "p50": round(rank(50), 2),
        "p95": round(rank(95), 2),
        "p99": round(rank(99), 2),
        "max": round(ordered[-1], 2),
    }


@dataclass
class SeqLog:
    """The sequence numbers one socket received.

    The first number it sees is its start (events before the socket joined the group are not
    its to receive). Lost: a number after the start, up to the group's last one, that never
    arrived; a late arrival fills its gap. Duplicated: a number that arrived twice.
    """

    seen: set[int] = field(default_factory=set)
    first: int | None = None
    duplicated: int = 0

    def add(self, seq: int) -> None:
        if seq in self.seen:
            self.duplicated += 1
            return
        self.seen.add(seq)
        if self.first is None or seq < self.first:
            self.first = seq

    def lost(self, last: int, start_if_empty: int, after: int = 0) -> int:
        """Numbers missing up to `last`; with `after`, only those above it."""
        start = self.first if self.first is not None else start_if_empty + 1
        start = max(start, after + 1)
        return sum(1 for seq in range(start, last + 1) if seq not in self.seen)

    @property
    def highest(self) -> int:
        return max(self.seen, default=0)


@dataclass
class ActionLog:
    """Every answer to one kind of action (a join, a vote, a facilitator's hide ...).

    Each answer is one of three: what the rehearsal expected (ok); a refusal the rehearsal
    itself caused by design, with its reason (a post arriving while the facilitator has
    closed posting: a person sees a sentence and waits); or a failure, anything else: 5xx,
    an unexpected 4xx, a broken connection, a timeout. The times are of every answer, failures
    included (a deadlock's 503 that came after a second of waiting counts that second), and of
    attempts that ended without one, until they ended.
    """

    statuses: Counter[str] = field(default_factory=Counter)
    ms: list[float] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    # Not attempted: what it acts on is missing because an earlier step failed.
    skipped: int = 0

    def add(self, status: str, ms: float, *, failed: bool = False, refused: str = "") -> None:
        self.statuses[status] += 1
        self.ms.append(ms)
        if refused:
            self.refused[refused] += 1
        elif failed:
            self.failed += 1

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status.startswith("5"))

    def figures(self) -> dict:
        count = sum(self.statuses.values())
        refused = sum(self.refused.values())
        return {
            "count": count,
            "statuses": dict(sorted(self.statuses.items())),
            "ok": count - refused - self.failed,
            "refused": dict(sorted(self.refused.items())),
            "failed": self.failed,
            "skipped": self.skipped,
            "ms": percentiles(self.ms),
        }


# --- A server process, read from /proc (Linux only; omitted elsewhere) ------------------------


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (runserver's autoreloader serves from a child process)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo and len(found) < 1000:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def process_sample(pid: int) -> tuple[float, float] | None:
    """(CPU seconds used so far, resident MB now) of a process and its children, or None."""
    if not Path(f"/proc/{pid}/stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = rss_kb = 0.0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rpartition(")")[2].split()
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss_kb += int(line.split()[1])
    return cpu, rss_kb / 1024


SPEED_LOOP = 1_000_000  # iterations of the machine's speed probe


def machine_speed_ms(repeat: int = 5) -> float:
    """The machine's speed as a run found it: the median ms of a fixed loop of pure Python on
    one core (lower is faster). These shared machines differ from one session, and one
    minute, to the next; runs are compared with this beside them."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        total = 0
        for i in range(SPEED_LOOP):
            total += i * i
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (time.monotonic())."""
    return (time.monotonic() - started) * 1000
