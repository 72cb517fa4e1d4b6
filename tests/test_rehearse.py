"""The rehearsal tool end to end, small: a real server process (daphne, the test database),
eight participants in two groups voting for three seconds, and the bare ceiling server; and
the scenario (a whole session at once) as small, every kind of action taken and reported.

A correctness test: every participant connects, every vote reaches every other member of
its group exactly once, nothing is refused. Timings are only checked to be measured (> 0),
never against a limit: this machine is shared.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import io
import json
import math

import pytest
from django.core.management import call_command
from django.db import connection

from discussions import services
from rehearsal import compare, ramp, run, scenario
from rehearsal.client import Response
from rehearsal.deliveries import by_window
from rehearsal.members import Member
from rehearsal.plan import Plan
from rehearsal.scenario import Scenario
from rehearsal.stats import ActionLog, SeqLog, percentiles
from tests.browser.asgi_server import (  # noqa: F401
    start_asgi_server,
    use_a_sqlite_file_for_this_run,
)
from tests.conftest import DEMO_PAPER

# The server process must open the test database: on SQLite, a file for the whole run.
use_a_sqlite_file_for_this_run()


def demo_session(name: str):
    """A session of two groups on the demo paper."""
    paper = services.import_paper(
        data=DEMO_PAPER.read_bytes(), filename=DEMO_PAPER.name, publish=True
    ).paper
    return services.create_session(paper=paper, name=name, group_count=2)


def rehearse(*args: str) -> dict:
    """`manage.py rehearse ARGS --json`, in this process: its result."""
    out = io.StringIO()
    call_command("rehearse", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


KEYS = {
    "participants",
    "groups",
    "connected",
    "offered_votes_per_s",
    "achieved_votes_per_s",
    "fanout_ms",
    "lost",
    "lost_while_voting",
    "duplicated",
    "http_errors",
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("votes_over", ["socket", "http"])
def test_rehearse_drives_a_real_server_and_the_ceiling(
    start_asgi_server,  # noqa: F811
    organizer,  # noqa: F811
    capsys,
    votes_over,
):
    """Votes as the pages send them (on the socket), and as the HTTP form's fallback."""
    server = start_asgi_server("rehearsed")
    session = demo_session("Rehearsal")

    result = rehearse(
        *("--url", server.url, "--participants", "8", "--groups", "2"),
        *("--rate", "10", "--duration", "3", "--code", session.code),
        *("--server-pid", str(server.process.pid), "--votes-over", votes_over),
        *("--facilitator", "olga:a long organizer password"),
    )
    # The progress line counted every answered vote (it runs on, through the drain).
    assert "votes 30/30" in capsys.readouterr().err
    print(json.dumps(result, indent=2))
    # The facilitator's pages were timed while the votes ran (3 s: a few rounds each).
    probe = result["probe"]
    assert probe["errors"] == {}
    for page in ("synthesis_page", "synthesis_results", "export_md", "export_csv"):
        assert probe[page]["p50"] > 0, page
    assert "probe" not in result["ceiling"]

    for name, figures in (("server", result), ("ceiling", result["ceiling"])):
        assert figures.keys() >= KEYS, name
        assert set(figures["fanout_ms"]) == {"p50", "p95", "p99", "max"}, name
        assert figures["participants"] == 8 and figures["groups"] == 2, name
        assert figures["connected"] == 8, name
        assert figures["offered_votes_per_s"] == 10, name
        assert figures["votes_ok"] == figures["votes_sent"] == 30, name
        assert figures["achieved_votes_per_s"] > 0, name
        assert figures["http_errors"] == {}, name
        assert figures["lost"] == 0, name
        assert figures["duplicated"] == 0, name
        assert figures["sockets_closed"] == 0 and figures["sockets_closed_codes"] == {}, name
        # Each vote reached the three other members of its group, each exactly once.
        assert figures["fanout_deliveries"] == figures["fanout_expected"] == 30 * 3, name
        assert figures["unmatched_fragments"] == 0, name
        assert figures["fanout_ms"]["p50"] > 0, name
        # 3 s of votes: one window of WINDOW_SECONDS, holding every delivery.
        (window,) = figures["fanout_windows"]
        assert window["from_s"] == 0 and window["deliveries"] == 30 * 3, name
        assert window["p99"] == figures["fanout_ms"]["p99"], name
        assert figures["vote_answer_ms"]["p50"] > 0, name
        assert figures["votes_over"] == votes_over, name
        statuses = figures["actions"]["vote"]["statuses"]
        assert statuses == ({"saved": 30} if votes_over == "socket" else {"200": 30}), name
        received = figures["socket_bytes"]
        assert 0 < received["wire"] <= received["messages"], name
    # The bare ceiling declines compression; the client offered it to both.
    assert result["ceiling"]["socket_bytes"]["compressed_sockets"] == 0
    assert result["server"]["rss_mb_max"] > 0
    speed = result["machine_speed_ms"]  # the machine's speed as the run found it
    assert speed["before"] > 0 and speed["after"] > 0
    assert set(result["ratio_to_ceiling"]) == {"achieved_votes_per_s", "fanout_p50", "fanout_p95"}


@pytest.mark.django_db(transaction=True)
def test_the_ramp_raises_our_rate_step_by_step_on_the_same_sockets(
    start_asgi_server,  # noqa: F811
    organizer,  # noqa: F811
    monkeypatch,
):
    """--ceiling-ramp: after the run, ours votes at rates rising by RAMP_FACTOR until a step
    falls behind (here none: no p99 bound, no share, as this machine is shared), each step
    measured on its own votes; and the ceiling's maximum beside it."""
    monkeypatch.setattr(ramp, "RAMP_STEP_SECONDS", 1.0)
    monkeypatch.setattr(ramp, "RAMP_LIMIT", 10.0)
    monkeypatch.setattr(ramp, "KEEPS_UP_P99_MS", math.inf)
    monkeypatch.setattr(ramp, "KEEPS_UP_SHARE", 0.0)
    server = start_asgi_server("ramped")
    session = demo_session("Ramp")

    result = rehearse(
        *("--url", server.url, "--participants", "8", "--groups", "2"),
        *("--rate", "5", "--duration", "1", "--code", session.code),
        *("--no-progress", "--ceiling-ramp"),
    )
    steps = result["ramp"]["steps"]
    assert [step["offered_votes_per_s"] for step in steps] == [7, 10]  # 5 x 1.41, twice
    for step in steps:
        assert step["keeps_up"], step
        assert step["votes_ok"] == step["votes_sent"] == step["offered_votes_per_s"], step
        # Each vote of the step reached the three other members of its group.
        assert step["fanout_deliveries"] == step["fanout_expected"] == 3 * step["votes_ok"]
        assert step["lost"] == 0, step
        assert step["fanout_ms"]["p50"] > 0 and step["vote_answer_ms"]["p50"] > 0, step
    assert result["ramp"]["max_votes_per_s"] == 10
    maximum = result["ceiling_max"]
    assert maximum["ours_keeping_up_votes_per_s"] == 10
    assert maximum["ratio"] == 10 / maximum["max_votes_per_s"]


def test_rehearse_refuses_a_rate_over_the_vote_limit():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="per-participant limit"):
        call_command(
            "rehearse",
            *("--url", "http://127.0.0.1:9", "--participants", "2", "--groups", "1"),
            *("--rate", "10", "--duration", "1", "--code", "X"),
        )


def test_sequence_log_counts_gaps_and_repeats():
    log = SeqLog()
    for seq in (5, 7, 6, 7, 9):  # 6 arrives late: not lost; 7 twice; 8 never
        log.add(seq)
    assert log.duplicated == 1
    assert log.lost(last=10, start_if_empty=0) == 2  # 8 and 10
    assert log.lost(last=10, start_if_empty=0, after=8) == 1  # 10 alone
    assert SeqLog().lost(last=4, start_if_empty=2) == 2  # nothing arrived after the page's 2


def test_fanout_windows_group_deliveries_by_when_their_vote_was_sent():
    started = 100.0
    deliveries = [(100.5, 0.010), (109.9, 0.030), (110.0, 0.200), (125.0, 0.040), (125.1, 0.050)]
    windows = by_window(deliveries, started)
    assert [(w["from_s"], w["deliveries"], w["max"]) for w in windows] == [
        (0, 2, 30.0),
        (10, 1, 200.0),
        (20, 2, 50.0),  # no window for a stretch with no deliveries
    ]
    assert windows[0]["p50"] == 10.0


def test_percentiles_are_nearest_rank():
    figures = percentiles([float(n) for n in range(1, 101)])
    assert figures == {"p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
    assert percentiles([]) == {"p50": None, "p95": None, "p99": None, "max": None}


def test_the_ceiling_ramp_doubles_the_rate_until_a_step_falls_behind(monkeypatch):
    monkeypatch.setattr(ramp, "RAMP_STEP_SECONDS", 1.0)
    monkeypatch.setattr(ramp, "RAMP_LIMIT", 40.0)
    plan = Plan(participants=4, groups=2, rate=10.0, duration=1.0)
    maximum = asyncio.run(compare.ramp_ceiling(plan, lambda line: None))
    assert [step["offered_votes_per_s"] for step in maximum["steps"]] == [10.0, 20.0, 40.0]
    assert all(step["keeps_up"] for step in maximum["steps"]), maximum
    assert maximum["max_votes_per_s"] == 40.0
    for step in maximum["steps"]:
        assert step["achieved_votes_per_s"] > 0
        assert step["fanout_ms"]["p99"] > 0


def test_a_step_keeps_up_only_at_its_rate_without_losses_and_within_the_p99():
    def step(achieved=100.0, lost=0, lost_while_voting=0, p99=40.0):
        return {
            "offered_votes_per_s": 100.0,
            "achieved_votes_per_s": achieved,
            "lost": lost + lost_while_voting,
            "lost_while_voting": lost_while_voting,
            "fanout_ms": {"p99": p99},
        }

    assert ramp.keeps_up(step())
    assert ramp.keeps_up(step(lost=3))  # while joining: pages re-fetch, the votes lost nothing
    assert not ramp.keeps_up(step(achieved=90.0))
    assert not ramp.keeps_up(step(lost_while_voting=1))
    assert not ramp.keeps_up(step(p99=251.0))
    assert not ramp.keeps_up(step(p99=None))


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_collector_is_off_during_a_rehearsal_and_restored_after(enabled_before):
    import gc

    (gc.enable if enabled_before else gc.disable)()
    try:
        with run._no_collector_pauses():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled_before
    finally:
        gc.enable()


# --- The scenario: a whole session at once ----------------------------------------------------

# Every kind of action the scenario takes, and how many times in two groups: each group gets
# one facilitator's pass (its phase set twice), and the whole session two announcements.
SCENARIO_ONCE_PER_GROUP = (
    "group_page",
    "announce",
    "timer_start",
    "timer_pause",
    "timer_resume",
    "timer_extend",
    "timer_stop",
    "pin",
    "unpin",
    "hide",
    "restore",
    "merge",
    "move",
)
SCENARIO_KINDS = {
    *SCENARIO_ONCE_PER_GROUP,
    "phase",
    "announce_all",
    "login_form",
    "login",
    "join_form",
    "join",
    "room_page",
    "socket",
    "post",
    "vote",
    # No room_status or room_positions: the pages list the newest first (a pin moves its
    # card in the page), vote on no merged duplicate, and the session shows its tallies
    # (test_the_scenarios_pages_fetch_again_what_live_js_would).
    "synthesis_page",
    "synthesis_results",
    "export_md",
    "export_csv",
}


@pytest.mark.django_db(transaction=True)
def test_the_scenario_takes_and_reports_every_kind_of_action(
    start_asgi_server,  # noqa: F811
    organizer,
    monkeypatch,
):
    from rehearsal.management.commands import rehearse as command

    # The test's server closes its database connections after each request, and a closing
    # backend writes its statistics: no need to wait for idle ones to.
    monkeypatch.setattr(command, "STATS_DELAY", 0.0)
    server = start_asgi_server("scenario")
    session = demo_session("Scenario")

    result = rehearse(
        *("--url", server.url, "--code", session.code, "--no-progress"),
        *("--participants", "8", "--groups", "2", "--rate", "3", "--duration", "2"),
        *("--scenario", "--join-window", "1", "--post-rate", "1", "--facilitators", "2"),
        *("--facilitator", "olga:a long organizer password", "--no-ceiling"),
    )
    print(json.dumps(result["actions"], indent=2))
    actions = result["actions"]

    assert set(actions) == SCENARIO_KINDS
    for kind, figures in actions.items():
        assert figures["count"] > 0, kind
        assert figures["failed"] == 0 and figures["skipped"] == 0, (kind, figures)
        assert not any(status.startswith("5") for status in figures["statuses"]), kind
        assert figures["ms"]["p50"] > 0, kind
    for kind in SCENARIO_ONCE_PER_GROUP:
        assert actions[kind]["count"] == actions[kind]["ok"] == 2, kind
    assert actions["phase"]["count"] == 4  # voting only, then collecting again, per group
    assert actions["announce_all"]["count"] == 2  # in the rush and in the votes
    assert actions["join"]["statuses"] == {"302": 8}
    # Sockets: eight at arrival, and the two moved participants' in their new rooms.
    assert actions["socket"]["statuses"] == {"101": 10}
    # Posts a facilitator's "voting only" refused are the scenario's doing, not failures.
    assert set(actions["post"]["refused"]) <= {"posting closed by the phase"}
    assert result["server_errors"] == result["failed"] == 0

    scenario = result["scenario"]
    assert scenario["facilitators"] == 2
    assert scenario["facilitation_steps_not_taken"] == 0
    assert scenario["movers"] == scenario["movers_followed"] == 2
    # The six who stay (the movers' sockets are closed by the move, by design) voted, and
    # every vote reached the two other voters of its group.
    assert result["joined"] == result["connected"] == 6
    assert result["sockets_closed_codes"] == {}
    assert result["votes_ok"] == result["votes_sent"] == 6
    assert result["fanout_deliveries"] == result["fanout_expected"] == 6 * 2
    assert result["unmatched_fragments"] == 0
    assert result["lost_while_voting"] == 0
    assert "ceiling" not in result
    # Deadlocks are counted where they can be: PostgreSQL's statistics, not SQLite's.
    on_postgresql = connection.vendor == "postgresql"
    assert (result["deadlocks"]["pg_stat_database"] is not None) is on_postgresql
    assert set(result["targets"]) == {
        "no_5xx",
        "no_deadlocks",
        "nothing_lost_while_voting",
        "p95_under_1s",
        "slowest_p95",
    }
    assert result["targets"]["no_5xx"] is True


def test_the_scenarios_pages_fetch_again_what_live_js_would():
    member = Member(0, browser=None)
    member.last_choice = {7: "agree"}

    def marker(**attributes) -> str:
        data = " ".join(f'data-{name}="{value}"' for name, value in attributes.items())
        return f'<div id="room-seq" data-seq="3"></div><div id="room-refresh" hidden {data}>'

    regions = functools.partial(scenario._refresh_regions, member)
    assert regions("<div id='tally-7'></div>") == []
    assert regions(marker(regions="positions")) == ["positions"]
    assert regions(marker()) == ["status", "positions"]
    # A merge: only a reader whose vote moved from the duplicate to the survivor.
    assert regions(marker(regions="positions", **{"votes-from": 7, "votes-to": 8})) == ["positions"]
    assert regions(marker(regions="positions", **{"votes-from": 9, "votes-to": 8})) == []
    member.last_choice[8] = "pass"
    assert regions(marker(regions="positions", **{"votes-from": 7, "votes-to": 8})) == []
    # A pin: the tool's pages list the newest first, where live.js moves the card itself.
    assert regions(marker(regions="positions", **{"unless-sort": "newest"})) == []
    assert regions(marker(regions="positions", **{"unless-sort": "agreed"})) == ["positions"]


def test_the_scenario_needs_a_facilitator_and_room_under_the_join_and_post_limits(monkeypatch):
    from django.core.management.base import CommandError

    from discussions import ratelimit

    common = (
        *("--url", "http://127.0.0.1:9", "--code", "X", "--scenario"),
        *("--participants", "400", "--groups", "20", "--rate", "10", "--duration", "1"),
    )
    with pytest.raises(CommandError, match="needs --facilitator"):
        call_command("rehearse", *common)
    # 3 posters x 2 posts x 20 groups, and 60 s of 20 posts a second: over 1,000 a minute.
    with pytest.raises(CommandError, match="POSTS_PER_ADDRESS"):
        call_command("rehearse", *common, "--post-rate", "20", "--facilitator", "u:p")
    # A session that takes 399 joins a minute: the 400 may all come within one.
    fewer = dataclasses.replace(ratelimit.SESSION_JOIN, count=399)
    monkeypatch.setattr(ratelimit, "SESSION_JOIN", fewer)
    with pytest.raises(CommandError, match="JOINS_PER_SESSION"):
        call_command("rehearse", *common, "--facilitator", "u:p")


def test_an_action_log_tells_answers_refusals_and_failures_apart():
    log = ActionLog()
    log.add("200", 10.0)
    log.add("422", 20.0, failed=True, refused="posting closed by the phase")
    log.add("503", 1000.0, failed=True)
    log.add("timeout", 30000.0, failed=True)
    figures = log.figures()
    assert figures["count"] == 4
    assert figures["statuses"] == {"200": 1, "422": 1, "503": 1, "timeout": 1}
    assert (figures["ok"], figures["failed"]) == (1, 2)
    assert figures["refused"] == {"posting closed by the phase": 1}
    assert log.server_errors == 1
    # Failures' times count: a 503 after a second of waiting took that second.
    assert figures["ms"]["max"] == 30000.0


def test_a_post_refused_for_the_phase_is_the_scenarios_doing_and_nothing_else_is():
    plan = Plan(participants=2, groups=1, rate=1.0, duration=1.0, scenario=True)
    rehearsal = Scenario("http://127.0.0.1:9", "X", plan, None)
    closed = Response(422, {}, "<p>… “Voting only”: new positions are closed.</p>")
    assert rehearsal._refusal("post", closed) == "posting closed by the phase"
    assert rehearsal._refusal("post", Response(422, {}, "Write your position first.")) == ""
    assert rehearsal._refusal("vote", closed) == ""
    assert rehearsal._refusal("post", Response(503, {}, "new positions are closed")) == ""


def _result(**actions) -> dict:
    return {
        "actions": {
            kind: {"ms": {"p95": p95}, "statuses": statuses}
            for kind, (p95, statuses) in actions.items()
        },
        "server_errors": sum(
            n for _, statuses in actions.values() for s, n in statuses.items() if s[0] == "5"
        ),
        "lost_while_voting": 0,
    }


def test_the_scenario_verdict_holds_every_timed_action_to_its_p95():
    result = _result(vote=(120.0, {"200": 9}), merge=(1500.0, {"200": 1}), login=(3000.0, {}))
    targets = scenario.verdict(result)
    assert targets["p95_under_1s"] is False
    assert targets["slowest_p95"] == {"kind": "merge", "ms": 1500.0}  # the login is not timed
    assert targets["no_deadlocks"] is None  # not counted: no verdict
    result = _result(vote=(120.0, {"200": 9, "503": 1}), login=(3000.0, {}))
    result["deadlocks"] = {"count": 0}
    targets = scenario.verdict(result)
    assert targets["p95_under_1s"] is True
    assert targets["no_5xx"] is False
    assert targets["no_deadlocks"] is True


@pytest.mark.django_db
def test_deadlocks_are_counted_in_the_lines_postgresqls_log_gains(tmp_path):
    from rehearsal.management.commands.rehearse import Deadlocks

    log = tmp_path / "postgresql.log"
    log.write_text("ERROR:  deadlock detected\n")  # before the run: not counted
    deadlocks = Deadlocks(str(log))
    ours, other = f"[41] postgres@{deadlocks.database} ", "[42] postgres@other "
    with log.open("a") as file:
        file.write(f"{ours}LOG:  checkpoint starting\n{ours}ERROR:  deadlock detected\n")
        file.write(f"{ours}DETAIL:  Process 1 waits for ShareLock ...\n")
        file.write(f"{ours}ERROR:  deadlock detected\n{other}ERROR:  deadlock detected\n")
    figures = deadlocks.count(wait=0)
    # Another database's deadlock is in the cluster's log, but not this run's.
    assert (figures["log"], figures["log_any_database"]) == (2, 3)
    assert figures["count"] == 2
