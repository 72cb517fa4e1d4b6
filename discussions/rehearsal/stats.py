"""Figures: percentiles, sequence-number bookkeeping per socket, a server process's CPU/RSS."""

from __future__ import annotations

import math
import os
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
