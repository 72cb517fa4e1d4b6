from django.urls import path

from .views import invitations, organizer_papers, organizer_sessions

app_name = "organizer"

urlpatterns = [
    path("", organizer_papers.home, name="home"),
    path("papers/upload", organizer_papers.upload, name="upload"),
    path("sessions/import-polis", organizer_papers.import_polis, name="import_polis"),
    path("papers/<int:paper_id>/", organizer_papers.paper_detail, name="paper"),
    path("papers/<int:paper_id>/title", organizer_papers.rename_paper, name="rename_paper"),
    path("papers/<int:paper_id>/publish", organizer_papers.publish, name="publish"),
    path("papers/<int:paper_id>/questions/add", organizer_papers.add_question, name="add_question"),
    path(
        "papers/<int:paper_id>/questions/<int:question_id>",
        organizer_papers.question_action,
        name="question",
    ),
    path(
        "papers/<int:paper_id>/sections/<int:section_id>",
        organizer_papers.rename_section,
        name="section",
    ),
    path(
        "papers/<int:paper_id>/sections/<int:section_id>/merge",
        organizer_papers.merge_section,
        name="merge_section",
    ),
    path(
        "papers/<int:paper_id>/sessions/new", organizer_papers.create_session, name="create_session"
    ),
    path("sessions/<int:session_id>/", organizer_sessions.session_detail, name="session"),
    path("sessions/<int:session_id>/joining", organizer_sessions.set_joining, name="set_joining"),
    path(
        "sessions/<int:session_id>/passphrase",
        organizer_sessions.set_passphrase,
        name="set_passphrase",
    ),
    path(
        "sessions/<int:session_id>/language",
        organizer_sessions.session_language,
        name="session_language",
    ),
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
        organizer_sessions.rename_group,
        name="rename_group",
    ),
    path(
        "sessions/<int:session_id>/facilitators",
        organizer_sessions.assign_facilitator,
        name="assign_facilitator",
    ),
    path(
        "sessions/<int:session_id>/facilitators/<int:user_id>/remove",
        organizer_sessions.unassign_facilitator,
        name="unassign_facilitator",
    ),
    path(
        "sessions/<int:session_id>/facilitators/invite",
        organizer_sessions.invite_facilitator,
        name="invite_facilitator",
    ),
    path("sessions/<int:session_id>/export", organizer_sessions.export, name="export"),
    path(
        "sessions/<int:session_id>/outcome",
        organizer_sessions.publish_outcome,
        name="publish_outcome",
    ),
]
