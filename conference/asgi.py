"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import asyncio
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

# Build the Django app before importing anything that touches models (the routing does).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from discussions import live  # noqa: E402
from discussions.origin import logged_allowed_hosts_origin_validator  # noqa: E402
from discussions.routing import websocket_urlpatterns  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": logged_allowed_hosts_origin_validator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)


async def application(scope, receive, send):
    # Combined tally broadcasts wait on the server's own event loop (live.TallyBatcher).
    live.tally_batcher.serve_on(asyncio.get_running_loop())
    await router(scope, receive, send)
