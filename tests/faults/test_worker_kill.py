"""A server process is killed (SIGKILL) while a room votes.

Two uvicorn workers share the room through a throwaway Redis. Six HTTP voters vote
steadily; two participants' browsers and the projector screen watch. The worker holding
the most of their sockets is killed outright: no close frames, no disconnect handlers,
whatever it was sending lost.

- The pages on it notice at once (the kernel resets their connections), reconnect to the
  remaining process, and are "Live" again; the supervisor starts a new worker meanwhile.
- Voting goes on. A vote the killed worker was answering gets no answer: it may have been
  written or not. Every vote answered 200 is in the database.
- Afterwards every screen's tallies equal the database's: a page that missed broadcasts
  (its socket was gone, or the dead worker never sent them) catches up.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from playwright.sync_api import expect

from tests.deadlines import DEADLINE, wait_until
from tests.faults.helpers import (
    connection_states,
    database_tallies,
    exited,
    wait_until_screens_match,
    watched_room,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Seconds the drill watches the pages before it takes them all for live again: long enough
# for the pages on the killed worker to see their sockets reset (at once, on a quiet
# machine). Not a bound: a page that sees it later is still checked below.
NOTICE = 1.0
AFTER = 5  # votes sent once every page is live again that must go through

# Since `since` (performance.now() on the page's own clock): did the page leave "live", is it
# live now, and when did it last become live.
SINCE = """since => {
    const after = window.__states.filter(([, at]) => at >= since);
    const live = after.filter(([state]) => state === "live");
    return {dropped: after.some(([state]) => state !== "live"),
            live: window.__states[window.__states.length - 1][0] === "live",
            at: live.length ? live[live.length - 1][1] : null};
}"""


def page_sockets(server) -> dict[int, int]:
    """{worker pid: connections it holds}, the fewest of a few looks so that votes in flight
    do not count: the pages' sockets, and maybe a connection the browser opened ahead of
    need (no request on it yet, so the keep-alive timeout does not close it)."""
    looks = []
    for _ in range(5):
        looks.append(server.sockets_by_worker())
        time.sleep(0.1)
    return {pid: min(look.get(pid, 0) for look in looks) for pid in looks[0]}


def test_a_killed_worker_s_pages_reconnect_to_the_other_and_every_screen_catches_up(
    throwaway_redis, start_uvicorn, new_page
):
    # Idle keep-alive connections close after 1 s (5 s by default): then the connections a
    # worker holds are the pages' sockets, and votes in flight.
    server = start_uvicorn(
        workers=2,
        wait=False,
        options=["--timeout-keep-alive", "1"],
        REDIS_URL=throwaway_redis.url,
    )
    room = watched_room(server, new_page, watchers=2)
    ids, pages, voters = room.position_ids, room.pages, room.voters
    voters.start()
    try:
        voters.wait_for_acknowledged(5)  # the voting got going
        before = len(voters.acknowledged())
        sockets = page_sockets(server)
        victim = max(sockets, key=sockets.get)
        page_clocks = {name: page.evaluate("performance.now()") for name, page in pages.items()}
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        # From then on no connection is the killed worker's: every request sent later reaches
        # a live one.
        dead = wait_until(lambda: exited(victim), f"worker {victim} gone after SIGKILL")

        # The pages on the killed worker drop at once (the kernel resets their sockets), then
        # come back; the others never leave "Live".
        deadline = killed + DEADLINE
        while True:
            seen = {name: page.evaluate(SINCE, page_clocks[name]) for name, page in pages.items()}
            dropped = [name for name, s in seen.items() if s["dropped"]]
            noticed = time.monotonic() > killed + NOTICE
            if noticed and dropped and all(s["live"] for s in seen.values()):
                break
            assert time.monotonic() < deadline, (
                f"{DEADLINE:.0f} s after the kill: pages that dropped {dropped}, "
                f"states {[connection_states(p) for p in pages.values()]}"
            )
            time.sleep(0.1)
        reconnected = {name: (seen[name]["at"] - page_clocks[name]) / 1000 for name in dropped}
        live_again = time.monotonic()
        voters.wait_for_acknowledged(AFTER, since=live_again)  # voting goes on
    finally:
        voters.stop()

    acknowledged, failed = voters.acknowledged(), voters.failed()
    restarted = [pid for pid in server.worker_pids() if pid not in sockets]
    print(
        f"killed worker {victim} (connections by worker: {sockets}); {len(dropped)} of "
        f"{len(pages)} pages had their socket on it, back live after "
        f"{', '.join(f'{name} {s:.1f} s' for name, s in reconnected.items())}; supervisor "
        f"started {len(restarted)} new worker(s); votes: {len(voters.attempts)} sent, "
        f"{len(acknowledged)} acknowledged ({before} before the kill), {len(failed)} unanswered "
        f"or refused ({sorted({str(a.status) for a in failed})})"
    )
    assert before >= 5, "the voting did not get going before the kill"
    assert [a for a in acknowledged if a.started > dead], "no vote went through afterwards"
    for attempt in failed:  # only what the killed worker was answering when it died
        assert not isinstance(attempt.status, int), attempt
        assert attempt.started < dead and attempt.answered >= killed, attempt
    assert voters.check_database() == []

    took = wait_until_screens_match(pages, ids)
    print(f"every screen showed the database's tallies {took:.1f} s after voting stopped")
    print(f"final tallies: {database_tallies(ids)}")
    for name, page in pages.items():
        expect(page.locator("#connection"), name).to_have_text("Live")
