"""A participant's identity is a signed cookie: it cannot be forged or altered, it expires, and
it keeps every conference session the browser joined (discussions.identity)."""

import json
import logging

import pytest
from django.core import signing
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from discussions import identity
from discussions.models import Vote
from tests.factories import client_for, join_through_the_page, make_position, make_room


def vote_as(client: Client, room, position) -> int:
    url = reverse("vote", args=[room.group.pk, position.pk])
    return client.post(url, {"choice": "agree"}, headers={"HX-Request": "true"}).status_code


def swapped(genuine: str, entries: dict) -> str:
    _payload, timestamp, signature = genuine.split(":")
    payload = signing.b64_encode(json.dumps(entries, separators=(",", ":")).encode()).decode()
    return f"{payload}:{timestamp}:{signature}"


@pytest.mark.parametrize(
    "forge",
    [
        # Ada's entry signed with another key, or with the signature cut off.
        lambda entries: signing.dumps(
            entries, key="not-the-secret-key", salt="discussions.identity"
        ),
        lambda entries: identity.signed(entries).rsplit(":", 1)[0],
        # A genuine cookie whose entries were swapped for Ada's, its signature kept.
        lambda entries: swapped(identity.signed({"1": 999_999}), entries),
    ],
)
def test_a_cookie_we_did_not_sign_is_nobody(room, forge, caplog):
    position = make_position(room.ben, "Alliances need burden sharing.")
    impostor = Client()
    impostor.cookies[identity.COOKIE] = forge({str(room.session.pk): room.ada.pk})
    with caplog.at_level(logging.WARNING, logger="discussions.identity"):
        assert vote_as(impostor, room, position) == 403
        room_page = impostor.get(reverse("room", args=[room.group.pk]))
    assert room_page.status_code == 302 and "/join/" in room_page["Location"]
    assert not Vote.objects.exists()
    assert "Ignored a participant cookie" in caplog.text


@pytest.fixture
def uncached_identities():
    """Cookies read afresh: what this test reads must not be remembered for later tests, which
    may send the very same cookie (same ids, signed within the same second)."""
    identity._read.cache_clear()
    yield
    identity._read.cache_clear()


def test_an_expired_cookie_is_nobody(room, settings, uncached_identities):
    position = make_position(room.ben, "Alliances need burden sharing.")
    ada = client_for(room.ada)
    assert vote_as(ada, room, position) == 200
    settings.SESSION_COOKIE_AGE = -1  # every cookie older than that
    identity._read.cache_clear()  # as an hour later (identity.RECHECK_SECONDS)
    assert vote_as(ada, room, position) == 403


def test_joining_a_second_conference_keeps_the_first(published_paper):
    first, second = make_room(published_paper), make_room(published_paper)
    browser = Client()
    dora = join_through_the_page(browser, first.session, "Dora", first.group)
    dora_again = join_through_the_page(browser, second.session, "Dora", second.group)
    assert identity.joined({identity.COOKIE: browser.cookies[identity.COOKIE].value}) == {
        str(first.session.pk): dora.pk,
        str(second.session.pk): dora_again.pk,
    }
    for room in (first, second):
        assert browser.get(reverse("room", args=[room.group.pk])).status_code == 200


def test_the_cookie_keeps_the_latest_conferences_only():
    cookies: dict[str, str] = {}
    for session_id in range(1, identity.MAX_ENTRIES + 6):
        response = HttpResponse()
        identity.remember(cookies, response, session_id, 1000 + session_id)
        morsel = response.cookies[identity.COOKIE]
        assert morsel["httponly"] and morsel["samesite"] == "Lax"
        cookies = {identity.COOKIE: morsel.value}
    entries = identity.joined(cookies)
    assert len(entries) == identity.MAX_ENTRIES
    assert (
        "1" not in entries and entries[str(identity.MAX_ENTRIES + 5)] == identity.MAX_ENTRIES + 1005
    )
