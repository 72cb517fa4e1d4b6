"""Votes written in batches (services.cast_votes): the rules for each vote, in order, and
a batch's statements whatever its size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from discussions import queries, services
from discussions.models import BreakoutGroup, Participant, Position, Vote
from discussions.services.votes import CLOSED, NOT_A_MEMBER, NOT_VOTABLE
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


def ask(participant, position, choice, group=None):
    group_id = participant.group_id if group is None else group.pk
    return services.VoteRequest(participant.pk, group_id, position.pk, choice)


def choices_on(position):
    return dict(Vote.objects.filter(position=position).values_list("participant_id", "choice"))


def test_a_batch_records_every_voters_vote_and_numbers_each_change(
    room, django_capture_on_commit_callbacks
):
    first, second = make_position(room.ada, "First"), make_position(room.ben, "Second")
    make_vote(room.ben, second, DISAGREE)
    requests = [
        ask(room.ada, first, "agree"),
        ask(room.ben, first, "pass"),
        ask(room.ada, second, "disagree"),
        ask(room.ben, second, "agree"),  # changes Ben's earlier vote
    ]
    with django_capture_on_commit_callbacks(execute=True) as announced:
        ballots = services.cast_votes(requests)
    assert [b.error for b in ballots] == ["", "", "", ""]
    assert [b.vote.choice for b in ballots] == [AGREE, PASS, DISAGREE, AGREE]
    assert choices_on(first) == {room.ada.pk: AGREE, room.ben.pk: PASS}
    assert choices_on(second) == {room.ada.pk: DISAGREE, room.ben.pk: AGREE}
    assert Vote.objects.count() == 4  # Ben's vote on the second changed, not doubled
    # The version a ballot carries counts every change of the batch on its position.
    assert {b.position.pk: b.position.tally_version for b in ballots} == {
        first.pk: 2,
        second.pk: 2,
    }
    for position in (first, second):
        position.refresh_from_db()
        assert position.tally_version == 2
    assert len(announced) == 2  # each changed position's tally, once


def test_a_batch_costs_the_same_statements_for_two_votes_or_forty(room):
    positions = [make_position(room.ada, f"Position {i}") for i in range(4)]
    voters = [make_participant(room.group, f"Voter {i}") for i in range(10)]

    def statements(requests):
        with CaptureQueriesContext(connection) as captured:
            ballots = services.cast_votes(requests)
        assert all(b.saved for b in ballots)
        return len(captured.captured_queries)

    two = statements([ask(voters[0], positions[0], "agree"), ask(voters[1], positions[1], "pass")])
    forty = statements(
        [ask(voter, position, "disagree") for voter in voters for position in positions]
    )
    assert forty == two


def test_each_vote_of_a_batch_is_held_to_the_rules(room, published_paper):
    ours = make_position(room.ada, "Ours")
    hidden = make_position(room.ada, "Hidden", status=Position.Status.HIDDEN)
    theirs = make_position(room.cleo, "The other group's")
    removed = make_participant(room.group, "Removed")
    Participant.objects.filter(pk=removed.pk).update(removed_at=timezone.now())
    BreakoutGroup.objects.filter(pk=room.other_group.pk).update(phase=BreakoutGroup.Phase.CLOSED)
    cleos_own = make_position(room.cleo, "Cleo's group is closed")
    ballots = services.cast_votes(
        [
            ask(room.ada, theirs, "agree"),  # another group's position
            ask(room.ada, hidden, "agree"),  # hidden by a facilitator
            ask(removed, ours, "agree"),  # removed from the session
            ask(room.ben, ours, "agree", group=room.other_group),  # a page of another group
            ask(room.cleo, cleos_own, "agree"),  # voting closed in that group
            ask(room.ben, ours, "agree"),  # the one that counts
        ]
    )
    assert [b.error for b in ballots] == [
        NOT_VOTABLE,
        NOT_VOTABLE,
        NOT_A_MEMBER,
        NOT_A_MEMBER,
        CLOSED,
        "",
    ]
    assert [b.member for b in ballots] == [True, True, False, False, True, True]
    # A refusal in an open room still shows the voter their buttons: here, no vote yet.
    assert ballots[4].position.pk == cleos_own.pk and ballots[4].vote is None
    assert list(Vote.objects.values_list("participant_id", "position_id")) == [
        (room.ben.pk, ours.pk)
    ]


def test_one_voters_votes_in_one_batch_apply_in_order(room, django_capture_on_commit_callbacks):
    position = make_position(room.ben, "Tabs and double clicks")
    steps = ["agree", "disagree", "withdraw", "pass", "pass"]
    with django_capture_on_commit_callbacks(execute=True) as announced:
        ballots = services.cast_votes([ask(room.ada, position, step) for step in steps])
    assert all(b.saved for b in ballots)
    assert choices_on(position) == {room.ada.pk: PASS}
    position.refresh_from_db()
    assert position.tally_version == 4  # the second "pass" changed nothing
    assert len(announced) == 1


def test_a_vote_sent_again_changes_and_announces_nothing(room, django_capture_on_commit_callbacks):
    position = make_position(room.ben, "Sent twice over a flaky network")
    services.cast_votes([ask(room.ada, position, "agree")])
    before = list(Vote.objects.values_list("pk", "choice", "cast_at"))
    with django_capture_on_commit_callbacks() as announced:
        (again,) = services.cast_votes([ask(room.ada, position, "agree")])
        (nothing,) = services.cast_votes([ask(room.ben, position, "withdraw")])
    assert again.saved and again.vote.choice == AGREE
    assert nothing.saved and nothing.vote is None
    assert announced == []
    assert list(Vote.objects.values_list("pk", "choice", "cast_at")) == before


def test_a_withdrawal_in_a_batch_deletes_the_row(room):
    position = make_position(room.ben, "Changed my mind")
    make_vote(room.ada, position, AGREE)
    make_vote(room.ben, position, DISAGREE)
    (ballot,) = services.cast_votes([ask(room.ada, position, "withdraw")])
    assert ballot.saved and ballot.vote is None
    assert choices_on(position) == {room.ben.pk: DISAGREE}
    assert queries.position_with_tally(position.pk).tally == queries.Tally(0, 1, 0)


# --- Concurrency ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_batches_over_many_positions_and_moderation_of_them_never_deadlock(
    published_paper, organizer, threads
):
    """A batch locks every position it votes on, in id order (the services' lock order);
    hiding, pinning and merging lock the positions' group, then the positions. Batches
    sent in the opposite order of ids, at once with moderation of the same rows, must
    neither deadlock nor lose a vote answered saved. (On PostgreSQL in CI; SQLite takes one
    writer at a time.)"""
    room = make_room(published_paper)
    positions = [make_position(room.ben, f"Position {i}") for i in range(6)]
    kept, moderated = positions[:4], positions[4:]
    voters = [make_participant(room.group, f"Voter {i}") for i in range(8)]
    newest_first = sorted(kept + moderated, key=lambda p: -p.pk)

    def batch(voter, choice):
        return lambda: services.cast_votes([ask(voter, p, choice) for p in newest_first])

    calls = [batch(voter, ["agree", "disagree"][i % 2]) for i, voter in enumerate(voters)]
    calls += [
        lambda: services.hide_position(actor=organizer, position_id=moderated[0].pk, reason="x"),
        lambda: services.set_pinned(actor=organizer, position_id=kept[0].pk, pinned=True),
        lambda: services.merge_positions(
            actor=organizer, survivor_id=kept[1].pk, absorbed_id=moderated[1].pk
        ),
        lambda: services.set_pinned(actor=organizer, position_id=kept[3].pk, pinned=True),
    ]
    results = threads.run(calls)

    expected = {}
    for voter, ballots in zip(voters, results[: len(voters)], strict=True):
        for position, ballot in zip(newest_first, ballots, strict=True):
            if position in kept:  # never hidden or merged away: its votes all count
                assert ballot.saved, ballot.error
                expected[(voter.pk, position.pk)] = ballot.vote.choice
    rows = Vote.objects.filter(position__in=kept).values_list(
        "participant_id", "position_id", "choice"
    )
    assert {(voter, position): choice for voter, position, choice in rows} == expected
