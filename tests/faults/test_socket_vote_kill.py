"""A server process is killed (SIGKILL) while votes come over the room's sockets.

Two uvicorn workers share the room through a throwaway Redis. Twelve participants vote
over their own room sockets, as the page does: each vote a frame with an id, answered
with that id only once its batch has committed (discussions/live/votes.py), several in
flight on a socket at once. Once the voting got going, the voters on the worker holding
the most of their sockets send a few votes at once and that worker is killed outright,
so that (as far as one can tell) it dies with votes queued, in a batch or being answered.

- A vote answered "saved" is never lost: the database holds it, or a later vote of the
  same voter on the same position (see unexplained_rows).
- A vote the killed worker had not answered gets no answer at all: it may have been
  written or not. Every other vote is answered "saved": none refused, limited, unsaved.
- The killed worker's voters notice at once (the kernel resets their sockets), open new
  ones (to the other worker, or the one the supervisor starts meanwhile), and their votes
  there are answered "saved": voting goes on.

A participant's page in the room votes just before the kill (its socket put on the doomed
worker by reloading it, when a few reloads do): it shows its vote saved, or says that the
connection dropped while the vote was being saved; once live again, its buttons show what
the database holds.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest
from playwright.sync_api import expect

from discussions.models import Vote
from tests.deadlines import DEADLINE, wait_until
from tests.faults.helpers import (
    SocketVote,
    SocketVoter,
    exited,
    join_clients,
    make_session,
    open_room,
    post_positions,
    record_connection_states,
    worker_of_ports,
)

pytestmark = pytest.mark.django_db(transaction=True)

VOTERS = 12
POSITIONS = 5
# Two votes every 1.5 s a voter, a few more at the kill: within the limit of 120 a minute
# (ratelimit.VOTE) in any window, so no vote is answered "limited".
INTERVAL, BURST = 1.5, 2
KILL_BURST = 3  # votes each of the doomed worker's voters sends just before the kill
BEFORE = 3 * VOTERS  # votes saved before the kill: the voting got going
AFTER = 3  # votes each voter has saved after the kill: voting goes on
PAGE_TRIES = 8  # reloads of the page, to put its socket on the doomed worker


def unexplained_rows(votes: list[SocketVote], rows: dict[tuple[int, int], int]) -> list[str]:
    """The (voter, position) pairs whose database row no sequence of commits explains.

    The database holds the last write of each pair, so it is checked against the last
    vote written, which the test cannot always know:

    - A pair's votes are written in the order they were sent. One voter's votes go over
      one socket at a time, in order, and its worker's writer writes them in that order
      (one queue, one batch after another, each batch's votes applied in order). The
      votes of a socket of the killed worker were all sent before it dropped, so before
      any vote on its replacement; and those of them that are written were in a
      transaction of the dead worker's that had asked to commit before the kill (one
      that had not never commits: its database connection is gone). A batch of the new
      socket's worker locks the positions it writes (on SQLite, the database) first, so
      it waits for that transaction to end: its votes are written after.
    - A vote answered "saved" was committed. A vote never answered (in flight when its
      worker died) may have been committed or not: the worker may have died between the
      commit and the answer, or before the commit. No other vote may have been written:
      none is answered anything else (checked by the test, not here).

    So the row holds the choice of the last committed vote of the pair, which is the last
    vote answered "saved" or one of the unanswered votes sent after it. When the pair's
    last vote was answered "saved", exactly that choice. No row stands for a withdrawn
    vote, or for a pair with no vote written; before the test no one has voted.
    """
    problems = []
    by_pair: dict[tuple[int, int], list[SocketVote]] = {}
    for vote in sorted(votes, key=lambda v: v.sent):
        by_pair.setdefault((vote.voter, vote.position), []).append(vote)
    for pair, sent in by_pair.items():
        saved = [i for i, vote in enumerate(sent) if vote.status == "saved"]
        last = saved[-1] if saved else -1
        allowed = {sent[last].row if saved else None}
        allowed |= {vote.row for vote in sent[last + 1 :] if vote.status is None}
        if rows.get(pair) not in allowed:
            problems.append(
                f"voter {pair[0]} on position {pair[1]}: the database has {rows.get(pair)}, "
                f"allowed {sorted(allowed, key=str)}; votes sent: "
                + ", ".join(f"{v.vote_id} {v.choice} {v.status or 'unanswered'}" for v in sent)
            )
    return problems


def last_saved_row(votes: list[SocketVote], pair: tuple[int, int]) -> int | None:
    saved = [v for v in votes if (v.voter, v.position) == pair and v.status == "saved"]
    return max(saved, key=lambda v: v.sent).row if saved else None


# What the page was told about its votes: the answers (live.js takes them out of the
# message flow) and the notices it showed (a later successful fetch clears them).
RECORDER = """() => {
    window.__acks = [];
    window.__notices = [];
    document.body.addEventListener("htmx:wsBeforeMessage", event => {
        const ack = /data-ack="([^"]+)"[^>]*data-status="(\\w+)"/.exec(event.detail.message);
        if (ack) window.__acks.push([ack[1], ack[2]]);
    });
    const notice = document.getElementById("live-notice");
    new MutationObserver(() => {
        if (notice.textContent.trim()) window.__notices.push(notice.textContent.trim());
    }).observe(notice, {childList: true, characterData: true, subtree: true});
}"""
# The page's buttons: {position id: the pressed choice, or null}.
PRESSED = """ids => Object.fromEntries(ids.map(id => {
    const pressed = document.querySelector("#vote-" + id + ' [aria-pressed="true"]');
    return [id, pressed ? pressed.id.slice(("vote-" + id + "-").length) : null];
}))"""
DROPPED = "The connection dropped while your vote was being saved."
# Since `since` (performance.now() on the page's clock): did the page leave "live", and is
# it live now (tests/faults/helpers.py: record_connection_states).
SINCE = """since => ({
    dropped: window.__states.some(([state, at]) => at >= since && state !== "live"),
    live: window.__states[window.__states.length - 1][0] === "live",
})"""


def page_worker(server, voters: list[SocketVoter]) -> int | None:
    """The worker holding the page's socket: the browser's one connection that stays (its
    fetches' connections close after the keep-alive timeout). None if unsure."""
    time.sleep(1.5)  # the keep-alive timeout (1 s) of the page's fetches
    theirs = {v.port for v in voters}
    looks = []
    for _ in range(5):
        looks.append(
            {port: pid for port, pid in worker_of_ports(server).items() if port not in theirs}
        )
        time.sleep(0.1)
    stable = set.intersection(*(set(look) for look in looks))
    workers = {looks[0][port] for port in stable}
    return workers.pop() if len(workers) == 1 else None


def choices_of(participant_id: int, ids: list[int]) -> dict[str, str | None]:
    labels = {1: "agree", -1: "disagree", 0: "pass"}
    rows = dict(
        Vote.objects.filter(participant_id=participant_id, position_id__in=ids).values_list(
            "position_id", "choice"
        )
    )
    return {str(pid): labels.get(rows.get(pid)) for pid in ids}


def test_a_killed_worker_loses_no_vote_it_answered_saved_and_voting_goes_on(
    throwaway_redis, start_uvicorn, new_page
):
    # Idle keep-alive connections close after 1 s: then the connections a worker holds are
    # the sockets (the joins' and the page's fetches are gone).
    server = start_uvicorn(
        workers=2,
        wait=False,
        options=["--timeout-keep-alive", "1"],
        REDIS_URL=throwaway_redis.url,
    )
    session = make_session()
    group = session.groups.order_by("position").first()
    texts = [f"Drill position {n}: the alliance should do more." for n in range(1, POSITIONS + 1)]
    ids = [p.pk for p in post_positions(session, group.pk, texts)]
    server.wait_until_ready()

    clients = join_clients(server, session, group.pk, VOTERS)
    (reader,) = join_clients(server, session, group.pk, 1, prefix="Reader")
    page = open_room(new_page(), reader)
    voters = [
        SocketVoter(client, ids, interval=INTERVAL, burst=BURST, seed=n)
        for n, client in enumerate(clients)
    ]
    try:
        # Which worker holds which voter's socket (each socket is a connection of its own).
        wait_until(
            lambda: {v.port for v in voters} <= worker_of_ports(server).keys(),
            "every voter's socket held by a worker",
        )
        owners = worker_of_ports(server)
        sockets = Counter(owners[v.port] for v in voters)
        first_workers = server.worker_pids()
        victim = max(first_workers, key=lambda pid: sockets[pid])
        doomed = [v for v in voters if owners[v.port] == victim]
        # The page's socket on the victim too, if a few reloads put it there: which worker
        # accepts a connection is the kernel's choice. (If none does, the page's vote is
        # answered by the other worker, and checked all the same.)
        reloads = 0
        while (on := page_worker(server, voters)) != victim and reloads < PAGE_TRIES:
            reloads += 1
            page.reload()
            expect(page.locator("#connection")).to_have_text("Live")
        page.evaluate(RECORDER)
        record_connection_states(page)

        start = time.monotonic()
        for n, voter in enumerate(voters):  # their clocks spread, so their votes interleave
            voter.start_voting(start + INTERVAL * n / VOTERS)
        wait_until(lambda: sum(len(v.saved()) for v in voters) >= BEFORE, f"{BEFORE} votes saved")

        saved_before = sum(len(v.saved()) for v in voters)
        # A few votes at once on each of its sockets, and the kill as soon as the first of
        # them is answered: its writer has committed a batch and is writing the next, the
        # rest of them, that came meanwhile (as far as one can tell from outside). The page
        # votes then too.
        sent = {voter: len(voter.votes) for voter in doomed}
        for voter in doomed:
            voter.burst_now(KILL_BURST)
        answered_one = time.monotonic() + DEADLINE
        while not any(vote.status for v in doomed for vote in v.votes[sent[v] :]):
            assert time.monotonic() < answered_one, "none of the last votes answered"
            time.sleep(0.0005)  # polled closely: the kill follows at once
        first_answer = time.monotonic()
        page_clock = page.evaluate(
            f"() => {{ document.getElementById('vote-{ids[0]}-agree').click();"
            " return performance.now(); }"
        )
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        dead = wait_until(lambda: exited(victim), f"worker {victim} gone after SIGKILL")

        # Its voters open new sockets, and every voter's votes are saved again.
        wait_until(lambda: all(v.connection >= 1 for v in doomed), "the voters reconnected")
        wait_until(
            lambda: all(len(v.saved(since=dead)) >= AFTER for v in voters),
            f"{AFTER} votes of each voter saved after the kill",
        )
        for voter in voters:
            voter.voting.clear()
        wait_until(lambda: not any(v.pending() for v in voters), "the last votes answered")
        landed = worker_of_ports(server)
    finally:
        for voter in voters:
            voter.close()

    votes = sorted((vote for v in voters for vote in v.votes), key=lambda v: v.sent)
    rows = {
        (vote.participant_id, vote.position_id): vote.choice
        for vote in Vote.objects.filter(position_id__in=ids)
    }
    statuses = Counter(vote.status or "unanswered" for vote in votes)
    unanswered = [vote for vote in votes if vote.status is None]
    # Pairs whose row is none of the votes answered "saved" but an unanswered later one:
    # the killed worker committed it and died before answering (a lower bound: an
    # unanswered vote may also have been written with the same choice as the saved one).
    written = [
        pair
        for pair in {(vote.voter, vote.position) for vote in unanswered}
        if rows.get(pair) != last_saved_row(votes, pair)
    ]
    survivor = next(pid for pid in first_workers if pid != victim)
    reconnected_to = Counter(
        {survivor: "the surviving worker", None: "unknown"}.get(
            landed.get(v.port), "the restarted worker"
        )
        for v in doomed
    )
    workers_now = [pid for pid in server.worker_pids() if not exited(pid)]
    reconnect_times = sorted(round(v.reopened[0] - killed, 2) for v in doomed if v.reopened)
    print(
        f"\nkilled worker {victim}, which held {len(doomed)} of {VOTERS} voters' sockets "
        f"(by worker: {dict(sockets)}); workers now {workers_now}. "
        f"Votes: {len(votes)} sent, {saved_before} saved before the kill, "
        f"{sum(len(v.saved(since=dead)) for v in voters)} saved after it; "
        f"answers {dict(statuses)}; of the {len(unanswered)} unanswered (in flight at the "
        f"kill, {(killed - first_answer) * 1000:.0f} ms after the first answer to the last "
        f"votes sent there), {len(written)} pairs show one written. "
        f"The doomed voters reconnected after {reconnect_times} s, "
        f"to {dict(reconnected_to)}."
    )

    assert saved_before >= BEFORE, "the voting did not get going before the kill"
    assert doomed, "no voter's socket on the killed worker"
    not_saved = [vote for vote in votes if vote.status not in (None, "saved")]
    assert not_saved == [], f"votes answered other than saved: {not_saved}"
    assert [v.unknown_acks for v in voters if v.unknown_acks] == [], "answers to unknown ids"
    # Only the killed worker's votes went unanswered: sent on its sockets, before they dropped.
    for voter in voters:
        if voter in doomed:
            assert voter.drops >= 1 and voter.connection >= 1, voter.errors
        else:
            assert voter.drops == 0, f"voter {voter.voter} on a live worker dropped: {voter.errors}"
    for vote in unanswered:
        voter = next(v for v in voters if v.voter == vote.voter)
        assert voter in doomed and vote.connection == 0, vote
        assert vote.sent <= voter.dropped_at[0], vote
    # Voting went on: each voter had votes saved after the kill (above), the doomed ones on
    # their new sockets.
    for voter in doomed:
        assert voter.saved(since=dead, connection=1), voter.voter
    assert unexplained_rows(votes, rows) == []

    # The page: its vote answered "saved", or the notice that the connection dropped while
    # it was on its way; Live again; and its buttons what the database holds.
    # On the killed worker, it dropped at the kill; either way it is live now.
    wait_until(
        lambda: (
            page.evaluate(SINCE, page_clock)["live"]
            and (on != victim or page.evaluate(SINCE, page_clock)["dropped"])
        ),
        "the page live again",
    )
    dropped = page.evaluate(SINCE, page_clock)["dropped"]
    acks = page.evaluate("window.__acks")
    mine = choices_of(reader.participant_id, ids)
    notices = page.evaluate("window.__notices")
    print(
        f"the page's socket was on worker {on} ({reloads} reloads); its vote was answered "
        f"{acks or 'never'}; the page {'dropped and came back' if dropped else 'stayed live'}"
        f"; the database holds {mine[str(ids[0])]} for it; notices shown: {notices}"
    )
    assert all(status == "saved" for _, status in acks), acks
    assert acks or any(DROPPED in n for n in notices), f"no answer, no notice: {notices}"
    assert dropped == (on == victim) or on is None, (on, victim, dropped)
    if acks:
        assert mine[str(ids[0])] == "agree", mine
    wait_until(
        lambda: page.evaluate(PRESSED, ids) == choices_of(reader.participant_id, ids),
        "the page's buttons what the database holds",
    )
