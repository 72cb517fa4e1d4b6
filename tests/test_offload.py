"""Exports and the synthesis's results are built in a child process (discussions.offload),
which opens this run's test database (on SQLite, a file for the whole run)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings

from conference import collector
from discussions import exports, offload
from discussions.models import Session
from discussions.views import synthesis as synthesis_view
from tests.browser.asgi_server import use_a_sqlite_file_for_this_run
from tests.deadlines import wait_until
from tests.factories import AGREE, DISAGREE, make_position, make_room, make_vote

# The child process must open the test database, and see what the test wrote: committed.
use_a_sqlite_file_for_this_run()

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def offloading(settings):
    settings.OFFLOAD_PROCESSES = 1
    yield
    offload.shutdown()


@pytest.fixture
def child_process(offloading):
    """A child process, started."""
    offload.warm()
    assert offload.wait_ready(timeout=60)


@pytest.fixture
def session(published_paper) -> Session:
    """Two participants of one group, a position each, and a vote on each."""
    room = make_room(published_paper)
    first = make_position(room.ada, "Fund <the> WHO")
    second = make_position(room.ben, "Reform the UN")
    make_vote(room.ben, first, AGREE)
    make_vote(room.ada, second, DISAGREE)
    return room.session


def test_the_work_runs_in_another_process(child_process):
    assert offload.offloading()
    assert offload.run(os.getpid) != os.getpid()


def test_the_child_sets_what_it_loaded_aside_from_collections(child_process):
    # A full collection walked the libraries it loads at its start: 100-265 ms under load.
    assert offload.run(gc.get_freeze_count) > 0
    assert offload.run(gc.get_threshold) == collector.THRESHOLDS


def test_with_no_processes_the_work_runs_in_the_callers_thread(settings):
    settings.OFFLOAD_PROCESSES = 0
    assert not offload.offloading()
    assert offload.run(os.getpid) == os.getpid()


def test_an_export_built_in_the_child_equals_one_built_here(child_process, session):
    options = (session.pk, None, False, False, "json")
    built_there = json.loads(offload.run(exports.export_file, *options))
    built_here = json.loads(exports.export_file(*options))
    built_there.pop("generated"), built_here.pop("generated")
    assert built_there == built_here
    assert [p["text"] for p in built_there["positions"]] == ["Fund <the> WHO", "Reform the UN"]


def test_the_export_download_is_built_in_the_child(child_process, session, organizer, client):
    client.force_login(organizer)
    answer = client.get(f"/organizer/sessions/{session.pk}/export?format=md")
    assert answer.status_code == 200
    assert "Reform the UN" in answer.content.decode()


def test_the_synthesis_results_are_rendered_in_the_child(child_process, session, organizer, client):
    client.force_login(organizer)
    answer = client.get(f"/facilitate/sessions/{session.pk}/synthesis/results")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Fund &lt;the&gt; WHO" in html
    # The child's placeholders are the ones this process puts the caller's token in for.
    assert synthesis_view.CSRF_PLACEHOLDER not in html
    assert client.cookies["csrftoken"].value and 'name="csrfmiddlewaretoken"' in html


def test_until_the_child_has_started_the_work_runs_here(offloading):
    offload.warm()
    assert offload.run(os.getpid) == os.getpid()  # spawning Python and Django takes seconds
    assert offload.wait_ready(timeout=60)
    assert offload.run(os.getpid) != os.getpid()


def test_a_child_that_dies_is_replaced_and_the_call_still_answered(child_process):
    first = offload.run(os.getpid)
    os.kill(first, signal.SIGKILL)
    wait_until(_pool_broken, "the pool notices its child gone")
    assert offload.run(os.getpid) == os.getpid()  # answered here while another starts
    assert offload.wait_ready(timeout=60)
    assert offload.run(os.getpid) not in (first, os.getpid())


def _pool_broken() -> bool:
    """Whether the pool has noticed a child gone: it then refuses work (BrokenProcessPool)."""
    children = offload._children
    return children is not None and bool(children.pool._broken)


def test_a_child_goes_when_its_server_process_is_killed(tmp_path):
    # A server process of its own (this one cannot be killed): it starts a child, says
    # which, and waits.
    script = (
        "import os, time, django\n"
        "django.setup()\n"
        "from discussions import offload\n"
        "offload.warm()\n"
        "offload.wait_ready(60)\n"
        "print(offload.run(os.getpid), flush=True)\n"
        "time.sleep(60)\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script],
        env={
            **{name: value for name, value in os.environ.items() if name != "DATABASE_URL"},
            "OFFLOAD_PROCESSES": "1",
            "SQLITE_PATH": str(tmp_path / "db.sqlite3"),  # a file: a child can open it
        },
        cwd=django_settings.BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        child = int(server.stdout.readline())
        assert child != server.pid
        server.kill()
        server.wait()
        wait_until(lambda: not _running(child), "the child gone")
    finally:
        server.kill()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child that ended but was not waited for is a zombie: gone all the same.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ", 1)[1][0] != "Z"


def test_logging_in_starts_the_child(offloading, organizer, client):
    assert not offload.started()
    client.force_login(organizer)  # as the login form does: the user_logged_in signal
    assert offload.started()
    assert offload.wait_ready(timeout=60)
    assert offload.run(os.getpid) != os.getpid()


@pytest.mark.asyncio
async def test_a_uvicorn_worker_starts_the_child_with_itself(offloading):
    from conference.asgi import application

    messages = asyncio.Queue()
    sent = []
    await messages.put({"type": "lifespan.startup"})
    await messages.put({"type": "lifespan.shutdown"})

    async def send(message):
        sent.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            assert offload.started()

    await application({"type": "lifespan"}, messages.get, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert not offload.started()  # stopped with the worker


def test_a_child_that_cannot_start_leaves_the_work_to_the_callers(offloading, settings, caplog):
    # The child takes this process's database settings: these it cannot set Django up with.
    with pytest.warns(UserWarning, match="Overriding setting DATABASES"):
        settings.DATABASES = {**settings.DATABASES, "default": {"ENGINE": "no.such.backend"}}
    offload.warm()
    deadline = time.monotonic() + 60
    while "could not start" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "The offload process could not start" in caplog.text
    assert not offload.wait_ready(timeout=0)
    assert offload.run(os.getpid) == os.getpid()
