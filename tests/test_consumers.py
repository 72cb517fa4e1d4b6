"""The room's WebSocket, through the whole ASGI stack: origin check, session cookie, consumer."""

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import pytest_asyncio
from channels.db import DatabaseSyncToAsync, database_sync_to_async
from channels.layers import get_channel_layer
from django.db import DatabaseError, connections
from django.test import Client
from django.utils import timezone
from django.utils.translation import override

from conference.asgi import application
from discussions import identity, live, services
from discussions.live import fanout, presence
from discussions.live.consumers import RoomConsumer
from discussions.live.votes import Answer
from discussions.models import BreakoutGroup, Participant, Presence
from discussions.queries import VOTE_BUTTONS
from tests.deadlines import DEADLINE
from tests.factories import client_for, join_through_the_page, make_position, make_room
from tests.layers import group_members
from tests.sockets import WebsocketCommunicator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = (b"origin", b"http://127.0.0.1")
# For what must arrive, over a network hop with the Redis layer (see tests/deadlines.py).
WAIT = DEADLINE


@pytest_asyncio.fixture(autouse=True)
async def close_the_consumers_connection():
    """The consumers' database calls share one worker thread; its connection must not
    outlive the test (PostgreSQL refuses to drop a test database someone is still using)."""
    yield
    await database_sync_to_async(connections.close_all)()


@dataclass
class Members:
    group_id: int
    other_group_id: int
    ada: Participant
    ben: Participant
    cleo: Participant
    cookies: dict[str, str]


@pytest.fixture
def members(published_paper) -> Members:
    """Ada joined through the join page; Ben and Cleo's browsers were given their cookies."""
    room = make_room(published_paper)
    browser = Client()
    ada = join_through_the_page(browser, room.session, "Ada Page", room.group)
    cookies = {"ada": browser.cookies[identity.COOKIE].value}
    for name in ("ben", "cleo"):
        cookies[name] = client_for(getattr(room, name)).cookies[identity.COOKIE].value
    return Members(room.group.pk, room.other_group.pk, ada, room.ben, room.cleo, cookies)


def socket(group_id: int, cookie: str | None = None, origin=ORIGIN) -> WebsocketCommunicator:
    headers = [origin] if origin else []
    if cookie:
        headers.append((b"cookie", f"{identity.COOKIE}={cookie}".encode()))
    return WebsocketCommunicator(application, f"/ws/rooms/{group_id}/", headers=headers)


async def connected(group_id: int, cookie: str) -> WebsocketCommunicator:
    """An open socket whose own arrival broadcast has been read."""
    communicator = socket(group_id, cookie)
    ok, _ = await communicator.connect(WAIT)
    assert ok
    assert "online" in await communicator.receive_from(WAIT)
    return communicator


def online_in(html: str) -> int:
    match = re.search(r'<span id="presence"[^>]*>(\d+) online</span>', html)
    assert match, html
    return int(match.group(1))


def seq_in(html: str) -> int:
    match = re.search(r'id="room-seq"[^>]*data-seq="(\d+)"', html)
    assert match, html
    return int(match.group(1))


async def room_sockets_of(group_id: int) -> int:
    """How many of the room's sockets this process (the test's event loop) writes to."""
    rooms = fanout.room_sockets(get_channel_layer())
    return len(rooms.rooms.get(live.room_channel_group(group_id), ()))


post = database_sync_to_async(services.post_position)
presences = database_sync_to_async(lambda **kw: list(Presence.objects.filter(**kw)))


async def presences_once(count: int, **kw) -> list[Presence]:
    """The rows, once there are `count` of them (or WAIT has passed): a socket counts itself
    in just after its handshake, in a database thread of its own."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while len(rows := await presences(**kw)) != count:
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.02)
    return rows


async def test_member_receives_what_another_member_posts(members):
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        await post(participant=members.ben, text="Burden <sharing> matters")
        html = await ada.receive_from(WAIT)
        assert "Burden &lt;sharing&gt; matters" in html
        assert seq_in(html) >= 2  # Ada's own arrival took a number first
        await ada.receive_nothing()
    finally:
        await ada.disconnect()


@pytest.mark.parametrize("who", ["cleo", "anonymous", "stale cookie", "missing group"])
async def test_sockets_of_non_members_are_refused_at_the_handshake(members, who):
    group_id = members.group_id
    cookie = {"cleo": members.cookies["cleo"], "stale cookie": "not-a-session-key"}.get(who)
    if who == "missing group":
        group_id, cookie = 10**9, members.cookies["ada"]
    room_group = live.room_channel_group(group_id)
    # Compared with before, not with empty: a shared Redis may keep names from other runs.
    listening = await group_members(room_group)
    communicator = socket(group_id, cookie)
    try:
        assert await communicator.connect(WAIT) == (False, 4403)
    finally:
        await communicator.disconnect()
    assert await presences() == []
    assert await group_members(room_group) == listening


@pytest.mark.parametrize(
    "origin", [(b"origin", b"http://evil.example"), (b"origin", b"null"), None]
)
async def test_sockets_from_a_foreign_or_no_origin_are_refused(members, origin):
    communicator = socket(members.group_id, members.cookies["ada"], origin=origin)
    try:
        ok, _code = await communicator.connect(WAIT)
        assert ok is False
    finally:
        await communicator.disconnect()
    assert await presences() == []


@pytest.mark.parametrize(
    ("frame", "notice"),
    [
        ("not json", "could not read"),
        ("[1, 2]", "could not read"),
        ('"ping"', "could not read"),
        (json.dumps({"type": "ping", "pad": "x" * 1100}), "could not read"),
        (json.dumps({"type": "vote", "choice": "agree"}), "could not read a vote"),
        (json.dumps({"type": "post", "text": "Hello"}), "Unknown message"),
        (b"\x00\x01", "could not read"),
    ],
)
async def test_a_malformed_frame_gets_a_notice_and_the_socket_keeps_working(members, frame, notice):
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        if isinstance(frame, bytes):
            await ada.send_to(bytes_data=frame)
        else:
            await ada.send_to(text_data=frame)
        answer = await ada.receive_from(WAIT)
        assert 'id="live-notice"' in answer
        assert notice in answer
        # Still open: a heartbeat is taken (quietly), and broadcasts still arrive.
        a_minute_ago = timezone.now() - timedelta(seconds=60)
        await database_sync_to_async(Presence.objects.update)(last_seen=a_minute_ago)
        pinged = timezone.now()
        await ada.send_json_to({"type": "ping"})
        assert 'id="room-latest"' in await ada.receive_from(WAIT)
        await presence.seen_sockets().write()
        (row,) = await presences(participant=members.ada)
        assert row.last_seen >= pinged
        await post(participant=members.ben, text="Still listening?")
        assert "Still listening?" in await ada.receive_from(WAIT)
    finally:
        await ada.disconnect()


async def test_a_heartbeat_after_the_presence_row_expired_counts_the_socket_again(members):
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        await database_sync_to_async(Presence.objects.all().delete)()
        await ada.send_json_to({"type": "ping"})
        assert 'id="room-latest"' in await ada.receive_from(WAIT)
        await presence.seen_sockets().write()
        (row,) = await presences()
        assert (row.participant_id, row.group_id) == (members.ada.pk, members.group_id)
    finally:
        await ada.disconnect()
    assert await presences() == []


@pytest.mark.parametrize(
    "frame", [{"type": "ping"}, {"type": "vote"}, {"type": "vote", "id": "", "choice": "agree"}]
)
async def test_a_member_moved_out_of_the_group_is_closed_on_the_next_message(members, frame):
    """A heartbeat, or a vote too unreadable to reach the vote writer (which checks its
    votes' members itself): closed, not answered."""
    ada = await connected(members.group_id, members.cookies["ada"])
    (presence,) = await presences(participant=members.ada)
    try:
        await database_sync_to_async(Participant.objects.filter(pk=members.ada.pk).update)(
            group=members.other_group_id
        )
        await ada.send_json_to(frame)
        assert await ada.receive_output(WAIT) == {"type": "websocket.close", "code": 4403}
    finally:
        await ada.disconnect()
    assert await presences() == []
    assert await room_sockets_of(members.group_id) == 0
    assert presence.channel_name not in await group_members(
        live.participant_channel_group(members.ada.pk)
    )


@pytest.mark.parametrize("closed_by", ["a heartbeat", "a vote's answer"])
async def test_a_move_notice_for_a_socket_already_closing_is_dropped_quietly(closed_by):
    """A participant moved (or removed) just as their socket was being closed: a heartbeat or
    a vote's answer found them away first. uvicorn refuses every send after the close, and
    the move's notice and second close ended the consumer with an error (the scenario
    rehearsal's server log)."""
    sent: list[dict] = []

    async def uvicorn_send(message: dict) -> None:
        if any(m["type"] == "websocket.close" for m in sent):
            raise RuntimeError(
                f"Unexpected ASGI message '{message['type']}', after sending 'websocket.close'."
            )
        sent.append(message)

    consumer = RoomConsumer()
    consumer.base_send = uvicorn_send
    consumer.outbox = fanout.Outbox(uvicorn_send)
    consumer.outbox.open()
    if closed_by == "a heartbeat":
        await consumer.close(code=4403)
    else:
        consumer.answer_vote(Answer('<div id="vote-answer" data-status="away"></div>', away=True))
        await asyncio.sleep(0)  # the answer's close, in a task of its own

    await consumer.participant_away({"type": "participant.away", "url": "/join/"})
    await asyncio.sleep(0)
    assert sent[-1] == {"type": "websocket.close", "code": 4403}
    assert [m["type"] for m in sent].count("websocket.close") == 1


async def test_presence_counts_participants_not_sockets_and_goes_with_the_socket(members):
    ada = await connected(members.group_id, members.cookies["ada"])
    ben = await connected(members.group_id, members.cookies["ben"])
    try:
        assert online_in(await ada.receive_from(WAIT)) == 2
        assert {p.participant_id for p in await presences()} == {members.ada.pk, members.ben.pk}

        # Ben opens a second tab: a second row, but the count is unchanged, so no broadcast.
        second_tab = socket(members.group_id, members.cookies["ben"])
        assert (await second_tab.connect(WAIT))[0]
        assert len(await presences_once(2, participant=members.ben)) == 2
        await ada.receive_nothing(0.3)
        await second_tab.disconnect()
        assert len(await presences(participant=members.ben)) == 1
        await ada.receive_nothing(0.3)

        await ben.disconnect()
        html = await ada.receive_from(WAIT)
        assert online_in(html) == 1
        assert await presences(participant=members.ben) == []
    finally:
        await ada.disconnect()
        await ben.disconnect()
    assert await presences() == []


async def test_a_closed_socket_leaves_the_room_group_and_gets_no_more_broadcasts(members):
    room_group = live.room_channel_group(members.group_id)
    ada = await connected(members.group_id, members.cookies["ada"])
    ben = await connected(members.group_id, members.cookies["ben"])
    (ada_presence,) = await presences(participant=members.ada)
    # The process listens to the room once, on its own channel, for both sockets.
    process_channel = fanout.room_sockets(get_channel_layer()).channel
    assert process_channel in await group_members(room_group)
    assert await room_sockets_of(members.group_id) == 2
    await ada.receive_from(WAIT)  # Ben's arrival
    await ada.disconnect()
    try:
        assert await room_sockets_of(members.group_id) == 1
        assert ada_presence.channel_name not in await group_members(
            live.participant_channel_group(members.ada.pk)
        )
        assert online_in(await ben.receive_from(WAIT)) == 1
        await post(participant=members.ben, text="Only Ben hears this")
        assert "Only Ben hears this" in await ben.receive_from(WAIT)
    finally:
        await ben.disconnect()
    # With the room's last socket, the process stops listening to it.
    assert await room_sockets_of(members.group_id) == 0
    assert process_channel not in await group_members(room_group)


async def test_sockets_of_one_group_do_not_hear_another_group(members):
    ada = await connected(members.group_id, members.cookies["ada"])
    cleo = await connected(members.other_group_id, members.cookies["cleo"])
    try:
        await post(participant=members.cleo, text="Group two only")
        assert "Group two only" in await cleo.receive_from(WAIT)
        await ada.receive_nothing(0.3)
    finally:
        await ada.disconnect()
        await cleo.disconnect()


async def test_a_heartbeat_is_answered_with_the_rooms_latest_broadcast_number(members):
    """A page that missed broadcasts (Redis restarting drops them) learns it at its next
    heartbeat, even when nothing else is said in the room, and re-fetches."""
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        await database_sync_to_async(BreakoutGroup.objects.filter(pk=members.group_id).update)(
            broadcast_seq=41
        )  # as if broadcasts had been sent and lost
        await ada.send_json_to({"type": "ping"})
        answer = await ada.receive_from(WAIT)
        assert re.search(r'id="room-latest"[^>]*data-latest="41"', answer), answer
    finally:
        await ada.disconnect()


async def test_a_broadcast_reaches_the_socket_without_a_hop_to_the_synchronous_thread(
    members, monkeypatch
):
    """Channels' own dispatch closes stale connections on the process's one synchronous
    thread before every message; for the broadcasts to thousands of sockets that hop was a
    measurable share of a server process's time (docs/capacity.md, "Broadcasts straight to
    the socket"). Ours go straight to the handler."""
    hops = []

    async def close_old_connections_on_the_sync_thread():
        hops.append(1)

    monkeypatch.setattr(
        "channels.consumer.aclose_old_connections", close_old_connections_on_the_sync_thread
    )
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        await post(participant=members.ben, text="Straight through")
        assert "Straight through" in await ada.receive_from(WAIT)
        await ada.send_json_to({"type": "ping"})
        assert "room-latest" in await ada.receive_from(WAIT)
    finally:
        await ada.disconnect()
    assert hops == []


async def test_heartbeats_are_one_database_trip_each_and_marked_seen_together(members, monkeypatch):
    """2,000 sockets send 80 heartbeats a second: each is one trip to a database thread (the
    membership check), and the process writes the sockets it heard from in one go, SEEN_EVERY
    seconds later."""
    monkeypatch.setattr(presence, "SEEN_EVERY", 0.2)
    ada = await connected(members.group_id, members.cookies["ada"])
    ben = await connected(members.group_id, members.cookies["ben"])
    await ada.receive_from(WAIT)  # Ben's arrival
    trips = []
    real_thread_handler = DatabaseSyncToAsync.thread_handler

    def counted(self, *args, **kwargs):
        trips.append(1)
        return real_thread_handler(self, *args, **kwargs)

    try:
        an_hour_ago = timezone.now() - timedelta(hours=1)
        await database_sync_to_async(Presence.objects.update)(last_seen=an_hour_ago)
        monkeypatch.setattr(DatabaseSyncToAsync, "thread_handler", counted)
        pinged = timezone.now()
        for browser in (ada, ben):
            await browser.send_json_to({"type": "ping"})
            assert 'id="room-latest"' in await browser.receive_from(WAIT)
        assert len(trips) == 2
        assert {row.last_seen for row in await presences()} == {an_hour_ago}
        trips.clear()
        # Until the write SEEN_EVERY later has been made and nothing waits to be written
        # (however long a loaded machine takes to run it).
        seen, loop = presence.seen_sockets(), asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while not trips or seen.timer or seen.writes or seen.noted:
            assert loop.time() < deadline, "the heartbeats were never written"
            await asyncio.sleep(0.02)
        assert len(trips) == 1  # both sockets' rows, in one write
        monkeypatch.undo()
        rows = await presences()
        assert len(rows) == 2
        assert all(row.last_seen >= pinged for row in rows)
    finally:
        await ada.disconnect()
        await ben.disconnect()


async def test_a_socket_that_leaves_after_its_heartbeat_is_not_brought_back_by_the_write(
    members,
):
    ada = await connected(members.group_id, members.cookies["ada"])
    await database_sync_to_async(Presence.objects.all().delete)()  # as if expired
    await ada.send_json_to({"type": "ping"})
    assert 'id="room-latest"' in await ada.receive_from(WAIT)
    await ada.disconnect()
    await presence.seen_sockets().write()
    assert await presences() == []


async def test_a_socket_leaving_during_a_write_that_includes_it_waits_for_that_write(
    members, monkeypatch
):
    """Else the write, re-creating a row gone meanwhile, would bring back the row the socket
    removes as it leaves: a ghost counted online for 75 s."""
    ada = await connected(members.group_id, members.cookies["ada"])
    await database_sync_to_async(Presence.objects.all().delete)()  # as if expired
    await ada.send_json_to({"type": "ping"})
    assert 'id="room-latest"' in await ada.receive_from(WAIT)
    mark_seen = presence._mark_seen

    async def slow_mark_seen(noted):
        await asyncio.sleep(0.3)
        await mark_seen(noted)

    monkeypatch.setattr(presence, "_mark_seen", slow_mark_seen)
    seen = presence.seen_sockets()
    writing = asyncio.create_task(seen.write())
    await asyncio.sleep(0.05)
    assert seen.writing  # the write is under way, Ada's socket in it
    await ada.disconnect()
    await writing
    assert await presences() == []


async def test_heartbeats_that_cannot_be_written_are_logged_and_change_nothing(
    members, monkeypatch, caplog
):
    ada = await connected(members.group_id, members.cookies["ada"])
    try:

        def database_away(*args, **kwargs):
            raise DatabaseError("connection refused")

        monkeypatch.setattr(Presence.objects, "filter", database_away)
        await ada.send_json_to({"type": "ping"})
        assert 'id="room-latest"' in await ada.receive_from(WAIT)
        await presence.seen_sockets().write()
        assert "Could not mark 1 sockets as seen" in caplog.text
        monkeypatch.undo()
        # The socket goes on: its next heartbeat is answered and written.
        await ada.send_json_to({"type": "ping"})
        assert 'id="room-latest"' in await ada.receive_from(WAIT)
    finally:
        await ada.disconnect()


async def test_each_socket_hears_the_rooms_broadcasts_in_its_pages_language(members):
    """A room's broadcast is rendered once in each language its pages speak, and each socket
    is sent its own: Ada chose French (the switcher's cookie), Ben's browser asks for
    Arabic."""
    ada_cookies = f"{identity.COOKIE}={members.cookies['ada']}; django_language=fr"
    ben_cookie = f"{identity.COOKIE}={members.cookies['ben']}"
    sockets = {
        "ada": WebsocketCommunicator(
            application,
            f"/ws/rooms/{members.group_id}/",
            headers=[ORIGIN, (b"cookie", ada_cookies.encode())],
        ),
        "ben": WebsocketCommunicator(
            application,
            f"/ws/rooms/{members.group_id}/",
            headers=[
                ORIGIN,
                (b"cookie", ben_cookie.encode()),
                (b"accept-language", b"de-DE,ar-EG;q=0.9,en;q=0.5"),
            ],
        ),
    }
    try:
        for communicator in sockets.values():
            assert (await communicator.connect(WAIT))[0]
        group = await database_sync_to_async(BreakoutGroup.objects.get)(pk=members.group_id)
        assert sorted(group.languages.split()) == ["ar", "fr"]
        probe = await database_sync_to_async(make_position)(members.ben, "A probe")
        await database_sync_to_async(live.publish)(members.group_id, live.position_added(probe.pk))
        for name, language in (("ada", "fr"), ("ben", "ar")):
            heard = ""
            while "A probe" not in heard:
                heard = await sockets[name].receive_from(WAIT)
            with override(language):
                assert str(VOTE_BUTTONS[0][1]) in heard, (name, heard)
            assert "Agree" not in heard, (name, heard)
    finally:
        for communicator in sockets.values():
            await communicator.disconnect()
