"""Hidden tallies (a session's "hide tallies until voting closes") show nothing derived from
the votes to participants: no counts, no order by them, no version counting their changes,
no broadcast saying a tally changed."""

import re

import pytest
from django.urls import reverse

from discussions.live import events
from discussions.models import BreakoutGroup, Session, Vote
from tests.factories import client_for, make_participant, make_position, make_room, make_vote

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
COUNTED = re.compile(r"data-(tally-)?version=")


@pytest.fixture
def room(published_paper):
    room = make_room(published_paper)
    BreakoutGroup.objects.filter(pk=room.group.pk).update(phase="voting")
    return room


@pytest.fixture
def liked_then_new(room):
    """An older position everyone agrees with, then a newer one nobody voted on."""
    liked = make_position(room.ada, "Liked by all")
    for n in range(3):
        make_vote(make_participant(room.group, f"Fan {n}"), liked, Vote.Choice.AGREE)
    return liked, make_position(room.ben, "Newer, no votes")


def hide_tallies(room, hidden: bool = True) -> None:
    Session.objects.filter(pk=room.session.pk).update(hide_tallies=hidden)


def order_of(html: str, *positions) -> list[int]:
    found = {p.pk: html.index(f'id="position-{p.pk}"') for p in positions}
    return sorted(found, key=found.get)


def test_hidden_tallies_offer_no_order_by_votes_and_show_no_version(room, liked_then_new):
    liked, new = liked_then_new
    ada = client_for(room.ada)
    by_agreement = reverse("room_positions", args=[room.group.pk]) + "?sort=agreed"

    shown = ada.get(by_agreement, headers=HTMX).content.decode()
    assert order_of(shown, liked, new) == [liked.pk, new.pk]
    assert COUNTED.search(shown)

    hide_tallies(room)
    page = ada.get(reverse("room", args=[room.group.pk])).content.decode()
    assert 'value="agreed"' not in page and 'value="divisive"' not in page
    assert 'value="newest"' in page
    assert not COUNTED.search(page)
    hidden = ada.get(by_agreement, headers=HTMX).content.decode()
    assert order_of(hidden, liked, new) == [new.pk, liked.pk]  # newest first, as by default
    assert 'data-sort="newest"' in hidden
    assert not COUNTED.search(hidden)


@pytest.mark.parametrize("hidden", [True, False])
def test_a_vote_answer_shows_the_tally_version_only_where_the_tally_shows(room, hidden):
    position = make_position(room.ben, "Vote on me")
    hide_tallies(room, hidden)
    url = reverse("vote", args=[room.group.pk, position.pk])
    answer = client_for(room.ada).post(url, {"choice": "agree"}, headers=HTMX)
    assert answer.status_code == 200
    assert bool(COUNTED.search(answer.content.decode())) is not hidden


def test_a_hidden_tally_that_changed_is_not_broadcast(room, liked_then_new):
    liked, _ = liked_then_new
    shown = events.changes_html(room.group.pk, [liked.pk], presence=False, seq=7)
    assert f'id="tally-{liked.pk}"' in shown
    hide_tallies(room)
    hidden = events.changes_html(room.group.pk, [liked.pk], presence=False, seq=8)
    assert f'id="tally-{liked.pk}"' not in hidden
    assert 'data-seq="8"' in hidden  # still numbered: pages count on every broadcast


def test_the_projector_ranks_by_agreement_only_while_tallies_show(room, liked_then_new, client):
    liked, new = liked_then_new
    url = reverse("screen_group", args=[room.session.screen_token, room.group.pk])
    shown = client.get(url).content.decode()
    assert order_of(shown, liked, new) == [liked.pk, new.pk]
    assert 'data-sort="agreed"' in shown
    hide_tallies(room)
    hidden = client.get(url).content.decode()
    assert order_of(hidden, liked, new) == [new.pk, liked.pk]
    assert 'data-sort="newest"' in hidden and not COUNTED.search(hidden)
