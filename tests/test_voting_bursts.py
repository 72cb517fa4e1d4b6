"""Bursts of identical voting from fresh participants (sock puppets, issue 26).

The detection over plain data first: genuine rooms, even the ones that look most alike,
stay unflagged, and a script's puppets are flagged, they and nobody else. Then the reader
over the database, and the synthesis page that shows the flags to the facilitators.
"""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussions import voting_bursts
from discussions.models import FacilitatorAssignment, Participant, Vote
from discussions.synthetic_votes import planted_votes
from discussions.views import synthesis_cache
from discussions.voting_bursts import Voter, find_bursts, session_bursts
from tests.factories import (
    AGREE,
    DISAGREE,
    make_participant,
    make_position,
    make_vote,
)

START = datetime(2025, 5, 6, 9, 0, tzinfo=UTC)
ROOM = 1  # the breakout group of the plain-data rooms


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def genuine_room(
    *, seed: int = 0, n: int = 20, positions: int = 12, join_every: float = 20.0
) -> list[Voter]:
    """A room as people make one: they join `join_every` seconds apart on average, agree
    strongly (every position is consensus, 5% of votes flipped, 5% passes: five to nine of
    the twenty vote exactly alike on all twelve), and vote as people do, each position some
    seconds after the last (reading it: 4 to 40 s) in a voting phase that opens for all at
    once, ten minutes in."""
    rng = np.random.default_rng(seed)
    planted = planted_votes(
        n, positions, n * positions, n_consensus=positions, noise=0.05, seed=seed
    )
    joined = np.cumsum(rng.exponential(join_every, size=n))
    voters = []
    for i in range(n):
        moment = 600.0 + rng.uniform(0, 30)
        votes = {}
        for j in rng.permutation(positions).tolist():
            moment += rng.uniform(4, 40)
            votes[100 + j] = (int(planted.V[i, j]), at(moment))
        voters.append(Voter(i + 1, at(joined[i]), ROOM, votes))
    return voters


def puppets(
    count: int = 20,
    *,
    positions: list[int] | None = None,
    first_id: int = 1000,
    join_at: float = 900.0,
    join_every: float = 0.012,
    vote_every: float = 0.018,
    by_position: bool = False,
    group: int = ROOM,
) -> list[Voter]:
    """A script's participants: joined `join_every` seconds apart, all agreeing with the
    same positions, one vote every `vote_every` seconds, puppet by puppet (or position by
    position)."""
    positions = list(range(100, 108)) if positions is None else positions
    ids = range(first_id, first_id + count)
    votes: dict[int, dict] = {pk: {} for pk in ids}
    moment = join_at + count * join_every + 1
    order = (
        [(pk, p) for p in positions for pk in ids]
        if by_position
        else [(pk, p) for pk in ids for p in positions]
    )
    for pk, position in order:
        votes[pk][position] = (AGREE, at(moment))
        moment += vote_every
    return [Voter(pk, at(join_at + k * join_every), group, votes[pk]) for k, pk in enumerate(ids)]


def flagged(voters: list[Voter]) -> list[list[int]]:
    return [list(burst.participant_ids) for burst in find_bursts(voters)]


# --- Genuine rooms ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_a_genuine_room_that_agrees_is_not_flagged(seed):
    room = genuine_room(seed=seed)
    alike = [v for v in room if len(v.votes) >= 5 and all(c == AGREE for c, _ in v.votes.values())]
    assert len(alike) >= voting_bursts.MIN_CLUSTER  # the room does vote alike
    assert flagged(room) == []


def test_a_room_that_joined_in_one_go_and_agrees_is_not_flagged_for_its_pace(monkeypatch):
    """The hardest genuine room: everyone scanned the code within the same minute, and
    most vote exactly alike. Only the pace of their votes tells them from a script's."""
    room = genuine_room(join_every=2.0, seed=3)
    assert flagged(room) == []
    monkeypatch.setattr(voting_bursts, "PACE", timedelta(minutes=10))
    assert flagged(room) != []  # the pace criterion, not luck, keeps it unflagged


def test_a_genuine_room_of_quick_voters_who_joined_apart_is_not_flagged(monkeypatch):
    """People who vote fast, but who joined the room over its first hour."""
    room = [
        Voter(v.participant_id, at(v.participant_id * 600), ROOM, v.votes)
        for v in puppets(10, vote_every=0.5)
    ]
    assert flagged(room) == []
    monkeypatch.setattr(voting_bursts, "JOIN_GAP", timedelta(hours=1))
    monkeypatch.setattr(voting_bursts, "JOIN_SPAN", timedelta(hours=2))
    assert flagged(room) != []


# --- Puppets ------------------------------------------------------------------------------


@pytest.mark.parametrize("by_position", [False, True])
def test_twenty_puppets_in_a_genuine_room_are_flagged_they_and_only_they(by_position):
    room = genuine_room()
    bots = puppets(20, by_position=by_position)
    bursts = find_bursts(room + bots)
    assert [list(b.participant_ids) for b in bursts] == [[v.participant_id for v in bots]]
    burst = bursts[0]
    assert burst.size == 20 and burst.positions == 8 and burst.group_ids == (ROOM,)
    assert burst.first_joined_at == at(900)
    assert burst.joined_within == timedelta(seconds=19 * 0.012)
    assert burst.voted_within <= timedelta(seconds=3)


def test_five_hundred_puppets_voting_position_by_position_are_flagged():
    """500 joins in 6 s; voting position by position, each puppet's eight votes are spread
    over the whole run (72 s), but each position's 500 votes came in 9 s."""
    bots = puppets(500, by_position=True)
    assert flagged(bots) == [[v.participant_id for v in bots]]


def test_puppets_with_two_identical_votes_are_not_flagged():
    assert flagged(genuine_room() + puppets(20, positions=[100, 101])) == []
    assert flagged(puppets(20, positions=[100, 101, 102, 103, 104])) != []


def test_two_puppets_are_not_flagged():
    assert flagged(puppets(2)) == []
    assert flagged(puppets(3)) != []


def test_puppets_voting_at_a_human_pace_are_not_flagged():
    """A script that votes like people (a vote every 10 s) passes: that is the price of
    leaving genuine rooms alone, and the facilitators' rate limits are the other guard."""
    assert flagged(puppets(5, vote_every=10.0)) == []
    assert flagged(puppets(5, vote_every=1.0)) != []


def test_suspects_are_whom_find_bursts_may_flag_found_without_the_times_of_votes():
    """The reader reads the times of these participants' votes only."""
    quick, slow = puppets(5), puppets(5, first_id=2000, vote_every=10.0)
    later = puppets(5, first_id=3000, join_at=900 + 3600)
    voters = genuine_room(join_every=2.0, seed=3) + quick + slow + later
    found = voting_bursts.suspects(
        (v.participant_id, position, choice)
        for v in voters
        for position, (choice, _cast_at) in v.votes.items()
    )
    assert flagged(voters) == [[v.participant_id for v in quick], [v.participant_id for v in later]]
    # also the slow puppets and the room's look-alikes: they vote alike, (b), only
    assert {v.participant_id for v in quick + slow + later} < found
    assert voting_bursts.suspects((pk, 100 + n, AGREE) for pk in (1, 2) for n in range(8)) == set()


def test_one_differing_vote_sets_a_participant_apart():
    bots = puppets(4)
    odd = bots[0]
    bots[0] = Voter(
        odd.participant_id, odd.joined_at, ROOM, odd.votes | {100: (DISAGREE, odd.votes[100][1])}
    )
    assert flagged(bots) == [[v.participant_id for v in bots[1:]]]


def test_a_person_voting_alike_who_joined_among_the_puppets_is_left_out():
    """Someone who happened to vote exactly as the puppets did, and joined in the middle of
    them, but at a person's pace: the puppets are flagged without them."""
    bots = puppets(10)
    person = Voter(
        1, at(900.05), ROOM, {p: (AGREE, at(1200 + 20 * k)) for k, p in enumerate(range(100, 108))}
    )
    assert flagged([person, *bots]) == [[v.participant_id for v in bots]]


def test_puppets_joined_in_two_waves_are_two_flags():
    first = puppets(5, first_id=1000, join_at=900)
    later = puppets(5, first_id=2000, join_at=900 + 3600)
    assert flagged(later + first) == [
        [v.participant_id for v in first],
        [v.participant_id for v in later],
    ]


def test_a_long_chain_of_joins_is_cut_at_the_join_span():
    """One puppet a minute for ten minutes: each within JOIN_GAP of the next, but not all
    within JOIN_SPAN of the first."""
    bots = puppets(10, join_every=60.0)
    assert flagged(bots) == [
        [v.participant_id for v in bots[:6]],
        [v.participant_id for v in bots[6:]],
    ]


def test_puppets_spread_over_groups_are_one_flag_with_their_groups():
    """Positions in the plenary round are voted in every group."""
    bots = puppets(6)
    bots = [Voter(v.participant_id, v.joined_at, 1 + k % 3, v.votes) for k, v in enumerate(bots)]
    (burst,) = find_bursts(bots)
    assert burst.group_ids == (1, 2, 3) and burst.size == 6


# --- Over the database --------------------------------------------------------------------


def plant_puppets(room, count: int, *, names: str = "Puppet {}", positions=None):
    """Puppets in the room's first group, joined 12 ms apart an hour after the room, voting
    agree on each position 18 ms apart; Ada, Ben and Cleo joined and voted at a person's
    pace."""
    start = timezone.now() - timedelta(hours=2)
    Participant.objects.filter(pk=room.ada.pk).update(joined_at=start)
    Participant.objects.filter(pk=room.ben.pk).update(joined_at=start + timedelta(minutes=1))
    Participant.objects.filter(pk=room.cleo.pk).update(joined_at=start + timedelta(minutes=2))
    if positions is None:
        positions = [make_position(room.ada, f"Position {n}") for n in range(8)]
    for k, position in enumerate(positions):
        for person in (room.ada, room.ben):
            vote = make_vote(person, position, AGREE)
            cast_at = start + timedelta(minutes=10 + k, seconds=person.pk % 7)
            Vote.objects.filter(pk=vote.pk).update(cast_at=cast_at)
    bots = []
    moment = start + timedelta(hours=1)
    for n in range(count):
        bot = make_participant(room.group, names.format(n))
        Participant.objects.filter(pk=bot.pk).update(
            joined_at=moment + timedelta(seconds=0.012 * n)
        )
        bots.append(bot)
    moment += timedelta(seconds=1)
    for bot in bots:
        for position in positions:
            vote = make_vote(bot, position, AGREE)
            Vote.objects.filter(pk=vote.pk).update(cast_at=moment)
            moment += timedelta(seconds=0.018)
    return bots


@pytest.mark.django_db
def test_session_bursts_reads_a_session_in_two_queries(room, django_assert_num_queries):
    bots = plant_puppets(room, 20)
    # the votes' choices, the suspects' votes with their times and their participants
    with django_assert_num_queries(2):
        bursts = session_bursts(room.session)
    assert [list(b.participant_ids) for b in bursts] == [[b.pk for b in bots]]
    assert bursts[0].group_ids == (room.group.pk,)


@pytest.mark.django_db
def test_session_bursts_reads_no_vote_times_without_suspects(room, django_assert_num_queries):
    plant_puppets(room, 0)  # Ada and Ben vote alike: two are nobody's suspects
    with django_assert_num_queries(1):
        assert session_bursts(room.session) == []


@pytest.mark.django_db
def test_removed_participants_are_not_flagged(room):
    bots = plant_puppets(room, 20)
    Participant.objects.filter(pk__in=[b.pk for b in bots[:18]]).update(removed_at=timezone.now())
    assert session_bursts(room.session) == []
    Participant.objects.filter(pk=bots[0].pk).update(removed_at=None)
    assert [b.participant_ids for b in session_bursts(room.session)] == [
        (bots[0].pk, bots[18].pk, bots[19].pk)
    ]


@pytest.mark.django_db
def test_session_bursts_of_some_groups_reads_only_theirs(room):
    bots = plant_puppets(room, 5)
    assert session_bursts(room.session, [room.other_group.pk]) == []
    assert [b.participant_ids for b in session_bursts(room.session, [room.group.pk])] == [
        tuple(b.pk for b in bots)
    ]


# --- On the synthesis page ----------------------------------------------------------------

PAYLOAD = "<script>alert(1)</script>"


def synthesis_page(client, user, session) -> str:
    client.force_login(user)
    response = client.get(reverse("facilitator:synthesis", args=[session.pk]))
    assert response.status_code == 200
    return response.content.decode()


def notice(page: str) -> str:
    assert 'id="vote-bursts"' in page, "no notice on the page"
    return page.split('id="vote-bursts"')[1].split("</section>")[0]


@pytest.mark.django_db
def test_the_synthesis_page_asks_organizers_to_check_the_puppets(client, room, organizer):
    bots = plant_puppets(room, 20, names=PAYLOAD + " {}")
    shown = notice(synthesis_page(client, organizer, room.session))
    assert "Check these votes" in shown
    assert (
        "<strong>20 participants</strong> who joined within 1 second of each other cast "
        "identical votes on 8 positions, all within 3 seconds."
    ) in shown
    assert f'href="{room.group.get_facilitator_url()}#people-heading"' in shown
    assert shown.count("<bdi>&lt;script&gt;alert(1)&lt;/script&gt; ") == len(bots)
    assert "<script>alert" not in shown
    assert "Ada" not in shown and "Ben" not in shown


@pytest.mark.django_db
def test_only_the_facilitators_of_the_puppets_group_see_them(client, room, django_user_model):
    plant_puppets(room, 20)
    fay, otto = (django_user_model.objects.create_user(username=name) for name in "fo")
    FacilitatorAssignment.objects.create(session=room.session, user=fay).groups.set([room.group])
    FacilitatorAssignment.objects.create(session=room.session, user=otto).groups.set(
        [room.other_group]
    )
    assert "Puppet 7" in notice(synthesis_page(client, fay, room.session))
    others = synthesis_page(client, otto, room.session)
    assert 'id="vote-bursts"' not in others and "Puppet 7" not in others


@pytest.mark.django_db
def test_no_notice_without_puppets(client, room, organizer):
    plant_puppets(room, 20, positions=[make_position(room.ada, "Only one")])
    page = synthesis_page(client, organizer, room.session)
    assert 'id="vote-bursts"' not in page and "Check these votes" not in page


@pytest.mark.django_db
def test_a_facilitator_of_some_of_the_puppets_groups_is_shown_theirs(
    client, room, django_user_model
):
    """Puppets voting in the plenary round from both groups: each facilitator is shown
    their own group's, and told of the others."""
    bots = plant_puppets(room, 6)
    Participant.objects.filter(pk__in=[b.pk for b in bots[4:]]).update(group=room.other_group)
    otto = django_user_model.objects.create_user(username="otto")
    FacilitatorAssignment.objects.create(session=room.session, user=otto).groups.set(
        [room.other_group]
    )
    shown = notice(synthesis_page(client, otto, room.session))
    assert "<strong>6 participants</strong>" in shown
    assert "Puppet 4" in shown and "Puppet 5" in shown and "Puppet 3" not in shown
    assert f'href="{room.other_group.get_facilitator_url()}#people-heading"' in shown
    assert f'href="{room.group.get_facilitator_url()}#' not in shown
    assert "And 4 in groups you do not facilitate." in shown


@pytest.mark.django_db
def test_shared_flags_leave_out_the_participants_removed_since(client, room, organizer, settings):
    """Found once for every facilitator for a moment; names and removals read each time."""
    settings.SYNTHESIS_FRESH = 60
    try:
        bots = plant_puppets(room, 5)
        assert "Puppet 0" in notice(synthesis_page(client, organizer, room.session))
        Participant.objects.filter(pk__in=[b.pk for b in bots[:2]]).update(
            removed_at=timezone.now()
        )
        with CaptureQueriesContext(connection) as captured:
            shown = notice(synthesis_page(client, organizer, room.session))
        assert not [q for q in captured.captured_queries if "discussions_vote" in q["sql"]]
        assert "<strong>3 participants</strong>" in shown and "Puppet 0" not in shown
        Participant.objects.filter(pk=bots[2].pk).update(removed_at=timezone.now())
        assert 'id="vote-bursts"' not in synthesis_page(client, organizer, room.session)
    finally:
        synthesis_cache._shared_bursts.clear()
