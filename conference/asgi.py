"""ASGI entry point: HTTP through Django (in a thread pool, conference.http), WebSockets
through Channels."""

import asyncio
import os
from importlib import import_module

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

# Set Django up before importing anything that touches models (the routing does).
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import CookieMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402

from conference import collector  # noqa: E402
from conference.http import ThreadedWsgiHttp  # noqa: E402
from discussions import live, offload  # noqa: E402
from discussions.origin import logged_allowed_hosts_origin_validator  # noqa: E402
from discussions.routing import websocket_urlpatterns  # noqa: E402

# The URLconf, and with it every view and the synthesis's scientific libraries, loaded now
# rather than by each worker's first request, which waited for them (docs/capacity.md,
# "The worker's start and its collector").
import_module(settings.ROOT_URLCONF)

# What is loaded by now lives as long as the process: no collection need walk it again.
collector.settle()

router = ProtocolTypeRouter(
    {
        "http": ThreadedWsgiHttp(),
        # Cookies for every socket; the console adds the session and user (routing).
        "websocket": logged_allowed_hosts_origin_validator(
            CookieMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    # Combined room changes wait on the server's own event loop (live.RoomChanges).
    live.room_changes.serve_on(asyncio.get_running_loop())
    await router(scope, receive, send)


async def lifespan(receive, send) -> None:
    """A worker's start and stop, as uvicorn tells them (daphne does not). The process that
    builds exports and the synthesis starts with the worker: started at the first login
    instead, under load it was not ready for the first requests, which were then built on
    the worker's own interpreter (docs/capacity.md, "Heavy pages in another process
    (offload)")."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await asyncio.to_thread(offload.warm)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await asyncio.to_thread(offload.shutdown)
            await send({"type": "lifespan.shutdown.complete"})
            return
