"""Organizers' and facilitators' sessions are read through the cache, and a cache that is
away costs speed, not requests (conference.sessions). Participants need no session at all
(discussions.identity)."""

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
from tests.factories import client_for, make_position
from tests.test_ratelimit import UnreachableCache


def session_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "django_session" in q["sql"]]


def test_a_logged_in_users_requests_read_their_session_from_the_cache(organizer_client):
    assert organizer_client.get(reverse("home")).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert organizer_client.get(reverse("home")).status_code == 200
    assert session_queries(captured) == []


def test_with_the_cache_away_a_logged_in_user_is_still_served_and_the_outage_logged(
    organizer_client, cache_away, caplog
):
    with caplog.at_level(logging.ERROR, logger="conference.sessions"):
        assert organizer_client.get(reverse("home")).status_code == 200
    assert "Session cache unreachable" in caplog.text


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


def test_participants_join_and_vote_without_a_session_so_the_cache_away_is_unseen(
    room, cache_away, caplog
):
    position = make_position(room.ben, "Alliances need burden sharing.")
    ada = client_for(room.ada)
    url = reverse("vote", args=[room.group.pk, position.pk])
    with (
        caplog.at_level(logging.ERROR, logger="conference.sessions"),
        CaptureQueriesContext(connection) as captured,
    ):
        response = ada.post(url, {"choice": "agree"}, headers={"HX-Request": "true"})
        newcomer = Client()  # a new browser
        answer = newcomer.post(
            reverse("join", args=[room.session.code]),
            {"display_name": "Dee", "group": str(room.group.pk)},
        )
        assert answer.status_code == 302
        assert newcomer.get(answer["Location"]).status_code == 200
    assert response.status_code == 200
    assert Vote.objects.get(participant=room.ada, position=position).choice == Vote.Choice.AGREE
    assert Participant.objects.filter(display_name="Dee", group=room.group).exists()
    assert "sessionid" not in newcomer.cookies
    assert session_queries(captured) == []
    assert caplog.text == ""
