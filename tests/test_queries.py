"""The tallies a broadcast carries (queries.positions_with_tallies, written in SQL) must say
what the room page says (queries.room_positions, through the ORM)."""

import pytest

from discussions import queries
from discussions.models import BreakoutGroup, Session, Vote
from tests.factories import make_participant, make_position, make_room, make_vote

AGREE, DISAGREE, PASS = Vote.Choice.AGREE, Vote.Choice.DISAGREE, Vote.Choice.PASS


@pytest.fixture
def room(published_paper):
    return make_room(published_paper)


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
