"""WebSocket routes, all under ws/.

Only the console needs the logged-in user, so only its sockets go through Channels' session
and auth middleware. A room socket knows its participant by the identity cookie (the ASGI
application parses cookies for every socket) and a screen by its token: without the session
wrapper, which looked at the session before each message sent, a room's broadcasts go
straight to the server's send (docs/capacity.md, "Broadcasts straight to the socket").
"""

from channels.auth import AuthMiddleware
from channels.sessions import SessionMiddleware
from django.urls import path

from discussions.live.consumers import (
    ConsoleConsumer,
    ResultsConsumer,
    RoomConsumer,
    ScreenConsumer,
    SessionScreenConsumer,
)

websocket_urlpatterns = [
    path("ws/rooms/<int:group_id>/", RoomConsumer.as_asgi()),
    path(
        "ws/console/sessions/<int:session_id>/",
        SessionMiddleware(AuthMiddleware(ConsoleConsumer.as_asgi())),
    ),
    path("ws/screen/<str:token>/groups/<int:group_id>/", ScreenConsumer.as_asgi()),
    path("ws/screen/<str:token>/", SessionScreenConsumer.as_asgi()),
    path("ws/results/<str:token>/", ResultsConsumer.as_asgi()),
]
