"""Rehearse a conference against a running server, and measure it against a bare ceiling.

    python manage.py rehearse --url http://127.0.0.1:8050 --participants 200 --groups 20 \
        --rate 50 --duration 20 [--code CODE] [--server-pid PID] [--json]

Participants join over HTTP (a cookie jar each), open one WebSocket each to their room,
post a few positions per group and vote at the offered total rate, as browsers do. Then the
same client runs against a bare asyncio broadcast server on 127.0.0.1 (no Django, no
database) for the ceiling.

With --scenario, a whole session at once (rehearsal/scenario.py): participants
arrive over --join-window while the first post, votes and further posts follow, and
--facilitators browsers act in every group throughout; every kind of action is reported
(count, answers by status, p50/p95/p99), and deadlocks are counted in the database this
command uses (pg_stat_database) and, with --postgres-log, in PostgreSQL's log.
docs/capacity.md has the figures and how to read them ("The rehearse command", "The scenario
rehearsal").
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from discussions import ratelimit
from discussions.models import Session
from rehearsal import scenario
from rehearsal.compare import rehearse
from rehearsal.deliveries import WINDOW_SECONDS
from rehearsal.plan import SETTLE, Plan, RehearsalError

# Stay under the app's vote limit per participant (fixed one-minute windows), with a margin.
MAX_VOTES_PER_PARTICIPANT_PER_S = 0.9 * ratelimit.VOTE.count / ratelimit.VOTE.seconds
MAX_DURATION = 3600
MAX_PARTICIPANTS = 20_000
# PostgreSQL's backends write their statistics (pg_stat_database.deadlocks among them) at
# most once a second, and an idle one 10 s after its last transaction (PGSTAT_IDLE_INTERVAL):
# read the count again only once the server's pooled connections have had that long.
STATS_DELAY = 11.0


class Command(BaseCommand):
    help = "Drive a running server as N browsers would and report capacity figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", required=True, help="The server, e.g. http://127.0.0.1:8050")
        parser.add_argument("--participants", type=int, required=True)
        parser.add_argument("--groups", type=int, required=True)
        parser.add_argument("--rate", type=float, required=True, help="Offered votes per second.")
        parser.add_argument("--duration", type=float, required=True, help="Seconds of voting.")
        parser.add_argument("--code", default="", help="Join code (default: newest session).")
        parser.add_argument(
            "--server-pid", type=int, default=None, help="Read this process's CPU and memory."
        )
        parser.add_argument(
            "--facilitator",
            default="",
            metavar="USER:PASSWORD",
            help="Also time the synthesis pages and exports, as this user, while votes run.",
        )
        parser.add_argument(
            "--session-id", type=int, default=None, help="For --facilitator (default: by code)."
        )
        parser.add_argument(
            "--ceiling-ramp",
            action="store_true",
            help="Also find the highest rate kept up with: after the run, ours at rates rising "
            "by a factor of 1.41 until it falls behind; the bare ceiling's, doubled.",
        )
        parser.add_argument(
            "--votes-over",
            choices=["socket", "http"],
            default="socket",
            help="How votes travel: on the room's socket, as the pages send them (default), "
            "or as the HTTP form's fallback posts them.",
        )
        parser.add_argument(
            "--no-deflate",
            action="store_true",
            help="Don't offer per-message compression on the sockets (browsers do).",
        )
        scenario_options = parser.add_argument_group(
            "scenario", "A whole session at once (needs --facilitator)."
        )
        scenario_options.add_argument(
            "--scenario",
            action="store_true",
            help="The opening rush, posting, voting and facilitators in every group, at once.",
        )
        scenario_options.add_argument(
            "--join-window",
            type=float,
            default=30.0,
            help="Seconds over which everyone arrives (default 30).",
        )
        scenario_options.add_argument(
            "--post-rate",
            type=float,
            default=1.0,
            help="Positions a second posted while the votes run (default 1).",
        )
        scenario_options.add_argument(
            "--facilitators",
            type=int,
            default=None,
            help=f"Facilitators' browsers (default one per {scenario.GROUPS_PER_FACILITATOR} "
            "groups), all logged in as --facilitator.",
        )
        scenario_options.add_argument(
            "--postgres-log",
            default="",
            metavar="PATH",
            help="Also count the 'deadlock detected' lines PostgreSQL writes here during the run.",
        )
        parser.add_argument(
            "--no-ceiling",
            action="store_true",
            help="Skip the bare ceiling server's run (a quicker check; no ratios).",
        )
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options) -> None:
        plan = Plan(
            participants=options["participants"],
            groups=options["groups"],
            rate=options["rate"],
            duration=options["duration"],
            seed=options["seed"],
            server_pid=options["server_pid"],
            deflate=not options["no_deflate"],
            votes_over=options["votes_over"],
            scenario=options["scenario"],
            join_window=options["join_window"],
            post_rate=options["post_rate"],
            facilitators=options["facilitators"] or scenario.facilitators_for(options["groups"]),
        )
        self._check(plan)
        code = options["code"] or self._newest_code()
        if options["facilitator"]:
            user, sep, password = options["facilitator"].partition(":")
            if not sep:
                raise CommandError("--facilitator takes USER:PASSWORD.")
            plan.facilitator = (user, password)
            plan.session_id = options["session_id"] or self._session_id(code)
        elif plan.scenario:
            raise CommandError("--scenario needs --facilitator USER:PASSWORD.")
        progress = None if options["no_progress"] else _progress
        deadlocks = Deadlocks(options["postgres_log"]) if plan.scenario else None
        try:
            result = asyncio.run(
                rehearse(
                    options["url"].rstrip("/"),
                    code,
                    plan,
                    progress,
                    ramp=options["ceiling_ramp"],
                    ceiling=not options["no_ceiling"],
                )
            )
        except (RehearsalError, ValueError) as error:
            raise CommandError(str(error)) from error
        finally:
            if not options["no_progress"]:
                sys.stderr.write("\n")
        if deadlocks:
            # The ceiling's run, when there was one, gave PostgreSQL's statistics their time.
            waited = 0.0 if options["no_ceiling"] else plan.duration + SETTLE
            result["deadlocks"] = deadlocks.count(wait=max(0.0, STATS_DELAY - waited))
            result["targets"] = scenario.verdict(result)
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(summary(result))

    def _check(self, plan: Plan) -> None:
        if not 1 <= plan.groups <= plan.participants <= MAX_PARTICIPANTS:
            raise CommandError("Need 1 <= --groups <= --participants <= 20000.")
        if not 0 < plan.duration <= MAX_DURATION or plan.rate <= 0:
            raise CommandError("--rate must be > 0 and --duration in (0, 3600] seconds.")
        voters = plan.participants
        if plan.scenario:
            self._check_scenario(plan)
            # One member of each group big enough is moved by the facilitator, and not a voter.
            voters -= min(plan.groups, max(0, plan.participants - scenario.MOVER * plan.groups))
        per_participant = plan.rate / voters
        if per_participant > MAX_VOTES_PER_PARTICIPANT_PER_S:
            raise CommandError(
                f"{plan.rate:g} votes/s over {plan.participants} participants is "
                f"{per_participant:.2f} votes/s each, over the app's per-participant limit "
                f"({ratelimit.VOTE.count} a minute): add participants or lower the rate."
            )

    def _check_scenario(self, plan: Plan) -> None:
        if not 0 < plan.join_window <= MAX_DURATION or plan.post_rate < 0:
            raise CommandError("--join-window must be in (0, 3600] s and --post-rate >= 0.")
        if plan.facilitators < 1:
            raise CommandError("--facilitators must be at least 1.")
        # The server counts posts per network address, and the rehearsal's browsers share
        # one: the first posters' (two each, three per group) and a minute of the posting
        # phase must fit in one minute's allowance (the server's, if set as this command's).
        # Every join counts against the session's allowance a minute, and the rush may
        # bring everyone within one minute.
        if plan.participants > ratelimit.SESSION_JOIN.count:
            raise CommandError(
                f"{plan.participants} participants may all join within a minute; the limit is "
                f"{ratelimit.SESSION_JOIN.count} (JOINS_PER_SESSION): raise it, in the "
                "server's environment and this command's."
            )
        posts = 2 * scenario.POSTERS * plan.groups + 60 * plan.post_rate
        allowed = ratelimit.POST_ADDRESS.count
        if posts > 0.9 * allowed:
            raise CommandError(
                f"The scenario posts up to {posts:g} positions in a minute from one address; "
                f"the limit is {allowed} (POSTS_PER_ADDRESS): raise it, in the server's "
                "environment and this command's, or lower --post-rate."
            )

    def _session_id(self, code: str) -> int:
        session = Session.objects.filter(code=code).first()
        if session is None:
            raise CommandError(f"No session {code} in this database: pass --session-id.")
        return session.pk

    def _newest_code(self) -> str:
        session = Session.objects.order_by("-pk").first()
        if session is None:
            raise CommandError("No session in the database: pass --code.")
        return session.code


class Deadlocks:
    """Deadlocks PostgreSQL detected during the run: pg_stat_database's count for the
    database this command uses (the server's, as for --code's default), read before and after,
    and the lines "deadlock detected" PostgreSQL's log gained, if its path is given.

    The log is the whole cluster's: `log` counts the lines whose prefix names this database
    (Debian's log_line_prefix has "user@database "), `log_any_database` every one.
    """

    def __init__(self, log_path: str) -> None:
        self.log = Path(log_path) if log_path else None
        self.log_offset = self.log.stat().st_size if self.log else 0
        self.database = connection.settings_dict["NAME"]
        self.before = self._read()

    def _read(self) -> int | None:
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            )
            count = cursor.fetchone()[0]
        if not connection.in_atomic_block:  # a caller's transaction (a test's) keeps it
            connection.close()  # not held idle through the run
        return count

    def count(self, *, wait: float) -> dict:
        if self.before is not None:
            time.sleep(wait)
        figures: dict = {"database": str(self.database)}
        after = self._read()
        figures["pg_stat_database"] = None if after is None else after - self.before
        if self.log:
            with self.log.open("rb") as log:
                log.seek(self.log_offset)
                lines = [line for line in log if b"deadlock detected" in line]
            ours = f"@{self.database} ".encode()
            figures["log"] = sum(1 for line in lines if ours in line)
            figures["log_any_database"] = len(lines)
        counts = [n for n in (figures["pg_stat_database"], figures.get("log")) if n is not None]
        figures["count"] = max(counts) if counts else None
        return figures


def _progress(line: str) -> None:
    sys.stderr.write("\r" + line[:150].ljust(150))
    sys.stderr.flush()


def summary(result: dict) -> str:
    lines = scenario.summary_lines(result) if "scenario" in result else []
    if "ceiling" not in result:
        return "\n".join(lines + block("Server", result))
    ratio = result["ratio_to_ceiling"]
    lines += block("Server", result) + block("Ceiling (bare asyncio)", result["ceiling"])
    lines.append(
        f"Ratio to ceiling: votes/s {ratio['achieved_votes_per_s']}, "
        f"p50 {ratio['fanout_p50']}, p95 {ratio['fanout_p95']}"
    )
    if "ramp" in result:
        steps = ", ".join(
            f"{step['offered_votes_per_s']:g}: {step['achieved_votes_per_s']}/s "
            f"p99 {step['fanout_ms']['p99']}"
            for step in result["ramp"]["steps"]
        )
        lines.append(f"Ours rising: {steps}")
    if "ceiling_max" in result:
        maximum = result["ceiling_max"]
        steps = ", ".join(
            f"{step['offered_votes_per_s']:g}: {step['achieved_votes_per_s']}/s "
            f"p99 {step['fanout_ms']['p99']}"
            for step in maximum["steps"]
        )
        lines.append(
            f"Ceiling's maximum: {maximum['max_votes_per_s']} votes/s ({steps}); "
            f"ours keeping up {maximum['ours_keeping_up_votes_per_s']}, "
            f"ratio {maximum['ratio']}"
        )
    return "\n".join(lines)


def block(name: str, r: dict) -> list[str]:
    """One run's figures (ours or the ceiling's), a few lines."""
    f = r["fanout_ms"]
    lines = [
        f"{name}: {r['url']}",
        f"  connected       {r['connected']} of {r['participants']} "
        f"({r['joined']} joined in {r['join_seconds']} s, join p95 {r['join_ms']['p95']} ms)",
        f"  votes/s         offered {r['offered_votes_per_s']}, "
        f"achieved {r['achieved_votes_per_s']} ({r['votes_ok']} of {r['votes_sent']} ok)",
        f"  fan-out ms      p50 {f['p50']}  p95 {f['p95']}  p99 {f['p99']}  max {f['max']}"
        f"  ({r['fanout_deliveries']} of {r['fanout_expected']} deliveries)",
        f"  {f'p99 per {WINDOW_SECONDS} s':<16}"
        + "  ".join(f"{w['p99']:g}" for w in r["fanout_windows"] if w["p99"] is not None),
        f"  lost {r['lost']} ({r['lost_while_voting']} while voting), "
        f"duplicated {r['duplicated']}, http errors {r['http_errors']}",
        f"  sockets closed  {r['sockets_closed']} {r.get('sockets_closed_codes', '')}",
    ]
    b = r["socket_bytes"]
    lines.append(
        f"  received        {b['wire'] / 1e6:.1f} MB on the wire, {b['messages'] / 1e6:.1f} MB "
        f"of messages ({b['compressed_sockets']} sockets compressed)"
    )
    if "server" in r:
        s = r["server"]
        lines.append(f"  server          CPU {s['cpu_percent']} %, RSS {s['rss_mb_max']} MB")
    if "machine_speed_ms" in r:
        speed = r["machine_speed_ms"]
        lines.append(
            f"  machine         {speed['before']} ms, then {speed['after']} ms "
            "for the speed probe's loop (lower is faster)"
        )
    return lines
