"""The opening rush: joins, posts, votes and facilitator actions at once, on PostgreSQL.

Each write works alone; this drill makes them meet, as the first minutes of a session do.
Two uvicorn workers with a PostgreSQL pool, as in production, on a PostgreSQL cluster of
the test's own (on the SQLite run too: row locks only bite on PostgreSQL) and a throwaway
Redis. For a few seconds, at once, from one network address as a venue's laptops are:

- newcomers join, round after round, into every group;
- the joined post positions and vote on each other's;
- two facilitators act on one group and on all groups: announcements, phases, the
  countdown (start, pause, resume, extend, stop), hide and restore, pin and unpin, merges
  of duplicates, moving participants between groups.

Refusals a person can act on (4xx: the phase closed posting, a participant was moved away)
are part of a real room. What must never happen: an answer 5xx or none at all, a write
answered as saved that is not in the database, or a deadlock in PostgreSQL's statistics.
"""

from __future__ import annotations

import http.cookiejar
import itertools
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests.browser.asgi_server import server_env
from tests.deadlines import DEADLINE
from tests.faults.helpers import DRILL_PAPER, set_up_server_database

pytestmark = pytest.mark.django_db(transaction=True)

GROUPS = 4
# The rush lasts this long at least, and until every kind of write has been saved once.
RUSH_SECONDS = 8.0
KINDS = {"join", "post", "vote", "announce", "phase", "countdown", "hide", "restore", "pin",
         "merge", "move"}  # fmt: skip
FACILITATOR = ("fiona", "a long facilitator password")

# Run by `manage.py shell` against the cluster: the schema, a session of GROUPS groups, a
# facilitator of all of them, and per group positions to vote on, to moderate and to merge.
SETUP = f"""
import json
from django.contrib.auth import get_user_model
from django.core.management import call_command
from discussions import services

call_command("migrate", verbosity=0)
paper = services.import_paper(data={DRILL_PAPER!r}, filename="drill.md", publish=True).paper
session = services.create_session(paper=paper, name="Opening rush", group_count={GROUPS})
username, password = {FACILITATOR!r}
get_user_model().objects.create_user(username=username, password=password)
services.assign_facilitator(session=session, username=username)
groups = {{}}
for group in session.groups.order_by("pk"):
    author = services.join_session(session=session, display_name="Author", group_id=group.pk)
    post = lambda text: services.post_position(participant=author, text=text).pk
    groups[group.pk] = {{
        "votable": [post(f"Votable {{n}} of {{group.pk}}") for n in range(3)],
        "moderated": [post(f"Moderated {{n}} of {{group.pk}}") for n in range(2)],
        "duplicates": [[post(f"Pair {{n}} of {{group.pk}}"), post(f"Pair {{n}}, again")]
                       for n in range(12)],
    }}
print(json.dumps({{"code": session.code, "session": session.pk, "groups": groups}}))
"""


def set_up_database(env: dict[str, str]) -> dict:
    drill = set_up_server_database(env, SETUP)
    drill["groups"] = {int(pk): value for pk, value in drill["groups"].items()}
    return drill


@dataclass
class Answer:
    kind: str  # join, post, vote, announce, phase, ...
    status: int | str  # the HTTP status, or the error's name when there was none
    detail: dict = field(default_factory=dict)  # what the write was, to find it afterwards
    body: str = ""
    seconds: float = 0.0  # printed, never asserted: speed is the rehearsal's business


class Browser:
    """One laptop: a cookie jar, and requests that report their answer instead of raising."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.last_url = ""

    def call(self, path: str, data: dict | None = None) -> tuple[int | str, str]:
        started = time.monotonic()
        try:
            return self._call(path, data)
        finally:
            self.seconds = time.monotonic() - started

    def _call(self, path: str, data: dict | None) -> tuple[int | str, str]:
        headers = {"HX-Request": "true"} if data is not None else {}
        if data is not None:
            csrf = next((c.value for c in self.cookies if c.name == "csrftoken"), "")
            headers |= {"X-CSRFToken": csrf, "Origin": self.url, "Referer": self.url + "/"}
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.url + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=DEADLINE) as response:
                self.last_url = response.url
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")[:300]
        except OSError as error:  # refused, reset, timed out
            return type(error).__name__, str(error)


@dataclass
class Member:
    browser: Browser
    name: str
    group: int
    posts: int = 0


class Rush:
    """The threads of the rush, and every answer they got."""

    def __init__(self, url: str, drill: dict, participant_ids: _ParticipantIds) -> None:
        self.url, self.drill, self.participant_ids = url, drill, participant_ids
        self.answers: list[Answer] = []
        self.members: list[Member] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.names = itertools.count(1)
        self.texts = itertools.count(1)

    def record(self, kind: str, browser: Browser, status, body: str = "", **detail) -> Answer:
        answer = Answer(kind, status, detail, body if not _ok(status) else "", browser.seconds)
        with self.lock:
            self.answers.append(answer)
        return answer

    def saved_kinds(self) -> set[str]:
        with self.lock:
            return {answer.kind for answer in self.answers if _ok(answer.status)}

    # --- Participants ---------------------------------------------------------------------

    def join_one(self, rng: random.Random) -> Member | None:
        browser = Browser(self.url)
        code, group = self.drill["code"], rng.choice(list(self.drill["groups"]))
        name = f"Joiner {next(self.names)}"
        status, body = browser.call(f"/join/{code}/")
        if status == 200:
            status, body = browser.call(
                f"/join/{code}/", {"display_name": name, "group": str(group)}
            )
        landed = urllib.parse.urlsplit(browser.last_url).path == f"/rooms/{group}/"
        status = status if landed or status != 200 else "not in the room"
        self.record("join", browser, status, body, name=name)
        if status != 200 or not landed:
            return None
        member = Member(browser, name, group)
        with self.lock:
            self.members.append(member)
        return member

    def joiner(self, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stop.is_set():
            self.join_one(rng)

    def some_member(self, rng: random.Random, partition: tuple[int, int]) -> Member | None:
        index, count = partition
        with self.lock:
            mine = [m for n, m in enumerate(self.members) if n % count == index]
        return rng.choice(mine) if mine else None

    def poster(self, seed: int, partition: tuple[int, int]) -> None:
        rng = random.Random(seed)
        while not self.stop.is_set():
            member = self.some_member(rng, partition)
            # Under the per-participant limit of 10 positions a minute.
            if member is None or member.posts >= 5:
                self.stop.wait(0.05)
                continue
            member.posts += 1
            text = f"Rush position {next(self.texts)} by {member.name}"
            status, body = member.browser.call(f"/rooms/{member.group}/post", {"text": text})
            self.record("post", member.browser, status, body, text=text)

    def voter(self, seed: int, partition: tuple[int, int]) -> None:
        """Each member's votes come from one thread, so their order is the answers' order."""
        rng = random.Random(seed)
        while not self.stop.is_set():
            member = self.some_member(rng, partition)
            if member is None:
                self.stop.wait(0.05)
                continue
            position = rng.choice(self.drill["groups"][member.group]["votable"])
            choice = rng.choice(["agree", "disagree", "pass"])
            status, body = member.browser.call(
                f"/rooms/{member.group}/positions/{position}/vote", {"choice": choice}
            )
            self.record(
                "vote",
                member.browser,
                status,
                body,
                name=member.name,
                position=position,
                choice=choice,
            )
            # Under the per-participant limit of 120 votes a minute.
            self.stop.wait(0.02)

    # --- Facilitators ---------------------------------------------------------------------

    def facilitator(self) -> Browser:
        browser = Browser(self.url)
        browser.call("/accounts/login/")
        username, password = FACILITATOR
        status, _ = browser.call(
            "/accounts/login/", {"username": username, "password": password, "next": "/"}
        )
        assert status == 200 and "sessionid" in {c.name for c in browser.cookies}, status
        return browser

    def control(self, browser: Browser, kind: str, **fields) -> None:
        path = f"/facilitate/sessions/{self.drill['session']}/control"
        status, body = browser.call(path, fields)
        self.record(kind, browser, status, body, **fields)

    def room_controls(self, seed: int) -> None:
        """Announcements, phases and the countdown, for one group and for all of them."""
        rng, browser = random.Random(seed), self.facilitator()
        groups = list(self.drill["groups"])
        for n in itertools.count():
            if self.stop.is_set() and n % 6 == 0:  # each kind of action at least once
                return
            target = rng.choice([*map(str, groups), "all"])
            step = n % 6
            if step == 0:
                self.control(
                    browser,
                    "announce",
                    action="announce",
                    group=target,
                    text=f"Announcement {n} to {target}",
                )
            elif step == 1:
                self.control(browser, "phase", action="phase", group=target, phase="voting")
            elif step == 2:
                self.control(browser, "phase", action="phase", group=target, phase="collecting")
            elif step == 3:
                self.control(
                    browser,
                    "countdown",
                    action="timer_start",
                    group=target,
                    minutes="5",
                    seconds="0",
                )
            elif step == 4:
                action = rng.choice(["timer_pause", "timer_resume", "timer_extend"])
                self.control(browser, "countdown", action=action, group=target, minutes="1")
            else:
                self.control(browser, "countdown", action="timer_stop", group=target)

    def announcer(self, seed: int) -> None:
        """What was seen failing at a venue: announcements to every group, every 0.3 s."""
        rng, browser = random.Random(seed), self.facilitator()
        groups = list(self.drill["groups"])
        for n in itertools.count():
            if self.stop.is_set():
                return
            target = "all" if n % 2 == 0 else str(rng.choice(groups))
            self.control(
                browser, "announce", action="announce", group=target, text=f"Notice {n} to {target}"
            )
            self.stop.wait(0.3)

    def position_action(self, browser: Browser, kind: str, position: int, **fields) -> None:
        status, body = browser.call(f"/facilitate/positions/{position}", fields)
        self.record(kind, browser, status, body, position=position, **fields)

    def moderation(self, seed: int) -> None:
        """Hide and restore, pin and unpin, merge duplicates, move participants."""
        rng, browser = random.Random(seed), self.facilitator()
        pairs = [
            (group, pair)
            for group, positions in self.drill["groups"].items()
            for pair in positions["duplicates"]
        ]
        rng.shuffle(pairs)
        groups = list(self.drill["groups"])
        for n in itertools.count():
            if self.stop.is_set() and n % 4 == 0:  # each kind of action at least once
                return
            group = rng.choice(groups)
            moderated = self.drill["groups"][group]["moderated"][n % 2]
            step = n % 4
            if step == 0:
                self.position_action(browser, "hide", moderated, action="hide", reason="Rush")
                self.position_action(browser, "restore", moderated, action="restore")
            elif step == 1:
                self.position_action(browser, "pin", moderated, action="pin")
                self.position_action(browser, "pin", moderated, action="unpin")
            elif step == 2 and pairs:
                _, (survivor, absorbed) = pairs.pop()
                self.position_action(browser, "merge", absorbed, action="merge", into=survivor)
            else:
                self.move_someone(browser, rng, groups)

    def move_someone(self, browser: Browser, rng: random.Random, groups: list[int]) -> None:
        with self.lock:
            if not self.members:
                return
            member = rng.choice(self.members)
        target = rng.choice([g for g in groups if g != member.group])
        participant = self.participant_ids.get(member.name)
        if participant is None:
            return
        status, body = browser.call(
            f"/facilitate/participants/{participant}", {"action": "move", "group": str(target)}
        )
        self.record("move", browser, status, body, name=member.name, group=target)
        if status == 200:
            member.group = target  # their later posts and votes go to their new room


def _ok(status) -> bool:
    return status == 200


def test_the_opening_rush_answers_every_request_and_keeps_every_saved_write(
    throwaway_postgres, throwaway_redis, start_uvicorn
):
    env = server_env(DATABASE_URL=throwaway_postgres.url, REDIS_URL=throwaway_redis.url)
    drill = set_up_database(env)
    server = start_uvicorn(
        workers=2,
        DATABASE_URL=throwaway_postgres.url,
        REDIS_URL=throwaway_redis.url,
        DB_POOL_MAX="20",
    )
    with throwaway_postgres.connect() as database:
        deadlocks_before = _deadlocks(database)
    rush = Rush(server.url, drill, _ParticipantIds(throwaway_postgres))
    # A first few in every group, so the posters and voters have someone from the start.
    first = random.Random(1)
    for _ in range(8):
        rush.join_one(first)

    threads = [threading.Thread(target=rush.joiner, args=(seed,)) for seed in range(4)]
    threads += [threading.Thread(target=rush.poster, args=(10 + n, (n, 3))) for n in range(3)] + [
        threading.Thread(target=rush.voter, args=(20 + n, (n, 4))) for n in range(4)
    ]
    threads += [
        threading.Thread(target=rush.room_controls, args=(30,)),
        threading.Thread(target=rush.room_controls, args=(31,)),
        threading.Thread(target=rush.announcer, args=(32,)),
        threading.Thread(target=rush.moderation, args=(40,)),
    ]
    for thread in threads:
        thread.start()
    time.sleep(RUSH_SECONDS)
    # On a loaded machine a kind may not have come round yet: wait for it, not for ever.
    deadline = time.monotonic() + DEADLINE
    while not rush.saved_kinds() >= KINDS and time.monotonic() < deadline:
        time.sleep(0.1)
    rush.stop.set()
    for thread in threads:
        thread.join(timeout=2 * DEADLINE)
    assert not [t for t in threads if t.is_alive()], "a request never came back"

    answers = rush.answers
    for kind in sorted({a.kind for a in answers}):
        mine = [a for a in answers if a.kind == kind]
        seconds = sorted(a.seconds for a in mine)
        print(
            f"{kind}: {dict(Counter(str(a.status) for a in mine))}, median "
            f"{seconds[len(seconds) // 2]:.2f} s, slowest {seconds[-1]:.2f} s"
        )
    assert rush.saved_kinds() >= KINDS, f"never saved: {KINDS - rush.saved_kinds()}"
    failed = [a for a in answers if not (isinstance(a.status, int) and a.status < 500)]
    assert failed == [], f"{len(failed)} of {len(answers)} answers failed: {failed[:5]}"

    with throwaway_postgres.connect() as database:
        assert _deadlocks(database) == deadlocks_before, "PostgreSQL detected a deadlock"
        assert _missing_writes(database, answers) == []


def _deadlocks(database) -> int:
    (count,) = database.execute(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    ).fetchone()
    return count


class _ParticipantIds:
    """Participants' ids by display name, read from the cluster when first asked."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster

    def get(self, name: str) -> int | None:
        with self.cluster.connect() as database:
            row = database.execute(
                "SELECT id FROM discussions_participant WHERE display_name = %s", [name]
            ).fetchone()
        return row[0] if row else None


def _missing_writes(database, answers: list[Answer]) -> list[str]:
    """Every write answered as saved, looked for where it must have left its mark: the
    participant, the position, the voter's last choice, the moderation log's entry."""
    names = set(_column(database, "SELECT display_name FROM discussions_participant"))
    texts = set(_column(database, "SELECT text FROM discussions_position"))
    votes = {
        (name, position): choice
        for name, position, choice in database.execute(
            "SELECT pa.display_name, v.position_id, v.choice FROM discussions_vote v"
            " JOIN discussions_participant pa ON pa.id = v.participant_id"
        )
    }
    logged = Counter()
    for action, detail, position, name in database.execute(
        "SELECT m.action, m.detail, m.position_id, pa.display_name"
        " FROM discussions_moderationentry m"
        " LEFT JOIN discussions_participant pa ON pa.id = m.participant_id"
    ):
        logged[(action, detail if action == "announce" else position or name)] += 1
    merged = set(_column(database, "SELECT id FROM discussions_position WHERE status = 'merged'"))

    missing, saved, last_vote = [], Counter(), {}
    for answer in (a for a in answers if a.status == 200):
        detail = answer.detail
        if answer.kind == "join" and detail["name"] not in names:
            missing.append(f"joined, not in the database: {detail['name']}")
        elif answer.kind == "post" and detail["text"] not in texts:
            missing.append(f"posted, not in the database: {detail['text']}")
        elif answer.kind == "vote":
            last_vote[(detail["name"], detail["position"])] = detail["choice"]
        elif answer.kind == "announce":
            saved[("announce", detail["text"])] += 1
        elif answer.kind in ("hide", "restore", "pin"):
            saved[(detail["action"], detail["position"])] += 1
        elif answer.kind == "move":
            saved[("move", detail["name"])] += 1
        elif answer.kind == "merge" and detail["position"] not in merged:
            missing.append(f"merged, not merged: position {detail['position']}")
    for key, count in saved.items():
        if key[0] == "announce":
            count = min(count, 1)  # to all groups: one entry per group
        if logged[key] < count:
            missing.append(f"{key}: {count} answered as saved, {logged[key]} in the log")
    values = {"agree": 1, "disagree": -1, "pass": 0}
    for (name, position), choice in last_vote.items():
        if votes.get((name, position)) != values[choice]:
            found = votes.get((name, position))
            missing.append(f"{name}'s {choice} on {position}: the database has {found}")
    return missing


def _column(database, sql: str) -> list:
    return [row[0] for row in database.execute(sql)]
