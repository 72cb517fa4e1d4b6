from django.urls import path

from discussions.views import facilitator, synthesis

app_name = "facilitator"

urlpatterns = [
    path("", facilitator.home, name="home"),
    path("sessions/<int:session_id>/", facilitator.overview, name="overview"),
    path("sessions/<int:session_id>/control", facilitator.control, name="control"),
    path("sessions/<int:session_id>/log", facilitator.moderation_log, name="log"),
    path("sessions/<int:session_id>/synthesis", synthesis.synthesis_page, name="synthesis"),
    path(
        "sessions/<int:session_id>/synthesis/results",
        synthesis.synthesis_results,
        name="synthesis_results",
    ),
    path("sessions/<int:session_id>/curate", synthesis.curate, name="curate"),
    path("groups/<int:group_id>/", facilitator.group_detail, name="group"),
    path("groups/<int:group_id>/panel", facilitator.group_panel, name="group_panel"),
    path("groups/<int:group_id>/row", facilitator.group_row, name="group_row"),
    path("positions/<int:position_id>", facilitator.position_action, name="position"),
    path("participants/<int:participant_id>", facilitator.participant_action, name="participant"),
    path("log/<int:entry_id>/undo", facilitator.undo, name="undo"),
]
