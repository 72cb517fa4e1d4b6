"""Rehearse a conference against a running server, and measure it against a bare ceiling.

    python manage.py rehearse --url http://127.0.0.1:8050 --participants 200 --groups 20 \
        --rate 50 --duration 20 [--code CODE] [--server-pid PID] [--json]

Participants join over HTTP (a cookie jar each), open one WebSocket each to their room,
post a few positions per group and vote at the offered total rate, as browsers do. Then the
same client runs against a bare asyncio broadcast server on 127.0.0.1 (no Django, no
database) for the ceiling. docs/capacity.md has the figures and how to read them.
"""

from __future__ import annotations

import asyncio
import json
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from discussions import ratelimit
from discussions.models import Session
from discussions.rehearsal.run import WINDOW_SECONDS, Plan, RehearsalError, rehearse

# Stay under the app's vote limit per participant (fixed one-minute windows), with a margin.
MAX_VOTES_PER_PARTICIPANT_PER_S = 0.9 * ratelimit.VOTE.count / ratelimit.VOTE.seconds
MAX_DURATION = 3600
MAX_PARTICIPANTS = 20_000


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
            help="Also find the bare ceiling's maximum: its rate doubled until it falls behind.",
        )
        parser.add_argument(
            "--no-deflate",
            action="store_true",
            help="Don't offer per-message compression on the sockets (browsers do).",
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
        )
        self._check(plan)
        code = options["code"] or self._newest_code()
        if options["facilitator"]:
            user, sep, password = options["facilitator"].partition(":")
            if not sep:
                raise CommandError("--facilitator takes USER:PASSWORD.")
            plan.facilitator = (user, password)
            plan.session_id = options["session_id"] or self._session_id(code)
        progress = None if options["no_progress"] else _progress
        try:
            result = asyncio.run(
                rehearse(
                    options["url"].rstrip("/"),
                    code,
                    plan,
                    progress,
                    ramp=options["ceiling_ramp"],
                )
            )
        except (RehearsalError, ValueError) as error:
            raise CommandError(str(error)) from error
        finally:
            if not options["no_progress"]:
                sys.stderr.write("\n")
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(summary(result))

    def _check(self, plan: Plan) -> None:
        if not 1 <= plan.groups <= plan.participants <= MAX_PARTICIPANTS:
            raise CommandError("Need 1 <= --groups <= --participants <= 20000.")
        if not 0 < plan.duration <= MAX_DURATION or plan.rate <= 0:
            raise CommandError("--rate must be > 0 and --duration in (0, 3600] seconds.")
        per_participant = plan.rate / plan.participants
        if per_participant > MAX_VOTES_PER_PARTICIPANT_PER_S:
            raise CommandError(
                f"{plan.rate:g} votes/s over {plan.participants} participants is "
                f"{per_participant:.2f} votes/s each, over the app's per-participant limit "
                f"({ratelimit.VOTE.count} a minute): add participants or lower the rate."
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


def _progress(line: str) -> None:
    sys.stderr.write("\r" + line[:150].ljust(150))
    sys.stderr.flush()


def summary(result: dict) -> str:
    def block(name: str, r: dict) -> list[str]:
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
        ]
        b = r["socket_bytes"]
        lines.append(
            f"  received        {b['wire'] / 1e6:.1f} MB on the wire, {b['messages'] / 1e6:.1f} MB "
            f"of messages ({b['compressed_sockets']} sockets compressed)"
        )
        if "server" in r:
            s = r["server"]
            lines.append(f"  server          CPU {s['cpu_percent']} %, RSS {s['rss_mb_max']} MB")
        return lines

    ratio = result["ratio_to_ceiling"]
    lines = block("Server", result) + block("Ceiling (bare asyncio)", result["ceiling"])
    lines.append(
        f"Ratio to ceiling: votes/s {ratio['achieved_votes_per_s']}, "
        f"p50 {ratio['fanout_p50']}, p95 {ratio['fanout_p95']}"
    )
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
