"""Time one vote through the whole Django stack, in-process, without broadcasting.

Usage (on a database prepared by serve.sh; it adds 10 participants to the newest session):
    PYTHONPATH=. DEBUG=false SECRET_KEY=x... ALLOWED_HOSTS=testserver \\
        SECURE_SSL_REDIRECT=false SECURE_COOKIES=false DATABASE_URL=... REDIS_URL=... \\
        .venv/bin/python scripts/capacity/vote_cost.py [--profile [SORT]]
Prints the queries of one vote, then the wall time per vote over 300 votes, one at a time.
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
import django  # noqa: E402

django.setup()

import cProfile  # noqa: E402
import pstats  # noqa: E402

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from discussions import live, services  # noqa: E402
from discussions.models import Participant, Session  # noqa: E402
from tests.factories import client_for  # noqa: E402

live.room_changes.add = lambda *args, **kwargs: None  # the request's own cost, not the broadcast's
session = Session.objects.order_by("-pk").first()
group = session.groups.order_by("pk").first()
people = [
    Participant.objects.create(session=session, group=group, display_name=f"Cost {i}")
    for i in range(10)
]
position = services.post_position(participant=people[0], text="A position to vote on")
clients = [client_for(p) for p in people]
url = f"/rooms/{group.pk}/positions/{position.pk}/vote"
choices = ["agree", "disagree", "pass"]
with CaptureQueriesContext(connection) as queries:
    clients[1].post(url, {"choice": "agree"}, HTTP_HX_REQUEST="true")
print(f"{len(queries.captured_queries)} queries:")
for query in queries.captured_queries:
    print("  ", query["sql"][:120])
profile = cProfile.Profile()
if "--profile" in sys.argv:
    profile.enable()
started, n = time.perf_counter(), 300
for i in range(n):
    clients[i % 10].post(url, {"choice": choices[i % 3]}, HTTP_HX_REQUEST="true")
profile.disable()
print(f"{(time.perf_counter() - started) / n * 1000:.1f} ms per vote")
if "--profile" in sys.argv:
    order = sys.argv[-1] if sys.argv[-1] != "--profile" else "tottime"  # e.g. cumulative
    pstats.Stats(profile).sort_stats(order).print_stats(25)
