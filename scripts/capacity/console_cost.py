"""Time a facilitator's actions on a session of many groups, in-process.

Usage (on an empty PostgreSQL database of its own, e.g. `createdb console_cost`):
    PYTHONPATH=. DATABASE_URL=postgres://postgres@127.0.0.1:5432/console_cost \
        ALLOWED_HOSTS=testserver .venv/bin/python scripts/capacity/console_cost.py [ROUNDS]
Migrates, creates (once) a session of 100 groups with 2,000 participants, 300 positions and
their votes, then prints the median of ROUNDS (7) timings of each action as the console's
htmx request makes it (the answer re-renders the console), with its number of queries.
"""

import os
import random
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
os.environ.setdefault("OFFLOAD_PROCESSES", "0")  # none of these pages uses the child
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402

from discussions import services  # noqa: E402
from discussions.models import Participant, Position, Session, Vote  # noqa: E402

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
GROUPS, PER_GROUP, POSITIONS_PER_GROUP = 100, 20, 3
PAPER = b"# Paper\n\nWhat should allies pay for?\n\n## Alliances\n\nAlliances matter.\n"


def session_of_many_groups() -> Session:
    session = Session.objects.filter(name="Console cost").first()
    if session is not None:
        return session
    paper = services.import_paper(data=PAPER, filename="cost.md", publish=True).paper
    session = services.create_session(paper=paper, name="Console cost", group_count=GROUPS)
    get_user_model().objects.create_user(username="console-cost", password="not used")
    services.assign_facilitator(session=session, username="console-cost")
    rng = random.Random(1)
    groups = list(session.groups.order_by("pk"))
    people = Participant.objects.bulk_create(
        Participant(session=session, group=group, display_name=f"P{group.pk}-{n}")
        for group in groups
        for n in range(PER_GROUP)
    )
    positions = Position.objects.bulk_create(
        Position(group=group, prompt_id=group.current_prompt_id, author=author, text=f"P {n}")
        for group in groups
        for n, author in enumerate([p for p in people if p.group_id == group.pk][:3])
    )
    Vote.objects.bulk_create(
        Vote(participant=person, position=position, choice=rng.choice([1, -1, 0]))
        for position in positions
        for person in people
        if person.group_id == position.group_id and rng.random() < 0.6
    )
    return session


def main() -> None:
    call_command("migrate", verbosity=0)
    session = session_of_many_groups()
    settings.DEBUG = True  # counts the queries
    client = Client()
    client.force_login(get_user_model().objects.get(username="console-cost"))
    group = session.groups.order_by("pk").first()
    position = Position.objects.filter(group=group).first()
    control = f"/facilitate/sessions/{session.pk}/control"
    htmx = {"HX-Request": "true"}
    actions = {
        "announce to one group": lambda: client.post(
            control, {"action": "announce", "group": group.pk, "text": "Hi"}, headers=htmx
        ),
        f"announce to all {GROUPS}": lambda: client.post(
            control, {"action": "announce", "group": "all", "text": "Hi all"}, headers=htmx
        ),
        f"phase of all {GROUPS}": lambda: client.post(
            control, {"action": "phase", "group": "all", "phase": "collecting"}, headers=htmx
        ),
        "pin (group panel)": lambda: client.post(
            f"/facilitate/positions/{position.pk}",
            {"action": "pin", "panel": "group"},
            headers=htmx,
        ),
        "console page": lambda: client.get(f"/facilitate/sessions/{session.pk}/"),
        "group row": lambda: client.get(f"/facilitate/groups/{group.pk}/row"),
    }
    for name, act in actions.items():
        times, queries = [], 0
        for _ in range(ROUNDS):
            reset_queries()
            started = time.perf_counter()
            response = act()
            times.append((time.perf_counter() - started) * 1000)
            queries = len(connection.queries)
            assert response.status_code == 200, (name, response.status_code)
        print(f"{name}: median {statistics.median(times):.0f} ms, {queries} queries")


if __name__ == "__main__":
    main()
