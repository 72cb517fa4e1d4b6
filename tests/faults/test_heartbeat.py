"""Sockets that die without a close frame, and servers that die with sockets open.

- A peer that stops answering (it completed the handshake, then never reads: a laptop
  that vanished from the network) is closed by uvicorn's WebSocket ping; the consumer's
  disconnect runs, so its Presence row goes, the room hears the new count, and it leaves
  the room's group.
- Group membership is bounded: with the publish/subscribe channel layer, Redis holds one
  subscription per server process and room, taken with the first socket and released with
  the last (a killed process's go with its connection); the sockets themselves are listed
  only in their own process.

Short intervals here (pings every second) stand for production's 20 s ping.
"""

from __future__ import annotations

import time

import pytest

from discussions.models import Presence
from tests.deadlines import DEADLINE
from tests.faults.helpers import Member, join_clients, make_session

pytestmark = pytest.mark.django_db(transaction=True)

PING = ["--ws-ping-interval", "1", "--ws-ping-timeout", "1"]


def subscribers(redis, group_id: int) -> int:
    """Server processes subscribed to a room's group (channels-redis's pubsub layer names
    the Redis channel "<prefix>__group__<group>", prefix "asgi")."""
    ((_, count),) = redis.pubsub_numsub(f"asgi__group__room.{group_id}")
    return count


def wait_for(predicate, what: str) -> float:
    """Poll until `predicate()` holds; return how long it took. Only "never" fails (see
    tests/deadlines.py)."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > DEADLINE:
            pytest.fail(f"not within {DEADLINE:.0f} s: {what}")
        time.sleep(0.1)
    return time.monotonic() - started


def test_a_quiet_socket_stays_open(start_uvicorn, throwaway_redis):
    """Nothing to hear for longer than the consumer's 5-second wait on Redis. redis-py 8
    gave up reading after 5 s, the consumer crashed and the socket closed: every idle
    page reconnected every few seconds (fixed with the channel layer's socket_timeout)."""
    server = start_uvicorn(workers=1, wait=False, REDIS_URL=throwaway_redis.url)
    session = make_session()
    group = session.groups.order_by("position").first()
    server.wait_until_ready()
    (client,) = join_clients(server, session, group.pk, 1)
    member = Member(client)  # no heartbeat within the test
    try:
        wait_for(lambda: member.messages, "the presence broadcast")
        time.sleep(8)
        assert member.drops == 0, member.errors
        assert subscribers(throwaway_redis.client(), group.pk) == 1
    finally:
        member.close()


def test_a_peer_that_stops_answering_is_evicted_by_the_ping(start_uvicorn, throwaway_redis):
    server = start_uvicorn(workers=1, options=PING, wait=False, REDIS_URL=throwaway_redis.url)
    session = make_session()
    group = session.groups.order_by("position").first()
    server.wait_until_ready()
    ana_client, gone_client = join_clients(server, session, group.pk, 2)
    redis = throwaway_redis.client()

    ana = Member(ana_client)
    dead = gone_client.socket()  # handshake done; from now on it never reads nor answers
    try:
        wait_for(lambda: Presence.objects.filter(group=group).count() == 2, "2 present")
        assert subscribers(redis, group.pk) == 1  # one process, two sockets
        wait_for(lambda: any("2 online" in m for m in ana.messages), "2 online")

        evicted = wait_for(
            lambda: not Presence.objects.filter(participant_id=gone_client.participant_id),
            "the silent socket's Presence row removed",
        )
        wait_for(lambda: "1 online" in ana.messages[-1], "the room told: 1 online")
        print(f"silent peer evicted {evicted:.1f} s after it stopped answering (ping 1 s + 1 s)")
        assert Presence.objects.filter(participant_id=ana_client.participant_id).count() == 1
        assert ana.errors == [] and ana.drops == 0, "the live socket was dropped too"
        assert subscribers(redis, group.pk) == 1
        ana.close()
        wait_for(lambda: subscribers(redis, group.pk) == 0, "the last socket unsubscribed")
    finally:
        ana.close()
        dead.sock.close()
