"""Votes over the room's WebSocket (discussions.live.votes): answered with the page's id once
durable, held to the same rules as the HTTP form, and seen by the rest of the room."""

import asyncio
import json
import re
import time

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from django.db import OperationalError, connections
from django.utils import timezone

from discussions import services
from discussions.live import votes
from discussions.live.consumers import RoomConsumer
from discussions.models import BreakoutGroup, Participant, Vote
from tests import test_consumers
from tests.factories import AGREE, make_position
from tests.test_consumers import WAIT, connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

members = test_consumers.members


@pytest_asyncio.fixture(autouse=True)
async def close_the_consumers_connection():
    yield
    await database_sync_to_async(connections.close_all)()


position_by = database_sync_to_async(make_position)
choices = database_sync_to_async(
    lambda position_id: dict(
        Vote.objects.filter(position=position_id).values_list("participant__display_name", "choice")
    )
)


async def send_vote(socket, position_id, choice, vote_id="v1"):
    await socket.send_to(
        text_data=json.dumps(
            {"type": "vote", "id": vote_id, "position": position_id, "choice": choice}
        )
    )


async def answer_to(socket, vote_id: str) -> str:
    """The answer to the vote with this id, skipping the room's broadcasts before it."""
    while True:
        html = await socket.receive_from(WAIT)
        if f'data-ack="{vote_id}"' in html:
            return html


def status_of(html: str) -> str:
    return re.search(r'data-status="(\w+)"', html).group(1)


async def test_a_vote_sent_on_the_socket_is_saved_answered_and_seen_by_the_room(members):
    position = await position_by(members.ben, "Burden sharing")
    ada = await connected(members.group_id, members.cookies["ada"])
    ben = await connected(members.group_id, members.cookies["ben"])
    try:
        await send_vote(ada, position.pk, "agree", "a-1")
        answer = await answer_to(ada, "a-1")
        assert status_of(answer) == "saved"
        # Ada's buttons, her vote pressed, and the tally's version that counts it.
        assert f'id="vote-{position.pk}-agree"' in answer
        assert re.search(r'value="withdraw"[^>]*aria-pressed="true"', answer)
        assert 'data-tally-version="1"' in answer
        assert await choices(position.pk) == {"Ada Page": AGREE}
        # Ben's page hears the new tally (Ada's answer is hers alone).
        while f'id="tally-{position.pk}"' not in (html := await ben.receive_from(WAIT)):
            pass
        assert "data-ack" not in html
    finally:
        await ada.disconnect()
        await ben.disconnect()


async def test_a_vote_is_answered_while_the_sockets_heartbeat_still_waits(members, monkeypatch):
    """A heartbeat renews the socket's channel groups, which in the opening rush waited
    seconds behind everyone's subscriptions; the socket's votes waited behind it (the
    scenario rehearsal: votes' p95 11 s). A heartbeat no longer holds up the votes."""
    position = await position_by(members.ben, "While the heartbeat waits")
    ada = await connected(members.group_id, members.cookies["ada"])
    renewing = asyncio.Event()
    released = asyncio.Event()

    async def slow_renewal(consumer):
        renewing.set()
        await released.wait()

    monkeypatch.setattr(RoomConsumer, "join_groups", slow_renewal)
    try:
        await ada.send_json_to({"type": "ping"})
        await asyncio.wait_for(renewing.wait(), WAIT)
        await send_vote(ada, position.pk, "agree", "meanwhile")
        assert status_of(await answer_to(ada, "meanwhile")) == "saved"
        released.set()
        # The heartbeat is answered too, once its renewal is done.
        while 'id="room-latest"' not in await ada.receive_from(WAIT):
            pass
    finally:
        released.set()
        await ada.disconnect()


async def test_a_vote_sent_again_is_answered_and_changes_nothing(members):
    position = await position_by(members.ben, "Sent twice")
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        await send_vote(ada, position.pk, "agree", "first")
        assert status_of(await answer_to(ada, "first")) == "saved"
        await send_vote(ada, position.pk, "agree", "again")
        again = await answer_to(ada, "again")
        assert status_of(again) == "saved"
        assert 'data-tally-version="1"' in again  # not counted twice
    finally:
        await ada.disconnect()


async def test_a_refused_vote_says_why_and_writes_nothing(members):
    position = await position_by(members.ben, "Closed")
    theirs = await position_by(members.cleo, "Another group's")
    await database_sync_to_async(BreakoutGroup.objects.filter(pk=members.group_id).update)(
        phase=BreakoutGroup.Phase.CLOSED
    )
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        await send_vote(ada, position.pk, "agree", "closed")
        closed = await answer_to(ada, "closed")
        assert status_of(closed) == "refused"
        assert "Voting is closed in this group." in closed
        assert f'id="vote-{position.pk}"' in closed  # her buttons, to vote again later
        await send_vote(ada, theirs.pk, "agree", "theirs")
        elsewhere = await answer_to(ada, "theirs")
        assert status_of(elsewhere) == "refused"
        assert "not in your group" in elsewhere
        await send_vote(ada, position.pk, "<script>", "odd")
        assert status_of(await answer_to(ada, "odd")) == "refused"
        await send_vote(ada, "1 OR 1=1", "agree", "odder")
        assert status_of(await answer_to(ada, "odder")) == "refused"
        assert await choices(position.pk) == {}
        assert await choices(theirs.pk) == {}
    finally:
        await ada.disconnect()


async def test_a_vote_without_a_readable_id_is_not_taken(members):
    position = await position_by(members.ben, "No id")
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        for vote_id in ["", "<b>x</b>", "x" * 41, 7]:
            await send_vote(ada, position.pk, "agree", vote_id)
            assert "could not read a vote" in await ada.receive_from(WAIT)
        assert await choices(position.pk) == {}
    finally:
        await ada.disconnect()


async def test_a_removed_participants_vote_is_refused_and_their_socket_closed(members):
    position = await position_by(members.ben, "Removed meanwhile")
    ada = await connected(members.group_id, members.cookies["ada"])
    await database_sync_to_async(Participant.objects.filter(pk=members.ada.pk).update)(
        removed_at=timezone.now()
    )
    try:
        await send_vote(ada, position.pk, "agree", "late")
        answer = await answer_to(ada, "late")
        assert status_of(answer) == "away"
        assert (await ada.receive_output(WAIT))["code"] == 4403
        assert await choices(position.pk) == {}
    finally:
        await ada.disconnect()


async def test_votes_over_the_rate_limit_are_answered_limited(members, settings):
    position = await position_by(members.ben, "Flooded")
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        statuses = []
        for i in range(125):  # the per-participant limit is 120 a minute
            await send_vote(ada, position.pk, "agree" if i % 2 else "disagree", f"n{i}")
        for i in range(125):
            statuses.append(status_of(await answer_to(ada, f"n{i}")))
        assert statuses.count("limited") >= 5
        assert set(statuses) == {"saved", "limited"}
    finally:
        await ada.disconnect()


async def test_a_batch_the_database_could_not_write_is_answered_unsaved(members, monkeypatch):
    position = await position_by(members.ben, "Database away")

    def fail(requests, **kwargs):
        raise OperationalError("the database is away")

    monkeypatch.setattr(services, "cast_votes", fail)
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        await send_vote(ada, position.pk, "agree", "lost")
        answer = await answer_to(ada, "lost")
        assert status_of(answer) == "unsaved"
        assert "not saved" in answer
        assert await choices(position.pk) == {}
    finally:
        await ada.disconnect()


async def test_votes_arriving_while_a_batch_is_written_go_in_the_next_one(members, monkeypatch):
    """Group commit: a busy process writes many votes per transaction."""
    positions = [await position_by(members.ben, f"Position {i}") for i in range(6)]
    batches = []
    cast_votes = services.cast_votes
    writer = votes.vote_writer()

    def counted(requests, **kwargs):
        batches.append(len(requests))
        if len(batches) == 1:  # the first batch is written while the other five arrive
            deadline = time.monotonic() + WAIT
            while len(writer.queue) < len(positions) - 1 and time.monotonic() < deadline:
                time.sleep(0.01)
        return cast_votes(requests, **kwargs)

    monkeypatch.setattr(services, "cast_votes", counted)
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        for i, position in enumerate(positions):
            await send_vote(ada, position.pk, "agree", f"b{i}")
        for i in range(len(positions)):
            assert status_of(await answer_to(ada, f"b{i}")) == "saved"
        assert batches == [1, len(positions) - 1]
        saved = await database_sync_to_async(
            lambda: Vote.objects.filter(participant=members.ada).count()
        )()
        assert saved == len(positions)
    finally:
        await ada.disconnect()


async def test_votes_soon_after_a_batch_wait_for_company(members, monkeypatch, settings):
    """A busy process gathers: votes arriving within VOTE_GATHER_WINDOW of the last batch
    are written together, however they trickle in meanwhile."""
    settings.VOTE_GATHER_WINDOW = 1.0
    positions = [await position_by(members.ben, f"Position {i}") for i in range(4)]
    batches = []
    cast_votes = services.cast_votes

    def counted(requests, **kwargs):
        batches.append(len(requests))
        return cast_votes(requests, **kwargs)

    monkeypatch.setattr(services, "cast_votes", counted)
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        await send_vote(ada, positions[0].pk, "agree", "alone")
        assert status_of(await answer_to(ada, "alone")) == "saved"  # a quiet moment: at once
        for i, position in enumerate(positions[1:]):
            await send_vote(ada, position.pk, "agree", f"g{i}")
        for i in range(len(positions) - 1):
            assert status_of(await answer_to(ada, f"g{i}")) == "saved"
        assert batches == [1, len(positions) - 1]
    finally:
        await ada.disconnect()
