"""Browser sessions are read through the cache, and a cache that is away costs speed, not
requests (conference.sessions)."""

import logging
import math

import pytest
from django.contrib.sessions.backends import cached_db
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conference import sessions
from discussions.models import Participant, Vote
from tests.factories import client_for, make_position, make_room
from tests.test_ratelimit import UnreachableCache


@pytest.fixture
def room(published_paper):
    return make_room(published_paper)


def session_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "django_session" in q["sql"]]


def test_a_participants_requests_read_their_session_from_the_cache(room):
    ada = client_for(room.ada)
    url = reverse("room_positions", args=[room.group.pk])
    assert ada.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert ada.get(url).status_code == 200
    assert session_queries(captured) == []


def test_the_cache_keeps_a_session_a_minute_at_most(room, settings):
    store = sessions.SessionStore()
    store["x"] = 1
    store.save()
    kept = []
    store._cache = type("Recording", (), {"set": lambda self, *args: kept.append(args)})()
    store.save()
    assert kept[0][2] == sessions.CACHE_SECONDS == 60


@pytest.fixture
def cache_away(monkeypatch):
    """The session cache unreachable, as Redis is while it restarts."""
    monkeypatch.setattr(cached_db, "caches", {"default": UnreachableCache()})
    monkeypatch.setattr(sessions._cache_unreachable, "last", -math.inf)  # log the next one


def test_with_the_cache_away_votes_and_joins_still_work_and_the_outage_is_logged(
    room, cache_away, caplog
):
    position = make_position(room.ben, "Alliances need burden sharing.")
    ada = client_for(room.ada)  # its session saved to the database alone
    url = reverse("vote", args=[room.group.pk, position.pk])
    with caplog.at_level(logging.ERROR, logger="conference.sessions"):
        response = ada.post(url, {"choice": "agree"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert Vote.objects.get(participant=room.ada, position=position).choice == Vote.Choice.AGREE
    assert "Session cache unreachable" in caplog.text

    newcomer = Client()  # a browser with no session yet
    answer = newcomer.post(
        reverse("join", args=[room.session.code]),
        {"display_name": "Dee", "group": str(room.group.pk)},
    )
    assert answer.status_code == 302
    assert Participant.objects.filter(display_name="Dee", group=room.group).exists()
    assert newcomer.get(answer["Location"]).status_code == 200
