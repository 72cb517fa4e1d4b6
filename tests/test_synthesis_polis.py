"""Cross-check of discussions.synthesis against Pol.is's own method, as red-dwarf reproduces it.

red-dwarf (``reddwarf.implementations.polis.run_pipeline``) runs the Pol.is pipeline: PCA of the
mean-imputed vote matrix with the sqrt(statements / votes) scaling, k-means with k from 2 to 5 by
silhouette on participants with at least 7 votes, per-group statistics, representative
statements and consensus statements at 90% confidence. Both are run here on the same planted
vote matrices.

The same, and asserted below:

- the opinion map (coordinates equal to 1e-9), who is clustered (7+ votes), k, and the opinion
  groups (identical partitions, up to the numbering);
- group-aware consensus (product over opinion groups of (agree + 1) / (votes + 2)) per position;
- representative statements: the agree-direction statistics (ratio ra, tests pat and rat, the
  metric ra * rat * pa * pat) are computed the same way, and the agree statements red-dwarf
  picks as significant are among ours.

Deliberate differences (docs/synthesis.md explains why each is better for breakout groups):

1. Consensus picks. red-dwarf's ``consensus`` is Pol.is's majority consensus: every
   participant pooled, agree probability > 0.5 and significant. A statement two large groups
   back and the third rejects passes. Ours must be agreed by EVERY opinion group (smoothed
   agree >= 0.6 on >= 3 votes each), ranked by group-aware consensus.
   test_polis_majority_consensus_differs_deliberately shows a case.
2. k-means initialisation. Pol.is (and red-dwarf's ``init="polis"``) starts k-means from the
   first distinct points in sorted order, one run; we use k-means++ with 4 to 16 seeded runs. With
   unequal groups Pol.is's start lands in worse optima, and silhouette then picks the wrong k.
   test_polis_kmeans_init_differs_deliberately shows a case.
3. Representative statements are agree-only, with no "best agree" filler (a group gets none
   rather than an insignificant one), and need 3 votes in the group. Pol.is also lists
   statements a group rejects more than others.
4. The 7-vote threshold is capped at the number of voted positions (a prompt with 5 positions
   still has opinion groups). Not exercised here: these matrices have 30-50 positions.
"""

import warnings

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from discussions import synthesis as syn
from discussions.synthetic_votes import planted_votes

A, D = 1.0, -1.0


def polis(V: np.ndarray, *, seed: int = 0):
    """red-dwarf's Pol.is pipeline on V (rows: participant_id, columns: statement_id)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic warns about red-dwarf's models on import
        from reddwarf.implementations.polis import run_pipeline

    rows, cols = np.nonzero(~np.isnan(V))
    # red-dwarf's matrix has only participants and statements with votes: keep indices aligned.
    assert np.unique(rows).size == V.shape[0] and np.unique(cols).size == V.shape[1]
    votes = [
        {"participant_id": int(i), "statement_id": int(j), "vote": int(V[i, j])}
        for i, j in zip(rows, cols, strict=True)
    ]
    with warnings.catch_warnings():
        # red-dwarf 0.4.0 on pandas 3: its own deprecated call, not ours to fix.
        warnings.filterwarnings("ignore", "Passing a list to DataFrame.from_dict")
        return run_pipeline(votes=votes, random_state=seed)


def polis_labels(result) -> np.ndarray:
    """Opinion group per participant, -1 for those left out of the clustering."""
    labels = result.participants_df["cluster_id"]
    return labels.fillna(-1).to_numpy(dtype=np.int64)


def planted(groups, n_positions, *, seed, stance=None, sparse=0):
    """Planted opinion groups of the given sizes, 30% of votes missing, 10% noise; then
    ``sparse`` participants with 3 votes each (fewer than Pol.is's 7)."""
    opinion = np.repeat(np.arange(len(groups)), groups)
    n = len(opinion)
    p = planted_votes(
        n,
        n_positions,
        int(n * n_positions * 0.7),
        n_opinion_groups=len(groups),
        opinion=opinion,
        stance=stance,
        seed=seed,
    )
    V = p.V
    if sparse:
        few = np.full((sparse, n_positions), np.nan)
        for i in range(sparse):
            few[i, [(3 * i + j) % n_positions for j in range(3)]] = A if i % 2 else D
        V = np.vstack([V, few])
    return V, opinion


def matched(ours: np.ndarray, theirs: np.ndarray) -> dict[int, int]:
    """Our group -> red-dwarf's group with which it shares most participants."""
    return {
        int(g): int(np.bincount(theirs[(ours == g) & (theirs >= 0)]).argmax())
        for g in np.unique(ours[ours >= 0])
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_polis_same_map_and_opinion_groups_on_planted_groups(seed):
    V, opinion = planted((40, 40, 40), 50, seed=seed, sparse=10)
    ours = syn.opinion_groups(V, seed=seed)
    theirs = polis(V, seed=seed)
    their_labels = polis_labels(theirs)

    np.testing.assert_allclose(ours.coords, theirs.participants_df[["x", "y"]], atol=1e-9)
    assert np.array_equal(ours.labels >= 0, their_labels >= 0)
    assert (ours.labels[120:] == -1).all()  # the 10 with 3 votes
    assert ours.k == theirs.clusterer.n_clusters == 3
    clustered = ours.labels >= 0
    assert adjusted_rand_score(ours.labels[clustered], their_labels[clustered]) == 1.0
    assert adjusted_rand_score(opinion, ours.labels[:120]) == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_polis_group_aware_consensus_and_representative_statements_agree(seed):
    V, _ = planted((40, 40, 40), 50, seed=seed, sparse=10)
    ours = syn.opinion_groups(V, seed=seed)
    theirs = polis(V, seed=seed)
    their_labels = polis_labels(theirs)

    gac = theirs.statements_df["group-aware-consensus"].to_numpy()
    np.testing.assert_allclose(ours.consensus_score, gac, rtol=1e-12)

    stats = theirs.group_comment_stats  # indexed by (group_id, statement_id)
    groups = sorted(stats.index.get_level_values("group_id").unique())
    pa = np.array([stats.loc[g, "pa"].to_numpy() for g in groups])
    ns = np.array([stats.loc[g, "ns"].to_numpy() for g in groups])
    every_group_agrees = ((pa >= syn.MIN_AGREE) & (ns >= syn.MIN_GROUP_VOTES)).all(axis=0)
    by_gac = [int(i) for i in np.argsort(-gac, kind="stable") if every_group_agrees[i]]
    assert ours.consensus == by_gac[: syn.PICK_MAX]
    assert ours.consensus  # planted stances agree on 5+ positions

    for g, their_g in matched(ours.labels, their_labels).items():
        s = stats.loc[their_g]
        significant = (
            (s["pat"] > syn.Z_90)
            & (s["rat"] > syn.Z_90)
            & (s["ra"] > 1)
            & (s["ns"] >= syn.MIN_GROUP_VOTES)
        )
        metric = (s["ra"] * s["rat"] * s["pa"] * s["pat"]).to_numpy()
        expected = [int(i) for i in np.argsort(-metric, kind="stable") if significant.iloc[i]]
        assert ours.representative[g] == expected[: syn.PICK_MAX]
        their_agrees = {
            r["tid"]
            for r in theirs.repness[their_g]
            if r["repful-for"] == "agree" and significant.loc[r["tid"]]
        }
        assert their_agrees <= set(ours.representative[g])
        assert ours.representative[g]


def test_polis_majority_consensus_differs_deliberately():
    # Positions 0-1: every group agrees. 2-4: groups 0 and 1 (the larger) agree, group 2
    # rejects. Then six positions each group backs alone, the others reject.
    stance = np.full((3, 23), D)
    stance[:, :2] = A
    stance[:2, 2:5] = A
    for g in range(3):
        stance[g, 5 + 6 * g : 11 + 6 * g] = A
    V, opinion = planted((50, 45, 25), 23, seed=0, stance=stance)
    ours = syn.opinion_groups(V)
    theirs = polis(V)
    assert adjusted_rand_score(opinion, ours.labels) == 1.0
    assert adjusted_rand_score(opinion, polis_labels(theirs)) == 1.0

    # Pol.is's pick includes 2-4, which a whole opinion group rejects.
    assert {r["tid"] for r in theirs.consensus["agree"]} == {0, 1, 2, 3, 4}
    assert set(ours.consensus) == {0, 1}  # ours: only what every group agrees with


def test_polis_kmeans_init_differs_deliberately():
    # Unequal planted groups (50, 40, 20): from its sorted-first-points start, Pol.is's k-means
    # lands in a worse optimum for some k and silhouette then prefers k = 5.
    V, opinion = planted((50, 40, 20), 30, seed=6)
    ours = syn.opinion_groups(V, seed=6)
    theirs = polis(V, seed=6)
    assert ours.k == 3
    assert adjusted_rand_score(opinion, ours.labels) >= 0.95
    assert theirs.clusterer.n_clusters == 5
    assert adjusted_rand_score(opinion, polis_labels(theirs)) < 0.85
