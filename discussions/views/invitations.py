"""Organizer pages for personal invitation links: upload the list of invitees, admit only
them, and print or download their links (services.invitations says why they exist)."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from discussions import exports, services
from discussions.models import Invitation, Session
from discussions.services.invitations import MAX_INVITEES_FILE
from discussions.views.access import organizer_required
from discussions.views.organizer import session_change

LINK_COLUMNS = ["name", "email", "group", "link", "joined"]
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
            raise services.ServiceError("Choose the CSV file of invitees to upload.")
        counts.extend(services.invite(session=session, data=upload.read(MAX_INVITEES_FILE + 1)))

    def done() -> str:
        added, known = counts
        already = f" ({known} on the list {pluralize(known, 'was,were')} invited before)"
        return f"Invited {added} {pluralize(added, 'person,people')}{already if known else ''}."

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
        "Only invitation links admit newcomers now: the code alone admits nobody."
        if invite_only
        else "The code admits newcomers again, as do invitation links.",
    )


@require_POST
@organizer_required
def withdraw_invitation(request: HttpRequest, session_id: int, invitation_id: int) -> HttpResponse:
    """From the sheet of links, and back to it."""
    invitation = get_object_or_404(Invitation, pk=invitation_id, session=session_id)
    try:
        services.withdraw_invitation(invitation=invitation)
    except services.ServiceError as error:
        messages.error(request, str(error))
    else:
        withdrawn = f"{invitation.name}'s invitation is withdrawn: its link admits nobody."
        messages.success(request, withdrawn)
    return redirect("organizer:invitations", session_id)


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
            scale=3, border=2, title=f"QR code of {invitation.name}'s invitation link"
        )
    context = {"session": session, "invitations": invitations, "page": page}
    return render(request, "organizer/invitations.html", context)


@require_GET
@organizer_required
def invitation_links(request: HttpRequest, session_id: int) -> HttpResponse:
    """The links as a spreadsheet, for a mail merge."""
    session = get_object_or_404(Session, pk=session_id)
    rows = [
        {
            "name": invitation.name,
            "email": invitation.email,
            "group": invitation.group.name if invitation.group else "",
            "link": request.build_absolute_uri(invitation.get_absolute_url()),
            "joined": "yes" if invitation.participant_id else "no",
        }
        for invitation in _invitations(session)
    ]
    response = HttpResponse(
        exports.spreadsheet(rows, LINK_COLUMNS), content_type="text/csv; charset=utf-8"
    )
    stem = slugify(f"{session.code} invitations")
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    return response
