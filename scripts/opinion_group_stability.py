"""How often the seed alone changes the number of opinion groups (not a test: figures).

Planted conversations of 10 to 300 participants (discussions.synthetic_votes.planted_votes: 2-4
opinion groups, 15-35% noise, 30% or 60% of votes cast, two draws each) are clustered with
seeds 0-4; a conversation "flips" when the seeds do not all find the same k. Run:

    .venv/bin/python scripts/opinion_group_stability.py
"""

import itertools
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from discussions import synthesis as syn  # noqa: E402
from discussions.synthetic_votes import planted_votes  # noqa: E402


def main() -> None:
    flips = total = 0
    started = time.perf_counter()
    shapes = itertools.product([10, 30, 124, 300], [2, 3, 4], [0.15, 0.25, 0.35], [0.3, 0.6])
    for (n, groups, noise, density), draw in itertools.product(shapes, range(2)):
        planted = planted_votes(
            n, 40, int(n * 40 * density), n_opinion_groups=groups, noise=noise, seed=draw
        )
        ks = {syn.opinion_groups(planted.V, seed=seed).k for seed in range(5)}
        total += 1
        flips += len(ks) > 1
    elapsed = time.perf_counter() - started
    print(f"{flips} of {total} conversations change k with the seed ({elapsed:.0f} s)")


if __name__ == "__main__":
    main()
