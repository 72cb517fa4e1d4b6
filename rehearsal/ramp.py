"""The ramp (--ceiling-ramp): after the run, the same sockets vote at rising rates until the
server falls behind; the highest rate it keeps up with is ours, against the ceiling's
maximum (compare.ramp_ceiling)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rehearsal.stats import percentiles

if TYPE_CHECKING:
    from rehearsal.members import Member
    from rehearsal.run import Rehearsal

# A step "keeps up" when it achieves this share of its offered rate with fan-out p99 within
# the bound; the ceiling's maximum is the highest such step.
KEEPS_UP_SHARE = 0.95
KEEPS_UP_P99_MS = 250.0
RAMP_STEP_SECONDS = 10.0
RAMP_FACTOR = 2**0.5  # ours: finer steps than the ceiling's doubling, as ours is the figure
RAMP_LIMIT = 6400.0  # votes/s: past this the client, not the ceiling, is being measured


def keeps_up(result: dict) -> bool:
    """Kept up with the offered rate, lost nothing while voting, p99 within the bound.

    Losses in the joining phase do not count: there a group's arrival broadcasts, numbered
    in one process and sent by another, can cross a socket's subscription (the page then
    sees a gap and re-fetches); `lost_while_voting` is what the votes' fan-out lost.
    """
    p99 = result["fanout_ms"]["p99"]
    return (
        result["achieved_votes_per_s"] >= KEEPS_UP_SHARE * result["offered_votes_per_s"]
        and result.get("lost_while_voting", result["lost"]) == 0
        and p99 is not None
        and p99 <= KEEPS_UP_P99_MS
    )


async def ramp(
    rehearsal: Rehearsal, joined: list[Member], voters: list[Member], *, first: bool
) -> dict:
    """The highest rate this server keeps up with (keeps_up): the same sockets vote for
    RAMP_STEP_SECONDS at each rate, RAMP_FACTOR times the last, from the plan's, until a
    step falls behind. `first`: whether the run at the plan's rate kept up."""
    plan = rehearsal.plan
    steps: list[dict] = []
    best = plan.rate if first else None
    rate = round(plan.rate * RAMP_FACTOR)
    while best is not None and rate <= RAMP_LIMIT:
        step = await _step(rehearsal, joined, voters, rate)
        steps.append(step)
        if not step["keeps_up"]:
            break
        best = rate
        rate = round(rate * RAMP_FACTOR)
    return {"max_votes_per_s": best, "steps": steps}


async def _step(
    rehearsal: Rehearsal, joined: list[Member], voters: list[Member], rate: float
) -> dict:
    """One step of the ramp, measured as the run is, on its own votes and broadcasts."""
    votes, deliveries = rehearsal.votes, rehearsal.deliveries
    votes.reset()
    for member in joined:
        member.tallies = {}
        member.seq_at_vote = member.seqs.highest
    before = rehearsal.sample()
    started = time.monotonic()
    rehearsal.probe.start()
    await votes.run(voters, rate, RAMP_STEP_SECONDS)
    window = max([RAMP_STEP_SECONDS] + [v.answered - started for v in votes.sent])
    after = rehearsal.sample()
    elapsed = time.monotonic() - started
    await rehearsal.probe.stop()
    await deliveries.drain(joined, rehearsal.members.groups, rehearsal.actions)
    delivered, expected, _ = deliveries.match(joined, rehearsal.members.all, votes)
    ok_votes = votes.ok()
    lost = deliveries.lost_while_voting(joined)
    step = {
        "offered_votes_per_s": rate,
        "votes_sent": len(votes.sent),
        "votes_ok": len(ok_votes),
        "achieved_votes_per_s": round(len(ok_votes) / window, 2),
        "fanout_ms": percentiles([latency * 1000 for _, latency in delivered]),
        "fanout_deliveries": len(delivered),
        "fanout_expected": expected,
        "vote_answer_ms": percentiles([(v.answered - v.started) * 1000 for v in ok_votes]),
        "lost": lost,
        "lost_while_voting": lost,
        "client_lag_max_ms": round(votes.lag_max * 1000, 1),
    }
    if before and after:
        step["server"] = {"cpu_percent": round((after[0] - before[0]) / elapsed * 100, 1)}
    step["keeps_up"] = keeps_up(step)
    return step
