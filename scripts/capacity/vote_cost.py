"""Time a vote in-process, without broadcasting: through the HTTP form's whole Django
stack, and through the socket's vote writer in batches of 1, 10 and 50.

Usage (on a database prepared by serve.sh; it adds 50 participants to the newest session):
    PYTHONPATH=. DEBUG=false SECRET_KEY=x... ALLOWED_HOSTS=testserver \\
        SECURE_SSL_REDIRECT=false SECURE_COOKIES=false DATABASE_URL=... REDIS_URL=... \\
        .venv/bin/python scripts/capacity/vote_cost.py [--profile [SORT]]
Prints the queries of one HTTP vote, then the wall time and CPU time per vote over 300
votes, one at a time; then the same per vote of the writer's batches (rate limits counted,
the votes written in one transaction, each answer rendered). --profile profiles the HTTP
votes.
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
from discussions.live import votes  # noqa: E402
from discussions.models import Participant, Session  # noqa: E402
from tests.factories import client_for  # noqa: E402

live.room_changes.add = lambda *args, **kwargs: None  # the request's own cost, not the broadcast's
session = Session.objects.order_by("-pk").first()
group = session.groups.order_by("pk").first()
people = [
    Participant.objects.create(session=session, group=group, display_name=f"Cost {i}")
    for i in range(50)
]
position = services.post_position(participant=people[0], text="A position to vote on")
clients = [client_for(p) for p in people[:10]]
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
started, cpu, n = time.perf_counter(), time.process_time(), 300
for i in range(n):
    clients[i % 10].post(url, {"choice": choices[i % 3]}, HTTP_HX_REQUEST="true")
profile.disable()
wall, cpu = (time.perf_counter() - started) / n * 1000, (time.process_time() - cpu) / n * 1000
print(f"HTTP form: {wall:.2f} ms per vote, {cpu:.2f} ms of CPU")

for size in (1, 10, 50):
    batches, done = max(1, 300 // size), 0
    started, cpu = time.perf_counter(), time.process_time()
    for b in range(batches):
        # Each voter votes six times in all: far under the per-participant rate limit.
        voters = [people[(b * size + k) % len(people)] for k in range(size)]
        batch = [
            votes.Queued(
                services.VoteRequest(voter.pk, group.pk, position.pk, choices[(b + k) % 3]),
                f"c{b}-{k}",
                "127.0.0.1",
                lambda answer: None,
            )
            for k, voter in enumerate(voters)
        ]
        answers = votes.write_batch(batch)
        assert all('data-status="saved"' in a.html for a in answers), answers[0].html
        done += size
    wall = (time.perf_counter() - started) / done * 1000
    cpu = (time.process_time() - cpu) / done * 1000
    print(f"socket writer, batches of {size}: {wall:.2f} ms per vote, {cpu:.2f} ms of CPU")
if "--profile" in sys.argv:
    order = sys.argv[-1] if sys.argv[-1] != "--profile" else "tottime"  # e.g. cumulative
    pstats.Stats(profile).sort_stats(order).print_stats(25)
