from django.urls import path

from discussions.views import joining, participant, results, screen

urlpatterns = [
    path("join/", joining.join_start, name="join_start"),
    path("join/<str:code>/", joining.join, name="join"),
    path("join/<str:code>/qr.svg", joining.join_qr, name="join_qr"),
    path("invite/<str:invitation_token>/", joining.join_invited, name="join_invited"),
    path("rooms/<int:group_id>/", participant.room, name="room"),
    path("rooms/<int:group_id>/positions", participant.room_positions, name="room_positions"),
    path("rooms/<int:group_id>/status", participant.room_status, name="room_status"),
    path("rooms/<int:group_id>/post", participant.post_position, name="post_position"),
    path("rooms/<int:group_id>/positions/<int:position_id>/vote", participant.vote, name="vote"),
    path("rooms/<int:group_id>/mine/", participant.my_input, name="my_input"),
    path("rooms/<int:group_id>/credit", participant.set_credit, name="set_credit"),
    path("results/<str:token>/", results.results, name="results"),
    path("results/<str:token>/list", results.results_list, name="results_list"),
    path("screen/<str:token>/", screen.screen_session, name="screen_session"),
    path(
        "screen/<str:token>/results", screen.screen_session_results, name="screen_session_results"
    ),
    path("screen/<str:token>/groups/<int:group_id>/", screen.screen_group, name="screen_group"),
    path(
        "screen/<str:token>/groups/<int:group_id>/status",
        screen.screen_group_status,
        name="screen_group_status",
    ),
    path(
        "screen/<str:token>/groups/<int:group_id>/positions",
        screen.screen_group_positions,
        name="screen_group_positions",
    ),
]
