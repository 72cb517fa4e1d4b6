"""What the published outcome's pages cost, beside the app's cheapest page (not a test:
figures). A demo session with N synthetic participants (setup_demo --activity), twenty
recommendations from the most agreed positions, published; then each page is fetched
REPEAT times in process (Django's test client) and its median time printed with its ratio
to the home page's, measured in the same run, and its number of queries. Run:

    .venv/bin/python scripts/outcome_cost.py [N]

On a throwaway SQLite file; with DATABASE_URL set, on that PostgreSQL database instead
(it must be empty: the script migrates it).
"""

import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
if not os.environ.get("DATABASE_URL"):
    os.environ["SQLITE_PATH"] = os.path.join(tempfile.mkdtemp(), "outcome.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from discussions import identity, services  # noqa: E402
from discussions.models import Participant, Position, Session  # noqa: E402

REPEAT = 30
RECOMMENDATIONS = 20


def median_ms(client: Client, url: str) -> tuple[float, int]:
    client.get(url)  # warm: templates compiled, connections open
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return 1000 * statistics.median(times), len(queries)


def main() -> None:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    call_command("migrate", verbosity=0)
    call_command("setup_demo", activity=people, password="x" * 16, verbosity=0)
    session = Session.objects.order_by("pk").first()
    organizer = django.contrib.auth.get_user_model().objects.get(username="organizer")
    top = (
        Position.objects.filter(group__session=session, status=Position.Status.VISIBLE)
        .annotate(n=Count("votes"))
        .order_by("-n", "pk")[:RECOMMENDATIONS]
    )
    for position in top:
        services.promote(actor=organizer, session=session, position_ids=[position.pk])
    services.publish_outcome(session=session)
    author = (
        Participant.objects.filter(session=session)
        .annotate(n=Count("positions"))
        .order_by("-n", "pk")
        .first()
    )
    participant = Client()
    participant.cookies[identity.COOKIE] = identity.signed({str(session.pk): author.pk})
    public = Client()
    votes = sum(p.n for p in top)
    print(
        f"{Participant.objects.filter(session=session).count()} participants, "
        f"{Position.objects.filter(group__session=session).count()} positions, "
        f"{RECOMMENDATIONS} recommendations over {votes} votes; {connection.vendor}; "
        f"median of {REPEAT}"
    )
    home, _ = median_ms(public, reverse("home"))
    print(f"{'home page (the ceiling)':36} {home:7.1f} ms")
    listing = reverse("results_list", args=[session.results_token])
    pages = [
        (
            "results page (a reader arrives)",
            public,
            reverse("results", args=[session.results_token]),
        ),
        ("results list, first after a change", public, f"{listing}?since={2**53}"),
        ("results list, every other reader", public, f"{listing}?since=1"),
        ("my input", participant, reverse("my_input", args=[author.group_id])),
    ]
    for name, client, url in pages:
        ms, queries = median_ms(client, url)
        print(f"{name:36} {ms:7.1f} ms  {ms / home:5.1f} x home  {queries} queries")


if __name__ == "__main__":
    main()
