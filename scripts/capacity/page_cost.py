"""Time a facilitator's downloads and synthesis on the newest session, in-process.

Usage (on a database a rehearsal left, e.g. the `cap` database after rehearse.sh):
    PYTHONPATH=. DATABASE_URL=... .venv/bin/python scripts/capacity/page_cost.py [ROUNDS]
Prints the median of ROUNDS (7) timings of each export (Markdown, CSV, JSON), of the vote
matrix, and of the synthesis's results: their numbers, their rendering, and both as a
facilitator's page waits for them (built in this process: no offload child).
"""

import functools
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
import django  # noqa: E402

django.setup()

from django.template.loader import render_to_string  # noqa: E402

from discussions import exports, matrix  # noqa: E402
from discussions.models import Session  # noqa: E402
from discussions.views import synthesis_rows as synthesis  # noqa: E402

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 7


def median_ms(work) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


session = Session.objects.order_by("-pk").first()
print(
    f"session {session.pk}: {session.participants.count()} participants, "
    f"{matrix.visible_positions(session).count()} positions"
)
for format in ("md", "csv", "json"):
    ms = median_ms(functools.partial(exports.export_file, session.pk, None, False, False, format))
    print(f"export {format}: {ms} ms")
print(f"vote matrix: {median_ms(lambda: matrix.session_matrix(session))} ms")
context = synthesis._numbers(session, None) | {
    "session": session,
    "prompt": None,
    "csrf_token": "token",
    "refetch_trigger": "",
}
results = synthesis.render_results(session.pk, None, "token", "")
print(
    f"synthesis results: numbers {median_ms(lambda: synthesis._numbers(session, None))} ms, "
    "rendering "
    f"{median_ms(lambda: render_to_string('facilitator/synthesis.html#results', context))} ms,"
    f" both {median_ms(lambda: synthesis.render_results(session.pk, None, 'token', ''))} ms, "
    f"{len(results):,} characters"
)
