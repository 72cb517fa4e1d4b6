"""The sockets under arbitrary frames, foreign origins and replayed cookies.

Fuzzing (hypothesis) of the room, console and screen consumers through the whole ASGI stack:
whatever text or bytes arrive, the consumer does not crash, the database does not change,
and the socket answers with a notice or stays silent; membership is still checked.
"""

import asyncio
import json
import logging

import pytest
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from django.apps import apps
from django.db import connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conference.asgi import application
from discussions import live
from discussions.live.consumers import MAX_FRAME
from discussions.models import FacilitatorAssignment, Participant, Presence, Session
from discussions.origin import logged_allowed_hosts_origin_validator
from discussions.routing import websocket_urlpatterns
from tests.deadlines import DEADLINE
from tests.factories import client_for, make_room
from tests.sockets import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")
WAIT = DEADLINE  # for what must arrive: see tests/deadlines.py
PROBE = "not json"  # answered with a notice: marks the end of a frame's answer
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- Frames --------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
message_types = st.sampled_from(["ping", "PING", "pong", "vote", "post", "resync", "close", ""])
messages = st.fixed_dictionaries(
    {"type": message_types | st.text(max_size=10) | json_values},
    optional={"choice": json_values, "text": json_values, "position": json_values},
)
frames = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200),
    messages.map(json.dumps),
    json_values.map(json.dumps),
    # Heartbeats either side of the size limit.
    st.integers(MAX_FRAME - 40, MAX_FRAME + 40).map(
        lambda n: json.dumps({"type": "ping", "pad": "x" * n})
    ),
    st.sampled_from(["x" * 100_000, b"\x00" * 70_000, '{"type": "ping"' * 50, "\x00", "\ufeff{}"]),
)


def is_heartbeat(frame: str | bytes) -> bool:
    """The one frame the consumers take quietly: a small JSON object of type "ping"."""
    if not isinstance(frame, str) or len(frame) > MAX_FRAME:
        return False
    try:
        message = json.loads(frame)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("type") == "ping"


async def send(communicator: WebsocketCommunicator, frame: str | bytes) -> None:
    if isinstance(frame, bytes):
        await communicator.send_input({"type": "websocket.receive", "bytes": frame})
    else:
        await communicator.send_input({"type": "websocket.receive", "text": frame})


# --- The cast ------------------------------------------------------------------------------------


def cookie_of(client: Client) -> str:
    """The browser's Cookie header: a participant's identity, a facilitator's session."""
    return "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())


@pytest.fixture
def cast(published_paper, django_user_model):
    room = make_room(published_paper)
    fay = django_user_model.objects.create_user(username="fay", password="x" * 12)
    assignment = FacilitatorAssignment.objects.create(session=room.session, user=fay)
    assignment.groups.set([room.group])
    facilitator = Client()
    facilitator.force_login(fay)
    room.cookies = {
        "ada": cookie_of(client_for(room.ada)),
        "cleo": cookie_of(client_for(room.cleo)),
        "fay": cookie_of(facilitator),
    }
    room.assignment = assignment
    return room


def socket(path: str, cookie: str | None = None, origin=ORIGIN, app=application):
    headers = [origin] if origin else []
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(app, path, headers=headers)


# The paper's own rows are left out (no socket reaches them, and they are most of the rows).
PAPER_MODELS = {"Paper", "Section", "Question", "Prompt"}


def snapshot() -> dict[str, list[dict]]:
    """Every row of the session the app keeps; of a socket's presence, all but its heartbeat."""
    rows = {}
    for model in apps.get_app_config("discussions").get_models():
        if model.__name__ in PAPER_MODELS:
            continue
        values = list(model.objects.order_by("pk").values())
        if model is Presence:
            values = [{k: v for k, v in row.items() if k != "last_seen"} for row in values]
        rows[model._meta.label] = values
    return rows


@pytest.fixture
def loop():
    """One event loop for all of a fuzz test's examples (hypothesis drives them from sync
    code); the consumers' database thread lets go of its connection at the end."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(database_sync_to_async(connections.close_all)())
    loop.close()


async def settled(communicator, participant) -> None:
    """Wait until the socket is counted in and the group's announcements are all out, then
    read them: what the socket receives next is the test's. Arrivals and departures (this
    example's and the one before's) are numbered and sent in the background, combined per
    group, so one could otherwise land after the test's snapshot, or between a frame and its
    answer."""
    while ">1 online<" not in await communicator.receive_from(WAIT):
        pass
    # Only this socket's presence left: the arrival is written, its announcement scheduled
    # (a moment after the row, on the loop) and the previous socket's departure done.
    rows = database_sync_to_async(Presence.objects.filter(participant=participant).count)
    while await rows() != 1:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)
    while live.room_changes.flushes:
        await asyncio.gather(*live.room_changes.flushes, return_exceptions=True)
    while not await communicator.receive_nothing(0.1):
        await communicator.receive_from(WAIT)


# --- Fuzz ----------------------------------------------------------------------------------------


def test_the_room_socket_survives_any_frames(cast, loop, caplog):
    """The room socket under the widest range: most examples of all."""
    path = f"/ws/rooms/{cast.group.pk}/"

    async def scenario(sent: list[str | bytes]) -> None:
        ada = socket(path, cast.cookies["ada"])
        assert (await ada.connect(WAIT))[0]
        try:
            await settled(ada, cast.ada)
            before = await database_sync_to_async(snapshot)()
            for frame in sent:
                await send(ada, frame)
                await send(ada, PROBE)
                answers = [await ada.receive_from(WAIT), await ada.receive_from(WAIT)]
                # A heartbeat is answered with the room's latest number, anything else
                # with a notice; then the probe's notice. A heartbeat is answered in a task
                # of its own (so that it never holds up the socket's votes): its answer may
                # come after the probe's.
                if is_heartbeat(frame):
                    answers.sort(key=lambda answer: 'id="room-latest"' not in answer)
                    expected = 'id="room-latest"'
                else:
                    expected = 'id="live-notice"'
                assert expected in answers[0], (frame, answers)
                assert "could not read" in answers[1], (frame, answers)
            assert await database_sync_to_async(snapshot)() == before
        finally:
            await ada.disconnect()

    @settings(FUZZ, max_examples=80)
    @given(st.lists(frames, min_size=1, max_size=4))
    def fuzz(sent):
        loop.run_until_complete(scenario(sent))

    fuzz()
    assert not Presence.objects.exists()
    assert any("Unreadable message on a room socket" in r.getMessage() for r in caplog.records)


def test_the_console_socket_survives_any_frames(cast, loop):
    path = f"/ws/console/sessions/{cast.session.pk}/"

    async def scenario(sent: list[str | bytes]) -> None:
        console = socket(path, cast.cookies["fay"])
        assert (await console.connect(WAIT))[0]
        try:
            before = await database_sync_to_async(snapshot)()
            for frame in sent:
                await send(console, frame)
                await send(console, PROBE)
                if not is_heartbeat(frame):
                    assert json.loads(await console.receive_from(WAIT))["type"] == "error"
                assert json.loads(await console.receive_from(WAIT))["type"] == "error"
            assert await database_sync_to_async(snapshot)() == before
        finally:
            await console.disconnect()

    @FUZZ
    @given(st.lists(frames, min_size=1, max_size=4))
    def fuzz(sent):
        loop.run_until_complete(scenario(sent))

    fuzz()


def test_the_screen_socket_answers_only_heartbeats_under_any_frames(cast, loop):
    path = f"/ws/screen/{cast.session.screen_token}/groups/{cast.group.pk}/"
    room_group = live.room_channel_group(cast.group.pk)

    async def scenario(sent: list[str | bytes]) -> None:
        screen = socket(path)
        assert (await screen.connect(WAIT))[0]
        try:
            before = await database_sync_to_async(snapshot)()
            for frame in sent:
                await send(screen, frame)
                if is_heartbeat(frame):  # answered with the room's latest number only
                    assert 'id="room-latest"' in await screen.receive_from(WAIT)
            # Still open and listening: a broadcast gets through, and nothing else came.
            event = live.room_message(cast.group.pk, 0, "<p id='probe'></p>")
            await get_channel_layer().group_send(room_group, event)
            assert await screen.receive_from(WAIT) == event["html"]["en"]
            assert await screen.receive_nothing(0.02)
            assert await database_sync_to_async(snapshot)() == before
        finally:
            await screen.disconnect()

    @FUZZ
    @given(st.lists(frames, min_size=1, max_size=4))
    def fuzz(sent):
        loop.run_until_complete(scenario(sent))

    fuzz()


def test_any_frame_from_a_member_moved_out_closes_the_socket_unanswered(cast, loop):
    path = f"/ws/rooms/{cast.group.pk}/"
    ada = Participant.objects.filter(pk=cast.ada.pk)

    async def scenario(frame: str | bytes) -> None:
        await database_sync_to_async(ada.update)(group=cast.group)
        communicator = socket(path, cast.cookies["ada"])
        assert (await communicator.connect(WAIT))[0]
        try:
            await settled(communicator, cast.ada)
            await database_sync_to_async(ada.update)(group=cast.other_group)
            await send(communicator, frame)
            closed = await communicator.receive_output(WAIT)
            assert closed == {"type": "websocket.close", "code": 4403}, (frame, closed)
        finally:
            await communicator.disconnect()

    @settings(FUZZ, max_examples=20)
    @given(frames)
    def fuzz(frame):
        loop.run_until_complete(scenario(frame))

    fuzz()
    assert not Presence.objects.exists()


def test_any_frame_on_a_console_whose_assignment_was_taken_away_closes_it(cast, loop):
    path = f"/ws/console/sessions/{cast.session.pk}/"
    assignments = FacilitatorAssignment.objects.filter(user__username="fay")

    def assign() -> None:
        if not assignments.exists():
            assignment = FacilitatorAssignment.objects.create(session=cast.session, user=fay)
            assignment.groups.set([cast.group])

    fay = cast.assignment.user

    async def scenario(frame: str | bytes) -> None:
        await database_sync_to_async(assign)()
        console = socket(path, cast.cookies["fay"])
        assert (await console.connect(WAIT))[0]
        try:
            await database_sync_to_async(assignments.delete)()
            await send(console, frame)
            closed = await console.receive_output(WAIT)
            assert closed == {"type": "websocket.close", "code": 4403}, (frame, closed)
        finally:
            await console.disconnect()

    @settings(FUZZ, max_examples=10)
    @given(frames)
    def fuzz(frame):
        loop.run_until_complete(scenario(frame))

    fuzz()


def test_any_frame_on_a_screen_whose_token_was_replaced_closes_it(cast, loop):
    token = cast.session.screen_token
    path = f"/ws/screen/{token}/groups/{cast.group.pk}/"
    session = Session.objects.filter(pk=cast.session.pk)

    async def scenario(frame: str | bytes) -> None:
        await database_sync_to_async(session.update)(screen_token=token)
        screen = socket(path)
        assert (await screen.connect(WAIT))[0]
        try:
            await database_sync_to_async(session.update)(screen_token="replaced")
            await send(screen, frame)
            closed = await screen.receive_output(WAIT)
            assert closed == {"type": "websocket.close", "code": 4403}, (frame, closed)
        finally:
            await screen.disconnect()

    @settings(FUZZ, max_examples=10)
    @given(frames)
    def fuzz(frame):
        loop.run_until_complete(scenario(frame))

    fuzz()


# --- Origins and replayed cookies ----------------------------------------------------------------


def refused_and_logged(loop, caplog, communicator, text: str) -> None:
    before = snapshot()

    async def attempt():
        try:
            ok, _ = await communicator.connect(WAIT)
            assert ok is False
        finally:
            await communicator.disconnect()

    loop.run_until_complete(attempt())
    assert snapshot() == before
    assert any(text in r.getMessage() and r.levelno >= logging.WARNING for r in caplog.records), [
        r.getMessage() for r in caplog.records
    ]


FOREIGN_ORIGINS = [
    b"http://evil.example",
    b"null",
    b"http://127.0.0.1.evil.example",
    b"https://localhost@evil.example",
    b"",
]


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_a_member_socket_from_a_foreign_origin_is_refused(cast, loop, origin):
    """Through conference.asgi: Channels' AllowedHostsOriginValidator guards every socket."""
    before = snapshot()

    async def attempt():
        communicator = socket(
            f"/ws/rooms/{cast.group.pk}/", cast.cookies["ada"], (b"origin", origin)
        )
        try:
            assert (await communicator.connect(WAIT))[0] is False
        finally:
            await communicator.disconnect()

    loop.run_until_complete(attempt())
    assert snapshot() == before


@pytest.mark.parametrize("origin", [*FOREIGN_ORIGINS, b"http://[", b"\xff\xfe"])
def test_the_logged_origin_check_refuses_and_logs_foreign_and_malformed_origins(
    cast, loop, caplog, origin
):
    """discussions.origin's validator: the same origins refused, each with a log line, and a
    malformed one refused rather than raising (Channels' own raises on "http://[")."""
    app = logged_allowed_hosts_origin_validator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
    )
    communicator = socket(
        f"/ws/rooms/{cast.group.pk}/", cast.cookies["ada"], (b"origin", origin), app
    )
    refused_and_logged(loop, caplog, communicator, "Socket refused: origin")


def test_the_logged_origin_check_lets_the_site_itself_in(cast, loop):
    app = logged_allowed_hosts_origin_validator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
    )

    async def attempt():
        communicator = socket(f"/ws/rooms/{cast.group.pk}/", cast.cookies["ada"], app=app)
        try:
            assert (await communicator.connect(WAIT))[0]
        finally:
            await communicator.disconnect()

    loop.run_until_complete(attempt())


def test_a_participant_cookie_replayed_for_another_group_socket_is_refused(cast, loop, caplog):
    communicator = socket(f"/ws/rooms/{cast.other_group.pk}/", cast.cookies["ada"])
    refused_and_logged(loop, caplog, communicator, "Room socket refused")


def test_a_facilitator_of_one_session_cannot_open_another_sessions_console(
    cast, loop, caplog, published_paper
):
    elsewhere = make_room(published_paper)
    communicator = socket(f"/ws/console/sessions/{elsewhere.session.pk}/", cast.cookies["fay"])
    refused_and_logged(loop, caplog, communicator, "Console socket refused")


def test_a_participant_cookie_does_not_open_a_console(cast, loop, caplog):
    communicator = socket(f"/ws/console/sessions/{cast.session.pk}/", cast.cookies["ada"])
    refused_and_logged(loop, caplog, communicator, "Console socket refused")


def test_a_screen_token_does_not_open_another_sessions_group(cast, loop, caplog, published_paper):
    elsewhere = make_room(published_paper)
    path = f"/ws/screen/{cast.session.screen_token}/groups/{elsewhere.group.pk}/"
    refused_and_logged(loop, caplog, socket(path), "Screen socket refused")


@pytest.mark.parametrize("frame", ["not json", b"\x00\x01", json.dumps({"type": "vote"})])
def test_a_rejected_frame_is_logged(cast, loop, caplog, frame):
    async def exchange():
        ada = socket(f"/ws/rooms/{cast.group.pk}/", cast.cookies["ada"])
        assert (await ada.connect(WAIT))[0]
        try:
            await ada.receive_from(WAIT)
            await send(ada, frame)
            assert 'id="live-notice"' in await ada.receive_from(WAIT)
        finally:
            await ada.disconnect()

    loop.run_until_complete(exchange())
    assert any(
        r.name == "discussions.live.consumers" and "message on a room socket" in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.parametrize(
    "path",
    ["/ws/screen/%00/groups/{group}/", "/ws/screen/{token}%00/groups/{group}/"],
)
def test_a_screen_socket_with_a_nul_in_its_token_is_refused(cast, loop, caplog, path):
    """PostgreSQL cannot look up text containing NUL: refused, not a crash in the query."""
    path = path.format(token=cast.session.screen_token, group=cast.group.pk)
    refused_and_logged(loop, caplog, socket(path), "Screen socket refused")
