"""ASGI entry point: HTTP through Django (in a thread pool, conference.http), WebSockets
through Channels."""

import asyncio
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

# Set Django up before importing anything that touches models (the routing does).
django.setup(set_prefix=False)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from conference.http import ThreadedWsgiHttp  # noqa: E402
from discussions import live  # noqa: E402
from discussions.origin import logged_allowed_hosts_origin_validator  # noqa: E402
from discussions.routing import websocket_urlpatterns  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": ThreadedWsgiHttp(),
        "websocket": logged_allowed_hosts_origin_validator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)


async def application(scope, receive, send):
    # Combined room changes wait on the server's own event loop (live.RoomChanges).
    live.room_changes.serve_on(asyncio.get_running_loop())
    await router(scope, receive, send)
