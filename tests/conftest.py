from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from discussions import ratelimit, services
from discussions.views.synthesis_cache import forget_shared
from tests.concurrency import threads  # noqa: F401 (a fixture for every test module)

DEMO_PAPER = Path(settings.BASE_DIR) / "seeds" / "us-multilateralism-discussion-paper.txt"

# Tests that start servers or browsers, read corpora or run fault drills: seconds each.
# Marked slow, so that a developer's inner loop can leave them out
# (`python3 dev.py test -m "not slow"`); CI runs everything.
SLOW = (
    "tests/browser/",
    "tests/faults/",
    "tests/test_two_processes.py",
    "tests/test_rehearse.py",
    "tests/test_offload.py",
    "tests/test_paper_corpus.py",
    "tests/test_paper_limits.py",
    "tests/test_form_fuzz.py",
    "tests/test_postgresql_pool.py",
)


def pytest_collection_modifyitems(items):
    for item in items:
        where = Path(item.fspath).relative_to(settings.BASE_DIR).as_posix()
        if where.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Every test starts with no rate-limit counts (they live in the cache)."""
    cache.clear()
    yield


@pytest.fixture
def ratelimit_clock(monkeypatch) -> list[float]:
    """The rate limits' clock, standing at the start of a minute's window (a test that
    straddled a minute boundary would start counting again halfway) and at the start of a
    turn; it moves only when the test moves it (clock[0] += seconds)."""
    now = [1_800_000_000.0]  # a whole number of minutes
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    return now


@pytest.fixture(autouse=True)
def synthesis_computed_every_request(settings):
    """Tests see the synthesis of the votes they just cast: nothing shared between requests
    (test_synthesis_view turns the sharing on where it tests it)."""
    settings.SYNTHESIS_FRESH = 0
    yield
    forget_shared()


@pytest.fixture(autouse=True)
def work_in_the_request_thread(settings):
    """Exports and the synthesis are built in the test's own thread: a child process would
    not see the test's data, uncommitted (tests/test_offload.py tests the child processes)."""
    settings.OFFLOAD_PROCESSES = 0


@pytest.fixture
def demo_bytes() -> bytes:
    return DEMO_PAPER.read_bytes()


@pytest.fixture
def demo_paper(db, demo_bytes):
    """The demo paper imported as a draft, as the organizer's upload leaves it."""
    return services.import_paper(data=demo_bytes, filename=DEMO_PAPER.name).paper


@pytest.fixture
def published_paper(demo_paper):
    return services.publish_paper(paper=demo_paper)


@pytest.fixture
def room(published_paper):
    """A session with two groups: Ada and Ben in the first, Cleo in the second
    (tests.factories.Room)."""
    from tests.factories import make_room  # the factories read this module's DEMO_PAPER

    return make_room(published_paper)


@pytest.fixture
def organizer(django_user_model):
    return django_user_model.objects.create_user(
        username="olga", password="a long organizer password", is_staff=True
    )


@pytest.fixture
def organizer_client(client, organizer):
    client.force_login(organizer)
    return client


@pytest.fixture
def outsider_client(client, django_user_model):
    """Logged in, but not staff: a facilitator or anyone else who is not an organizer."""
    user = django_user_model.objects.create_user(username="fred", password="another password")
    client.force_login(user)
    return client
