"""The vote matrix as every part of the synthesis reads it, and the helpers they share.

``V`` is float64, shape (participants, positions): +1 agree, -1 disagree, 0 pass, NaN unseen;
``breakout`` is int, shape (participants,): each participant's breakout group, 0..G-1. Both
are validated here, and the votes cast are extracted once, as triplets, so that every count
downstream is a bincount over the votes (O(votes), not O(n * p)). Also here: the division,
smoothing and ranking every part uses, and the single thread the synthesis runs in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

AGREE, DISAGREE, PASS = 1.0, -1.0, 0.0


def _one_thread() -> threadpool_limits:
    """Run BLAS and OpenMP single-threaded inside the synthesis.

    The matrices are small enough that threads buy little, and on a 2-core server that is also
    serving requests, OpenMP's spinning threads made k-means one to two orders of magnitude
    slower whenever the other core was busy. One thread is also one summation order, so
    results do not depend on the machine's core count.
    """
    return threadpool_limits(limits=1)


# --------------------------------------------------------------------------------------------
# Votes as triplets: one scan of V, then every count is a bincount over the votes cast.


@dataclass(frozen=True)
class _Votes:
    """The votes cast in ``V``, row-major: cost O(votes) downstream instead of O(n * p)."""

    n_participants: int
    n_positions: int
    rows: np.ndarray  # participant index of each vote, int64
    cols: np.ndarray  # position index of each vote, int64
    values: np.ndarray  # -1.0, 0.0 or +1.0


def _votes(V: np.ndarray) -> _Votes:
    """Validate ``V`` and extract its votes (the only pass over the full matrix)."""
    V = np.asarray(V, dtype=np.float64)
    if V.ndim != 2:
        raise ValueError(f"V must be 2-dimensional, got shape {V.shape}")
    flat = np.flatnonzero(~np.isnan(V))  # row-major; 3x faster than a 2D np.nonzero
    values = V.ravel()[flat]
    if not np.isin(values, (AGREE, DISAGREE, PASS)).all():
        raise ValueError("V may only hold +1, -1, 0 or NaN")
    rows, cols = np.divmod(flat, max(V.shape[1], 1))
    return _Votes(V.shape[0], V.shape[1], rows.astype(np.int64), cols.astype(np.int64), values)


def _breakout(breakout: np.ndarray, n_participants: int, n_groups: int) -> np.ndarray:
    """Validate the breakout assignment: one group index in 0..n_groups-1 per participant."""
    if n_groups < 1:
        raise ValueError("n_groups must be at least 1")
    b = np.asarray(breakout)
    if b.shape != (n_participants,):
        raise ValueError(f"breakout must have shape ({n_participants},), got {b.shape}")
    if b.size and (not np.issubdtype(b.dtype, np.integer) or b.min() < 0 or b.max() >= n_groups):
        raise ValueError(f"breakout must hold integers in 0..{n_groups - 1}")
    return b.astype(np.int64)


def _divide(num: np.ndarray, den: np.ndarray, empty: float) -> np.ndarray:
    """num / den as float64, ``empty`` where den == 0, without a RuntimeWarning."""
    out = np.full(np.shape(num), empty, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _smoothed(agree: np.ndarray, votes: np.ndarray) -> np.ndarray:
    """(agree + 1) / (votes + 2): Laplace smoothing, so an unseen position reads 0.5, not 1."""
    return (agree + 1.0) / (votes + 2.0)


def _rank(*keys: np.ndarray) -> np.ndarray:
    """Indices sorted by the keys, each descending, the first key first; ties by lower index."""
    n = len(keys[0])
    return np.lexsort((np.arange(n), *(-np.asarray(k, dtype=np.float64) for k in reversed(keys))))


def _counts_by(v: _Votes, label: np.ndarray, n_labels: int) -> tuple[np.ndarray, ...]:
    """Agree, disagree and all votes per (label, position), for participants with label >= 0."""
    lab = label[v.rows]
    keep = lab >= 0
    key = lab[keep] * v.n_positions + v.cols[keep]
    vals = v.values[keep]
    size = n_labels * v.n_positions
    shape = (n_labels, v.n_positions)
    agree = np.bincount(key[vals == AGREE], minlength=size).reshape(shape)
    disagree = np.bincount(key[vals == DISAGREE], minlength=size).reshape(shape)
    votes = np.bincount(key, minlength=size).reshape(shape)
    return agree, disagree, votes
