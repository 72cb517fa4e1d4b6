"""A connect/disconnect storm while others vote: no member misses an update.

Two uvicorn workers share a throwaway Redis. Four members keep their sockets open (they
record every broadcast's sequence number and the last tally of each position); six voters
vote over HTTP; meanwhile eight other participants open and drop sockets as fast as they
can, half closing cleanly and half vanishing without a close frame. Every arrival and
departure is itself a numbered presence broadcast, interleaved with the tallies.

Afterwards each member's numbers run without a gap from its first to the group's last,
its last tallies equal the database's, and the presence rows are back to the members.
"""

from __future__ import annotations

import threading
import time

import pytest

from discussions.models import BreakoutGroup, Presence
from tests.deadlines import DEADLINE, wait_until
from tests.faults.helpers import (
    Member,
    Voters,
    database_tallies,
    join_clients,
    make_session,
    post_positions,
)

pytestmark = pytest.mark.django_db(transaction=True)

STORM_SECONDS = 6.0  # at least; and until there were CYCLES and VOTES, however long that takes
CYCLES = 50  # sockets opened and dropped
VOTES = 20  # votes acknowledged meanwhile


def storm(clients, stop: threading.Event, counts: dict) -> None:
    def churn(index, client):
        n = 0
        while not stop.is_set():
            try:
                socket = client.socket()
                if n % 2:
                    socket.close()  # a close frame
                else:
                    socket.sock.close()  # gone without one
                counts["cycles"] += 1
            except (OSError, AssertionError):
                counts["failed"] += 1
            n += 1

    threads = [threading.Thread(target=churn, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    return threads


def test_a_connect_disconnect_storm_while_others_vote_loses_no_update(
    start_uvicorn, throwaway_redis
):
    server = start_uvicorn(workers=2, wait=False, REDIS_URL=throwaway_redis.url)
    session = make_session()
    group = session.groups.order_by("position").first()
    positions = post_positions(session, group.pk, ["One.", "Two.", "Three."])
    ids = [p.pk for p in positions]
    server.wait_until_ready()

    members = [Member(c) for c in join_clients(server, session, group.pk, 4, prefix="Member")]
    voters = Voters(
        clients=join_clients(server, session, group.pk, 6),
        positions=ids,
        group_id=group.pk,
        interval=0.6,
    )
    churners = join_clients(server, session, group.pk, 8, prefix="Churner")
    stop = threading.Event()
    counts = {"cycles": 0, "failed": 0}
    try:
        time.sleep(0.5)
        voters.start()
        started = time.monotonic()
        threads = storm(churners, stop, counts)
        wait_until(
            lambda: (
                time.monotonic() >= started + STORM_SECONDS
                and counts["cycles"] > CYCLES
                and len(voters.acknowledged()) > VOTES
            ),
            f"{CYCLES} connect/disconnect cycles and {VOTES} votes",
        )
        stormed = time.monotonic() - started
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        voters.stop()

        # The departures of sockets that vanished are noticed when the server next
        # writes to them or its ping goes unanswered; wait for the rows to settle.
        member_ids = {m.client.participant_id for m in members}
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            present = set(
                Presence.objects.filter(group=group).values_list("participant_id", flat=True)
            )
            if present == member_ids:
                break
            time.sleep(0.5)

        def last_seq() -> int:
            return BreakoutGroup.objects.get(pk=group.pk).broadcast_seq

        # The last votes' tallies are numbered when their window ends (LIVE_TALLY_WINDOW):
        # read the group's number until it holds still for 0.5 s, and every member has
        # reached it.
        deadline = time.monotonic() + DEADLINE
        last = -1
        while time.monotonic() < deadline:
            seq = last_seq()
            if seq == last and all(max(m.seqs, default=0) >= seq for m in members):
                break
            last = seq
            time.sleep(0.5)
    finally:
        stop.set()
        for member in members:
            member.close()

    acknowledged = voters.acknowledged()
    print(
        f"storm: {counts['cycles']} connect/disconnect cycles ({counts['failed']} refused) in "
        f"{stormed:.1f} s; votes {len(voters.attempts)} sent, {len(acknowledged)} "
        f"acknowledged; group seq {last}; each member received "
        f"{[len(set(m.seqs)) for m in members]} broadcasts"
    )
    assert counts["cycles"] > CYCLES, counts
    assert len(acknowledged) > VOTES
    assert voters.check_database() == []
    assert present == member_ids, f"presence rows left: {present - member_ids}"
    expected = database_tallies(ids)
    for member in members:
        assert member.errors == [] and member.drops == 0, member.errors
        assert member.gaps() == [], f"member {member.client.participant_id} missed {member.gaps()}"
        assert max(member.seqs) >= last  # one late presence event was seen past the read
        assert {pid: member.tallies.get(pid) for pid in ids} == expected
