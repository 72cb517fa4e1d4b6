"""Synthetic vote matrices with planted structure: planted test data for the benchmark
(``manage.py bench_synthesis``), the opinion-group stability script and the tests.

Not used by the synthesis itself: the opinion groups, breakout groups and consensus positions
are planted here so that a benchmark or a test knows what the synthesis should find. It lives
in the discussions app, outside the synthesis package and not under tests/, because
bench_synthesis, a shipped management command, needs it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from discussions.synthesis import AGREE, DISAGREE, PASS


@dataclass(frozen=True)
class PlantedVotes:
    V: np.ndarray
    breakout: np.ndarray
    #: The planted opinion group of each participant.
    opinion: np.ndarray
    #: Positions every planted opinion group leans towards agreeing with.
    consensus: np.ndarray


def planted_votes(
    n_participants: int,
    n_positions: int,
    n_votes: int,
    *,
    n_opinion_groups: int = 3,
    n_groups: int = 4,
    n_consensus: int = 5,
    noise: float = 0.1,
    pass_rate: float = 0.05,
    seed: int = 0,
    opinion: np.ndarray | None = None,
    stance: np.ndarray | None = None,
) -> PlantedVotes:
    """A vote matrix with planted opinion groups, exactly ``n_votes`` votes cast.

    Each opinion group has a stance (+1 / -1) on each position, drawn at random except the
    first ``n_consensus`` positions, which all groups agree with (``consensus`` lists those and
    any drawn all-agree by chance). A vote follows the voter's group stance, is flipped with
    probability ``noise`` and is a pass with probability ``pass_rate``. Which positions each
    participant sees is uniform at random; breakout groups are assigned at random, independently
    of opinion (as a conference assigns rooms). ``opinion`` (each participant's group) and
    ``stance`` (groups x positions, +1 / -1) may be given instead of drawn. Deterministic for a
    seed.
    """
    rng = np.random.default_rng(seed)
    n, p = n_participants, n_positions
    if opinion is None:
        opinion = rng.integers(0, n_opinion_groups, size=n)
    opinion = np.asarray(opinion, dtype=np.int64)
    breakout = rng.integers(0, n_groups, size=n)
    if stance is None:
        stance = rng.choice([AGREE, DISAGREE], size=(n_opinion_groups, p))
        stance[:, : min(n_consensus, p)] = AGREE
    stance = np.asarray(stance, dtype=np.float64)
    consensus = np.flatnonzero((stance == AGREE).all(axis=0))
    V = np.full((n, p), np.nan)
    if n * p == 0 or n_votes <= 0:
        return PlantedVotes(V, breakout, opinion, consensus)
    flat = rng.choice(n * p, size=min(n_votes, n * p), replace=False)
    rows, cols = np.divmod(flat, p)
    vote = stance[opinion[rows], cols]
    u = rng.random(len(flat))
    vote = np.where(u < noise, -vote, vote)
    vote = np.where(rng.random(len(flat)) < pass_rate, PASS, vote)
    V[rows, cols] = vote
    return PlantedVotes(V, breakout, opinion, consensus)
