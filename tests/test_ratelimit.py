"""Rate limits: a person never meets them; a script flooding a room or guessing codes does."""

import contextvars
import dataclasses
import html
import io
import itertools
import math
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import segno
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from django.urls import reverse

from discussions import ratelimit
from discussions.models import JOIN_CODE_ALPHABET, Participant, Position, Vote
from tests.factories import client_for, make_position, make_room

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(ratelimit_clock) -> list[float]:
    return ratelimit_clock


def test_posting_faster_than_the_limit_gets_429_and_writes_nothing_more(room):
    ada = client_for(room.ada)
    url = reverse("post_position", args=[room.group.pk])
    for n in range(ratelimit.POST.count):
        response = ada.post(url, {"text": f"Position {n}"}, headers={"HX-Request": "true"})
        assert response.status_code == 200
    response = ada.post(url, {"text": "One too many"}, headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert ratelimit.POST.message in response.content.decode()
    assert Position.objects.count() == ratelimit.POST.count
    # Someone else in the room is not affected.
    ben = client_for(room.ben)
    assert ben.post(url, {"text": "Mine"}, headers={"HX-Request": "true"}).status_code == 200


def test_voting_faster_than_the_limit_gets_429(room):
    position = make_position(room.ben, "Vote on me")
    ada = client_for(room.ada)
    url = reverse("vote", args=[room.group.pk, position.pk])
    choices = ["agree", "disagree"]
    for n in range(ratelimit.VOTE.count):
        response = ada.post(url, {"choice": choices[n % 2]}, headers={"HX-Request": "true"})
        assert response.status_code == 200
    response = ada.post(url, {"choice": "pass"}, headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert Vote.objects.get().choice != 0  # the refused "pass" was not recorded


# --- Guessing join codes ------------------------------------------------------------------------


def wrong_codes(count: int, start: str = "AAA") -> list[str]:
    """Codes that could name a session but name none here: each is a wrong guess."""
    tails = itertools.product(JOIN_CODE_ALPHABET, repeat=3)
    return [start + "".join(tail) for tail in itertools.islice(tails, count)]


def use_up_the_wrong_codes(client: Client, count: int | None = None, **request) -> None:
    """The network's wrong codes for the minute, and the turn that follows them: the next
    code typed there in the same turn is held back."""
    for code in wrong_codes((count or ratelimit.JOIN.count) + 1):
        response = client.get(reverse("join_start"), {"code": code}, **request)
        assert response.status_code == 404
        assert "No session has the code" in response.content.decode()


def organizer_page(session, organizer) -> tuple[str, str, Client]:
    """The join link and the QR code's address that the organizer's page shows, and the
    organizer's browser."""
    staff = Client()
    staff.force_login(organizer)
    response = staff.get(reverse("organizer:session", args=[session.pk]))
    (qr,) = re.findall(r'<img src="([^"]*qr\.svg[^"]*)"', response.content.decode())
    link = urlsplit(response.context["join_url"])
    return f"{link.path}?{link.query}", html.unescape(qr), staff


def without_csrf_token(response) -> str:
    """The page's text without its CSRF tokens (htmx's header, the language switcher's
    form), which are masked afresh for every answer."""
    text = re.sub(r'"X-CSRFToken": "\w+"', "", response.content.decode())
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", text)


def test_over_its_wrong_codes_a_venue_still_joins_through_the_join_link(client, room, organizer):
    """The issue: after 30 mistyped codes from a venue's one address, the right join link
    answered 429 to everyone behind it."""
    link, _, _ = organizer_page(room.session, organizer)
    use_up_the_wrong_codes(client)
    assert client.get(link).status_code == 200
    response = client.post(link, {"display_name": "Dora", "group": str(room.group.pk)})
    assert response.status_code == 302
    assert response["Location"] == reverse("room", args=[room.group.pk])
    assert Participant.objects.filter(display_name="Dora", group=room.group).exists()


def test_a_typed_right_code_leads_to_a_join_link_that_keeps_working(client, room):
    """Typed before the network ran out of wrong codes, the code leads to the join page by a
    link: the form still joins after the venue's next 30 mistypes."""
    response = client.get(reverse("join_start"), {"code": room.session.code.lower()})
    assert response.status_code == 302
    page = response["Location"]
    assert urlsplit(page).path == reverse("join", args=[room.session.code])
    assert client.get(page).status_code == 200
    use_up_the_wrong_codes(client)
    response = client.post(page, {"display_name": "Dora", "group": str(room.group.pk)})
    assert response.status_code == 302
    assert Participant.objects.filter(display_name="Dora").exists()


def test_over_its_wrong_codes_a_network_waits_alike_for_right_and_wrong_typed_codes(client, room):
    """A guess answered while the wrong ones are refused would tell which codes exist: so,
    over the limit, a typed code is held back whether a session has it or not, until the
    network's next turn (Retry-After), and the refusal says what works at once."""
    use_up_the_wrong_codes(client)
    right, wrong = room.session.code, wrong_codes(1, start="CCC")[0]
    answers = {
        "right, typed": client.get(reverse("join_start"), {"code": right}),
        "wrong, typed": client.get(reverse("join_start"), {"code": wrong}),
        "right, in the address": client.get(reverse("join", args=[right])),
        "wrong, in the address": client.get(reverse("join", args=[wrong])),
        "right, posted": client.post(reverse("join", args=[right]), {"display_name": "Eve"}),
    }
    for name, response in answers.items():
        assert response.status_code == 429, name
        assert response["Retry-After"] == "2", name
        text = response.content.decode()
        assert "Many wrong join codes came from this network" in text, name
        assert "join link" in text and "QR code" in text and "2 seconds" in text, name
    same = [
        without_csrf_token(answers[name]).replace(code, "CODE")
        for name, code in (("right, typed", right), ("wrong, typed", wrong))
    ]
    assert same[0] == same[1]
    assert not Participant.objects.filter(display_name="Eve").exists()


def test_over_its_wrong_codes_a_network_is_slowed_not_blocked(client, room, clock):
    """The issue: a venue's mistypes must not block the right code typed there. Past the
    limit, one code a turn (2 s) is still looked up: the right one joins at its next try,
    and a guesser gets one lookup a turn, 30 a minute more."""
    use_up_the_wrong_codes(client)
    right = {"code": room.session.code}
    assert client.get(reverse("join_start"), right).status_code == 429
    clock[0] += ratelimit.JOIN.turn
    response = client.get(reverse("join_start"), right)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("join", args=[room.session.code])
    assert client.get(response["Location"]).status_code == 200  # its link: no turn needed
    # A guesser trying three codes a second for the rest of the minute: one a turn looked up.
    guesses, lookups = iter(wrong_codes(200, start="CCC")), 0
    seconds = 60 - 2 * ratelimit.JOIN.turn
    for _ in range(seconds):
        clock[0] += 1
        for code in itertools.islice(guesses, 3):
            lookups += client.get(reverse("join_start"), {"code": code}).status_code == 404
    assert lookups == seconds // ratelimit.JOIN.turn


def test_a_code_that_cannot_be_a_join_code_is_not_a_guess(client, room):
    """Letters no code has (O, 0, I, 1, ...) look nothing up: they are not counted."""
    for _ in range(ratelimit.JOIN.count + 5):
        response = client.get(reverse("join_start"), {"code": "OO-1I"})
        assert response.status_code == 404
        assert "is not a join code" in response.content.decode()
    assert client.get(reverse("join_start"), {"code": room.session.code}).status_code == 302


def test_a_participant_who_joined_goes_back_to_the_room_over_the_limit(room):
    ada = client_for(room.ada)
    use_up_the_wrong_codes(ada)
    response = ada.get(reverse("join", args=[room.session.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("room", args=[room.group.pk])


def test_a_made_up_or_borrowed_link_key_proves_nothing(client, room, published_paper, organizer):
    other = make_room(published_paper).session
    other_link, _, _ = organizer_page(other, organizer)
    use_up_the_wrong_codes(client)
    code = room.session.code
    borrowed = other_link.replace(other.code, code)
    for link in (f"/join/{code}/?key=0123456789abcdef0123", borrowed):
        assert client.get(link).status_code == 429, link


def test_wrong_codes_of_an_ipv6_network_are_counted_together(client, room):
    """One machine has a whole /64 of addresses to choose from: the network is counted."""
    use_up_the_wrong_codes(client, REMOTE_ADDR="2001:db8:1:2::10")
    again = {"code": wrong_codes(1, start="CCC")[0]}
    same_network = client.get(reverse("join_start"), again, REMOTE_ADDR="2001:db8:1:2:ffff::1")
    assert same_network.status_code == 429
    next_network = client.get(reverse("join_start"), again, REMOTE_ADDR="2001:db8:1:3::10")
    assert next_network.status_code == 404


def test_the_qr_code_is_a_guess_like_any_other(client, room, organizer):
    """/join/CODE/qr.svg answered 200 or 404 without a limit: an oracle beside /join/."""
    for code in wrong_codes(ratelimit.JOIN.count + 1):  # the limit, and the turn after it
        assert client.get(reverse("join_qr", args=[code])).status_code == 404
    for code in (room.session.code, wrong_codes(1, start="CCC")[0]):
        response = client.get(reverse("join_qr", args=[code]))
        assert response.status_code == 429
        assert response["Retry-After"] == "2"
        assert "max-age" not in response.get("Cache-Control", "")
    # The QR code on the organizer's page still comes (organizers see every code), and
    # opens the join link, with its key.
    link, qr, staff = organizer_page(room.session, organizer)
    response = staff.get(qr)
    assert response.status_code == 200
    expected = io.BytesIO()
    segno.make(f"http://testserver{link}", error="m").save(
        expected, kind="svg", scale=8, border=2, title=f"Join {room.session.code}"
    )
    assert response.content == expected.getvalue()
    assert client.get(link).status_code == 200


def test_the_projectors_qr_code_works_over_the_limit(client, room):
    screen = client.get(reverse("screen_session", args=[room.session.screen_token]))
    (qr,) = re.findall(r'<img src="([^"]*qr\.svg[^"]*)"', screen.content.decode())
    use_up_the_wrong_codes(client)
    assert client.get(html.unescape(qr)).status_code == 200


def test_past_the_sites_wrong_codes_only_networks_that_guessed_wait(
    client, room, organizer, monkeypatch
):
    """Many networks, each under its own limit, are counted together too: past the site's
    limit a network that sent a wrong code this minute waits; the others do not."""
    site = dataclasses.replace(ratelimit.JOIN_SITE, count=3)
    monkeypatch.setattr(ratelimit, "JOIN_SITE", site)
    for n, code in enumerate(wrong_codes(3)):
        response = client.get(reverse("join_start"), {"code": code}, REMOTE_ADDR=f"10.0.0.{n}")
        assert response.status_code == 404
    right = {"code": room.session.code}
    # The site's turn this second, for every network that guessed: one takes it.
    turn = client.get(reverse("join_start"), right, REMOTE_ADDR="10.0.0.2")
    assert turn.status_code == 302
    guessed = client.get(reverse("join_start"), right, REMOTE_ADDR="10.0.0.1")
    assert guessed.status_code == 429
    assert "on this site" in guessed.content.decode()
    assert client.get(reverse("join_start"), right, REMOTE_ADDR="10.9.9.9").status_code == 302
    link, _, _ = organizer_page(room.session, organizer)
    assert client.get(link, REMOTE_ADDR="10.0.0.1").status_code == 200


def test_joins_are_limited_per_session_not_per_network(client, room, published_paper, monkeypatch):
    monkeypatch.setattr(
        ratelimit, "SESSION_JOIN", ratelimit.Limit("session-join", 2, 60, "Many joining")
    )
    url, group = reverse("join", args=[room.session.code]), str(room.group.pk)
    for n in range(2):
        joined = Client().post(
            url, {"display_name": f"P{n}", "group": group}, REMOTE_ADDR=f"10.0.0.{n}"
        )
        assert joined.status_code == 302
    before = Participant.objects.count()
    response = Client().post(url, {"display_name": "Third", "group": group}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Many joining" in response.content.decode()
    assert 'value="Third"' in response.content.decode()  # the form, as typed
    assert Participant.objects.count() == before
    other = make_room(published_paper).session
    other_url = reverse("join", args=[other.code])
    elsewhere = {"display_name": "Elsewhere", "group": str(other.groups.first().pk)}
    assert Client().post(other_url, elsewhere).status_code == 302


@pytest.fixture
def redis_cache(settings):
    """The cache on Redis: the configured one, or (embedded default) one of our own."""
    if not isinstance(caches["default"], RedisCache):
        settings.CACHES = {
            "default": {
                "BACKEND": "conference.redis_cache.SharedPoolRedisCache",
                "LOCATION": "redis://127.0.0.1:6379/2",
                "KEY_PREFIX": "ratelimit-test",
            }
        }
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


def test_counts_are_shared_through_the_cache_between_processes(settings, redis_cache):
    """With Redis configured, the cache is Redis: another process sees the same count."""
    limit = ratelimit.Limit("shared", 3, 60, "x")
    other_process = RedisCache(
        settings.CACHES["default"]["LOCATION"],
        {"KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", "")},
    )
    assert not ratelimit.exceeded(limit, "k")
    assert not ratelimit.exceeded(limit, "k")
    key = ratelimit._key(limit, "k")
    assert other_process.get(key) == 2
    other_process.incr(key)
    assert ratelimit.exceeded(limit, "k")
    assert 60 < redis_cache._cache.get_client().ttl(redis_cache.make_key(key)) <= 61


def test_requests_in_contexts_of_their_own_share_one_redis_client(redis_cache):
    """conference.http runs every request in a fresh context, where Django builds a fresh
    cache object: the Redis client (and its connection pool) must still be the process's
    one, or every request opens a connection to Redis."""

    def client_seen_by_a_request(_):
        return contextvars.Context().run(lambda: caches["default"]._cache)

    with ThreadPoolExecutor(max_workers=3) as threads:
        clients = list(threads.map(client_seen_by_a_request, range(9)))
    assert {id(client) for client in clients} == {id(redis_cache._cache)}


def test_on_redis_a_write_counts_both_of_its_limits_in_one_round_trip(
    room, redis_cache, monkeypatch
):
    position = make_position(room.ben, "Count me once")
    client = ratelimit._redis_client(redis_cache._cache)
    round_trips = []
    real_pipeline = client.pipeline

    def counted_pipeline(*args, **kwargs):
        pipeline = real_pipeline(*args, **kwargs)
        real_execute = pipeline.execute
        pipeline.execute = lambda *a, **kw: round_trips.append(1) or real_execute(*a, **kw)
        return pipeline

    monkeypatch.setattr(client, "pipeline", counted_pipeline)
    url = reverse("vote", args=[room.group.pk, position.pk])
    response = client_for(room.ada).post(url, {"choice": "agree"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert round_trips == [1]
    participant_key = ratelimit._key(ratelimit.VOTE, f"participant-{room.ada.pk}")
    address_key = ratelimit._key(ratelimit.VOTE_ADDRESS, "127.0.0.1")
    assert redis_cache.get(participant_key) == redis_cache.get(address_key) == 1


class UnreachableCache:
    """A cache whose server is down: every call raises, as RedisCache does then."""

    def __getattr__(self, name):
        def unreachable(*args, **kwargs):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        return unreachable


@pytest.mark.parametrize("counters", ["cache", "redis pipeline"])
def test_with_the_counters_unreachable_votes_are_saved_and_the_outage_logged(
    room, monkeypatch, caplog, request, counters
):
    position = make_position(room.ben, "Vote on me while Redis restarts")
    if counters == "cache":  # Django's cache API: the embedded default's path
        monkeypatch.setattr(ratelimit, "cache", UnreachableCache())
    else:  # Redis's one round trip
        redis_cache = request.getfixturevalue("redis_cache")
        client = ratelimit._redis_client(redis_cache._cache)
        monkeypatch.setattr(client, "pipeline", UnreachableCache().pipeline)
    monkeypatch.setattr(ratelimit._counters_unreachable, "last", -math.inf)
    url = reverse("vote", args=[room.group.pk, position.pk])
    response = client_for(room.ada).post(url, {"choice": "agree"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert Vote.objects.get(position=position).choice == 1
    assert "Rate-limit counters unreachable" in caplog.text


def test_every_operation_of_every_thread_uses_one_redis_object(redis_cache):
    """Django's cache client builds a redis.Redis for each operation (145 us each, as long as
    the round trip): ours hands out one, which redis-py makes safe for threads."""
    cache_client = redis_cache._cache
    redis_cache.set("one-redis", 1)
    assert redis_cache.get("one-redis") == 1
    with ThreadPoolExecutor(max_workers=3) as threads:
        seen = set(threads.map(lambda _: id(cache_client.get_client(write=True)), range(9)))
    assert seen == {id(cache_client.get_client())}
