"""The facilitator console's and the projector's sockets: who is let in, what they hear."""

import asyncio
import json
import time

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from django.db import connections
from django.test import Client

from conference.asgi import application
from discussions import identity, live, services
from discussions.live import changes as live_changes
from discussions.models import FacilitatorAssignment
from tests.deadlines import DEADLINE
from tests.factories import make_position, make_room, make_session, participant_cookie
from tests.sockets import WebsocketCommunicator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = (b"origin", b"http://127.0.0.1")
WAIT = DEADLINE  # for what must arrive: see tests/deadlines.py


@pytest_asyncio.fixture(autouse=True)
async def close_the_consumers_connection():
    yield
    await database_sync_to_async(connections.close_all)()


def logged_in_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def console_socket(session_id: int, cookie: str | None) -> WebsocketCommunicator:
    """A console socket sending this Cookie header (name=value)."""
    headers = [ORIGIN]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(
        application, f"/ws/console/sessions/{session_id}/", headers=headers
    )


@pytest.fixture
def setting(published_paper, django_user_model):
    room = make_room(published_paper)
    fay = django_user_model.objects.create_user(username="fay", password="x" * 12)
    FacilitatorAssignment.objects.create(session=room.session, user=fay).groups.set([room.group])
    sam = django_user_model.objects.create_user(username="sam", password="x" * 12)
    FacilitatorAssignment.objects.create(session=make_session(published_paper, name="B"), user=sam)
    position = make_position(room.ada, "Reform the Security Council.")
    return room, fay, sam, position


post = database_sync_to_async(services.post_position)
vote = database_sync_to_async(services.cast_vote)


async def test_console_hears_which_of_its_groups_changed(setting):
    room, fay, _sam, position = setting
    console = console_socket(room.session.pk, await database_sync_to_async(logged_in_cookie)(fay))
    ok, _ = await console.connect(WAIT)
    assert ok
    try:
        await vote(participant=room.ben, position_id=position.pk, choice="agree")
        assert json.loads(await console.receive_from(WAIT)) == {
            "type": "changed",
            "group": room.group.pk,
        }
        # Fay does not facilitate Cleo's group: its changes are not hers to hear.
        await post(participant=room.cleo, text="Elsewhere")
        assert await console.receive_nothing(0.5)
        # Heartbeats keep working; anything else gets an error, and the socket stays.
        await console.send_to(text_data=json.dumps({"type": "ping"}))
        await console.send_to(text_data="nonsense")
        assert json.loads(await console.receive_from(WAIT))["type"] == "error"
    finally:
        await console.disconnect()


@pytest.mark.parametrize("who", ["stranger", "participant", "anonymous"])
async def test_console_refuses_anyone_who_does_not_facilitate_the_session(setting, who):
    room, _fay, sam, _position = setting
    cookie = {
        "stranger": lambda: logged_in_cookie(sam),
        "participant": lambda: f"{identity.COOKIE}={participant_cookie(room.ada)}",
        "anonymous": lambda: None,
    }[who]
    console = console_socket(room.session.pk, await database_sync_to_async(cookie)())
    ok, code = await console.connect(WAIT)
    assert (ok, code) == (False, 4403)


async def test_console_closes_when_the_assignment_is_taken_away(setting):
    room, fay, _sam, _position = setting
    console = console_socket(room.session.pk, await database_sync_to_async(logged_in_cookie)(fay))
    ok, _ = await console.connect(WAIT)
    assert ok
    await database_sync_to_async(lambda: FacilitatorAssignment.objects.filter(user=fay).delete())()
    await console.send_to(text_data=json.dumps({"type": "ping"}))
    output = await console.receive_output(WAIT)
    assert output == {"type": "websocket.close", "code": 4403}


async def test_projector_socket_needs_the_screen_token_of_the_groups_session(setting):
    room, _fay, _sam, _position = setting
    token = room.session.screen_token
    wrong = WebsocketCommunicator(
        application, f"/ws/screen/not-the-token/groups/{room.group.pk}/", headers=[ORIGIN]
    )
    assert (await wrong.connect(WAIT)) == (False, 4403)
    screen = WebsocketCommunicator(
        application, f"/ws/screen/{token}/groups/{room.group.pk}/", headers=[ORIGIN]
    )
    ok, _ = await screen.connect(WAIT)
    assert ok
    try:
        await post(participant=room.ben, text="Seen on the big screen")
        assert "Seen on the big screen" in await screen.receive_from(WAIT)
    finally:
        await screen.disconnect()


async def test_the_whole_session_projector_hears_that_a_group_changed_and_nothing_more(setting):
    """It polled every 3 s (lagging as much); now the change is pushed."""
    room, _fay, _sam, position = setting
    wrong = WebsocketCommunicator(application, "/ws/screen/not-the-token/", headers=[ORIGIN])
    assert (await wrong.connect(WAIT)) == (False, 4403)
    screen = WebsocketCommunicator(
        application, f"/ws/screen/{room.session.screen_token}/", headers=[ORIGIN]
    )
    ok, _ = await screen.connect(WAIT)
    assert ok
    try:
        await post(participant=room.cleo, text="Any group of the session")
        assert json.loads(await screen.receive_from(WAIT)) == {"type": "changed"}
        # Another session's changes are not its business.
        other = await database_sync_to_async(make_session)(room.session.paper, name="C")
        await database_sync_to_async(live.notify_console)(
            await database_sync_to_async(other.groups.first)()
        )
        assert await screen.receive_nothing(0.5)
        # A token taken away (a new screen link) closes it at the next heartbeat.
        await database_sync_to_async(
            lambda: (
                type(room.session)
                .objects.filter(pk=room.session.pk)
                .update(screen_token="replaced")
            )
        )()
        await screen.send_to(text_data=json.dumps({"type": "ping"}))
        assert await screen.receive_output(WAIT) == {"type": "websocket.close", "code": 4403}
    finally:
        await screen.disconnect()


async def test_a_sessions_console_notices_within_a_window_go_out_as_one_message(monkeypatch):
    sent = []

    class Layer:
        async def group_send(self, group: str, message: dict) -> None:
            sent.append((group, message))

    monkeypatch.setattr(live_changes, "get_channel_layer", Layer)
    changes = live_changes.RoomChanges()
    changes.serve_on(asyncio.get_running_loop())
    for session_id, group_id in [(1, 12), (1, 11), (2, 21), (1, 12)]:
        changes._tell_consoles(session_id, group_id)
    await asyncio.sleep(live_changes.CONSOLE_WINDOW + 0.2)
    assert sorted(sent) == [
        (live.console_channel_group(1), {"type": "console.changed", "group_ids": [11, 12]}),
        (live.console_channel_group(2), {"type": "console.changed", "group_ids": [21]}),
    ]
    changes._tell_consoles(1, 13)  # a later change: a message of its own
    await asyncio.sleep(live_changes.CONSOLE_WINDOW + 0.2)
    assert sent[-1][1]["group_ids"] == [13] and len(sent) == 3


async def test_a_console_hears_each_of_its_groups_in_a_combined_notice(setting):
    room, fay, _sam, position = setting
    await database_sync_to_async(
        lambda: FacilitatorAssignment.objects.get(user=fay).groups.add(room.other_group)
    )()
    console = console_socket(room.session.pk, await database_sync_to_async(logged_in_cookie)(fay))
    ok, _ = await console.connect(WAIT)
    assert ok
    try:
        await vote(participant=room.ben, position_id=position.pk, choice="agree")
        await post(participant=room.cleo, text="In the other group")
        heard = set()
        while len(heard) < 2:
            heard.add(json.loads(await console.receive_from(WAIT))["group"])
        assert heard == {room.group.pk, room.other_group.pk}
    finally:
        await console.disconnect()


async def test_the_results_page_hears_the_plenary_only_while_the_outcome_is_published(
    setting, organizer
):
    room, _fay, _sam, position = setting
    path = f"/ws/results/{room.session.results_token}/"
    unpublished = WebsocketCommunicator(application, path, headers=[ORIGIN])
    assert (await unpublished.connect(WAIT)) == (False, 4403)
    await database_sync_to_async(services.publish_outcome)(session=room.session)
    results = WebsocketCommunicator(application, path, headers=[ORIGIN])
    ok, _ = await results.connect(WAIT)
    assert ok
    try:
        before = time.time()
        await database_sync_to_async(services.promote)(
            actor=organizer, session=room.session, position_ids=[position.pk]
        )
        # Told when, by the server's clock, so that the page asks for a later render.
        message = json.loads(await results.receive_from(WAIT))
        assert message["type"] == "changed" and message["at"] >= before
        # Withdrawn: told to re-fetch (the rooms' status changed too), then closed at the
        # next heartbeat.
        await database_sync_to_async(services.withdraw_outcome)(session=room.session)
        assert json.loads(await results.receive_from(WAIT))["type"] == "changed"
        await results.send_to(text_data=json.dumps({"type": "ping"}))
        output = await results.receive_output(WAIT)
        while output["type"] == "websocket.send":
            assert json.loads(output["text"])["type"] == "changed"
            output = await results.receive_output(WAIT)
        assert output == {"type": "websocket.close", "code": 4403}
    finally:
        await results.disconnect()
