"""Every request a rehearsal makes, timed and recorded by kind of action ("join", "vote",
"export_md" ...): what the scenario reports, and the plain run too."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from rehearsal.client import Browser, HttpError, Response
from rehearsal.stats import ActionLog, elapsed_ms

if TYPE_CHECKING:
    from rehearsal.members import Member


class Actions:
    """The answers by kind of action (`logs`), and the participants' failures (`errors`,
    reported as http_errors). `refusal(kind, answer)` says why an answer other than the
    expected one is a refusal the run caused by design, or "" for a failure."""

    def __init__(self, refusal: Callable[[str, Response], str]) -> None:
        self.logs: dict[str, ActionLog] = {}
        self.errors: Counter[str] = Counter()
        self.refusal = refusal

    def log(self, kind: str) -> ActionLog:
        log = self.logs.get(kind)
        if log is None:
            log = self.logs[kind] = ActionLog()
        return log

    def figures(self) -> dict:
        return {kind: log.figures() for kind, log in sorted(self.logs.items())}

    async def http(
        self, member: Member, method: str, path: str, form=None, **kwargs
    ) -> Response | None:
        """A participant's request: its failures (>= 400, or no answer) counted in
        `http_errors` too."""
        return await self.request(
            member.browser, kwargs.pop("kind", ""), method, path, form, errors=self.errors, **kwargs
        )

    async def request(
        self,
        browser: Browser,
        kind: str,
        method: str,
        path: str,
        form=None,
        *,
        expect: int = 200,
        errors: Counter[str] | None = None,
        refusal: Callable[[Response], str] | None = None,
        **kwargs,
    ) -> Response | None:
        """One request, timed and recorded under `kind` (unless empty); None without an
        answer. `errors`, if given, counts answers >= 400 and requests without one;
        `refusal`, if given, says why an unexpected answer is a refusal by design ("" if not),
        instead of the run's."""
        started = time.monotonic()
        try:
            answer = await browser.request(method, path, form, **kwargs)
        except (HttpError, TimeoutError) as error:
            failure = "timeout" if isinstance(error, TimeoutError) else "connection"
            if errors is not None:
                errors[failure] += 1
            if kind:
                self.log(kind).add(failure, elapsed_ms(started), failed=True)
            return None
        if errors is not None and answer.status >= 400:
            errors[str(answer.status)] += 1
        if kind:
            ok = answer.status == expect
            refused = "" if ok else (refusal or partial(self.refusal, kind))(answer)
            self.log(kind).add(
                str(answer.status), elapsed_ms(started), failed=not ok, refused=refused
            )
        return answer

    async def login(self, browser: Browser, facilitator: tuple[str, str]) -> bool:
        """Log `browser` in as the facilitator, as the login form does."""
        user, password = facilitator
        await self.request(browser, "login_form", "GET", "/accounts/login/")
        answer = await self.request(
            browser,
            "login",
            "POST",
            "/accounts/login/",
            {"username": user, "password": password},
            referer="/accounts/login/",
            expect=302,
        )
        return answer is not None and answer.status == 302
