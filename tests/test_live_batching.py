"""Tallies go out combined: per group, one broadcast for every vote of a short window."""

import asyncio
import re

import pytest
from channels.db import database_sync_to_async
from django.db import OperationalError

from discussions import identity, live, services
from discussions.live import changes as live_changes
from discussions.models import BreakoutGroup, Position
from tests import test_consumers
from tests.deadlines import DEADLINE
from tests.factories import client_for, make_participant, make_position
from tests.test_consumers import WAIT, connected, online_in, seq_in, socket

members = test_consumers.members  # the fixture: Ada, Ben and their sockets' cookies

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

WINDOW = 0.3
# A window no machine, however loaded, takes to cast two votes or open two sockets in: what
# must fall in a window falls in this one. No test sits through it (Windows).
LONG = 10 * DEADLINE
TALLY = re.compile(
    r'id="tally-(\d+)"[^>]*data-version="(\d+)"[^>]*hx-swap-oob[^>]*\s+'
    r'aria-label="(\d+) agree, (\d+) disagree, (\d+) pass"'
)

vote = database_sync_to_async(services.cast_vote)


def tallies_in(html: str) -> dict[int, tuple[int, int, int, int]]:
    """position -> (version, agree, disagree, pass), for every tally swapped in."""
    return {int(m[0]): tuple(int(x) for x in m[1:]) for m in TALLY.findall(html)}


class Windows:
    """The ends of the batcher's windows, in the test's hands.

    A change that follows a broadcast within the window waits for the window's end
    (RoomChanges._flush_after). Here that wait lasts until the test calls end(), once what
    it wants in the window has reached the batcher: a LONG window costs nothing, and no
    assertion depends on how fast the machine is. A change sent at once is left alone.
    `waits`: the delay the batcher chose for each broadcast it scheduled, in order (0: at
    once); `changes`: how many changes have reached it.
    """

    def __init__(self, monkeypatch):
        self.waits: list[float] = []
        self.changes = 0
        self.over = asyncio.Event()
        wait, flush_after = live_changes.RoomChanges._wait, live_changes.RoomChanges._flush_after

        def counted(batcher, *args, **kwargs):
            self.changes += 1
            return wait(batcher, *args, **kwargs)

        def held(batcher, group_id, delay):
            self.waits.append(delay)
            if delay <= 0:
                return flush_after(batcher, group_id, delay)
            return self._at_the_end(flush_after(batcher, group_id, 0))

        monkeypatch.setattr(live_changes.RoomChanges, "_wait", counted)
        monkeypatch.setattr(live_changes.RoomChanges, "_flush_after", held)

    async def _at_the_end(self, flush):
        await self.over.wait()
        await flush

    async def reached(self, changes: int) -> None:
        """Until `changes` changes have reached the batcher (a socket counts itself in just
        after its handshake, in a database thread)."""
        deadline = asyncio.get_running_loop().time() + WAIT
        while self.changes < changes:
            assert asyncio.get_running_loop().time() < deadline, f"{self.changes} changes"
            await asyncio.sleep(0.01)

    def end(self) -> None:
        self.over.set()


@database_sync_to_async
def two_positions(members):
    first = make_position(members.ada, "Share the burden")
    second = make_position(members.ben, "Lead by example")
    return first.pk, second.pk


@database_sync_to_async
def newcomer_cookie(group_id: int) -> str:
    """The identity cookie of a new member of the group."""
    group = BreakoutGroup.objects.get(pk=group_id)
    return client_for(make_participant(group, "Dan")).cookies[identity.COOKIE].value


@database_sync_to_async
def seq_of(group_id: int) -> int:
    return BreakoutGroup.objects.get(pk=group_id).broadcast_seq


async def test_a_change_goes_out_at_once_and_those_within_the_window_after_it_together(
    members, settings, monkeypatch
):
    settings.LIVE_TALLY_WINDOW = WINDOW
    first, second = await two_positions(members)
    ada = await connected(members.group_id, members.cookies["ada"])  # serves on this loop
    try:
        await ada.receive_nothing(WINDOW)  # the window after Ada's own arrival is over
        windows = Windows(monkeypatch)
        before = await seq_of(members.group_id)
        # A quiet room: the first vote goes out at once, without waiting at all (one that
        # waited would wait for an end of the window that never comes: Windows).
        await vote(participant=members.ben, position_id=first, choice="agree")
        html = await ada.receive_from(WAIT)
        assert windows.waits == [0]
        assert seq_in(html) == before + 1
        assert tallies_in(html) == {first: (1, 1, 0, 0)}

        # Within the window after it, votes wait and go out as one broadcast.
        settings.LIVE_TALLY_WINDOW = LONG  # both votes fall in it, however slow the machine
        await vote(participant=members.ada, position_id=first, choice="disagree")
        await vote(participant=members.ada, position_id=second, choice="pass")
        await windows.reached(3)
        assert len(windows.waits) == 2  # one broadcast scheduled for both votes,
        assert 0 < windows.waits[1] <= LONG  # at the end of the window
        assert await seq_of(members.group_id) == before + 1  # and nothing numbered before it
        windows.end()
        html = await ada.receive_from(WAIT)
        assert seq_in(html) == before + 2 == await seq_of(members.group_id)
        assert tallies_in(html) == {first: (2, 1, 1, 0), second: (1, 0, 0, 1)}
    finally:
        await ada.disconnect()


async def test_arrivals_within_the_window_are_one_presence_broadcast(
    members, settings, monkeypatch
):
    settings.LIVE_TALLY_WINDOW = LONG  # both arrivals fall in it, however slow the machine
    windows = Windows(monkeypatch)
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        assert windows.waits == [0]  # her arrival in a quiet room went out at once
        before = await seq_of(members.group_id)
        ben = socket(members.group_id, members.cookies["ben"])
        dan = socket(members.group_id, await newcomer_cookie(members.group_id))
        assert (await ben.connect(WAIT))[0] and (await dan.connect(WAIT))[0]
        await windows.reached(3)  # Ada's, Ben's and Dan's arrivals
        assert len(windows.waits) == 2 and windows.waits[1] > 0  # one, at the window's end
        windows.end()
        html = await ada.receive_from(WAIT)
        assert online_in(html) == 3
        assert seq_in(html) == before + 1 == await seq_of(members.group_id)
        await ben.disconnect()
        await dan.disconnect()
    finally:
        await ada.disconnect()


async def test_an_unchanged_or_refused_vote_sends_nothing(members, settings):
    settings.LIVE_TALLY_WINDOW = WINDOW
    first, second = await two_positions(members)
    await vote(participant=members.ben, position_id=first, choice="agree")
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        before = await seq_of(members.group_id)
        await vote(participant=members.ben, position_id=first, choice="agree")  # no change
        with pytest.raises(services.ServiceError):
            await vote(participant=members.ben, position_id=first, choice="maybe")
        # Then a vote that does change a tally: had either of those sent anything, it would
        # have gone out first, or along with this one.
        await vote(participant=members.ben, position_id=second, choice="agree")
        html = await ada.receive_from(WAIT)
        assert seq_in(html) == before + 1 == await seq_of(members.group_id)
        assert tallies_in(html) == {second: (1, 1, 0, 0)}
        version = await database_sync_to_async(
            lambda: Position.objects.get(pk=first).tally_version
        )()
        assert version == 1
    finally:
        await ada.disconnect()


async def test_without_a_window_each_vote_is_its_own_broadcast(members, settings):
    settings.LIVE_TALLY_WINDOW = 0
    first, _ = await two_positions(members)
    ada = await connected(members.group_id, members.cookies["ada"])
    try:
        await vote(participant=members.ben, position_id=first, choice="agree")
        await vote(participant=members.ada, position_id=first, choice="agree")
        one, two = await ada.receive_from(WAIT), await ada.receive_from(WAIT)
        assert seq_in(two) == seq_in(one) + 1
        assert tallies_in(one)[first][:2] == (1, 1)
        assert tallies_in(two)[first][:2] == (2, 2)
    finally:
        await ada.disconnect()


@pytest.mark.asyncio(loop_scope="function")
async def test_a_loop_that_has_stopped_serving_makes_changes_go_out_at_once(members, settings):
    # The batcher keeps the loop of the last connection; once that loop is closed (a
    # server shutting down, a finished test), a change must not wait on it.
    settings.LIVE_TALLY_WINDOW = WINDOW
    first, _ = await two_positions(members)
    stopped = asyncio.new_event_loop()
    stopped.close()
    live.room_changes.serve_on(stopped)
    before = await seq_of(members.group_id)
    await vote(participant=members.ben, position_id=first, choice="agree")
    assert await seq_of(members.group_id) == before + 1  # numbered and sent already


async def test_changes_the_database_could_not_number_go_out_when_it_is_back(
    members, settings, monkeypatch
):
    settings.LIVE_TALLY_WINDOW = WINDOW
    monkeypatch.setattr(live_changes, "RETRY_SECONDS", (0.2,))
    first, _ = await two_positions(members)
    ada = await connected(members.group_id, members.cookies["ada"])
    number_and_render, failed = live_changes._number_and_render, []

    async def away_at_first(*args):
        if len(failed) < 2:
            failed.append(args)
            raise OperationalError("the database is away")
        return await number_and_render(*args)

    monkeypatch.setattr(live_changes, "_number_and_render", away_at_first)
    try:
        await ada.receive_nothing(WINDOW)
        await vote(participant=members.ben, position_id=first, choice="agree")
        html = await ada.receive_from(WAIT)
        assert len(failed) == 2
        assert tallies_in(html) == {first: (1, 1, 0, 0)}
    finally:
        await ada.disconnect()
