from django.urls import path

from .views import invitations, organizer

app_name = "organizer"

urlpatterns = [
    path("", organizer.home, name="home"),
    path("papers/upload", organizer.upload, name="upload"),
    path("sessions/import-polis", organizer.import_polis, name="import_polis"),
    path("papers/<int:paper_id>/", organizer.paper_detail, name="paper"),
    path("papers/<int:paper_id>/title", organizer.rename_paper, name="rename_paper"),
    path("papers/<int:paper_id>/publish", organizer.publish, name="publish"),
    path("papers/<int:paper_id>/questions/add", organizer.add_question, name="add_question"),
    path(
        "papers/<int:paper_id>/questions/<int:question_id>",
        organizer.question_action,
        name="question",
    ),
    path(
        "papers/<int:paper_id>/sections/<int:section_id>",
        organizer.rename_section,
        name="section",
    ),
    path(
        "papers/<int:paper_id>/sections/<int:section_id>/merge",
        organizer.merge_section,
        name="merge_section",
    ),
    path("papers/<int:paper_id>/sessions/new", organizer.create_session, name="create_session"),
    path("sessions/<int:session_id>/", organizer.session_detail, name="session"),
    path("sessions/<int:session_id>/joining", organizer.set_joining, name="set_joining"),
    path("sessions/<int:session_id>/passphrase", organizer.set_passphrase, name="set_passphrase"),
    path("sessions/<int:session_id>/language", organizer.session_language, name="session_language"),
    path("sessions/<int:session_id>/invite-only", invitations.set_invite_only, name="invite_only"),
    path(
        "sessions/<int:session_id>/invitations/upload",
        invitations.upload_invitees,
        name="upload_invitees",
    ),
    path(
        "sessions/<int:session_id>/invitations/",
        invitations.invitation_sheet,
        name="invitations",
    ),
    path(
        "sessions/<int:session_id>/invitations.csv",
        invitations.invitation_links,
        name="invitation_links",
    ),
    path(
        "sessions/<int:session_id>/invitations/<int:invitation_id>/withdraw",
        invitations.withdraw_invitation,
        name="withdraw_invitation",
    ),
    path(
        "sessions/<int:session_id>/groups/<int:group_id>",
        organizer.rename_group,
        name="rename_group",
    ),
    path(
        "sessions/<int:session_id>/facilitators",
        organizer.assign_facilitator,
        name="assign_facilitator",
    ),
    path(
        "sessions/<int:session_id>/facilitators/<int:user_id>/remove",
        organizer.unassign_facilitator,
        name="unassign_facilitator",
    ),
    path(
        "sessions/<int:session_id>/facilitators/invite",
        organizer.invite_facilitator,
        name="invite_facilitator",
    ),
    path("sessions/<int:session_id>/export", organizer.export, name="export"),
    path("sessions/<int:session_id>/outcome", organizer.publish_outcome, name="publish_outcome"),
]
