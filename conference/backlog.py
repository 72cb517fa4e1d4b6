"""How far behind this server process is, for the work that can do less while it is.

The measure is how long HTTP requests wait for a thread of the pool (conference.http): on
a server that keeps up, nothing; when requests come faster than the threads finish them,
the queue's length in seconds. While it is long the room broadcasts combine more changes
each (discussions.live.RoomChanges): fewer broadcasts to number, render and write to every
socket, and the time saved goes to the queue.
"""

from __future__ import annotations


class MovingAverage:
    """An exponentially weighted moving average of durations, fed from any thread.

    Each sample moves the average by `weight` of its distance: a single slow sample moves
    it little, a run of them at once.
    """

    def __init__(self, weight: float) -> None:
        self.weight = weight
        self.seconds = 0.0

    def add(self, seconds: float) -> None:
        # Two threads adding at once may lose one sample of an average: no lock needed.
        self.seconds += self.weight * (seconds - self.seconds)


# A twentieth per request: at 200 requests a second, the last few tenths of a second.
request_wait = MovingAverage(weight=0.05)
