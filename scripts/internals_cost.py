"""Whether the private internals the project replaces still pay, on this machine (not a test:
figures; docs/internals.md quotes them). One script, for one table, printed in one run. Each
measurement runs the library's stock behaviour and ours in this process, in interleaved rounds
(stock then ours, then ours then stock, ...) so that both sides see the same load on a shared
machine, and prints one row per measurement:

    name   N   unit   stock median   ours median   stock/ours

The medians are over the rounds (--rounds, 15 by default) of one figure per round and side;
a ratio above 1 means ours is faster by that factor, about 1 means it no longer pays, below 1
means it costs. Lines under the table give what else was counted (connections, checks).

- redis_cache: conference.redis_cache.SharedPoolRedisCache vs Django's RedisCache. N
  "requests", each in a fresh contextvars.Context on one of 4 worker threads (as
  conference.http runs them), builds the cache object as django.core.cache.caches would for
  a new context, and does one get and one incr. Figure: wall time / N. Also the client
  connections Redis accepted during a round (INFO total_connections_received: server-wide,
  so another client of the same Redis adds to it) and how many more were open on database
  13 (CLIENT LIST) just after the round than before it.
- pool_check: conference.postgresql.base.check_after_a_pause vs psycopg-pool's
  ConnectionPool.check_connection as the pool's check (min_size=2, max_size=4); N checkouts
  of `select 1`, one after the other. Figure: wall time / N. Also the checks made.
- pubsub_publish: conference.channel_layer.PubSubChannelLayer vs channels_redis's
  RedisPubSubChannelLayer. While K coroutines churn subscriptions (a socket's life: new
  channel, group_add, group_discard, unsubscribe), M group_sends are started at once to a
  group with one receiving channel. Figures: median (and p95) latency of one group_send.
  A burst of M sends before the timed one warms the layer's connections.
- fanout_start / fanout_start_sleep10: discussions.live.fanout's Outbox.push (start(): run
  the send until it first waits, no task) vs a task per send (create_task), delivering one
  broadcast to S outboxes whose send finishes at once, or (sleep10) where every tenth
  awaits asyncio.sleep(0). Figure: time until every send has finished.

Run (PostgreSQL at 127.0.0.1:5432, user postgres, database internals_cost, made if missing;
Redis at 127.0.0.1:6379, database 13):

    DJANGO_SETTINGS_MODULE=conference.settings .venv/bin/python scripts/internals_cost.py \
        [--rounds 15] [--only redis_cache|pool_check|pubsub_publish|fanout_start]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import functools
import gc
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from statistics import median

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
import redis  # noqa: E402
from channels_redis.pubsub import RedisPubSubChannelLayer  # noqa: E402
from django.core.cache.backends.redis import RedisCache  # noqa: E402
from psycopg_pool import ConnectionPool  # noqa: E402

from conference.channel_layer import PubSubChannelLayer  # noqa: E402
from conference.postgresql.base import check_after_a_pause  # noqa: E402
from conference.redis_cache import SharedPoolRedisCache  # noqa: E402
from discussions.live.fanout import Outbox  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/13"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_DB = "host=127.0.0.1 port=5432 user=postgres dbname=internals_cost"

HTTP_THREADS = 4  # settings.HTTP_THREADS
CACHE_REQUESTS = 200
POOL_CHECKOUTS = 500
PUBSUB_CHURNERS = 10
PUBSUB_SENDS = 100
FANOUT_SOCKETS = 2000


# --- helpers ---------------------------------------------------------------------------


def p95(values):
    # Unrounded, in seconds: rehearsal.stats.percentiles rounds to hundredths of its unit (ms).
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def timed(function, *args):
    """Seconds that function(*args) took, and what it returned."""
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def interleaved(rounds, stock, ours):
    """Call stock() and ours() once per round, alternating which goes first; their lists of
    results."""
    results = {"stock": [], "ours": []}
    for number in range(rounds):
        order = [("stock", stock), ("ours", ours)]
        if number % 2:
            order.reverse()
        for side, run in order:
            results[side].append(run())
    return results["stock"], results["ours"]


class Row:
    def __init__(self, name, n, unit, stock, ours, notes=()):
        self.name, self.n, self.unit = name, n, unit
        self.stock, self.ours = stock, ours
        self.notes = list(notes)


# --- redis_cache -----------------------------------------------------------------------


def redis_admin():
    setup = RedisCache(REDIS_URL, {})
    setup.set("ic:counter", 0, 600)
    setup.set("ic:session", {"_auth_user_id": "1", "participant": 42, "pad": "x" * 200}, 600)
    return redis.Redis.from_url(REDIS_URL)


def redis_connections(admin):
    """(connections Redis accepted so far, server-wide; connections open on database 13,
    this one left out)."""
    own = admin.client_id()
    in_db = [c for c in admin.client_list() if c.get("db") == "13" and int(c["id"]) != own]
    return admin.info("stats")["total_connections_received"], len(in_db)


def one_request(backend_class):
    # As caches["default"] does in a context that has none yet: a new backend object.
    cache = backend_class(REDIS_URL, {})
    cache.get("ic:session")
    try:
        cache.incr("ic:counter")
    except ValueError:
        cache.set("ic:counter", 1)


def cache_round(executor, backend_class, n):
    def run():
        futures = [
            executor.submit(contextvars.Context().run, one_request, backend_class) for _ in range(n)
        ]
        for future in futures:
            future.result()

    seconds, _ = timed(run)
    return seconds / n


def measure_redis_cache(rounds):
    admin = redis_admin()
    executor = ThreadPoolExecutor(max_workers=HTTP_THREADS, thread_name_prefix="http")
    connections = {"stock": [], "ours": []}

    def side(name, backend_class):
        def run():
            # The other side's connections left to the garbage collector go first.
            gc.collect()
            time.sleep(0.05)
            opened_before, open_before = redis_connections(admin)
            per_request = cache_round(executor, backend_class, CACHE_REQUESTS)
            opened_after, open_after = redis_connections(admin)
            connections[name].append((opened_after - opened_before, open_after - open_before))
            return per_request

        return run

    stock, ours = side("stock", RedisCache), side("ours", SharedPoolRedisCache)
    gc.collect()
    stock(), ours()  # warm-up, reported below as the first round
    stock_times, ours_times = interleaved(rounds, stock, ours)
    executor.shutdown()
    notes = []
    for name in ("stock", "ours"):
        first, *rest = connections[name]
        notes.append(
            f"{name}: Redis connections opened per {CACHE_REQUESTS} requests: first round "
            f"{first[0]}, then median {median([r[0] for r in rest]):.0f} (server-wide "
            f"count); more open on db 13 just after a round than before it: median "
            f"{median([r[1] for r in rest]):.0f}"
        )
    gc.collect()
    _, open_after_gc = redis_connections(admin)
    notes.append(f"open on db 13 at the end, after gc.collect(): {open_after_gc}")
    RedisCache(REDIS_URL, {}).delete_many(["ic:counter", "ic:session"])
    admin.close()
    return Row(
        "redis_cache",
        CACHE_REQUESTS,
        "us/request",
        1e6 * median(stock_times),
        1e6 * median(ours_times),
        notes,
    )


# --- pool_check ------------------------------------------------------------------------


def ensure_database():
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        found = admin.execute(
            "select 1 from pg_database where datname = 'internals_cost'"
        ).fetchone()
        if not found:
            admin.execute("create database internals_cost")


def make_pool(ours):
    # Django's pool runs its connections in autocommit; it hands the pool psycopg's check,
    # which conference.postgresql.base.DatabaseWrapper.pool then swaps for ours.
    pool = ConnectionPool(
        PG_DB,
        min_size=2,
        max_size=4,
        kwargs={"autocommit": True},
        check=ConnectionPool.check_connection,
        open=True,
    )
    pool.wait()
    if ours:
        pool._check = functools.partial(check_after_a_pause, pool)
    return pool


def checkouts(pool, n):
    for _ in range(n):
        with pool.connection() as connection:
            connection.execute("select 1")


def pool_round(pool, n):
    seconds, _ = timed(checkouts, pool, n)
    return seconds / n


def count_checks(pool, n):
    """Checks (empty queries) the pool makes in n checkouts, counted apart from the timing."""
    made = 0
    original = ConnectionPool.check_connection

    def counting(connection):
        nonlocal made
        made += 1
        original(connection)

    stock_check = pool._check is original
    ConnectionPool.check_connection = staticmethod(counting)
    if stock_check:
        pool._check = counting
    try:
        checkouts(pool, n)
    finally:
        ConnectionPool.check_connection = original
        if stock_check:
            pool._check = original
    return made


def measure_pool_check(rounds):
    ensure_database()
    stock_pool, ours_pool = make_pool(ours=False), make_pool(ours=True)
    try:
        stock = functools.partial(pool_round, stock_pool, POOL_CHECKOUTS)
        ours = functools.partial(pool_round, ours_pool, POOL_CHECKOUTS)
        stock(), ours()  # warm-up
        stock_times, ours_times = interleaved(rounds, stock, ours)
        notes = [
            f"checks (empty queries) per {POOL_CHECKOUTS} checkouts: "
            f"stock {count_checks(stock_pool, POOL_CHECKOUTS)}, "
            f"ours {count_checks(ours_pool, POOL_CHECKOUTS)}"
        ]
    finally:
        stock_pool.close()
        ours_pool.close()
    return Row(
        "pool_check",
        POOL_CHECKOUTS,
        "us/checkout",
        1e6 * median(stock_times),
        1e6 * median(ours_times),
        notes,
    )


# --- pubsub_publish --------------------------------------------------------------------


def layer_config():
    # As settings.CHANNEL_LAYERS gives it, on this script's Redis.
    return {
        "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 5}],
        "prefix": "internals_cost",
    }


async def churn(layer, number, stop):
    """A socket's life, over and over: its channel, a group, leaving it, unsubscribing (what
    channels_redis does when the consumer's receive is cancelled)."""
    loop_layer = layer._get_layer()
    while not stop.is_set():
        channel = await layer.new_channel()
        await layer.group_add(f"churn{number}", channel)
        await layer.group_discard(f"churn{number}", channel)
        del loop_layer.channels[channel]
        await loop_layer._get_shard(channel).unsubscribe(channel)


async def timed_send(layer, message):
    started = time.perf_counter()
    await layer.group_send("target", message)
    return time.perf_counter() - started


async def pubsub_round_async(layer_class):
    layer = layer_class(**layer_config())
    receiving = await layer.new_channel()
    await layer.group_add("target", receiving)
    received = 0

    async def receive():
        nonlocal received
        while True:
            await layer.receive(receiving)
            received += 1

    receiver = asyncio.create_task(receive())
    stop = asyncio.Event()
    churners = [asyncio.create_task(churn(layer, i, stop)) for i in range(PUBSUB_CHURNERS)]
    await asyncio.sleep(0.05)
    message = {"type": "room.broadcast", "html": {"en": "<p>" + "x" * 500 + "</p>"}}
    await asyncio.gather(*(timed_send(layer, message) for _ in range(PUBSUB_SENDS)))  # warm
    latencies = await asyncio.gather(*(timed_send(layer, message) for _ in range(PUBSUB_SENDS)))
    stop.set()
    await asyncio.gather(*churners)
    deadline = time.monotonic() + 5
    while received < 2 * PUBSUB_SENDS and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    receiver.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await receiver
    publisher = getattr(layer._get_layer()._shards[0], "_publisher", None)
    if publisher is None:
        publishing = 1  # the shard's one connection, which also subscribes
    else:
        pool = publisher.connection_pool
        publishing = len(pool._available_connections) + len(pool._in_use_connections)
    await layer.flush()
    return latencies, received, publishing


def measure_pubsub_publish(rounds):
    lost = {"stock": 0, "ours": 0}
    publishing = {"stock": [], "ours": []}

    def side(name, layer_class):
        def run():
            latencies, received, connections = asyncio.run(pubsub_round_async(layer_class))
            lost[name] += 2 * PUBSUB_SENDS - received
            publishing[name].append(connections)
            return median(latencies), p95(latencies)

        return run

    stock, ours = side("stock", RedisPubSubChannelLayer), side("ours", PubSubChannelLayer)
    stock(), ours()  # warm-up
    stock_figures, ours_figures = interleaved(rounds, stock, ours)
    stock_p95 = 1e3 * median([f[1] for f in stock_figures])
    ours_p95 = 1e3 * median([f[1] for f in ours_figures])
    notes = [
        f"p95 of a group_send (median over rounds): stock {stock_p95:.2f} ms, "
        f"ours {ours_p95:.2f} ms, stock/ours {stock_p95 / ours_p95:.2f}",
        f"{PUBSUB_CHURNERS} churners; messages not received by the group's channel: "
        f"stock {lost['stock']}, ours {lost['ours']}",
        f"connections publishing, per layer: stock {max(publishing['stock'])}, "
        f"ours up to {max(publishing['ours'])} (its pool has no limit)",
    ]
    return Row(
        "pubsub_publish",
        PUBSUB_SENDS,
        "ms/group_send",
        1e3 * median([f[0] for f in stock_figures]),
        1e3 * median([f[0] for f in ours_figures]),
        notes,
    )


# --- fanout_start ----------------------------------------------------------------------


class TaskPerSendOutbox(Outbox):
    """Outbox.push as it was before start(): a task per socket per broadcast."""

    def push(self, text):
        if self._gone:
            return False
        asyncio.get_running_loop().create_task(self._send({"type": "websocket.send", "text": text}))
        return True


class Delivery:
    """S fake sockets' sends, and a future done when every one has finished."""

    def __init__(self, sockets, sleeping_every):
        self.sockets, self.sleeping_every = sockets, sleeping_every
        self.finished = 0
        self.done = None

    def send_for(self, number):
        sleeps = self.sleeping_every and number % self.sleeping_every == 0

        async def send(message):
            if sleeps:
                await asyncio.sleep(0)
            self.finished += 1
            if self.finished == self.sockets:
                self.done.set_result(None)

        return send


async def broadcast_once(outboxes, delivery):
    delivery.finished = 0
    delivery.done = asyncio.get_running_loop().create_future()
    started = time.perf_counter()
    for outbox in outboxes:  # as RoomSockets.deliver does
        outbox.push("<p>tally</p>")
    await delivery.done
    seconds = time.perf_counter() - started
    # Let writers and tasks finish their last steps, outside the timing.
    while any(outbox._writer is not None for outbox in outboxes):
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    return seconds


def measure_fanout(rounds, sleeping_every):
    loop = asyncio.new_event_loop()
    delivery = Delivery(FANOUT_SOCKETS, sleeping_every)

    def outboxes(outbox_class):
        made = [outbox_class(delivery.send_for(i)) for i in range(FANOUT_SOCKETS)]
        for outbox in made:
            outbox._open = True
        return made

    stock_outboxes, ours_outboxes = outboxes(TaskPerSendOutbox), outboxes(Outbox)

    def side(made):
        return lambda: loop.run_until_complete(broadcast_once(made, delivery))

    stock, ours = side(stock_outboxes), side(ours_outboxes)
    for _ in range(3):  # warm-up
        stock(), ours()
    stock_times, ours_times = interleaved(rounds, stock, ours)
    loop.close()
    name = "fanout_start" if not sleeping_every else f"fanout_start_sleep{sleeping_every}"
    return Row(
        name,
        FANOUT_SOCKETS,
        "ms/broadcast",
        1e3 * median(stock_times),
        1e3 * median(ours_times),
    )


# --- main ------------------------------------------------------------------------------

MEASUREMENTS = {
    "redis_cache": lambda rounds: [measure_redis_cache(rounds)],
    "pool_check": lambda rounds: [measure_pool_check(rounds)],
    "pubsub_publish": lambda rounds: [measure_pubsub_publish(rounds)],
    "fanout_start": lambda rounds: [
        measure_fanout(3 * rounds, sleeping_every=0),
        measure_fanout(3 * rounds, sleeping_every=10),
    ],
}


def print_table(rows, rounds):
    print(f"{'name':<22} {'N':>5} {'unit':<14} {'stock':>10} {'ours':>10} {'stock/ours':>10}")
    for row in rows:
        print(
            f"{row.name:<22} {row.n:>5} {row.unit:<14} {row.stock:>10.2f} {row.ours:>10.2f} "
            f"{row.stock / row.ours:>10.2f}"
        )
    print(f"(medians over {rounds} interleaved rounds; fanout rows over {3 * rounds})")
    for row in rows:
        for note in row.notes:
            print(f"  {row.name}: {note}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (15)")
    parser.add_argument("--only", choices=sorted(MEASUREMENTS), help="one measurement")
    arguments = parser.parse_args()
    names = [arguments.only] if arguments.only else list(MEASUREMENTS)
    rows = []
    for name in names:
        rows += MEASUREMENTS[name](arguments.rounds)
    print_table(rows, arguments.rounds)


if __name__ == "__main__":
    main()
