"""WebSocket routes, all under ws/. The live breakout issue adds the group sockets."""

websocket_urlpatterns: list = []
