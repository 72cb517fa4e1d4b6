"""Statistics of the breakout groups: per position and per group, consensus across the
groups, divisiveness, and the facilitators' ranked lists (broad consensus, most divisive,
backed by one group only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from discussions.synthesis.votes import (
    AGREE,
    DISAGREE,
    PASS,
    _breakout,
    _counts_by,
    _divide,
    _rank,
    _smoothed,
    _Votes,
    _votes,
)

#: A group's stance on a position counts only once the group has cast this many votes on it.
MIN_GROUP_VOTES = 3
#: "Agrees": smoothed agree probability (agree + 1) / (votes + 2) at least this (3 of 3 is 0.8,
#: 2 of 3 is 0.6, 1 of 1 is 0.67).
MIN_AGREE = 0.6
#: "Backs strongly" (a cross-pollination candidate): 3 of 3 agree is 0.8, 4 of 5 is 0.71.
MIN_BACKING = 0.7
#: Divisive from this spread of the groups' agree rates.
MIN_SPREAD = 0.3
#: Length of the facilitators' ranked lists.
LIST_LIMIT = 10


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
