"""Opinion groups, found from the votes alone as Pol.is finds them: PCA of the vote matrix
onto the opinion map, k-means with k by silhouette (kept steady between refreshes), each
group's representative positions, and the positions every opinion group agrees with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.metrics import silhouette_score

from discussions.synthesis.stats import MIN_AGREE, MIN_GROUP_VOTES
from discussions.synthesis.votes import (
    _counts_by,
    _divide,
    _one_thread,
    _rank,
    _smoothed,
    _Votes,
    _votes,
)

#: Length of the Pol.is-style picks per opinion group (representative, consensus).
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
