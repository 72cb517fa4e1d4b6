"""The command's entry (rehearse): our run, then the same client against the ceiling, the
bare asyncio server of ceiling.py started on a free port for the purpose, and their ratio;
with the ramp, our highest rate kept up with against the ceiling's."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from rehearsal import ramp as ramping
from rehearsal.client import Browser, HttpError, Origin
from rehearsal.plan import Plan, RehearsalError
from rehearsal.run import Rehearsal
from rehearsal.scenario import Scenario
from rehearsal.stats import machine_speed_ms


async def rehearse(
    url: str,
    code: str,
    plan: Plan,
    progress: Callable[[str], None] | None,
    *,
    ramp: bool = False,
    ceiling: bool = True,
) -> dict:
    driver = Rehearsal
    if ramp and not plan.scenario:  # a scenario's session has ended by the ramp's time
        plan = Plan(**{**plan.__dict__, "ramp": True})
    if plan.scenario:
        driver = Scenario
    speed_before = machine_speed_ms()
    result = await driver(url, code, plan, progress).run()
    result["machine_speed_ms"] = {"before": speed_before, "after": machine_speed_ms()}
    if not ceiling:
        return result
    result["ceiling"] = await rehearse_ceiling(plan, progress)
    result["ratio_to_ceiling"] = ratio(result, result["ceiling"])
    if ramp:
        # Our highest rate kept up with (the run's ramp) against the ceiling's maximum.
        maximum = await ramp_ceiling(plan, progress)
        ours = result.get("ramp", {}).get("max_votes_per_s")
        best = maximum["max_votes_per_s"]
        maximum["ours_keeping_up_votes_per_s"] = ours
        maximum["ratio"] = round(ours / best, 4) if ours and best else None
        result["ceiling_max"] = maximum
    return result


async def ramp_ceiling(plan: Plan, progress: Callable[[str], None] | None) -> dict:
    """The ceiling's maximum: the same rehearsal on the bare server at doubling rates, from
    the plan's, until a step does not keep up (or RAMP_LIMIT). The bare server has no vote
    limit, so a participant may vote faster than the app would let them."""
    steps, best = [], None
    rate = plan.rate
    while rate <= ramping.RAMP_LIMIT:
        step_plan = Plan(**{**plan.__dict__, "rate": rate, "duration": ramping.RAMP_STEP_SECONDS})
        result = await rehearse_ceiling(step_plan, progress)
        ok = ramping.keeps_up(result)
        steps.append(
            {
                "offered_votes_per_s": rate,
                "achieved_votes_per_s": result["achieved_votes_per_s"],
                "fanout_ms": result["fanout_ms"],
                "lost": result["lost"],
                "lost_while_voting": result["lost_while_voting"],
                "client_lag_max_ms": result["client_lag_max_ms"],
                "server": result.get("server"),
                "keeps_up": ok,
            }
        )
        if not ok:
            break
        best = rate
        rate *= 2
    return {"max_votes_per_s": best, "steps": steps}


async def rehearse_ceiling(plan: Plan, progress: Callable[[str], None] | None) -> dict:
    """Start the bare server on a free 127.0.0.1 port, run the same rehearsal, stop it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = Path(__file__).with_name("ceiling.py")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        "--port",
        str(port),
        "--groups",
        str(plan.groups),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        probe_browser = Browser(Origin.parse(url), timeout=2)
        for _ in range(100):  # up to ~10 s to start
            with contextlib.suppress(HttpError, TimeoutError):
                if (await probe_browser.request("GET", "/healthz")).status == 200:
                    break
            await asyncio.sleep(0.1)
        else:
            raise RehearsalError("the ceiling server did not start")
        await probe_browser.close()
        # The bare server has no synthesis or facilitators: no probe there, and its
        # comparison is the votes' fan-out, the plain rehearsal's.
        ceiling_plan = Plan(
            **{
                **plan.__dict__,
                "server_pid": process.pid,
                "facilitator": None,
                "scenario": False,
                "ramp": False,  # the ceiling's is ramp_ceiling's, a fresh server per step
            }
        )
        result = await Rehearsal(url, "CEILING", ceiling_plan, progress).run()
        result.pop("code", None)
        return result
    finally:
        process.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()


def ratio(ours: dict, ceiling: dict) -> dict:
    def divide(a, b):
        return round(a / b, 3) if a is not None and b else None

    return {
        "achieved_votes_per_s": divide(
            ours["achieved_votes_per_s"], ceiling["achieved_votes_per_s"]
        ),
        "fanout_p50": divide(ours["fanout_ms"]["p50"], ceiling["fanout_ms"]["p50"]),
        "fanout_p95": divide(ours["fanout_ms"]["p95"], ceiling["fanout_ms"]["p95"]),
    }
