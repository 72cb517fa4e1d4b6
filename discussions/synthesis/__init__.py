"""Synthesis of a session's votes: pure statistics over numpy arrays.

No Django, no database: the view assembles the arrays and draws the results. Everything is
deterministic for the same input (fixed seeds, stable sorts whose ties fall back to the lower
index), so the same votes give byte-identical output. See docs/synthesis.md for the method and
where it deliberately differs from Pol.is.

Conventions:

- ``V`` is float64, shape (participants, positions): +1 agree, -1 disagree, 0 pass, NaN unseen.
- ``breakout`` is int, shape (participants,): each participant's breakout group, 0..G-1.
- Positions and groups are referred to by index; ranked lists are plain ``list[int]``.

The parts, one module each: ``votes`` (the vote matrix read once, and the helpers every part
shares), ``stats`` (the breakout groups' statistics and the facilitators' ranked lists),
``opinion`` (opinion groups, as Pol.is finds them) and ``text_themes`` (positions clustered
by their text). This module puts them together in ``synthesize`` and offers every name the
callers use as ``synthesis.X``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from discussions.synthesis.opinion import (
    CONSENSUS_QUORUM,
    EXACT_PCA_COST,
    K_RANGE,
    KMEANS_POINTS,
    KMEANS_RESTARTS,
    MIN_GROUP_SHARE,
    PICK_MAX,
    POLIS_MIN_VOTES,
    SILHOUETTE_MARGIN,
    SILHOUETTE_SAMPLE,
    Z_90,
    OpinionGroups,
    _opinion_groups,
    max_groups,
    min_group_size,
    opinion_groups,
)
from discussions.synthesis.opinion import _opinion_consensus as _opinion_consensus
from discussions.synthesis.opinion import _project as _project
from discussions.synthesis.stats import (
    LIST_LIMIT,
    MIN_AGREE,
    MIN_BACKING,
    MIN_GROUP_VOTES,
    MIN_SPREAD,
    GroupStats,
    PositionStats,
    _backed_by_one_group,
    _broad_consensus,
    _consensus,
    _divisiveness,
    _group_stats,
    _most_divisive,
    _normalised,
    _position_stats,
    backed_by_one_group,
    broad_consensus,
    consensus,
    consensus_normalised,
    divisiveness,
    group_stats,
    most_divisive,
    position_stats,
)
from discussions.synthesis.text_themes import (
    LSA_DIMENSIONS,
    Theme,
    _languages_for,
    themes,
)
from discussions.synthesis.text_themes import _remembered_themes as _remembered_themes
from discussions.synthesis.votes import (
    AGREE,
    DISAGREE,
    PASS,
    _breakout,
    _one_thread,
    _Votes,
    _votes,
)

__all__ = [
    "AGREE",
    "CONSENSUS_QUORUM",
    "DISAGREE",
    "EXACT_PCA_COST",
    "KMEANS_POINTS",
    "KMEANS_RESTARTS",
    "K_RANGE",
    "LIST_LIMIT",
    "LSA_DIMENSIONS",
    "MIN_AGREE",
    "MIN_BACKING",
    "MIN_GROUP_SHARE",
    "MIN_GROUP_VOTES",
    "MIN_SPREAD",
    "PASS",
    "PICK_MAX",
    "POLIS_MIN_VOTES",
    "SILHOUETTE_MARGIN",
    "SILHOUETTE_SAMPLE",
    "Z_90",
    "GroupStats",
    "OpinionGroups",
    "PositionStats",
    "Synthesis",
    "Theme",
    "backed_by_one_group",
    "broad_consensus",
    "consensus",
    "consensus_normalised",
    "divisiveness",
    "group_stats",
    "max_groups",
    "min_group_size",
    "most_divisive",
    "opinion_groups",
    "position_stats",
    "synthesize",
    "themes",
]


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
