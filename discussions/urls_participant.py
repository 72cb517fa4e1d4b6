from django.urls import path

from discussions.views import participant

urlpatterns = [
    path("join/", participant.join_start, name="join_start"),
    path("join/<str:code>/", participant.join, name="join"),
    path("join/<str:code>/qr.svg", participant.join_qr, name="join_qr"),
    path("rooms/<int:group_id>/", participant.room, name="room"),
    path("rooms/<int:group_id>/positions", participant.room_positions, name="room_positions"),
    path("rooms/<int:group_id>/status", participant.room_status, name="room_status"),
    path("rooms/<int:group_id>/post", participant.post_position, name="post_position"),
    path("rooms/<int:group_id>/positions/<int:position_id>/vote", participant.vote, name="vote"),
]
