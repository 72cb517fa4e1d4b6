"""Python's cyclic garbage collector, set for a long-lived server process once its code is
loaded: the worker (conference.asgi) and its offload child (discussions.offload).

A collection holds the interpreter: in a worker every thread and socket waits for it, in
the offload child the export or synthesis being built does. What is loaded by then lives as
long as the process, so it is set aside from collections (freeze): a full collection of the
child walked Django, numpy, scipy and scikit-learn, a long pause each under load. The
youngest generation is collected after 20,000 new objects instead of 700. In the workers
this shortened both the fan-out's tail and the vote's answer's, for a few MB more memory
(docs/capacity.md, "The worker's start and its collector").
"""

from __future__ import annotations

import gc

THRESHOLDS = (20_000, 20, 50)  # Python's defaults: (700, 10, 10)


def settle() -> None:
    """Set what is loaded so far aside from collections, and collect less often."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
