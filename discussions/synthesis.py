"""Synthesis of a session's votes: pure statistics over numpy arrays.

No Django, no database: the view assembles the arrays and draws the results. Everything is
deterministic for the same input (fixed seeds, stable sorts whose ties fall back to the lower
index), so the same votes give byte-identical output. See docs/synthesis.md for the method and
where it deliberately differs from Pol.is.

Conventions:

- ``V`` is float64, shape (participants, positions): +1 agree, -1 disagree, 0 pass, NaN unseen.
- ``breakout`` is int, shape (participants,): each participant's breakout group, 0..G-1.
- Positions and groups are referred to by index; ranked lists are plain ``list[int]``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from discussions.themes import content_words, language_of

AGREE, DISAGREE, PASS = 1.0, -1.0, 0.0

#: A group's stance on a position counts only once the group has cast this many votes on it.
MIN_GROUP_VOTES = 3
#: "Agrees": smoothed agree probability (agree + 1) / (votes + 2) at least this (3 of 3 is 0.8,
#: 2 of 3 is 0.6, 1 of 1 is 0.67).
MIN_AGREE = 0.6
#: "Backs strongly" (a cross-pollination candidate): 3 of 3 agree is 0.8, 4 of 5 is 0.71.
MIN_BACKING = 0.7
#: Divisive from this spread of the groups' agree rates.
MIN_SPREAD = 0.3
#: Length of the facilitators' ranked lists, and of Pol.is-style picks per opinion group.
LIST_LIMIT = 10
PICK_MAX = 5
#: Pol.is leaves participants with fewer votes than this out of the clustering.
POLIS_MIN_VOTES = 7
#: k-means tries k in this range and keeps the best silhouette (Pol.is: 2..5), up to
#: max_groups() of the participants clustered.
K_RANGE = (2, 5)
#: k-means++ restarts per k: with 4, the seed alone changed the number of groups on a third
#: of planted conversations of 10 to 300 people; with 16, the best of the restarts is nearly
#: always the same. Fewer for thousands of participants (KMEANS_POINTS: restarts x people),
#: whose k-means lands in the same optimum anyway and would cost seconds.
KMEANS_RESTARTS = (4, 16)
KMEANS_POINTS = 16_000
#: A larger k must beat the silhouette of a smaller one by this much (near-ties do not flip).
SILHOUETTE_MARGIN = 0.02
#: An opinion group has at least this share of the clustered participants (and 2 of them).
MIN_GROUP_SHARE = 0.05
#: A consensus position was voted on by groups holding this share of the clustered people.
CONSENSUS_QUORUM = 2 / 3
#: One-tailed 90% critical value of the standard normal (scipy.stats.norm.ppf(0.9)).
Z_90 = 1.2815515655446004
#: Silhouette is O(n^2): above this many participants it is computed on a seeded sample.
SILHOUETTE_SAMPLE = 2000
#: Exact (dense, full SVD) PCA below this cost n * p * min(n, p); randomized sparse SVD above.
EXACT_PCA_COST = 50_000_000
#: Dimensions of the latent semantic space the texts are clustered in.
LSA_DIMENSIONS = 50


def _one_thread() -> threadpool_limits:
    """Run BLAS and OpenMP single-threaded inside the synthesis.

    The matrices are small enough that threads buy little, and on a 2-core server that is also
    serving requests, OpenMP's spinning threads made k-means 10-100x slower whenever the other
    core was busy (measured: 3 ms vs 0.26 s per fit). One thread is also one summation order,
    so results do not depend on the machine's core count.
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


# --------------------------------------------------------------------------------------------
# Per position and per breakout group.


@dataclass(frozen=True)
class PositionStats:
    """Per position (arrays of length p). ``votes`` counts agree, disagree and pass."""

    agree: np.ndarray
    disagree: np.ndarray
    passed: np.ndarray
    votes: np.ndarray
    #: agree / (agree + disagree); NaN where nobody agreed or disagreed (passes are no stance).
    support: np.ndarray
    #: votes / participants; 0 when there are no participants.
    participation: np.ndarray


def position_stats(V: np.ndarray) -> PositionStats:
    """Counts, support and participation of each position."""
    return _position_stats(_votes(V))


def _position_stats(v: _Votes) -> PositionStats:
    p = v.n_positions
    agree = np.bincount(v.cols[v.values == AGREE], minlength=p)
    disagree = np.bincount(v.cols[v.values == DISAGREE], minlength=p)
    passed = np.bincount(v.cols[v.values == PASS], minlength=p)
    votes = agree + disagree + passed
    support = _divide(agree, agree + disagree, np.nan)
    participation = votes / v.n_participants if v.n_participants else np.zeros(p)
    return PositionStats(agree, disagree, passed, votes, support, participation)


@dataclass(frozen=True)
class GroupStats:
    """Per (breakout group, position): arrays of shape (G, p)."""

    agree: np.ndarray
    disagree: np.ndarray
    votes: np.ndarray
    #: agree / votes (passes count as votes); NaN where the group has not voted.
    rate: np.ndarray
    #: (agree + 1) / (votes + 2): 0.5 where the group has not voted (unseen is not agreement).
    smoothed: np.ndarray


def group_stats(V: np.ndarray, breakout: np.ndarray, n_groups: int) -> GroupStats:
    """Each breakout group's counts and agree rates on each position."""
    v = _votes(V)
    return _group_stats(v, _breakout(breakout, v.n_participants, n_groups), n_groups)


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


def _group_stats(v: _Votes, breakout: np.ndarray, n_groups: int) -> GroupStats:
    agree, disagree, votes = _counts_by(v, breakout, n_groups)
    return GroupStats(
        agree, disagree, votes, _divide(agree, votes, np.nan), _smoothed(agree, votes)
    )


def consensus(V: np.ndarray, breakout: np.ndarray, n_groups: int) -> np.ndarray:
    """Product over ALL breakout groups of the smoothed agree probability (DESIGN.md).

    High only when every group agrees: one group against, or one group that has not seen the
    position (0.5), pulls it down. A position nobody voted on scores 0.5 ** G.
    """
    return _consensus(group_stats(V, breakout, n_groups))


def _consensus(gs: GroupStats) -> np.ndarray:
    return np.prod(gs.smoothed, axis=0)


def consensus_normalised(V: np.ndarray, breakout: np.ndarray, n_groups: int) -> np.ndarray:
    """Geometric mean over groups of the smoothed agree probability: ``consensus ** (1 / G)``.

    Within a session it ranks exactly as ``consensus`` (same G, monotone transform); it exists
    so that scores and thresholds mean the same in sessions with different group counts.
    """
    return _normalised(_consensus(group_stats(V, breakout, n_groups)), n_groups)


def _normalised(product: np.ndarray, n_groups: int) -> np.ndarray:
    return product ** (1.0 / n_groups)


def divisiveness(
    V: np.ndarray, breakout: np.ndarray, n_groups: int, *, min_votes: int = MIN_GROUP_VOTES
) -> np.ndarray:
    """Spread of the breakout groups' agree rates: max - min over groups with >= min_votes.

    0 when fewer than two groups have that many votes: a spread between a group of one voter
    and another is noise, not a split. Range 0 (groups agree equally) .. 1 (one group all
    agree, another none).
    """
    return _divisiveness(group_stats(V, breakout, n_groups), min_votes)


def _divisiveness(gs: GroupStats, min_votes: int) -> np.ndarray:
    eligible = gs.votes >= max(1, min_votes)
    hi = np.where(eligible, gs.rate, -np.inf).max(axis=0, initial=-np.inf)
    lo = np.where(eligible, gs.rate, np.inf).min(axis=0, initial=np.inf)
    out = np.zeros(gs.rate.shape[1])
    np.subtract(hi, lo, out=out, where=eligible.sum(axis=0) >= 2)
    return out


# --------------------------------------------------------------------------------------------
# Ranked lists for the facilitators.


def broad_consensus(
    V: np.ndarray,
    breakout: np.ndarray,
    n_groups: int,
    *,
    min_agree: float = MIN_AGREE,
    min_votes: int = MIN_GROUP_VOTES,
    limit: int | None = LIST_LIMIT,
) -> list[int]:
    """Positions every breakout group stands behind, best first.

    Kept when EVERY group leans to agree: smoothed agree probability >= ``min_agree`` on at least
    ``min_votes`` votes in each group (so a room that has not seen it keeps it off the list; it
    is a cross-pollination candidate instead). Ranked by ``consensus``, the product over groups
    (the geometric mean would rank the same), ties by position.
    """
    v = _votes(V)
    gs = _group_stats(v, _breakout(breakout, v.n_participants, n_groups), n_groups)
    return _broad_consensus(gs, _consensus(gs), min_agree, min_votes, limit)


def _all_groups_agree(
    agree: np.ndarray, votes: np.ndarray, min_agree: float, min_votes: int
) -> np.ndarray:
    """Per position: does every group (row) lean to agree, on enough votes?"""
    ok = (_smoothed(agree, votes) >= min_agree) & (votes >= max(1, min_votes))
    return ok.all(axis=0) & (agree.shape[0] > 0)


def _broad_consensus(
    gs: GroupStats, cons: np.ndarray, min_agree: float, min_votes: int, limit: int | None
) -> list[int]:
    keep = _all_groups_agree(gs.agree, gs.votes, min_agree, min_votes)
    return [int(i) for i in _rank(cons) if keep[i]][:limit]


def most_divisive(
    V: np.ndarray,
    breakout: np.ndarray,
    n_groups: int,
    *,
    min_spread: float = MIN_SPREAD,
    min_votes: int = MIN_GROUP_VOTES,
    limit: int | None = LIST_LIMIT,
) -> list[int]:
    """Positions on which the breakout groups split most, by ``divisiveness``, best first.

    Kept from a spread of ``min_spread`` (0.3: e.g. 90% agree in one room, 60% in another).
    """
    v = _votes(V)
    gs = _group_stats(v, _breakout(breakout, v.n_participants, n_groups), n_groups)
    return _most_divisive(_divisiveness(gs, min_votes), min_spread, limit)


def _most_divisive(div: np.ndarray, min_spread: float, limit: int | None) -> list[int]:
    keep = (div >= min_spread) & (div > 0)
    return [int(i) for i in _rank(div) if keep[i]][:limit]


def backed_by_one_group(
    V: np.ndarray,
    breakout: np.ndarray,
    n_groups: int,
    *,
    min_smoothed: float = MIN_BACKING,
    min_votes: int = MIN_GROUP_VOTES,
    limit: int | None = LIST_LIMIT,
) -> list[tuple[int, int]]:
    """(position, group) pairs: one group backs the position, no other group has voted on it.

    These are the candidates for the cross-pollination round. Backing means a smoothed agree
    probability >= ``min_smoothed`` on >= ``min_votes`` votes. Ranked by that probability,
    then by the group's vote count, then by position. Empty with a single group: there is
    nobody else to show the position to.
    """
    v = _votes(V)
    gs = _group_stats(v, _breakout(breakout, v.n_participants, n_groups), n_groups)
    return _backed_by_one_group(gs, min_smoothed, min_votes, limit)


def _backed_by_one_group(
    gs: GroupStats, min_smoothed: float, min_votes: int, limit: int | None
) -> list[tuple[int, int]]:
    n_groups = gs.votes.shape[0]
    if n_groups < 2:
        return []
    voting_groups = (gs.votes > 0).sum(axis=0)
    backed = (gs.smoothed >= min_smoothed) & (gs.votes >= max(1, min_votes)) & (voting_groups == 1)
    groups, positions = np.nonzero(backed)
    order = np.lexsort(
        (groups, positions, -gs.votes[groups, positions], -gs.smoothed[groups, positions])
    )
    return [(int(positions[i]), int(groups[i])) for i in order][:limit]


# --------------------------------------------------------------------------------------------
# Opinion groups: PCA of the vote matrix, k-means with k by silhouette.


@dataclass(frozen=True)
class OpinionGroups:
    """Opinion groups found from the votes alone (independent of the breakout groups)."""

    #: (n, 2) map coordinates, Pol.is scaling; (0, 0) for a participant who has not voted.
    coords: np.ndarray
    #: (n,) opinion group 0..k-1, largest group first; -1 for a participant with too few
    #: votes to be clustered (drawn on the map, not counted in any group).
    labels: np.ndarray
    k: int
    #: (k,) clustered participants per group.
    sizes: np.ndarray
    #: Per group, up to 5 positions it agrees with far more than the other groups do.
    representative: list[list[int]]
    #: Up to 5 positions every opinion group agrees with, best first.
    consensus: list[int]
    #: (p,) product over opinion groups of the smoothed agree probability (Pol.is's
    #: group-aware consensus); 1.0 for every position when k == 0.
    consensus_score: np.ndarray


def opinion_groups(
    V: np.ndarray,
    *,
    seed: int = 0,
    min_votes: int = POLIS_MIN_VOTES,
    pick_max: int = PICK_MAX,
    min_agree: float = MIN_AGREE,
    previous: np.ndarray | None = None,
) -> OpinionGroups:
    """Project participants to 2D, cluster those with enough votes, describe each group.

    - PCA of V, fitted on everyone who voted (as Pol.is), with unseen votes imputed by the
      position's mean vote (0 if nobody voted); each participant's projection scaled by
      sqrt(voted positions / own votes) as Pol.is does, so that people who voted little are
      not all piled on the centre.
    - Participants with fewer than ``min_votes`` votes (capped at the number of voted positions,
      so a session with 5 positions still clusters those who voted on all 5) are placed on the
      map but neither fit the clustering nor join a group: label -1. One vote says little about
      which group someone belongs to, and their votes do not count in the groups' statistics.
    - k-means (k-means++, 4 seeded restarts) for k in 2..5; the k with the best silhouette
      wins, ties to the smaller k (silhouette on a seeded sample of 2,000 above that many).
      Groups are renumbered largest first.
    - Per group, representative positions and, across groups, consensus positions: see
      ``_representative`` and ``_opinion_consensus``.
    - ``previous``: each participant's group at the last refresh (-1: none, or new), so that
      a live session's groups do not flicker as votes arrive: the previous number of groups
      is kept while its silhouette is within SILHOUETTE_MARGIN of the best, and each group
      keeps its number (and colour) when most of its people are still in it.
    """
    v = _votes(V)
    with _one_thread():
        return _opinion_groups(
            v,
            seed=seed,
            min_votes=min_votes,
            pick_max=pick_max,
            min_agree=min_agree,
            previous=previous,
        )


def _opinion_groups(
    v: _Votes,
    *,
    seed: int,
    min_votes: int,
    pick_max: int,
    min_agree: float,
    previous: np.ndarray | None = None,
) -> OpinionGroups:
    n_voted = np.bincount(v.rows, minlength=v.n_participants)
    n_voted_positions = int(np.count_nonzero(np.bincount(v.cols, minlength=v.n_positions)))
    coords = _project(v, seed=seed)
    threshold = max(1, min(min_votes, n_voted_positions))
    clusterable = np.flatnonzero(n_voted >= threshold)
    before = None if previous is None else np.asarray(previous, dtype=np.int64)[clusterable]
    keep_k = None if before is None or not (before >= 0).any() else int(before.max()) + 1
    sub_labels, k = _kmeans_by_silhouette(coords[clusterable], seed=seed, keep_k=keep_k)
    if before is not None:
        sub_labels = _matched_labels(sub_labels, k, before)
    labels = np.full(v.n_participants, -1, dtype=np.int64)
    labels[clusterable] = sub_labels
    sizes = np.bincount(labels[labels >= 0], minlength=k).astype(np.int64)
    agree, _, votes = _counts_by(v, labels, k)
    representative = _representative(agree, votes, pick_max)
    cons_score = np.prod(_smoothed(agree, votes), axis=0)
    cons = _opinion_consensus(agree, votes, sizes, cons_score, min_agree, pick_max)
    return OpinionGroups(coords, labels, k, sizes, representative, cons, cons_score)


def _project(v: _Votes, *, seed: int = 0, exact: bool | None = None) -> np.ndarray:
    """Participants' 2D PCA coordinates, mean-imputed and scaled as in Pol.is.

    Imputing each unseen vote with its column's mean and then centring leaves exactly the votes
    cast minus their column mean, zero elsewhere: a sparse matrix whose truncated SVD *is* the
    PCA. Small inputs use sklearn's exact PCA (as red-dwarf does); large ones a randomized
    truncated SVD with a fixed seed on the sparse matrix, which is what keeps 2,000 x 1,000 far
    under a second without densifying. ``exact`` forces one or the other (for tests).
    """
    n, p = v.n_participants, v.n_positions
    coords = np.zeros((n, 2))
    col_votes = np.bincount(v.cols, minlength=p)
    n_voted_positions = int(np.count_nonzero(col_votes))
    col_mean = _divide(np.bincount(v.cols, weights=v.values, minlength=p), col_votes, 0.0)
    centred = v.values - col_mean[v.cols]
    n_components = min(2, n, n_voted_positions)
    if n < 2 or n_components == 0 or not np.any(centred):
        return coords  # nothing varies: everybody sits at the centre
    S = sparse.csr_matrix((centred, (v.rows, v.cols)), shape=(n, p))
    if exact is None:
        exact = n * p * min(n, p) <= EXACT_PCA_COST or min(n, n_voted_positions) <= 3
    if exact:
        reducer = PCA(n_components=n_components, svd_solver="full")
        coords[:, :n_components] = reducer.fit_transform(S.toarray())
    else:
        reducer = TruncatedSVD(n_components=2, algorithm="randomized", n_iter=7, random_state=seed)
        coords[:, :] = reducer.fit_transform(S)
    n_voted = np.bincount(v.rows, minlength=n)
    coords *= np.sqrt(n_voted_positions / np.maximum(n_voted, 1))[:, None]
    return coords


def _kmeans_by_silhouette(
    X: np.ndarray, *, seed: int, keep_k: int | None = None
) -> tuple[np.ndarray, int]:
    """Labels (largest group 0) and k: k-means for each k allowed, the best silhouette wins.

    k runs from 2 to max_groups(m): as Pol.is, a few participants make at most two groups,
    and five need dozens. A partition with a group smaller than min_group_size(m) is not
    considered: one or two outliers as "groups" say nothing about the room and would veto
    what everyone else agrees on. k-means restarts up to 16 times (KMEANS_RESTARTS) so that
    the seed hardly matters; a larger k must beat a smaller one's silhouette by SILHOUETTE_MARGIN,
    so that near-ties do not flip the number of groups between seeds or refreshes; and
    ``keep_k`` (the last refresh's k) stays while within that margin of the best.
    Silhouette needs 2 <= k <= n - 1 and at least k distinct points; where no k qualifies
    (0-2 participants, everyone identical) everybody clustered is one group.
    """
    m = len(X)
    if m == 0:
        return np.zeros(0, dtype=np.int64), 0
    scale = float(np.abs(X).max()) or 1.0
    n_distinct = len(np.unique(np.round(X / scale, 9), axis=0))  # equal up to rounding
    ks = [k for k in range(K_RANGE[0], max_groups(m) + 1) if k <= n_distinct and k <= m - 1]
    best_labels, best_k, best_score = np.zeros(m, dtype=np.int64), 1, -np.inf
    sample = _silhouette_sample(m, seed)
    smallest = min_group_size(m)
    restarts = max(KMEANS_RESTARTS[0], min(KMEANS_RESTARTS[1], KMEANS_POINTS // m))
    kept = None
    for k in ks:
        labels = KMeans(n_clusters=k, n_init=restarts, random_state=seed).fit_predict(X)
        if np.bincount(labels, minlength=k).min() < smallest:
            continue
        n_labels = len(np.unique(labels[sample]))
        if not 2 <= n_labels <= len(sample) - 1:
            continue
        score = float(silhouette_score(X[sample], labels[sample]))
        if k == keep_k:
            kept = (labels, score)
        if score > best_score + (SILHOUETTE_MARGIN if best_k > 1 else 0.0):
            best_labels, best_k, best_score = labels, k, score
    if kept is not None and kept[1] >= best_score - SILHOUETTE_MARGIN:
        best_labels, best_k = kept[0], keep_k
    return _canonical_labels(best_labels, best_k), best_k


def _matched_labels(labels: np.ndarray, k: int, before: np.ndarray) -> np.ndarray:
    """The groups renumbered to keep the last refresh's numbers: each group takes the number
    of the previous group it shares most people with (an assignment maximising the people
    who keep their number); groups left over take the numbers left, largest first."""
    known = before >= 0
    if k == 0 or not known.any():
        return labels
    n_before = int(before[known].max()) + 1
    overlap = np.zeros((k, n_before), dtype=np.int64)
    np.add.at(overlap, (labels[known], before[known]), 1)
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    number = np.full(k, -1, dtype=np.int64)
    for group, old in zip(rows, cols, strict=True):
        if overlap[group, old] > 0 and old < k:
            number[group] = old
    free = iter(sorted(set(range(k)) - set(number[number >= 0].tolist())))
    for group in range(k):  # labels are canonical: group 0 is the largest
        if number[group] < 0:
            number[group] = next(free)
    return number[labels]


def max_groups(m: int) -> int:
    """The most opinion groups m clustered participants make (Pol.is: min(5, 2 + m / 12))."""
    return min(K_RANGE[1], K_RANGE[0] + m // 12)


def min_group_size(m: int) -> int:
    """The fewest participants an opinion group of m may have: 2, or 5% of them."""
    return max(2, math.ceil(MIN_GROUP_SHARE * m))


def _silhouette_sample(m: int, seed: int) -> np.ndarray:
    """All indices, or a seeded sorted sample of SILHOUETTE_SAMPLE of them for large m."""
    if m <= SILHOUETTE_SAMPLE:
        return np.arange(m)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(m, size=SILHOUETTE_SAMPLE, replace=False))


def _canonical_labels(labels: np.ndarray, k: int) -> np.ndarray:
    """Renumber clusters largest first, ties by first member: same partition, same numbers."""
    sizes = np.bincount(labels, minlength=k)
    first = np.array(
        [np.flatnonzero(labels == c)[0] if sizes[c] else len(labels) for c in range(k)]
    )
    order = np.lexsort((first, -sizes))
    new = np.empty(k, dtype=np.int64)
    new[order] = np.arange(k)
    return new[labels].astype(np.int64)


def _representative(agree: np.ndarray, votes: np.ndarray, pick_max: int) -> list[list[int]]:
    """Per opinion group, positions it agrees with far more than the other groups do.

    As Pol.is, agree direction: ratio ``ra`` of smoothed agree probabilities in vs out, kept when
    the group's own agreement (one-proportion test ``pat``) and the difference to the others
    (two-proportion test ``rat``) are both significant at 90%, on at least MIN_GROUP_VOTES votes
    in the group; ranked by Pol.is's metric ra * rat * pa * pat. Nothing with fewer than 2
    groups: representative of a group means compared with another.
    """
    k = agree.shape[0]
    if k < 2:
        return [[] for _ in range(k)]
    agree_out = agree.sum(axis=0) - agree
    votes_out = votes.sum(axis=0) - votes
    pa = _smoothed(agree, votes)
    ra = pa / _smoothed(agree_out, votes_out)
    pat = 2.0 * np.sqrt(votes + 1.0) * ((agree + 1.0) / (votes + 1.0) - 0.5)
    rat = _two_proportion_z(agree, agree_out, votes, votes_out)
    ok = (votes >= MIN_GROUP_VOTES) & (pat > Z_90) & (rat > Z_90) & (ra > 1.0)
    metric = ra * rat * pa * pat
    return [[int(i) for i in _rank(metric[g]) if ok[g, i]][:pick_max] for g in range(k)]


def _two_proportion_z(
    succ_in: np.ndarray, succ_out: np.ndarray, n_in: np.ndarray, n_out: np.ndarray
) -> np.ndarray:
    """Pol.is's two-proportion z-test with a pseudo-count of 1 (0 where it is undefined)."""
    s1, s2, n1, n2 = succ_in + 1.0, succ_out + 1.0, n_in + 1.0, n_out + 1.0
    pi_hat = (s1 + s2) / (n1 + n2)
    den = np.sqrt(pi_hat * (1.0 - pi_hat) * (1.0 / n1 + 1.0 / n2))
    return _divide(s1 / n1 - s2 / n2, den, 0.0)


def _opinion_consensus(
    agree: np.ndarray,
    votes: np.ndarray,
    sizes: np.ndarray,
    score: np.ndarray,
    min_agree: float,
    pick_max: int,
) -> list[int]:
    """Positions every opinion group agrees with, ranked by the product over groups (Pol.is's
    group-aware consensus).

    A group with fewer than MIN_GROUP_VOTES votes on a position abstains on it rather than
    vetoing it (with one veto per unseen position, the consensus of a large conversation came
    out empty); the groups that did vote must hold at least CONSENSUS_QUORUM of the clustered
    participants, and each of them lean to agree as ``broad_consensus`` asks.
    """
    voting = votes >= MIN_GROUP_VOTES
    agrees = _smoothed(agree, votes) >= min_agree
    quorum = (sizes[:, None] * voting).sum(axis=0) >= CONSENSUS_QUORUM * max(sizes.sum(), 1)
    keep = (agrees | ~voting).all(axis=0) & voting.any(axis=0) & quorum
    return [int(i) for i in _rank(score) if keep[i]][:pick_max]


# --------------------------------------------------------------------------------------------
# Themes: positions clustered by their text.


@dataclass(frozen=True)
class Theme:
    """A cluster of positions of one language by wording, named by its key terms."""

    #: 2-3 terms with the highest mean TF-IDF in the theme (fewer if the texts have fewer);
    #: empty for the theme that gathers texts with no content words.
    terms: tuple[str, ...]
    #: Position indices, ascending.
    positions: tuple[int, ...]

    @property
    def name(self) -> str:
        return ", ".join(self.terms)


def themes(
    texts: list[str],
    *,
    languages: list[str] | None = None,
    seed: int = 0,
    max_themes: int = 8,
) -> list[Theme]:
    """Themes of these texts (see _themes), remembered: they change only when positions
    are added or edited, while votes (and with them every synthesis request) stream in.
    Half the synthesis's time at 200 participants was this clustering, redone per request.

    ``languages`` gives each text's author's page language ("fr", "zh-hans"; "" unknown),
    which the reading of that text follows where its script does not decide
    (discussions.themes.language_of). Without it every text's language is detected. Each
    language gets up to ``max_themes`` themes.
    """
    given = _languages_for(texts, languages)
    return list(_remembered_themes(tuple(texts), given, seed, max_themes))


def _languages_for(texts: list[str], languages: list[str] | None) -> tuple[str, ...]:
    if languages is None:
        return ("",) * len(texts)
    if len(languages) != len(texts):
        raise ValueError(f"{len(languages)} languages for {len(texts)} texts")
    return tuple(languages)


@functools.lru_cache(maxsize=64)
def _remembered_themes(
    texts: tuple[str, ...], languages: tuple[str, ...], seed: int, max_themes: int
) -> tuple[Theme, ...]:
    return tuple(_themes(list(texts), list(languages), seed=seed, max_themes=max_themes))


def _themes(
    texts: list[str], languages: list[str], *, seed: int = 0, max_themes: int = 8
) -> list[Theme]:
    """Cluster positions by text, each language on its own: TF-IDF, LSA, k-means, k by
    silhouette.

    Each text is read as its own language (discussions.themes): its content words, without
    that language's stop words, Chinese cut into words. Without translation two languages
    share no words, so their TF-IDF rows are orthogonal and a joint clustering could only
    merge them arbitrarily: on six languages of three topics each, k-means over all of them
    made themes of several languages named in one, and left Russian unnamed. So each
    language's positions are clustered alone, exactly as a session in that language alone
    would be (an English session is clustered as before), up to ``max_themes`` themes per
    language.

    k runs from 2 to ``max_themes`` (and below the number of distinct texts); the best
    silhouette wins, ties to the smaller k. Fewer than 3 distinct texts make one theme.
    Texts with no content word (empty, stop words only) go to a last theme with no terms.
    Themes are ordered largest first, ties by their first position.
    """
    readings = [language_of(text, given) for text, given in zip(texts, languages, strict=True)]
    words = [content_words(text, read) for text, read in zip(texts, readings, strict=True)]
    found = []
    for language in sorted({read for read, w in zip(readings, words, strict=True) if w}):
        rows = [i for i, read in enumerate(readings) if read == language and words[i]]
        found += _themes_of([words[i] for i in rows], rows, seed=seed, max_themes=max_themes)
    found.sort(key=lambda t: (-len(t.positions), t.positions[0]))
    unworded = tuple(i for i, w in enumerate(words) if not w)
    if unworded:
        found.append(Theme((), unworded))
    return found


def _themes_of(
    words: list[list[str]], rows: list[int], *, seed: int, max_themes: int
) -> list[Theme]:
    """The themes of one language's texts (each with a content word); ``rows`` are their
    positions' indices."""
    vectorizer = TfidfVectorizer(analyzer=_already_split, sublinear_tf=True)
    X = vectorizer.fit_transform(words)
    vocabulary = vectorizer.get_feature_names_out()
    with _one_thread():
        labels, k = _cluster_texts(X, seed=seed, max_themes=max_themes)
    index = np.array(rows)
    return [
        Theme(
            _key_terms(X[labels == c], vocabulary),
            tuple(int(i) for i in index[labels == c]),
        )
        for c in range(k)
    ]


def _already_split(words: list[str]) -> list[str]:
    return words


def _cluster_texts(X: sparse.csr_matrix, *, seed: int, max_themes: int) -> tuple[np.ndarray, int]:
    """k-means on TF-IDF rows, through LSA when there are many (cosine geometry either way).

    With many short texts, k-means on raw TF-IDF splits on chance words (measured on 1,000
    synthetic texts of 8 topics: raw found 2 themes, one of 946; LSA found all 8), so from
    100 texts and terms up they are reduced to LSA_DIMENSIONS latent dimensions and L2
    normalised. A handful of texts is clustered raw: LSA to fewer dimensions than texts
    blurs them (6 texts on 2 topics came out as 3 themes).
    """
    m = X.shape[0]
    n_distinct = _distinct_rows(X)
    ks = range(2, min(max_themes, n_distinct, m - 1) + 1)
    if not ks:
        return np.zeros(m, dtype=np.int64), 1
    if m > 2 * LSA_DIMENSIONS and X.shape[1] > 2 * LSA_DIMENSIONS:
        Z = normalize(TruncatedSVD(n_components=LSA_DIMENSIONS, random_state=seed).fit_transform(X))
    else:
        Z = X
    best_labels, best_k, best_score = np.zeros(m, dtype=np.int64), 1, -np.inf
    sample = _silhouette_sample(m, seed)
    for k in ks:
        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(Z)
        if not 2 <= len(np.unique(labels[sample])) <= len(sample) - 1:
            continue
        score = float(silhouette_score(Z[sample], labels[sample], metric="cosine"))
        if score > best_score:
            best_labels, best_k, best_score = labels, k, score
    return _canonical_labels(best_labels, best_k), best_k


def _distinct_rows(X: sparse.csr_matrix) -> int:
    """Number of distinct rows of a sparse matrix (identical texts count once)."""
    keys = {
        (X.indices[a:b].tobytes(), X.data[a:b].round(12).tobytes())
        for a, b in zip(X.indptr[:-1], X.indptr[1:], strict=True)
    }
    return len(keys)


def _key_terms(X: sparse.csr_matrix, vocabulary: np.ndarray, n_terms: int = 3) -> tuple[str, ...]:
    """The theme's terms with the highest mean TF-IDF, ties alphabetical (vocabulary order)."""
    mean = np.asarray(X.mean(axis=0)).ravel()
    order = _rank(mean)[:n_terms]
    return tuple(str(vocabulary[i]) for i in order if mean[i] > 0)


# --------------------------------------------------------------------------------------------
# Everything in one call.


@dataclass(frozen=True)
class Synthesis:
    positions: PositionStats
    groups: GroupStats
    #: Product over breakout groups of the smoothed agree probability; the lists rank by it.
    consensus: np.ndarray
    #: Its geometric mean over groups, comparable across sessions with different G.
    consensus_normalised: np.ndarray
    divisiveness: np.ndarray
    broad_consensus: list[int]
    most_divisive: list[int]
    backed_by_one_group: list[tuple[int, int]]
    opinion: OpinionGroups
    themes: list[Theme]


def synthesize(
    V: np.ndarray,
    breakout: np.ndarray,
    n_groups: int,
    texts: list[str],
    *,
    languages: list[str] | None = None,
    seed: int = 0,
    previous: np.ndarray | None = None,
) -> Synthesis:
    """All of the synthesis in one call (the view's entry point); one scan of V.

    ``languages``: each position's author's page language, for its themes (see themes);
    ``previous``: each participant's opinion group at the last refresh (see opinion_groups).
    """
    v = _votes(V)
    b = _breakout(breakout, v.n_participants, n_groups)
    if len(texts) != v.n_positions:
        raise ValueError(f"{len(texts)} texts for {v.n_positions} positions")
    given = _languages_for(texts, languages)
    with _one_thread():
        return _synthesize(v, b, n_groups, texts, list(given), seed=seed, previous=previous)


def _synthesize(
    v: _Votes,
    b: np.ndarray,
    n_groups: int,
    texts: list[str],
    languages: list[str],
    *,
    seed: int,
    previous: np.ndarray | None = None,
) -> Synthesis:
    gs = _group_stats(v, b, n_groups)
    cons = _consensus(gs)
    div = _divisiveness(gs, MIN_GROUP_VOTES)
    return Synthesis(
        positions=_position_stats(v),
        groups=gs,
        consensus=cons,
        consensus_normalised=_normalised(cons, n_groups),
        divisiveness=div,
        broad_consensus=_broad_consensus(gs, cons, MIN_AGREE, MIN_GROUP_VOTES, LIST_LIMIT),
        most_divisive=_most_divisive(div, MIN_SPREAD, LIST_LIMIT),
        backed_by_one_group=_backed_by_one_group(gs, MIN_BACKING, MIN_GROUP_VOTES, LIST_LIMIT),
        opinion=_opinion_groups(
            v,
            seed=seed,
            min_votes=POLIS_MIN_VOTES,
            pick_max=PICK_MAX,
            min_agree=MIN_AGREE,
            previous=previous,
        ),
        themes=themes(texts, languages=languages, seed=seed),
    )


# --------------------------------------------------------------------------------------------
# Synthetic sessions with planted structure: for tests, the benchmark and demo data.


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
