"""Redis dies and comes back (empty) while a room votes.

Two uvicorn workers share the room through a throwaway Redis. Six HTTP voters vote
steadily; three participants' browsers and the projector screen watch. Redis is killed
(SIGKILL; it keeps no snapshot, so its groups and rate-limit counters are gone) and
started again on the same port.

- Every vote answered 200 is in the database (votes refused during the outage are not).
  The rate-limit counters live in Redis too: while it is away they let votes through.
- The sockets stay open (the publish/subscribe channel layer resubscribes by itself);
  broadcasts sent while Redis was away are lost, and each page sees the gap in the numbers
  at the next broadcast (or heartbeat) and re-fetches.
- Afterwards every screen's tallies equal the database's.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.deadlines import DEADLINE_MS
from tests.faults.helpers import (
    connection_states,
    database_tallies,
    wait_until_screens_match,
    watched_room,
)

pytestmark = pytest.mark.django_db(transaction=True)

OUTAGE = 2.0  # seconds Redis is down
AFTER = 5  # votes sent after Redis returned that must go through


def test_a_redis_restart_loses_no_acknowledged_vote_and_every_screen_catches_up(
    start_uvicorn, throwaway_redis, new_page
):
    server = start_uvicorn(workers=2, wait=False, REDIS_URL=throwaway_redis.url)
    room = watched_room(server, new_page, watchers=3)
    ids, pages, voters = room.position_ids, room.pages, room.voters
    voters.start()
    try:
        voters.wait_for_acknowledged(5)  # the voting got going
        before = len(voters.acknowledged())
        killed = time.monotonic()
        throwaway_redis.stop(kill=True)
        time.sleep(OUTAGE - (time.monotonic() - killed))
        throwaway_redis.start()
        back = time.monotonic()
        for name, page in pages.items():
            expect(page.locator("#connection"), name).to_have_text("Live", timeout=DEADLINE_MS)
        reconnected = time.monotonic() - back
        voters.wait_for_acknowledged(AFTER, since=back)  # voting goes on through the new Redis
    finally:
        voters.stop()

    acknowledged, failed = voters.acknowledged(), voters.failed()
    during = [a for a in voters.attempts if killed <= a.started < back]
    print(
        f"votes: {len(voters.attempts)} sent, {len(acknowledged)} acknowledged "
        f"({before} before the outage), {len(failed)} refused "
        f"({sorted({str(a.status) for a in failed})}); {len(during)} sent during the outage; "
        f"every page live again {reconnected:.1f} s after Redis returned"
    )
    assert before >= 5, "the voting did not get going before the outage"
    assert [a for a in acknowledged if a.started > back], "no vote went through afterwards"
    assert voters.check_database() == []

    took = wait_until_screens_match(pages, ids)
    print(f"every screen showed the database's tallies {took:.1f} s after voting stopped")
    print(f"final tallies: {database_tallies(ids)}")
    for name, page in pages.items():
        states = connection_states(page)
        assert states[-1] == "live", (name, states)
