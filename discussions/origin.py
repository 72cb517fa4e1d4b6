"""Channels' origin check for sockets, logging each socket it refuses.

Channels' AllowedHostsOriginValidator refuses a socket from another site silently, and a
malformed Origin header ("http://[") makes it raise instead of refusing. This one allows the
same origins, refuses everything else (malformed included) and says so in the log.
"""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from channels.security.websocket import (
    AllowedHostsOriginValidator,
    OriginValidator,
    WebsocketDenier,
)

log = logging.getLogger(__name__)


class LoggedOriginValidator(OriginValidator):
    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("LoggedOriginValidator only checks WebSocket connections")
        # The last Origin header counts, as in Channels.
        origin = next((v for k, v in reversed(scope.get("headers", [])) if k == b"origin"), None)
        try:
            allowed = self.valid_origin(urlparse(origin.decode("latin1")) if origin else None)
        except ValueError:  # urlparse or .port on a malformed origin
            allowed = False
        if allowed:
            return await self.application(scope, receive, send)
        log.warning(
            "Socket refused: origin %r is not allowed for %s",
            (origin or b"").decode("latin1")[:200],
            scope.get("path", "")[:200],
        )
        return await WebsocketDenier()(scope, receive, send)


def logged_allowed_hosts_origin_validator(application):
    """The origins Channels' AllowedHostsOriginValidator allows (ALLOWED_HOSTS), logged."""
    checked = AllowedHostsOriginValidator(application)
    return LoggedOriginValidator(checked.application, checked.allowed_origins)
