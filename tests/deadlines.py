"""How long a functional test waits for something that must happen.

A functional test asserts that a thing happens: a vote reaches another screen, a page
reconnects, a drill's votes go through again. It does not assert how fast. CI runs the
suite on a shared 2-core machine, where the same update that takes 50 ms on a quiet
machine can take seconds while the database, Redis, the server processes and Chromium
fight for the cores; a bound of a second or two there fails at random and throws away a
whole run. So every wait for "it happens" uses this one deadline, long enough that only
"never" reaches it. How fast things happen is measured where it means something, under a
known load: the rehearsal (`manage.py rehearse`, rehearsal/) and the figures
in docs/capacity.md ("The rehearse command"). Tests print the times they see, for a person
to read.
"""

import time

DEADLINE = 30.0  # seconds
DEADLINE_MS = int(DEADLINE * 1000)  # for Playwright, which counts in milliseconds

# Starting a server process is seconds of CPU where a live update is milliseconds: Django,
# and each worker's offload child loading numpy and scikit-learn. Two uvicorn workers took
# over 30 s to answer while a rehearsal ran on the same 2 cores.
START_DEADLINE = 4 * DEADLINE


def wait_until(predicate, what: str) -> float:
    """Poll until `predicate()` holds and return when it did (time.monotonic()): the one
    wait for what must happen, however slowly a loaded machine gets there. Only "never"
    reaches DEADLINE."""
    deadline = time.monotonic() + DEADLINE
    while not predicate():
        assert time.monotonic() < deadline, f"not within {DEADLINE:.0f} s: {what}"
        time.sleep(0.05)
    return time.monotonic()
