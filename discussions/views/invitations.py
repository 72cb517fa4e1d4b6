"""Organizer pages for personal invitation links: upload the list of invitees, admit only
them, and print or download their links (services.invitations says why they exist)."""

from __future__ import annotations

import segno
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET, require_POST

from discussions import exports, services
from discussions.models import Invitation, Session
from discussions.services.invitations import MAX_INVITEES_FILE
from discussions.views.access import organizer_required
from discussions.views.actions import answer, attempt
from discussions.views.organizer_sessions import session_change

# Slips a page of the sheet holds: drawing a QR code takes about 10 ms, so a list of 5,000
# on one page would hold a request thread for most of a minute.
SHEET_PAGE = 60


@require_POST
@organizer_required
def upload_invitees(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(Session, pk=session_id)
    upload = request.FILES.get("invitees")
    counts = []

    def change() -> None:
        if upload is None:
            raise services.ServiceError(_("Choose the CSV file of invitees to upload."))
        counts.extend(services.invite(session=session, data=upload.read(MAX_INVITEES_FILE + 1)))

    def done() -> str:
        added, known = counts
        if not known:
            return ngettext("Invited %(added)s person.", "Invited %(added)s people.", added) % {
                "added": added
            }
        # Two numbers, each with its plural: the one in brackets is a phrase of its own.
        before = ngettext(
            "(%(known)s on the list was invited before)",
            "(%(known)s on the list were invited before)",
            known,
        ) % {"known": known}
        # Translators: %(before)s is “(2 on the list were invited before)”.
        return ngettext(
            "Invited %(added)s person %(before)s.", "Invited %(added)s people %(before)s.", added
        ) % {"added": added, "before": before}

    return session_change(request, session, change, done)


@require_POST
@organizer_required
def set_invite_only(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(Session, pk=session_id)
    invite_only = request.POST.get("invite_only") == "1"
    return session_change(
        request,
        session,
        lambda: services.set_invite_only(session=session, invite_only=invite_only),
        _("Only invitation links admit newcomers now: the code alone admits nobody.")
        if invite_only
        else _("The code admits newcomers again, as do invitation links."),
    )


@require_POST
@organizer_required
def withdraw_invitation(request: HttpRequest, session_id: int, invitation_id: int) -> HttpResponse:
    """From the sheet of links, and back to it."""
    invitation = get_object_or_404(Invitation, pk=invitation_id, session=session_id)
    error, notice = attempt(
        lambda: services.withdraw_invitation(invitation=invitation),
        _("%(name)s's invitation is withdrawn: its link admits nobody.")
        % {"name": invitation.name},
    )
    back = reverse("organizer:invitations", args=[session_id])
    return answer(request, error, notice, back=back)


def _invitations(session: Session):
    return session.invitations.select_related("group", "participant")


@require_GET
@organizer_required
def invitation_sheet(request: HttpRequest, session_id: int) -> HttpResponse:
    """Every invitee's link and QR code, to print and hand out or to copy into messages."""
    session = get_object_or_404(Session, pk=session_id)
    page = Paginator(_invitations(session), SHEET_PAGE).get_page(request.GET.get("page"))
    invitations = list(page)
    for invitation in invitations:
        invitation.link = request.build_absolute_uri(invitation.get_absolute_url())
        invitation.qr = segno.make(invitation.link, error="m").svg_inline(
            scale=3,
            border=2,
            title=_("QR code of %(name)s's invitation link") % {"name": invitation.name},
        )
    context = {"session": session, "invitations": invitations, "page": page}
    return render(request, "organizer/invitations.html", context)


@require_GET
@organizer_required
def invitation_links(request: HttpRequest, session_id: int) -> HttpResponse:
    """The links as a spreadsheet, for a mail merge."""
    session = get_object_or_404(Session, pk=session_id)
    # Headed in the organizer's language, in the upload's own terms: the sheet reads back in.
    titles = services.invitation_column_titles()
    joined = pgettext("an invitee has joined", "yes")
    not_joined = pgettext("an invitee has joined", "no")
    rows = [
        {
            "name": invitation.name,
            "email": invitation.email,
            "group": invitation.group.name if invitation.group else "",
            "link": request.build_absolute_uri(invitation.get_absolute_url()),
            "joined": joined if invitation.participant_id else not_joined,
        }
        for invitation in _invitations(session)
    ]
    response = HttpResponse(
        exports.spreadsheet(rows, list(titles), header=list(titles.values())),
        content_type="text/csv; charset=utf-8",
    )
    stem = slugify(f"{session.code} invitations")
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    return response
