"""Time each of a participant's requests through the whole Django stack, in-process.

Usage (on a database a rehearsal left, e.g. the scenario's; it adds participants to the
newest session's first group):
    PYTHONPATH=. DEBUG=false SECRET_KEY=x... ALLOWED_HOSTS=testserver \\
        SECURE_SSL_REDIRECT=false SECURE_COOKIES=false DATABASE_URL=... REDIS_URL=... \\
        .venv/bin/python scripts/capacity/request_cost.py [ROUNDS] [--profile KIND]
        (PROFILE_SORT=tottime to order the profile by own time)
Prints, per kind (the join form, the join, the room page, its status and list, a post, a
vote), the queries of one request and the median wall time of ROUNDS (50), one at a time,
without broadcasting: the request's own cost, what a rush of arrivals multiplies.
"""

import collections
import itertools
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
import django  # noqa: E402

django.setup()

import cProfile  # noqa: E402
import pstats  # noqa: E402

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from discussions import live, services  # noqa: E402
from discussions.models import Participant, Position, Session  # noqa: E402
from discussions.views.joining import join_path  # noqa: E402
from tests.factories import client_for  # noqa: E402

# The request's own cost, not the broadcast's: nothing is sent after a commit.
live.room_changes.add = lambda *args, **kwargs: None
transaction.on_commit = lambda *args, **kwargs: None

args = [a for a in sys.argv[1:] if not a.startswith("--")]
ROUNDS = int(args[0]) if args and args[0].isdigit() else 50
PROFILE = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else None

session = Session.objects.order_by("-pk").first()
group = session.groups.order_by("pk").first()
room = group.get_absolute_url()
people = [
    Participant.objects.create(session=session, group=group, display_name=f"Cost {i}")
    for i in range(10)
]
clients = [client_for(p) for p in people]
position = services.post_position(participant=people[0], text="A position to vote on")
joining = join_path(session)
counter = itertools.count()
choices = itertools.cycle(["agree", "disagree", "pass"])
htmx = {"HTTP_HX_REQUEST": "true"}
anonymous = Client()  # one: each Client builds the middleware (WhiteNoise reads its files)


def first_visit() -> Client:
    anonymous.cookies.clear()
    return anonymous


def join(client: Client) -> None:
    data = {"display_name": f"Joiner {next(counter)}", "group": group.pk}
    return first_visit().post(joining, data)


KINDS = {
    "join_form": lambda c: first_visit().get(joining),
    "join": join,
    "room_page": lambda c: c.get(room),
    "room_status": lambda c: c.get(f"{room}status", **htmx),
    "room_positions": lambda c: c.get(f"{room}positions?sort=newest", **htmx),
    "post": lambda c: c.post(f"{room}post", {"text": f"Position {next(counter)}"}, **htmx),
    "vote": lambda c: c.post(
        f"{room}positions/{position.pk}/vote", {"choice": next(choices)}, **htmx
    ),
}

people_in_session, positions_in_group = session.participants.count(), group.positions.count()
print(f"{people_in_session} participants, {positions_in_group} positions in the group")
print(f"{'kind':16} {'queries':>7} {'median ms':>10}  statuses")


def counting(queries: list[str]):
    """Statements as sent (the test client's request resets connection.queries)."""

    def record(execute, sql, *rest):
        queries.append(sql)
        return execute(sql, *rest)

    return connection.execute_wrapper(record)


for kind, request in KINDS.items():
    queries: list[str] = []
    with counting(queries):
        request(clients[0])
    profile = cProfile.Profile()
    times, statuses = [], collections.Counter()
    for i in range(ROUNDS):
        if kind == PROFILE:
            profile.enable()
        started = time.perf_counter()
        statuses[request(clients[i % len(clients)]).status_code] += 1
        times.append((time.perf_counter() - started) * 1000)
        profile.disable()
    median = statistics.median(times)
    print(f"{kind:16} {len(queries):>7} {median:>10.1f}  {dict(statuses)}")
    if kind == PROFILE:
        order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime
        pstats.Stats(profile).sort_stats(order).print_stats(30)

# Leave the database as it was: the next run measures the same lists.
mine = Participant.objects.filter(session=session, display_name__regex=r"^(Cost|Joiner) \d+$")
Position.objects.filter(author__in=mine).delete()
mine.delete()
