"""A facilitator watching the synthesis and downloading exports while the room votes: each
page's time to answer (the `probe` figures)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter

from rehearsal.actions import Actions
from rehearsal.client import Browser, Origin
from rehearsal.plan import REQUEST_TIMEOUT, Plan
from rehearsal.stats import elapsed_ms, percentiles

PROBE_EVERY = 1.0


class Probe:
    """Runs between start() and stop(), with the plan's facilitator only."""

    def __init__(self, origin: Origin, plan: Plan, actions: Actions) -> None:
        self.origin = origin
        self.plan = plan
        self.actions = actions
        self.ms: dict[str, list[float]] = {}
        self.errors: Counter[str] = Counter()
        self.probing = False
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        if self.plan.facilitator and self.task is None:
            self.probing = True
            self.task = asyncio.create_task(self._probe())

    async def stop(self) -> None:
        self.probing = False
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    def figures(self) -> dict:
        return {
            **{name: percentiles(times) for name, times in self.ms.items()},
            "errors": dict(sorted(self.errors.items())),
        }

    async def _probe(self) -> None:
        """Each page's time to answer, in ms, every PROBE_EVERY seconds."""
        browser = Browser(self.origin, timeout=REQUEST_TIMEOUT)
        sid = self.plan.session_id
        try:
            if not await self.actions.login(browser, self.plan.facilitator):
                self.errors["login"] += 1
                return
            pages = {
                "synthesis_page": f"/facilitate/sessions/{sid}/synthesis",
                "synthesis_results": f"/facilitate/sessions/{sid}/synthesis/results",
                "export_md": f"/organizer/sessions/{sid}/export?format=md",
                "export_csv": f"/organizer/sessions/{sid}/export?format=csv",
            }
            # Until the votes end, not only until cancelled: should a cancellation be lost
            # (see Browser.request), the probe must not fetch pages for ever.
            while self.probing:
                for name, path in pages.items():
                    started = time.monotonic()
                    page = await self.actions.request(browser, name, "GET", path)
                    if page is None:
                        self.errors[name] += 1
                        continue
                    if page.status != 200:
                        self.errors[f"{name} {page.status}"] += 1
                        continue
                    self.ms.setdefault(name, []).append(elapsed_ms(started))
                await asyncio.sleep(PROBE_EVERY)
        finally:
            await browser.close()
