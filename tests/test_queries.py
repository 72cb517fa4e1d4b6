"""Queries written out in SQL for speed must read what the ORM reads: the tallies a
broadcast carries (queries.positions_with_tallies) what the room page says
(queries.room_positions), and the membership check (rules.member_in) what
select_related reads, and the vote's locking read the positions rules.votable_in allows."""

import pytest
from django.utils import timezone

from discussions import queries
from discussions.models import BreakoutGroup, Participant, Position, Session
from discussions.rules import member_in, votable, votable_in
from discussions.services.votes import _lock_with_votes
from tests.factories import (
    AGREE,
    DISAGREE,
    PASS,
    make_participant,
    make_position,
    make_room,
    make_vote,
)


def broadcast_and_page(room, group):
    page = queries.room_positions(group, None)
    broadcast = {t.pk: t for t in queries.positions_with_tallies([p.pk for p in page])}
    return page, broadcast


def test_broadcast_tallies_equal_the_room_pages(room):
    voters = [room.ada, room.ben] + [make_participant(room.group, f"P{i}") for i in range(4)]
    mixed = make_position(room.ada, "Mixed")
    for voter, choice in zip(voters, [AGREE, AGREE, DISAGREE, PASS, AGREE, DISAGREE], strict=True):
        make_vote(voter, mixed, choice)
    unvoted = make_position(room.ben, "Nobody voted yet")
    elsewhere = make_position(room.cleo, "In the other group")
    make_vote(room.cleo, elsewhere, DISAGREE)

    page, broadcast = broadcast_and_page(room, room.group)
    assert {p.pk for p in page} == {mixed.pk, unvoted.pk} == set(broadcast)
    for position in page:
        assert broadcast[position.pk].tally == position.tally
        assert broadcast[position.pk].tally_version == position.tally_version
        assert broadcast[position.pk].tally_hidden is position.tally_hidden is False
    assert broadcast[mixed.pk].tally == queries.Tally(3, 2, 1)
    assert broadcast[unvoted.pk].tally == queries.Tally(0, 0, 0)
    [other] = queries.positions_with_tallies([elsewhere.pk])
    assert other.tally == queries.Tally(0, 1, 0)
    assert queries.positions_with_tallies([]) == []


def test_broadcast_hides_tallies_exactly_when_the_room_page_does(room):
    make_vote(room.ben, make_position(room.ada, "Hidden until closed"), AGREE)
    Session.objects.filter(pk=room.session.pk).update(hide_tallies=True)
    for phase, hidden in [("collecting", True), ("voting", True), ("closed", False)]:
        BreakoutGroup.objects.filter(pk=room.group.pk).update(phase=phase)
        group = BreakoutGroup.objects.select_related("session").get(pk=room.group.pk)
        [position], broadcast = broadcast_and_page(room, group)
        assert position.tally_hidden is hidden, phase
        assert broadcast[position.pk].tally_hidden is hidden, phase
        locked, _ = _lock_with_votes([position.pk], [room.ben.pk])  # what a vote answers
        assert locked[position.pk].tally_hidden is hidden, phase


def fields_of(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def as_the_orm_reads_it(participant_id: int) -> Participant:
    return Participant.objects.select_related("group__session", "group__current_prompt").get(
        pk=participant_id
    )


@pytest.mark.parametrize("with_prompt", [True, False])
def test_the_membership_check_reads_what_select_related_reads(room, with_prompt):
    if not with_prompt:
        BreakoutGroup.objects.filter(pk=room.group.pk).update(current_prompt=None)
    BreakoutGroup.objects.filter(pk=room.group.pk).update(timer_ends_at=timezone.now())
    Session.objects.filter(pk=room.session.pk).update(
        hide_tallies=True, join_expires_at=timezone.now()
    )
    browser = {str(room.session.pk): room.ada.pk}

    found = member_in(browser, room.group.pk)
    expected = as_the_orm_reads_it(room.ada.pk)
    assert fields_of(found) == fields_of(expected)
    assert fields_of(found.group) == fields_of(expected.group)
    assert fields_of(found.group.session) == fields_of(expected.group.session)
    assert found.session is found.group.session
    if with_prompt:
        assert fields_of(found.group.current_prompt) == fields_of(expected.group.current_prompt)
    else:
        assert found.group.current_prompt is None
    assert found.group.accepts_votes is expected.group.accepts_votes


def test_the_membership_check_finds_no_one_outside_the_group(room):
    ada = {str(room.session.pk): room.ada.pk}
    assert member_in(ada, room.other_group.pk) is None  # another group of the session
    assert member_in({str(room.session.pk + 1): room.ada.pk}, room.group.pk) is None
    assert member_in({}, room.group.pk) is None
    Participant.objects.filter(pk=room.ada.pk).update(removed_at=timezone.now())
    assert member_in(ada, room.group.pk) is None  # removed by a facilitator


def test_the_votes_locking_read_finds_the_positions_votable_in_allows(room, published_paper):
    elsewhere = make_room(published_paper)  # another session of the same paper
    positions = [
        make_position(room.ada, "Our own"),
        make_position(room.ben, "Our own, plenary", plenary=True),
        make_position(room.cleo, "The other group's"),
        make_position(room.cleo, "The other group's, plenary", plenary=True),
        make_position(elsewhere.ada, "Another session's, plenary", plenary=True),
    ]
    make_vote(room.ada, positions[1], AGREE)
    make_vote(room.ben, positions[0], DISAGREE)  # someone else's vote: not Ada's
    allowed = set(Position.objects.filter(votable_in(room.group)).values_list("pk", flat=True))
    assert allowed == {positions[0].pk, positions[1].pk, positions[3].pk}

    ids = [p.pk for p in positions] + [10**9, 2**70]
    locked, votes = _lock_with_votes(ids, [room.ada.pk])
    assert sorted(locked) == sorted(p.pk for p in positions)  # the missing ones are not
    for position in positions:
        assert locked[position.pk].text == position.text
    assert {pk for pk, position in locked.items() if votable(position, room.group)} == allowed
    # Ada's votes only, though Ben voted too.
    assert {key: vote.choice for key, vote in votes.items()} == {
        (room.ada.pk, positions[1].pk): AGREE
    }


def test_a_tally_bar_is_a_share_of_at_least_five_votes():
    """A single vote painted the whole bar."""
    one = queries.Tally(agree=1, disagree=0, passed=0)
    assert (one.agree_bar, one.disagree_bar, one.pass_bar) == (20, 0, 0)
    many = queries.Tally(agree=6, disagree=3, passed=1)
    assert (many.agree_bar, many.disagree_bar, many.pass_bar) == (60, 30, 10)
    assert queries.Tally(0, 0, 0).agree_bar == 0
