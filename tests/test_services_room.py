import asyncio
import re
import threading

import pytest
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction

from discussions import live, queries, services
from discussions.models import BreakoutGroup, Position, Vote
from tests.deadlines import DEADLINE
from tests.factories import (
    AGREE,
    DISAGREE,
    PASS,
    make_participant,
    make_position,
    make_room,
    make_vote,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def position(room):
    return make_position(room.ben, "Alliances need burden sharing.")


@pytest.fixture
def listener(room):
    listener = Listener(room.group.pk)
    yield listener
    listener.close()


class Listener:
    """A socket's view of a room: a channel added to the room's channel-layer group.

    Its layer calls all run on one event loop of its own, in a thread: the Redis
    publish/subscribe layer keeps channels per event loop, and async_to_sync would start a
    new loop for every call."""

    def __init__(self, group_id: int):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.layer = get_channel_layer()
        self.group = live.room_channel_group(group_id)
        self.channel = self._run(self.layer.new_channel())
        self._run(self.layer.group_add(self.group, self.channel))

    def _run(self, coroutine, timeout: float = DEADLINE):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def next(self) -> dict:
        # The receive's own deadline expires first: it is cancelled, not left to take the
        # next message.
        receive = asyncio.wait_for(self.layer.receive(self.channel), DEADLINE)
        return self._run(receive, timeout=2 * DEADLINE)

    def assert_nothing_received(self) -> None:
        """Send a marker to the group: if nothing came before it, nothing was published."""
        self._run(self.layer.group_send(self.group, {"type": "test.marker"}))
        assert self.next() == {"type": "test.marker"}

    def close(self) -> None:
        try:
            self._run(self.layer.group_discard(self.group, self.channel))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(DEADLINE)
            self.loop.close()


def seq_of(group: BreakoutGroup) -> int:
    return BreakoutGroup.objects.values_list("broadcast_seq", flat=True).get(pk=group.pk)


def data_seq(html: str) -> int:
    match = re.search(r'<div id="room-seq" hx-swap-oob="true" hidden data-seq="(\d+)">', html)
    assert match, html
    return int(match.group(1))


def refusal(call, **kwargs) -> str:
    with pytest.raises(services.ServiceError) as caught:
        call(**kwargs)
    message = str(caught.value)
    assert message and "\n" not in message
    return message


# --- post_position ----------------------------------------------------------------------------


def test_post_position_trims_and_posts_on_the_groups_current_prompt(room):
    second_prompt = room.session.ordered_prompts()[1]
    BreakoutGroup.objects.filter(pk=room.group.pk).update(current_prompt=second_prompt)
    position = services.post_position(participant=room.ada, text="  \n Share the burden.  \t")
    position.refresh_from_db()
    assert position.text == "Share the burden."
    assert (position.group, position.prompt, position.author) == (
        room.group,
        second_prompt,
        room.ada,
    )
    assert position.is_visible


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write your position before posting it."),
        (" \n\t  ", "Write your position before posting it."),
        ("\u200b\u200b\u2060 \ufeff\u200d", "Write your position before posting it."),
        ("\u202e\u2066\u200f", "Write your position before posting it."),
        ("x" * 501, "Your position is 501 characters; the limit is 500."),
    ],
)
def test_post_position_refuses_empty_or_long_text_and_writes_nothing(room, text, message):
    assert refusal(services.post_position, participant=room.ada, text=text) == message
    assert not Position.objects.exists()
    assert seq_of(room.group) == 0


def test_post_position_keeps_the_text_composed_without_direction_or_invisible_characters(room):
    typed = "Cafe\u0301 \u202eevil\u202c\u200b talk\x07 \u0645\u200c\u0646 👩\u200d💻"
    composed = services.post_position(participant=room.ada, text=typed)
    # NFC "é"; the override, its end, the zero-width space and the bell gone; the joiners
    # that Arabic script and emoji sequences need kept.
    assert composed.text == "Café evil talk \u0645\u200c\u0646 👩\u200d💻"


def test_post_position_accepts_the_limit_counting_a_line_break_once(room):
    # A browser's maxlength counts a line break as one character but submits it as \r\n.
    text = "a" * 249 + "\r\n" + "b" * 250
    position = services.post_position(participant=room.ada, text=text)
    position.refresh_from_db()
    assert position.text == "a" * 249 + "\n" + "b" * 250
    assert len(position.text) == Position.MAX_LENGTH
    assert "501 characters" in refusal(services.post_position, participant=room.ada, text="c" * 501)


@pytest.mark.parametrize("phase", ["voting", "closed"])
def test_post_position_refuses_once_the_group_stopped_collecting(room, phase):
    BreakoutGroup.objects.filter(pk=room.group.pk).update(phase=phase)
    message = refusal(services.post_position, participant=room.ada, text="Too late?")
    assert "new positions are closed" in message
    assert not Position.objects.exists()
    assert seq_of(room.group) == 0


def test_post_position_refuses_a_group_without_a_prompt(room):
    BreakoutGroup.objects.filter(pk=room.group.pk).update(current_prompt=None)
    assert "no prompt yet" in refusal(services.post_position, participant=room.ada, text="Hi")
    assert not Position.objects.exists()


# --- cast_vote --------------------------------------------------------------------------------


def test_cast_vote_records_changes_and_withdraws_one_row(room, position):
    vote = services.cast_vote(participant=room.ada, position_id=position.pk, choice="agree").vote
    assert (vote.participant, vote.position, vote.choice) == (room.ada, position, AGREE)
    assert Vote.objects.get().pk == vote.pk
    for version, (choice, value) in enumerate(
        [("disagree", DISAGREE), ("pass", PASS), ("agree", AGREE)], start=2
    ):
        ballot = services.cast_vote(participant=room.ada, position_id=position.pk, choice=choice)
        assert ballot.vote.pk == vote.pk
        assert ballot.position.tally_version == version
        assert list(Vote.objects.values_list("pk", "choice")) == [(vote.pk, value)]
        # The change's time is stored, and reads back as the time the ballot says.
        assert Vote.objects.get().cast_at == ballot.vote.cast_at > vote.cast_at
    withdraw = {"participant": room.ada, "position_id": position.pk, "choice": "withdraw"}
    assert services.cast_vote(**withdraw).vote is None
    assert not Vote.objects.exists()
    # Withdrawing a vote one does not have is a no-op, not an error.
    assert services.cast_vote(**withdraw).vote is None
    position.refresh_from_db()
    assert position.tally_version == 5  # four changes; the second withdrawal changed nothing


def test_cast_vote_counts_each_participant_once(room, position):
    services.cast_vote(participant=room.ada, position_id=position.pk, choice="agree")
    services.cast_vote(participant=room.ben, position_id=position.pk, choice="disagree")
    services.cast_vote(participant=room.ben, position_id=position.pk, choice="agree")
    assert queries.position_with_tally(position.pk).tally == queries.Tally(2, 0, 0)


def test_cast_vote_of_the_vote_one_already_has_changes_and_publishes_nothing(
    room, position, django_capture_on_commit_callbacks
):
    services.cast_vote(participant=room.ada, position_id=position.pk, choice="agree")
    before = (seq_of(room.group), list(Vote.objects.values_list("pk", "choice", "cast_at")))
    with django_capture_on_commit_callbacks() as callbacks:
        ballot = services.cast_vote(participant=room.ada, position_id=position.pk, choice="agree")
        services.cast_vote(participant=room.ben, position_id=position.pk, choice="withdraw")
    assert ballot.vote.choice == AGREE
    assert callbacks == []
    assert (seq_of(room.group), list(Vote.objects.values_list("pk", "choice", "cast_at"))) == before


def test_cast_vote_refuses_a_position_of_another_group_or_a_missing_one(room, position):
    elsewhere = make_position(room.cleo, "Another table's idea")
    for participant, position_id in [
        (room.ada, elsewhere.pk),
        (room.cleo, position.pk),
        (room.ada, 10**9),
    ]:
        message = refusal(
            services.cast_vote, participant=participant, position_id=position_id, choice="agree"
        )
        assert message == "That position is not in your group (or was removed)."
    assert not Vote.objects.exists()
    assert seq_of(room.group) == seq_of(room.other_group) == 0


@pytest.mark.parametrize("status", [s for s in Position.Status.values if s != "visible"])
def test_cast_vote_refuses_a_position_that_is_not_visible(room, status):
    hidden = make_position(room.ben, "Hidden", status=status)
    message = refusal(
        services.cast_vote, participant=room.ada, position_id=hidden.pk, choice="pass"
    )
    assert message == "That position is not in your group (or was removed)."
    assert not Vote.objects.exists()


def test_cast_vote_is_open_while_collecting_and_voting_and_refused_once_closed(room, position):
    BreakoutGroup.objects.filter(pk=room.group.pk).update(phase="voting")
    services.cast_vote(participant=room.ada, position_id=position.pk, choice="agree")
    BreakoutGroup.objects.filter(pk=room.group.pk).update(phase="closed")
    for choice in ("disagree", "withdraw"):
        message = refusal(
            services.cast_vote, participant=room.ada, position_id=position.pk, choice=choice
        )
        assert message == "Voting is closed in this group."
    assert list(Vote.objects.values_list("choice", flat=True)) == [AGREE]


@pytest.mark.parametrize("choice", ["", "maybe", "1", "AGREE", "agree "])
def test_cast_vote_refuses_an_unknown_choice(room, position, choice):
    message = refusal(
        services.cast_vote, participant=room.ada, position_id=position.pk, choice=choice
    )
    assert message == "A vote is agree, disagree or pass."
    assert not Vote.objects.exists()


def test_vote_table_allows_one_row_per_participant_and_position(room, position):
    make_vote(room.ada, position, AGREE)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_vote(room.ada, position, DISAGREE)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_vote(room.ben, position, 2)
    assert list(Vote.objects.values_list("participant", "choice")) == [(room.ada.pk, AGREE)]


# --- Publishing -------------------------------------------------------------------------------


def test_post_position_publishes_one_numbered_event_after_commit_with_escaped_text(
    room, listener, django_capture_on_commit_callbacks
):
    room.ada.display_name = "<b>Ada</b>"
    room.ada.save()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        position = services.post_position(
            participant=room.ada, text="<script>alert('x')</script> & more"
        )
        # Numbered inside the transaction, sent only after it commits.
        assert seq_of(room.group) == 1
    assert len(callbacks) == 1
    event = listener.next()
    assert event["type"] == "room.event"
    assert event["seq"] == 1
    html = event["html"]["en"]
    assert data_seq(html) == 1
    assert f'id="position-{position.pk}"' in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in html
    assert "&lt;b&gt;Ada&lt;/b&gt;" in html
    assert "<script>" not in html and "<b>" not in html
    listener.assert_nothing_received()


def test_cast_vote_publishes_the_tally_with_the_next_number_each_time(
    room, position, listener, django_capture_on_commit_callbacks
):
    seqs = []
    for participant, choice, text in [
        (room.ada, "agree", "1 agree"),
        (room.ben, "disagree", "1 disagree"),
        (room.ada, "withdraw", "0 agree"),
    ]:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.cast_vote(participant=participant, position_id=position.pk, choice=choice)
        assert len(callbacks) == 1
        event = listener.next()
        assert event["seq"] == data_seq(event["html"]["en"])
        assert f'id="tally-{position.pk}"' in event["html"]["en"]
        assert text in event["html"]["en"]
        seqs.append(event["seq"])
    assert seqs == [1, 2, 3]
    assert seq_of(room.group) == 3
    listener.assert_nothing_received()


def test_events_go_only_to_their_own_room(room, position, django_capture_on_commit_callbacks):
    other = Listener(room.other_group.pk)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.cast_vote(participant=room.ada, position_id=position.pk, choice="agree")
        other.assert_nothing_received()
    finally:
        other.close()


def test_refused_writes_publish_nothing(
    room, position, listener, django_capture_on_commit_callbacks
):
    BreakoutGroup.objects.filter(pk=room.group.pk).update(phase="closed")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for call, kwargs in [
            (services.post_position, {"participant": room.ada, "text": "Closed"}),
            (services.post_position, {"participant": room.ada, "text": " "}),
            (
                services.cast_vote,
                {"participant": room.ada, "position_id": position.pk, "choice": "agree"},
            ),
            (
                services.cast_vote,
                {"participant": room.cleo, "position_id": position.pk, "choice": "agree"},
            ),
        ]:
            with pytest.raises(services.ServiceError):
                call(**kwargs)
    assert callbacks == []
    assert seq_of(room.group) == 0
    listener.assert_nothing_received()


# --- Concurrency ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_votes_never_lose_a_count(published_paper, threads):
    room = make_room(published_paper)
    position = make_position(room.ada, "Everyone votes on this")
    voters = [make_participant(room.group, f"Voter {i}") for i in range(20)]
    listener = Listener(room.group.pk)
    try:
        results = threads.run(
            [
                lambda voter=voter: services.cast_vote(
                    participant=voter, position_id=position.pk, choice="agree"
                )
                for voter in voters
            ]
        )
        assert all(ballot.vote.choice == AGREE for ballot in results)
        # Each vote's version is its own: twenty votes, twenty versions, no two alike.
        assert sorted(ballot.position.tally_version for ballot in results) == list(range(1, 21))
        tally = queries.position_with_tally(position.pk).tally
        assert tally == queries.Tally(agree=20, disagree=0, passed=0)
        assert Vote.objects.filter(position=position, choice=AGREE).count() == 20
        # Every vote took its own broadcast number, and each was published once.
        assert seq_of(room.group) == 20
        assert sorted(listener.next()["seq"] for _ in range(20)) == list(range(1, 21))
        listener.assert_nothing_received()
    finally:
        listener.close()


@pytest.mark.django_db(transaction=True)
def test_one_participant_voting_twice_at_once_keeps_one_row(published_paper, threads):
    room = make_room(published_paper)
    position = make_position(room.ben, "Tabs race each other")
    choices = ["agree", "disagree"] * 5
    threads.run(
        [
            lambda choice=choice: services.cast_vote(
                participant=room.ada, position_id=position.pk, choice=choice
            )
            for choice in choices
        ]
    )
    assert Vote.objects.filter(participant=room.ada, position=position).count() == 1
    tally = queries.position_with_tally(position.pk).tally
    assert tally.total == 1
    assert tally.passed == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_plenary_votes_from_different_groups_never_deadlock(published_paper, threads):
    """A plenary tally is numbered in every room: voters of different groups must never
    hold the rooms' locks in different orders, or PostgreSQL aborts one as a deadlock. (A
    vote locks only its position; each room's number is taken after the commit, alone.)"""
    room = make_room(published_paper)
    positions = [make_position(room.ada, "Plenary one"), make_position(room.cleo, "Plenary two")]
    Position.objects.filter(pk__in=[p.pk for p in positions]).update(plenary=True)
    voters = [
        make_participant(group, f"{group.name} {i}")
        for group in (room.group, room.other_group)
        for i in range(6)
    ]
    calls = [
        lambda voter=voter, position=position: services.cast_vote(
            participant=voter, position_id=position.pk, choice="agree"
        )
        for voter in voters
        for position in positions
    ]
    results = threads.run(calls)
    assert all(ballot.vote.choice == AGREE for ballot in results)
    for position in positions:
        assert queries.position_with_tally(position.pk).tally.agree == len(voters)
    # Each of the 24 votes was numbered once in each of the two rooms.
    assert seq_of(room.group) == seq_of(room.other_group) == len(calls)
