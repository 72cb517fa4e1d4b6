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
from django.conf import settings
from django.urls import reverse

from discussions.models import Presence
from tests.deadlines import wait_until
from tests.faults.helpers import Member, join_clients, make_session

pytestmark = pytest.mark.django_db(transaction=True)

PING = ["--ws-ping-interval", "1", "--ws-ping-timeout", "1"]


def subscribers(redis, group_id: int) -> int:
    """Server processes subscribed to a room's group (channels-redis's pubsub layer names
    the Redis channel "<prefix>__group__<group>", prefix "asgi")."""
    ((_, count),) = redis.pubsub_numsub(f"asgi__group__room.{group_id}")
    return count


def test_a_quiet_socket_stays_open_and_still_hears_its_room(start_uvicorn, throwaway_redis):
    """Nothing to hear for longer than the channel layer's read timeout on Redis. redis-py's
    5 s default made the list-based layer's consumers crash and close their sockets: every
    idle page reconnected every few seconds (hence settings.CHANNEL_LAYER_READ_TIMEOUT).
    Quiet past that timeout, the socket must still be open and still hear its room: a
    socket merely left open by a subscription that died would hear nothing."""
    server = start_uvicorn(workers=1, wait=False, REDIS_URL=throwaway_redis.url)
    session = make_session()
    group = session.groups.order_by("position").first()
    server.wait_until_ready()
    (client,) = join_clients(server, session, group.pk, 1)
    member = Member(client)  # no heartbeat within the test
    try:
        wait_until(lambda: member.messages, "the presence broadcast")
        time.sleep(settings.CHANNEL_LAYER_READ_TIMEOUT + 2)
        client.request(
            reverse("post_position", args=[group.pk]), {"text": "Still there after the quiet?"}
        )
        wait_until(
            lambda: any("Still there after the quiet?" in m for m in member.messages),
            "the post after the quiet heard on the socket",
        )
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
        wait_until(lambda: Presence.objects.filter(group=group).count() == 2, "2 present")
        assert subscribers(redis, group.pk) == 1  # one process, two sockets
        wait_until(lambda: any("2 online" in m for m in ana.messages), "2 online")

        silent_from = time.monotonic()
        evicted = (
            wait_until(
                lambda: not Presence.objects.filter(participant_id=gone_client.participant_id),
                "the silent socket's Presence row removed",
            )
            - silent_from
        )
        wait_until(lambda: "1 online" in ana.messages[-1], "the room told: 1 online")
        print(f"silent peer evicted {evicted:.1f} s after it stopped answering (ping 1 s + 1 s)")
        assert Presence.objects.filter(participant_id=ana_client.participant_id).count() == 1
        assert ana.errors == [] and ana.drops == 0, "the live socket was dropped too"
        assert subscribers(redis, group.pk) == 1
        ana.close()
        wait_until(lambda: subscribers(redis, group.pk) == 0, "the last socket unsubscribed")
    finally:
        ana.close()
        dead.sock.close()
