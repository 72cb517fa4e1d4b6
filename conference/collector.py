"""Python's cyclic garbage collector, set for a long-lived server process once its code is
loaded: the worker (conference.asgi) and its offload child (discussions.offload).

A collection holds the interpreter: in a worker every thread and socket waits for it, in
the offload child the export or synthesis being built does. What is loaded by then lives as
long as the process, so it is set aside from collections (freeze): a full collection of the
child walked Django, numpy, scipy and scikit-learn, 100-265 ms each under load. The
youngest generation is collected after 20,000 new objects instead of 700. In the workers
this took the fan-out's p99 at 200 votes/s from 221-227 ms to 154-155 and the vote's
answer's from 123-131 ms to 28-29, for 7 MB more memory (docs/capacity.md).
"""

from __future__ import annotations

import gc

THRESHOLDS = (20_000, 20, 50)  # Python's defaults: (700, 10, 10)


def settle() -> None:
    """Set what is loaded so far aside from collections, and collect less often."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
