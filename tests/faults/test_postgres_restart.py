"""PostgreSQL stops (as a crash does) and comes back while a room votes.

Two uvicorn workers on a PostgreSQL cluster of the test's own, through the connection pool
as in production (DB_POOL_MAX, with a short DB_POOL_TIMEOUT), and a throwaway Redis. The
server's database is not pytest's: the session is created by a `manage.py shell` against
it, participants join over HTTP, and the votes are read back with psycopg. Six HTTP voters
vote steadily; PostgreSQL is stopped with `pg_ctl stop -m immediate` (every backend killed
at once) for a few seconds, until a vote sent meanwhile has been answered, and started again.

- While it is away, every vote is refused with 503 and a sentence saying nothing was saved:
  never 200, never a bare 500.
- Once it is back, votes go through again without restarting the server: the pool replaces
  its broken connections by itself.
- Every vote answered 200 is in the database, and no refused vote is.

The same run on both backends: the cluster is the test's own either way.
"""

from __future__ import annotations

import logging
import time
import urllib.error

import pytest
from django.db import OperationalError

from discussions.middleware import DATABASE_AWAY
from tests.browser.asgi_server import server_env
from tests.deadlines import wait_until
from tests.faults.helpers import DRILL_PAPER, Voters, set_up_server_database
from tests.test_two_processes import Participant

OUTAGE = 4.0  # seconds PostgreSQL is down at least
# Seconds a request waits for a pooled connection before it is refused: shorter than the
# outage, so requests made during it are refused rather than all waiting it out.
POOL_TIMEOUT = 2
AFTER = 10  # votes sent after the recovery, every one of which must go through

# Run by `manage.py shell` against the throwaway database: the schema, a session of one
# group, three positions by an author of their own. Prints what the drill needs as JSON.
SETUP = f"""
import json
from django.core.management import call_command
from discussions import services

call_command("migrate", verbosity=0)
paper = services.import_paper(data={DRILL_PAPER!r}, filename="drill.md", publish=True).paper
session = services.create_session(paper=paper, name="Database drill", group_count=1)
group = session.groups.get()
author = services.join_session(session=session, display_name="Author", group_id=group.pk)
positions = [
    services.post_position(participant=author, text=text).pk
    for text in ("Alliances pay for themselves.", "Trade needs teeth.", "Fund the UN.")
]
print(json.dumps({{"code": session.code, "group": group.pk, "positions": positions}}))
"""


def join(server, database, code: str, group_id: int, count: int) -> list[Participant]:
    """Voters who joined through the join pages, `.participant_id` read from the database."""
    clients = []
    for n in range(1, count + 1):
        client = Participant(server)
        client.join(code, f"Voter {n}", group_id)
        client.participant_id = database.execute(
            "SELECT id FROM discussions_participant WHERE display_name = %s", [f"Voter {n}"]
        ).fetchone()[0]
        clients.append(client)
    return clients


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_restart_refuses_writes_clearly_and_the_app_recovers_by_itself(
    throwaway_postgres, throwaway_redis, start_uvicorn
):
    env = server_env(DATABASE_URL=throwaway_postgres.url, REDIS_URL=throwaway_redis.url)
    drill = set_up_server_database(env, SETUP)
    server = start_uvicorn(
        workers=2,
        DATABASE_URL=throwaway_postgres.url,
        REDIS_URL=throwaway_redis.url,
        DB_POOL_MAX="10",
        DB_POOL_TIMEOUT=str(POOL_TIMEOUT),
    )
    ids = drill["positions"]
    with throwaway_postgres.connect() as database:
        voters = Voters(
            clients=join(server, database, drill["code"], drill["group"], 6),
            positions=ids,
            group_id=drill["group"],
            interval=0.6,  # under the per-participant limit of 2 votes/s
        )
    voters.start()
    try:
        voters.wait_for_acknowledged(5)  # the voting got going
        before = len(voters.acknowledged())
        stopping = time.monotonic()
        throwaway_postgres.stop("immediate")
        # Once pg_ctl has returned no vote can be saved; one sent before may have been, and
        # answered 200 a moment after (the database check below holds it to its answer).
        stopped = time.monotonic()
        # Down for OUTAGE, and until a vote sent meanwhile has had its answer (each waits up
        # to POOL_TIMEOUT for a connection, then longer on a loaded machine).
        wait_until(
            lambda: (
                time.monotonic() >= stopping + OUTAGE
                and any(a.started >= stopped for a in voters.attempts)
            ),
            "a vote sent during the outage answered",
        )
        # PostgreSQL takes connections a moment before pg_ctl, which polls it, returns: a vote
        # waiting for a connection then may be saved and answered 200 before `back`. Only
        # votes answered before the start began count as answered with no database (the
        # database check below holds every other one to its answer).
        restarting = time.monotonic()
        throwaway_postgres.start()
        back = time.monotonic()
        voters.wait_for_acknowledged(1, since=back)  # the pool recovered by itself
        recovered = min(a.answered for a in voters.acknowledged(since=back))
        voters.wait_for_acknowledged(AFTER, since=recovered)
    finally:
        voters.stop()

    # A refused vote in front of a person: the status and the words the room shows.
    probe = voters.clients[0]
    throwaway_postgres.stop("immediate")
    try:
        probe.request(f"/rooms/{drill['group']}/positions/{ids[0]}/vote", {"choice": "pass"})
        pytest.fail("a vote while PostgreSQL was down answered 200")
    except urllib.error.HTTPError as error:
        probe_answer = (error.code, error.headers.get_content_type(), error.read().decode())
    finally:
        throwaway_postgres.start()

    acknowledged, failed = voters.acknowledged(), voters.failed()
    during = [a for a in voters.attempts if a.started >= stopped and a.answered < restarting]
    after_recovery = [a for a in voters.attempts if a.started >= recovered]
    print(
        f"votes: {len(voters.attempts)} sent, {len(acknowledged)} acknowledged ({before} before "
        f"the outage), {len(failed)} refused ({sorted({str(a.status) for a in failed})}); "
        f"{len(during)} sent and answered in the {restarting - stopping:.1f} s outage, all "
        f"refused; first vote "
        f"through {recovered - back:.1f} s after PostgreSQL returned "
        f"({recovered - stopped:.1f} s after it stopped); {len(after_recovery)} sent after "
        f"that, {len([a for a in after_recovery if a.status != 200])} refused"
    )
    assert before >= 5, "the voting did not get going before the outage"
    assert during, "no vote was answered during the outage"
    assert [a for a in during if a.status == 200] == [], "a vote was 'saved' with no database"
    for attempt in failed:
        assert (attempt.status, attempt.answer) == (503, DATABASE_AWAY), attempt
    assert probe_answer == (503, "text/plain", DATABASE_AWAY)
    assert len(after_recovery) >= AFTER
    assert [a for a in after_recovery if a.status != 200] == [], "votes failed after recovery"

    with throwaway_postgres.connect() as database:
        rows = {
            (voter, position): choice
            for voter, position, choice in database.execute(
                "SELECT participant_id, position_id, choice FROM discussions_vote"
                " WHERE position_id = ANY(%s)",
                [ids],
            )
        }
    assert voters.check_database(rows, strict=True) == []
    assert "Database unavailable, answered 503" in server.log()


def test_a_request_that_finds_the_database_gone_answers_503_and_logs_one_warning(
    client, caplog, monkeypatch
):
    def gone(*args, **kwargs):
        raise OperationalError("connection refused\n\tIs the server running?")

    monkeypatch.setattr("discussions.views.participant.member_of", gone)
    with caplog.at_level(logging.WARNING):
        response = client.post(
            "/rooms/1/positions/2/vote", {"choice": "agree"}, headers={"HX-Request": "true"}
        )
    assert response.status_code == 503
    assert response.content.decode() == DATABASE_AWAY
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "discussions.middleware",
            "WARNING",
            "Database unavailable, answered 503 to POST /rooms/1/positions/2/vote: "
            "connection refused",
        )
    ]
