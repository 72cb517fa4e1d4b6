"""Print the figures of one `rehearse --json` result as a table row: summary.py FILE...

A scenario's result (`rehearse --scenario`) gets its table per kind of action first.
"""

import json
import sys
from pathlib import Path

# The scenario's table is the command's own; the rehearsal package imports no Django.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from rehearsal.scenario import summary_lines  # noqa: E402

for path in sys.argv[1:]:
    with open(path) as file:
        r = json.load(file)
    if "scenario" in r:
        print("\n".join(summary_lines(r)))
    c = r.get("ceiling") or {"fanout_ms": {}, "achieved_votes_per_s": None, "lost": None}
    f, cf = r["fanout_ms"], c["fanout_ms"]
    print(
        f"{path}: joined {r['joined']}/{r['participants']} in {r['join_seconds']} s "
        f"(p95 {r['join_ms']['p95']} ms), connected {r['connected']}, "
        f"votes {r['votes_ok']}/{r['votes_sent']}, "
        f"{r['achieved_votes_per_s']}/{r['offered_votes_per_s']} votes/s, "
        f"fan-out p50/p95/p99/max {f['p50']}/{f['p95']}/{f['p99']}/{f['max']} ms, "
        f"vote answered p50/p99 {r.get('vote_answer_ms', {}).get('p50')}/"
        f"{r.get('vote_answer_ms', {}).get('p99')} ms, "
        f"delivered {r['fanout_deliveries']}/{r['fanout_expected']}, "
        f"lost {r['lost']} ({r.get('lost_while_voting')} while voting), "
        f"dup {r['duplicated']}, errors {r['http_errors']}, "
        f"client lag {r['client_lag_max_ms']} ms, server {r.get('server')}, "
        f"socket bytes {r.get('socket_bytes')}, "
        f"probe {r.get('probe')}, machine speed ms {r.get('machine_speed_ms')}\n"
        f"  ceiling: {c['achieved_votes_per_s']} votes/s, p50/p95/p99/max "
        f"{cf.get('p50')}/{cf.get('p95')}/{cf.get('p99')}/{cf.get('max')} ms, lost {c['lost']}, "
        f"server {c.get('server')}; ratio {r.get('ratio_to_ceiling')}"
    )
    if "fanout_windows" in r:
        print(
            "  fan-out p99 per 10 s of votes: "
            + " ".join(f"{w['p99']:g}" for w in r["fanout_windows"])
        )
    for step in r.get("ramp", {}).get("steps", []):
        sf, sa = step["fanout_ms"], step["vote_answer_ms"]
        print(
            f"  ramp: offered {step['offered_votes_per_s']}, achieved "
            f"{step['achieved_votes_per_s']}, fan-out p50/p99 {sf['p50']}/{sf['p99']} ms, "
            f"answered p50/p99 {sa['p50']}/{sa['p99']} ms, lost {step['lost']}, "
            f"client lag {step['client_lag_max_ms']} ms, server {step.get('server')}, "
            f"keeps up {step['keeps_up']}"
        )
    if "ceiling_max" in r:
        maximum = r["ceiling_max"]
        for step in maximum["steps"]:
            sf = step["fanout_ms"]
            print(
                f"  ceiling ramp: offered {step['offered_votes_per_s']}, achieved "
                f"{step['achieved_votes_per_s']}, p50/p99 {sf['p50']}/{sf['p99']} ms, "
                f"lost {step['lost']} ({step.get('lost_while_voting')} while voting), "
                f"client lag {step['client_lag_max_ms']} ms, "
                f"server {step['server']}, keeps up {step['keeps_up']}"
            )
        print(
            f"  ceiling max {maximum['max_votes_per_s']} votes/s; ours keeping up "
            f"{maximum['ours_keeping_up_votes_per_s']}; ratio {maximum['ratio']}"
        )
