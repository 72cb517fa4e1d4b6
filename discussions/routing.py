"""WebSocket routes, all under ws/."""

from django.urls import path

from discussions.consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/rooms/<int:group_id>/", RoomConsumer.as_asgi()),
]
