"""Time the synthesis on synthetic sessions with planted structure (not a test: figures vary).

At scale 1: 2,000 participants, 1,000 positions, 200,000 votes. Scale s multiplies the
participants and the votes by s (everyone still casts 100 votes: a person's time does not grow
with the room) and the positions by sqrt(s) (more people post more, but they repeat and
moderators merge). So 16x is 32,000 participants x 4,000 positions, 3.2 million votes.
"""

import math
import os
import statistics
import time

import numpy as np
from django.core.management.base import BaseCommand, CommandParser
from threadpoolctl import threadpool_info

from discussions import synthesis as syn
from discussions.synthetic_votes import planted_votes

BASE_PARTICIPANTS, BASE_POSITIONS, BASE_VOTES = 2_000, 1_000, 200_000
BREAKOUT_GROUPS = 8
OPINION_GROUPS = 3

# Eight policy topics; each synthetic position mixes words of one topic with common ones.
TOPICS = [
    "climate emissions carbon energy renewable coal pricing adaptation finance",
    "trade tariffs exports imports supply chains wto subsidies market access",
    "security alliance nato defence deterrence troops arms control nuclear",
    "health pandemic vaccines who surveillance preparedness medicines outbreak",
    "migration refugees asylum borders labour visas integration resettlement",
    "development aid debt relief poverty infrastructure loans grants africa",
    "technology cyber data privacy artificial intelligence standards chips",
    "institutions united nations reform veto council legitimacy treaty funding",
]
COMMON = "should must the united states policy countries support global new more stronger"


def synthetic_texts(n_positions: int, *, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    topic_words = [t.split() for t in TOPICS]
    common = COMMON.split()
    texts = []
    for i in range(n_positions):
        words = topic_words[i % len(TOPICS)]
        picked = list(rng.choice(words, size=4, replace=False)) + list(
            rng.choice(common, size=4, replace=False)
        )
        rng.shuffle(picked)
        texts.append(" ".join(picked).capitalize() + ".")
    return texts


def session_at(scale: int, *, seed: int = 0):
    n = BASE_PARTICIPANTS * scale
    p = round(BASE_POSITIONS * math.sqrt(scale))
    votes = BASE_VOTES * scale
    planted = planted_votes(
        n, p, votes, n_opinion_groups=OPINION_GROUPS, n_groups=BREAKOUT_GROUPS, seed=seed
    )
    return planted, synthetic_texts(p, seed=seed)


def time_stages(V, breakout, texts) -> dict[str, float]:
    """One pass through the stages of ``synthesize``, timed one by one (as it runs them)."""
    with syn._one_thread():
        return _time_stages(V, breakout, texts)


def _time_stages(V, breakout, texts) -> dict[str, float]:
    clock = time.perf_counter
    t0 = clock()
    v = syn._votes(V)
    b = syn._breakout(breakout, v.n_participants, BREAKOUT_GROUPS)
    syn._position_stats(v)
    gs = syn._group_stats(v, b, BREAKOUT_GROUPS)
    t1 = clock()
    cons = syn._consensus(gs)
    div = syn._divisiveness(gs, syn.MIN_GROUP_VOTES)
    syn._broad_consensus(gs, cons, syn.MIN_AGREE, syn.MIN_GROUP_VOTES, syn.LIST_LIMIT)
    syn._most_divisive(div, syn.MIN_SPREAD, syn.LIST_LIMIT)
    syn._backed_by_one_group(gs, syn.MIN_BACKING, syn.MIN_GROUP_VOTES, syn.LIST_LIMIT)
    t2 = clock()
    syn._opinion_groups(
        v, seed=0, min_votes=syn.POLIS_MIN_VOTES, pick_max=syn.PICK_MAX, min_agree=syn.MIN_AGREE
    )
    t3 = clock()
    syn._remembered_themes.cache_clear()  # cold: as the first synthesis of new texts
    syn.themes(texts, seed=0)
    t4 = clock()
    syn.themes(texts, seed=0)  # warm: the same texts again, as a refresh without new posts
    t5 = clock()
    return {
        "stats": t1 - t0,
        "consensus": t2 - t1,
        "opinion": t3 - t2,
        "themes": t4 - t3,
        "themes warm": t5 - t4,
    }


class Command(BaseCommand):
    help = "Benchmark discussions.synthesis.synthesize on synthetic data (median of runs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, nargs="+", default=[1, 4, 16])
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args, scale: list[int], repeat: int, **options) -> None:
        out = self.stdout.write
        blas = ", ".join(
            f"{i['internal_api']} {i.get('architecture') or ''} x{i['num_threads']}".strip()
            for i in threadpool_info()
        )
        out(f"cpus: {os.cpu_count()}  OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')}")
        out(f"thread pools: {blas}")
        out(f"median of {repeat} runs, seconds; cold: themes computed, warm: remembered")
        header = (
            f"{'scale':>5} {'particip.':>9} {'positions':>9} {'votes':>9} "
            f"{'cold':>7} {'warm':>7} {'stats':>7} {'consens.':>8} {'opinion':>7} "
            f"{'themes':>7} {'warm':>7}  k"
        )
        out(header)
        for s in scale:
            planted, texts = session_at(s)
            V, breakout = planted.V, planted.breakout
            cold, warm, stages = [], [], []
            for _ in range(repeat):
                # Cold: themes computed (the first synthesis after a post); warm: themes
                # remembered (a refresh after votes only), which is most refreshes.
                syn._remembered_themes.cache_clear()
                start = time.perf_counter()
                syn.synthesize(V, breakout, BREAKOUT_GROUPS, texts)
                middle = time.perf_counter()
                result = syn.synthesize(V, breakout, BREAKOUT_GROUPS, texts)
                cold.append(middle - start)
                warm.append(time.perf_counter() - middle)
                stages.append(time_stages(V, breakout, texts))
            med = {key: statistics.median(st[key] for st in stages) for key in stages[0]}
            n_votes = int(np.count_nonzero(~np.isnan(V)))
            out(
                f"{s:>5} {V.shape[0]:>9,} {V.shape[1]:>9,} {n_votes:>9,} "
                f"{statistics.median(cold):>7.3f} {statistics.median(warm):>7.3f} "
                f"{med['stats']:>7.3f} {med['consensus']:>8.3f} {med['opinion']:>7.3f} "
                f"{med['themes']:>7.3f} {med['themes warm']:>7.3f}  {result.opinion.k}"
            )
