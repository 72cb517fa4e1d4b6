"""Rate limits: a person never meets them; a script flooding a room or guessing codes does."""

import contextvars
import math
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse

from discussions import ratelimit
from discussions.models import Position, Vote
from tests.factories import client_for, make_position, make_room

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_window(monkeypatch):
    """Counts are per fixed window of time: keep the whole test inside one, or a test that
    straddles a minute boundary starts counting again halfway."""
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)


@pytest.fixture
def room(published_paper):
    return make_room(published_paper)


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


def test_guessing_join_codes_is_stopped_but_right_codes_from_the_venue_are_not(client, room):
    for n in range(ratelimit.JOIN.count):
        response = client.get(reverse("join_start"), {"code": f"WXYZ{n % 10}A"})
        assert response.status_code == 404
    response = client.get(reverse("join", args=[room.session.code]))
    assert response.status_code == 429
    assert "wrong join codes" in response.content.decode()


def test_right_codes_are_never_counted(client, room):
    for _ in range(ratelimit.JOIN.count + 5):
        assert client.get(reverse("join", args=[room.session.code])).status_code == 200


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
