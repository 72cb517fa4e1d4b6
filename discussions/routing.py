"""WebSocket routes, all under ws/."""

from django.urls import path

from discussions.consumers import ConsoleConsumer, RoomConsumer, ScreenConsumer

websocket_urlpatterns = [
    path("ws/rooms/<int:group_id>/", RoomConsumer.as_asgi()),
    path("ws/console/sessions/<int:session_id>/", ConsoleConsumer.as_asgi()),
    path("ws/screen/<str:token>/groups/<int:group_id>/", ScreenConsumer.as_asgi()),
]
