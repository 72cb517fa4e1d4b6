"""Facilitator actions: each changes what it says, logs itself, and refuses outsiders."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from discussions import queries, services
from discussions.models import (
    BreakoutGroup,
    FacilitatorAssignment,
    ModerationEntry,
    Participant,
    Position,
    Recommendation,
    Session,
    Vote,
)
from tests.factories import (
    AGREE,
    DISAGREE,
    PASS,
    make_participant,
    make_position,
    make_session,
    make_vote,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator(django_user_model, room):
    """Facilitates the room's first group only."""
    user = django_user_model.objects.create_user(username="fay", password="x" * 12)
    assignment = FacilitatorAssignment.objects.create(session=room.session, user=user)
    assignment.groups.set([room.group])
    return user


@pytest.fixture
def stranger(django_user_model, published_paper):
    """Facilitates every group of another session."""
    user = django_user_model.objects.create_user(username="sam", password="x" * 12)
    other = make_session(published_paper, name="Other")
    FacilitatorAssignment.objects.create(session=other, user=user)
    return user


@pytest.fixture
def position(room):
    return make_position(room.ada, "Trade deals should carry labour standards.")


def snapshot():
    return (
        list(Position.objects.order_by("pk").values_list("status", "pinned", "merged_into")),
        list(Vote.objects.order_by("pk").values_list("position", "participant", "choice")),
        list(Participant.objects.order_by("pk").values_list("group", "removed_at")),
        list(
            BreakoutGroup.objects.order_by("pk").values_list(
                "phase", "current_prompt", "timer_ends_at", "announcement"
            )
        ),
        ModerationEntry.objects.count(),
    )


def every_action(room, position, other_position):
    groups = [room.group]
    return {
        "hide": lambda u: services.hide_position(actor=u, position_id=position.pk, reason="x"),
        "pin": lambda u: services.set_pinned(actor=u, position_id=position.pk, pinned=True),
        "merge": lambda u: services.merge_positions(
            actor=u, survivor_id=position.pk, absorbed_id=other_position.pk
        ),
        "move": lambda u: services.move_participant(
            actor=u, participant_id=room.ada.pk, group_id=room.other_group.pk
        ),
        "remove": lambda u: services.remove_participant(actor=u, participant_id=room.ben.pk),
        "phase": lambda u: services.set_phase(actor=u, groups=groups, phase="voting"),
        "next": lambda u: services.advance_prompt(actor=u, groups=groups),
        "timer": lambda u: services.start_timer(actor=u, groups=groups, seconds=60),
        "announce": lambda u: services.announce(actor=u, groups=groups, text="Hello"),
        "premoderation": lambda u: services.set_session_option(
            actor=u, session=room.session, option="premoderation", value=True
        ),
    }


@pytest.mark.parametrize(
    "action",
    [
        "hide",
        "pin",
        "merge",
        "move",
        "remove",
        "phase",
        "next",
        "timer",
        "announce",
        "premoderation",
    ],
)
def test_every_action_refuses_a_facilitator_of_another_session_and_changes_nothing(
    room, position, stranger, action
):
    other_position = make_position(room.ben, "A duplicate.")
    before = snapshot()
    with pytest.raises(services.NotAllowed):
        every_action(room, position, other_position)[action](stranger)
    assert snapshot() == before


def test_a_facilitator_of_one_group_cannot_act_on_another(room, facilitator):
    foreign = make_position(room.cleo, "Elsewhere.")
    before = snapshot()
    with pytest.raises(services.NotAllowed):
        services.hide_position(actor=facilitator, position_id=foreign.pk, reason="x")
    with pytest.raises(services.NotAllowed):
        services.set_phase(actor=facilitator, groups=[room.other_group], phase="closed")
    with pytest.raises(services.NotAllowed):
        # Moving someone into a group you do not facilitate is refused too.
        services.move_participant(
            actor=facilitator, participant_id=room.ada.pk, group_id=room.other_group.pk
        )
    with pytest.raises(services.NotAllowed):
        # Session-wide switches need a facilitator of every group.
        services.set_session_option(
            actor=facilitator, session=room.session, option="hide_tallies", value=True
        )
    assert snapshot() == before


def test_hide_keeps_votes_but_takes_the_position_out_of_tallies_and_lists(
    room, facilitator, position
):
    make_vote(room.ben, position, AGREE)
    hidden = services.hide_position(actor=facilitator, position_id=position.pk, reason=" Spam ")
    assert hidden.status == "hidden"
    assert hidden.moderation_reason == "Spam"
    assert Vote.objects.filter(position=position).count() == 1
    assert position not in queries.room_positions(room.group, room.ben)
    entry = ModerationEntry.objects.get()
    assert (entry.actor, entry.action, entry.position, entry.detail) == (
        facilitator,
        "hide",
        position,
        "Spam",
    )


def test_hide_needs_a_reason_and_a_visible_position(room, facilitator, position):
    with pytest.raises(services.ServiceError, match="reason"):
        services.hide_position(actor=facilitator, position_id=position.pk, reason="  ")
    services.hide_position(actor=facilitator, position_id=position.pk, reason="x")
    with pytest.raises(services.ServiceError, match="visible"):
        services.hide_position(actor=facilitator, position_id=position.pk, reason="x")


def test_restore_brings_a_hidden_position_back(room, facilitator, position):
    services.hide_position(actor=facilitator, position_id=position.pk, reason="x")
    services.restore_position(actor=facilitator, position_id=position.pk)
    assert position in queries.room_positions(room.group, room.ben)
    with pytest.raises(services.ServiceError, match="hidden"):
        services.restore_position(actor=facilitator, position_id=position.pk)


def test_premoderation_holds_new_positions_for_review(room, facilitator, django_user_model):
    organizer = django_user_model.objects.create_user(username="o", is_staff=True)
    services.set_session_option(
        actor=organizer, session=room.session, option="premoderation", value=True
    )
    waiting = services.post_position(participant=room.ada, text="Held back")
    assert waiting.status == "pending"
    # The author sees it (awaiting review); nobody else does.
    assert waiting in queries.room_positions(room.group, room.ada)
    assert waiting not in queries.room_positions(room.group, room.ben)

    services.approve_position(actor=facilitator, position_id=waiting.pk)
    assert waiting in queries.room_positions(room.group, room.ben)

    rejected = services.post_position(participant=room.ada, text="Off topic")
    services.reject_position(actor=facilitator, position_id=rejected.pk, reason="Off topic")
    rejected.refresh_from_db()
    assert (rejected.status, rejected.moderation_reason) == ("rejected", "Off topic")
    assert rejected not in queries.room_positions(room.group, room.ada)
    with pytest.raises(services.ServiceError, match="awaiting review"):
        services.approve_position(actor=facilitator, position_id=rejected.pk)


def test_a_position_not_awaiting_review_is_refused_in_the_facilitators_language(room, facilitator):
    position = make_position(room.ada, "Already in the room")
    for review in (
        lambda: services.approve_position(actor=facilitator, position_id=position.pk),
        lambda: services.reject_position(actor=facilitator, position_id=position.pk, reason="x"),
    ):
        with translation.override("fr"), pytest.raises(services.ServiceError) as refused:
            review()
        assert str(refused.value) == "Cette position n’est pas en attente d’examen."


def test_merge_combines_votes_keeping_one_per_participant(room, facilitator):
    survivor = make_position(room.ada, "Keep NATO strong.")
    duplicate = make_position(room.ben, "NATO must stay strong.")
    cleo_in_group = make_participant(room.group, "Dan")
    # Ada voted on both: she keeps her vote on the survivor (agree), not the duplicate's.
    make_vote(room.ada, survivor, AGREE)
    make_vote(room.ada, duplicate, DISAGREE)
    # Ben voted only on the duplicate: his vote moves over.
    make_vote(room.ben, duplicate, DISAGREE)
    make_vote(cleo_in_group, survivor, PASS)

    services.merge_positions(actor=facilitator, survivor_id=survivor.pk, absorbed_id=duplicate.pk)

    tally = queries.position_with_tally(survivor.pk).tally
    assert (tally.agree, tally.disagree, tally.passed) == (1, 1, 1)
    assert set(Vote.objects.filter(position=survivor).values_list("participant", "choice")) == {
        (room.ada.pk, AGREE),
        (room.ben.pk, DISAGREE),
        (cleo_in_group.pk, PASS),
    }
    assert not Vote.objects.filter(position=duplicate).exists()
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == ("merged", survivor)


def test_the_log_says_vote_for_one_and_votes_for_more(room, facilitator):
    survivor = make_position(room.ada, "Keep NATO strong.")
    one, two = make_position(room.ben, "NATO first."), make_position(room.ben, "NATO, yes.")
    make_vote(room.ada, one, AGREE)
    make_vote(room.ben, two, AGREE)
    make_vote(make_participant(room.group, "Dan"), two, PASS)

    services.merge_positions(actor=facilitator, survivor_id=survivor.pk, absorbed_id=one.pk)
    assert "(1 vote moved)" in last_entry("merge").detail
    services.undo_action(actor=facilitator, entry_id=last_entry("merge").pk)
    assert last_entry("unmerge").detail.endswith(", 1 vote given back")
    services.merge_positions(actor=facilitator, survivor_id=survivor.pk, absorbed_id=two.pk)
    assert "(2 votes moved)" in last_entry("merge").detail


def test_merge_refuses_positions_of_different_groups_or_itself(room, facilitator, position):
    foreign = make_position(room.cleo, "Elsewhere.")
    FacilitatorAssignment.objects.filter(user=facilitator).get().groups.clear()  # all groups
    with pytest.raises(services.ServiceError, match="same group"):
        services.merge_positions(actor=facilitator, survivor_id=position.pk, absorbed_id=foreign.pk)
    with pytest.raises(services.ServiceError, match="two different"):
        services.merge_positions(
            actor=facilitator, survivor_id=position.pk, absorbed_id=position.pk
        )


def test_pin_puts_a_position_first_in_every_order(room, facilitator):
    old = make_position(room.ada, "Old one")
    make_position(room.ben, "New one")
    services.set_pinned(actor=facilitator, position_id=old.pk, pinned=True)
    for sort in ("newest", "agreed", "divisive"):
        assert queries.room_positions(room.group, room.ben, sort)[0] == old


def test_move_participant_changes_their_group_and_refuses_other_sessions(
    room, django_user_model, published_paper
):
    organizer = django_user_model.objects.create_user(username="o", is_staff=True)
    services.move_participant(
        actor=organizer, participant_id=room.ada.pk, group_id=room.other_group.pk
    )
    room.ada.refresh_from_db()
    assert room.ada.group == room.other_group
    elsewhere = make_session(published_paper, name="Elsewhere").groups.first()
    with pytest.raises(services.ServiceError, match="same session"):
        services.move_participant(
            actor=organizer, participant_id=room.ada.pk, group_id=elsewhere.pk
        )


def test_remove_participant_keeps_their_positions(room, facilitator, position):
    services.remove_participant(actor=facilitator, participant_id=room.ada.pk)
    room.ada.refresh_from_db()
    assert room.ada.removed_at is not None
    assert position in queries.room_positions(room.group, room.ben)
    with pytest.raises(services.ServiceError, match="no longer"):
        services.remove_participant(actor=facilitator, participant_id=room.ada.pk)


def test_remove_participant_can_hide_their_positions_and_the_undo_shows_them_again(
    room, facilitator, position
):
    """A sock puppet's or a troll's positions go with them, where they were posted."""
    second = make_position(room.ada, "A second one")
    services.hide_position(actor=facilitator, position_id=second.pk, reason="Off topic")
    services.remove_participant(actor=facilitator, participant_id=room.ada.pk, hide_positions=True)
    position.refresh_from_db()
    assert (position.status, position.moderation_reason) == (
        Position.Status.HIDDEN,
        "Its author was removed from the session.",
    )
    assert position not in queries.room_positions(room.group, room.ben)
    services.undo_action(actor=facilitator, entry_id=last_entry("remove").pk)
    position.refresh_from_db()
    second.refresh_from_db()
    assert position.status == Position.Status.VISIBLE and position.moderation_reason == ""
    # Hidden before, for its own reason: it stays hidden.
    assert (second.status, second.moderation_reason) == (Position.Status.HIDDEN, "Off topic")


def test_remove_participant_can_take_back_their_votes_and_the_undo_restores_them(
    room, facilitator, position
):
    """A sock puppet's votes stop counting with its removal, in its group and in the
    plenary round; the tallies' versions move on, so that pages take the new tallies."""
    plenary = make_position(room.cleo, "For the plenary", plenary=True)
    make_vote(room.ben, position, 1)
    make_vote(room.ben, plenary, -1)
    make_vote(room.ada, position, 1)
    before = {p.pk: p.tally_version for p in Position.objects.all()}
    services.remove_participant(actor=facilitator, participant_id=room.ben.pk, discard_votes=True)
    assert not Vote.objects.filter(participant=room.ben).exists()
    assert Vote.objects.filter(participant=room.ada).count() == 1  # nobody else's
    tallies = {p.pk: p.tally for p in queries.room_positions(room.group, room.ada)}
    assert (tallies[position.pk].agree, tallies[position.pk].disagree) == (1, 0)
    after = {p.pk: p.tally_version for p in Position.objects.all()}
    assert after[position.pk] > before[position.pk] and after[plenary.pk] > before[plenary.pk]
    assert last_entry("remove").detail == "Ben, with their 2 votes"

    services.undo_action(actor=facilitator, entry_id=last_entry("remove").pk)
    assert sorted(
        Vote.objects.filter(participant=room.ben).values_list("position_id", "choice")
    ) == sorted([(position.pk, 1), (plenary.pk, -1)])
    assert Position.objects.get(pk=position.pk).tally_version > after[position.pk]


def test_removing_a_moved_participant_hides_their_positions_in_the_group_they_left(
    room, position, django_user_model
):
    organizer = django_user_model.objects.create_user(username="o", is_staff=True)
    services.move_participant(
        actor=organizer, participant_id=room.ada.pk, group_id=room.other_group.pk
    )
    services.remove_participant(actor=organizer, participant_id=room.ada.pk, hide_positions=True)
    position.refresh_from_db()
    assert position.status == Position.Status.HIDDEN
    assert room.group.pk != Participant.objects.get(pk=room.ada.pk).group_id


def test_set_phase_for_several_groups_and_refuses_an_unknown_phase(room, django_user_model):
    organizer = django_user_model.objects.create_user(username="o", is_staff=True)
    groups = [room.group, room.other_group]
    services.set_phase(actor=organizer, groups=groups, phase="closed")
    assert set(BreakoutGroup.objects.values_list("phase", flat=True)) == {"closed"}
    with pytest.raises(services.ServiceError, match="phase"):
        services.set_phase(actor=organizer, groups=groups, phase="party")


def test_advance_prompt_goes_to_the_next_prompt_and_stops_at_the_last(room, facilitator):
    prompts = list(room.session.ordered_prompts())
    for expected in prompts[1:]:
        services.advance_prompt(actor=facilitator, groups=[room.group])
        room.group.refresh_from_db()
        assert room.group.current_prompt == expected
        assert room.group.phase == "collecting"
    with pytest.raises(services.ServiceError, match="last prompt"):
        services.advance_prompt(actor=facilitator, groups=[room.group])


def test_countdown_start_pause_resume_extend_stop(room, facilitator):
    groups = [room.group]
    services.start_timer(actor=facilitator, groups=groups, seconds=120, then_phase="voting")
    room.group.refresh_from_db()
    assert 118 <= room.group.timer_remaining().total_seconds() <= 120
    services.pause_timer(actor=facilitator, groups=groups)
    room.group.refresh_from_db()
    assert not room.group.timer_running
    paused = room.group.timer_remaining()
    services.extend_timer(actor=facilitator, groups=groups, seconds=60)
    room.group.refresh_from_db()
    assert room.group.timer_remaining() == paused + timedelta(seconds=60)
    services.resume_timer(actor=facilitator, groups=groups)
    room.group.refresh_from_db()
    assert room.group.timer_running
    services.stop_timer(actor=facilitator, groups=groups)
    room.group.refresh_from_db()
    assert room.group.timer_remaining() is None
    assert room.group.timer_then_phase == ""


@pytest.mark.parametrize("seconds", [0, -5, 4 * 3600 + 1])
def test_countdown_refuses_a_length_out_of_range(room, facilitator, seconds):
    with pytest.raises(services.ServiceError, match="4 hours"):
        services.start_timer(actor=facilitator, groups=[room.group], seconds=seconds)


def test_a_countdown_that_ran_out_switches_the_phase_and_closes_posting(room, facilitator):
    services.start_timer(actor=facilitator, groups=[room.group], seconds=60, then_phase="voting")
    BreakoutGroup.objects.filter(pk=room.group.pk).update(
        timer_ends_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(services.ServiceError, match="closed"):
        services.post_position(participant=room.ada, text="Too late")
    room.group.refresh_from_db()
    assert room.group.phase == "voting"
    assert room.group.timer_ends_at is None
    assert ModerationEntry.objects.filter(action="timer end").count() == 1
    assert not Position.objects.exists()


def test_announce_sets_and_clears_the_announcement(room, facilitator):
    services.announce(actor=facilitator, groups=[room.group], text="  Back   in 5  ")
    room.group.refresh_from_db()
    assert room.group.announcement == "Back in 5"
    services.announce(actor=facilitator, groups=[room.group], text="")
    room.group.refresh_from_db()
    assert room.group.announcement == ""
    with pytest.raises(services.ServiceError, match="300"):
        services.announce(actor=facilitator, groups=[room.group], text="x" * 301)


def test_hidden_tallies_show_once_voting_closes(room, django_user_model, position):
    organizer = django_user_model.objects.create_user(username="o", is_staff=True)
    services.set_session_option(
        actor=organizer, session=room.session, option="hide_tallies", value=True
    )
    room.group.refresh_from_db()
    assert queries.room_positions(room.group, room.ben)[0].tally_hidden
    services.set_phase(actor=organizer, groups=[room.group], phase="closed")
    room.group.refresh_from_db()
    assert not queries.room_positions(room.group, room.ben)[0].tally_hidden


def test_every_action_is_logged_with_who_and_what(room, facilitator, position):
    services.set_pinned(actor=facilitator, position_id=position.pk, pinned=True)
    services.set_phase(actor=facilitator, groups=[room.group], phase="voting")
    services.announce(actor=facilitator, groups=[room.group], text="Hi")
    actions = list(ModerationEntry.objects.order_by("pk").values_list("actor", "action"))
    assert actions == [
        (facilitator.pk, "pin"),
        (facilitator.pk, "phase"),
        (facilitator.pk, "announce"),
    ]


class RecordingLayer:
    """A channel layer that keeps what it is asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    async def group_send(self, group: str, message: dict) -> None:
        self.sent.append((group, message))


def test_an_action_on_every_group_sends_each_room_its_status_and_the_consoles_one_word(
    published_paper, django_user_model, django_capture_on_commit_callbacks, monkeypatch
):
    session = make_session(published_paper, group_count=3)
    organizer = django_user_model.objects.create_user(username="o", is_staff=True)
    layer = RecordingLayer()
    monkeypatch.setattr("discussions.live.events.get_channel_layer", lambda: layer)
    groups = list(session.groups.order_by("pk"))
    with django_capture_on_commit_callbacks(execute=True):
        services.announce(actor=organizer, groups=groups, text="Back in 5 <minutes>")
    rooms = [(name, message) for name, message in layer.sent if name.startswith("room.")]
    assert [name for name, _ in rooms] == [f"room.{group.pk}" for group in groups]
    for (_, message), group in zip(rooms, groups, strict=True):
        group.refresh_from_db()
        assert message["seq"] == group.broadcast_seq == 1
        announced = "Announcement from the facilitators: <bdi>Back in 5 &lt;minutes&gt;</bdi>"
        assert announced in message["html"]["en"]
        assert group.name in message["html"]["en"]
    consoles = [message for name, message in layer.sent if name == f"console.{session.pk}"]
    assert consoles == [{"type": "console.changed", "group_ids": [g.pk for g in groups]}]
    assert ModerationEntry.objects.filter(action="announce").count() == 3


@pytest.mark.parametrize(
    "act",
    [
        lambda actor, groups: services.announce(actor=actor, groups=groups, text="Hello"),
        lambda actor, groups: services.set_phase(actor=actor, groups=groups, phase="voting"),
        lambda actor, groups: services.start_timer(actor=actor, groups=groups, seconds=60),
        lambda actor, groups: services.advance_prompt(actor=actor, groups=groups),
    ],
    ids=["announce", "phase", "countdown", "next prompt"],
)
def test_an_action_on_every_group_takes_as_many_queries_for_twelve_groups_as_for_two(
    published_paper, django_user_model, django_capture_on_commit_callbacks, act
):
    """One publish per group was three queries and two channel-layer round trips a group:
    seconds for a hundred groups under load. Now: the check, the lock, the writes, the
    broadcast numbers, and after the commit one read of the groups and their numbers online."""
    facilitator = django_user_model.objects.create_user(username="fay", password="x" * 12)
    counts = []
    for size in (2, 12):
        session = make_session(published_paper, group_count=size, name=f"Session of {size}")
        FacilitatorAssignment.objects.create(session=session, user=facilitator)
        groups = list(session.groups.all())
        with (
            CaptureQueriesContext(connection) as queries_made,
            django_capture_on_commit_callbacks(execute=True),
        ):
            act(facilitator, groups)
        counts.append(len(queries_made))
    assert counts[0] == counts[1], counts


def test_a_phase_change_makes_pages_refetch_their_list_only_when_tallies_show_or_hide(
    room, django_user_model, position, django_capture_on_commit_callbacks, monkeypatch
):
    """Every page of a group re-fetches its list on the refresh marker: twenty requests for
    one click. A phase shows in the status, which the broadcast carries; the list changes
    only where the session hides tallies until voting closes."""
    organizer = django_user_model.objects.create_user(username="o", is_staff=True)
    layer = RecordingLayer()
    monkeypatch.setattr("discussions.live.events.get_channel_layer", lambda: layer)

    def broadcast_of(phase: str) -> str:
        layer.sent.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.set_phase(actor=organizer, groups=[room.group], phase=phase)
        [html] = [m["html"]["en"] for name, m in layer.sent if name == f"room.{room.group.pk}"]
        assert f'data-phase="{phase}"' in html
        return html

    assert "room-refresh" not in broadcast_of("voting")
    assert "room-refresh" not in broadcast_of("closed")
    with django_capture_on_commit_callbacks(execute=True):
        services.set_session_option(
            actor=organizer, session=room.session, option="hide_tallies", value=True
        )
    assert "room-refresh" in broadcast_of("voting")  # closed -> voting: tallies hide
    assert "room-refresh" not in broadcast_of("collecting")  # hidden before and after
    assert "room-refresh" in broadcast_of("closed")  # they show


@pytest.mark.parametrize(
    ("hide_tallies", "then_phase", "refetch"),
    [
        (False, "voting", False),
        (False, "closed", False),
        (True, "voting", False),
        (True, "closed", True),
    ],
)
def test_a_countdown_that_runs_out_makes_pages_refetch_their_list_only_when_tallies_show(
    room, facilitator, django_capture_on_commit_callbacks, monkeypatch,
    hide_tallies, then_phase, refetch,
):  # fmt: skip
    Session.objects.filter(pk=room.session.pk).update(hide_tallies=hide_tallies)
    services.start_timer(actor=facilitator, groups=[room.group], seconds=60, then_phase=then_phase)
    BreakoutGroup.objects.filter(pk=room.group.pk).update(
        timer_ends_at=timezone.now() - timedelta(seconds=1)
    )
    layer = RecordingLayer()
    monkeypatch.setattr("discussions.live.events.get_channel_layer", lambda: layer)
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_due_timer(BreakoutGroup.objects.get(pk=room.group.pk))
    [html] = [m["html"]["en"] for name, m in layer.sent if name == f"room.{room.group.pk}"]
    assert f'data-phase="{then_phase}"' in html
    assert ("room-refresh" in html) == refetch


# --- Undo (issue 24): a merge gives each participant their own vote back, a hide and a
# removal are reversed, a removed recommendation returns to its place; for a few minutes,
# once, and only for those who facilitate what it changes.


def votes_on(position: Position) -> set[tuple[int, int]]:
    return set(Vote.objects.filter(position=position).values_list("participant", "choice"))


def last_entry(action: str) -> ModerationEntry:
    return ModerationEntry.objects.filter(action=action).first()


@pytest.fixture
def merged(room, facilitator):
    """Ada voted on both (differently), Ben and Dan only on the duplicate, Cy only on the
    survivor; then the duplicate was merged."""
    survivor = make_position(room.ada, "Keep NATO strong.")
    duplicate = make_position(room.ben, "NATO must stay strong.")
    dan, cy = make_participant(room.group, "Dan"), make_participant(room.group, "Cy")
    make_vote(room.ada, survivor, AGREE)
    make_vote(room.ada, duplicate, DISAGREE)
    make_vote(room.ben, duplicate, DISAGREE)
    make_vote(dan, duplicate, PASS)
    make_vote(cy, survivor, AGREE)
    before = {survivor.pk: votes_on(survivor), duplicate.pk: votes_on(duplicate)}
    services.merge_positions(actor=facilitator, survivor_id=survivor.pk, absorbed_id=duplicate.pk)
    return survivor, duplicate, before, dan


def test_an_unmerge_gives_each_participant_their_own_vote_back(room, facilitator, merged):
    survivor, duplicate, before, dan = merged
    assert votes_on(survivor) != before[survivor.pk]

    done = services.undo_action(actor=facilitator, entry_id=last_entry("merge").pk)

    assert done.startswith("Merge undone")
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Position.Status.VISIBLE, None)
    assert votes_on(survivor) == before[survivor.pk]
    assert votes_on(duplicate) == before[duplicate.pk]
    assert last_entry("merge").undone_at is not None
    assert last_entry("unmerge").actor == facilitator


def test_an_unmerge_takes_back_a_moved_vote_changed_since(room, facilitator, merged):
    """Ben's vote moved onto the survivor and he changed it there: the survivor had no vote
    of his before the merge, and has none after the undo; the duplicate has his own."""
    survivor, duplicate, before, dan = merged
    services.cast_vote(participant=room.ben, position_id=survivor.pk, choice="agree")

    services.undo_action(actor=facilitator, entry_id=last_entry("merge").pk)

    assert votes_on(survivor) == before[survivor.pk]
    assert (room.ben.pk, DISAGREE) in votes_on(duplicate)


def test_an_action_is_undone_once(room, facilitator, merged):
    entry = last_entry("merge")
    services.undo_action(actor=facilitator, entry_id=entry.pk)
    with pytest.raises(services.ServiceError, match="already undone"):
        services.undo_action(actor=facilitator, entry_id=entry.pk)


def test_too_late_to_undo_changes_nothing(room, facilitator, merged):
    survivor, duplicate, before, dan = merged
    entry = last_entry("merge")
    ModerationEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - ModerationEntry.UNDO_FOR - timedelta(seconds=1)
    )
    with pytest.raises(services.ServiceError, match="Too late"):
        services.undo_action(actor=facilitator, entry_id=entry.pk)
    duplicate.refresh_from_db()
    assert duplicate.status == Position.Status.MERGED


def test_only_a_facilitator_of_the_group_undoes(room, facilitator, stranger, merged):
    survivor, duplicate, before, dan = merged
    with pytest.raises(services.NotAllowed):
        services.undo_action(actor=stranger, entry_id=last_entry("merge").pk)
    duplicate.refresh_from_db()
    assert duplicate.status == Position.Status.MERGED
    assert last_entry("merge").undone_at is None


def test_undoing_a_hide_restores_the_position(room, facilitator):
    position = make_position(room.ada, "Off topic, perhaps.")
    services.hide_position(actor=facilitator, position_id=position.pk, reason="off topic")
    services.undo_action(actor=facilitator, entry_id=last_entry("hide").pk)
    position.refresh_from_db()
    assert position.status == Position.Status.VISIBLE


def test_undoing_a_removal_lets_the_participant_back(room, facilitator):
    services.remove_participant(actor=facilitator, participant_id=room.ben.pk)
    services.undo_action(actor=facilitator, entry_id=last_entry("remove").pk)
    assert Participant.objects.get(pk=room.ben.pk).removed_at is None
    assert last_entry("reinstate").participant_id == room.ben.pk


def test_a_removed_recommendation_returns_to_its_place(room, django_user_model):
    organizer = django_user_model.objects.create_user(username="olga", is_staff=True)
    positions = [make_position(room.ada, f"Position {n}") for n in range(3)]
    first, second, third = (
        services.promote(actor=organizer, session=room.session, position_ids=[p.pk])
        for p in positions
    )
    services.edit_recommendation(
        actor=organizer, recommendation_id=second.pk, text="Reworded", dissent_note="Some object."
    )
    services.delete_recommendation(actor=organizer, recommendation_id=second.pk)
    assert list(room.session.recommendations.values_list("text", flat=True)) == [
        "Position 0",
        "Position 2",
    ]

    services.undo_action(actor=organizer, entry_id=last_entry("delete_recommendation").pk)

    back = list(room.session.recommendations.order_by("position"))
    assert [r.text for r in back] == ["Position 0", "Reworded", "Position 2"]
    assert back[1].dissent_note == "Some object."
    assert list(back[1].sources.all()) == [positions[1]]
    assert Recommendation.objects.count() == 3


def test_an_action_without_undo_is_refused(room, facilitator):
    position = make_position(room.ada)
    services.set_pinned(actor=facilitator, position_id=position.pk, pinned=True)
    with pytest.raises(services.ServiceError, match="cannot be undone"):
        services.undo_action(actor=facilitator, entry_id=last_entry("pin").pk)
