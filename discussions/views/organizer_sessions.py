"""An organizer's sessions: their page, their setup (groups, joining, passphrase, language,
facilitators), publishing the outcome, and the exports.

Each change is a small POST form that works without JavaScript (it redirects back); with htmx
it swaps the session's setup fragment.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from discussions import exports, offload, services
from discussions.models import BreakoutGroup, Session
from discussions.services import polis_interop
from discussions.views.access import organizer_required
from discussions.views.actions import answer, attempt
from discussions.views.joining import join_path
from discussions.views.params import as_id, as_ids


def _session_context(request: HttpRequest, session: Session) -> dict:
    return {
        "session": session,
        "prompts": session.ordered_prompts(),
        "groups": session.groups.annotate(size=Count("participants")),
        # With its key: the link participants are sent works even while their network's
        # typed codes wait (discussions.ratelimit).
        "join_url": request.build_absolute_uri(join_path(session)),
        "invitations": session.invitations.aggregate(
            invited=Count("pk"), joined=Count("participant")
        ),
        # The upload's help names the columns as the upload reads them back.
        "invitee_columns": services.invitation_column_titles(),
        "assignments": session.assignments.select_related("user").prefetch_related("groups"),
        # Who can be assigned: people with an account who are not organizers (those
        # facilitate every session) and not assigned here yet.
        "candidates": get_user_model()
        .objects.filter(is_active=True, is_staff=False)
        .exclude(assignments__session=session)
        .order_by("username"),
        "languages": settings.LANGUAGES,
        "outcome_counts": {
            "recommendations": session.recommendations.count(),
            "credited": session.participants.filter(credited=True).count(),
        },
        "results_url": request.build_absolute_uri(reverse("results", args=[session.results_token])),
    }


@require_GET
@organizer_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(Session.objects.select_related("paper"), pk=session_id)
    return render(request, "organizer/session.html", _session_context(request, session))


def session_change(
    request: HttpRequest, session: Session, change, done: str | Callable[[], str]
) -> HttpResponse:
    """Apply one change to a session: the groups fragment for htmx, else a redirect. The
    notice can be written once the change is made (`done` a function)."""
    error, notice = attempt(change, done)

    def fragment() -> tuple[str, dict]:
        session.refresh_from_db()
        return "organizer/session.html#setup", _session_context(request, session)

    return answer(request, error, notice, back=session, fragment=fragment)


@require_POST
@organizer_required
def rename_group(request: HttpRequest, session_id: int, group_id: int) -> HttpResponse:
    group = get_object_or_404(
        BreakoutGroup.objects.select_related("session"), pk=group_id, session=session_id
    )
    name = request.POST.get("name", "")
    return session_change(
        request,
        group.session,
        lambda: services.rename_group(group=group, name=name),
        _("Group renamed."),
    )


@require_POST
@organizer_required
def set_joining(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(Session, pk=session_id)
    is_open = request.POST.get("open") == "1"
    return session_change(
        request,
        session,
        lambda: services.set_joining_open(session=session, is_open=is_open),
        _("Joining is open.") if is_open else _("Joining is closed: the code admits nobody new."),
    )


@require_POST
@organizer_required
def session_language(request: HttpRequest, session_id: int) -> HttpResponse:
    """The language the session speaks to whoever asks for none of the site's (not Django's
    set_language, which sets the reader's own)."""
    session = get_object_or_404(Session, pk=session_id)
    language = request.POST.get("language", "")

    def done() -> str:
        names = dict(settings.LANGUAGES)
        if language.strip():
            return _("The session's language is now %(language)s.") % {
                "language": names[language.strip()]
            }
        return _("The session has no language of its own now: English.")

    return session_change(
        request,
        session,
        lambda: services.set_session_language(session=session, language=language),
        done,
    )


@require_POST
@organizer_required
def set_passphrase(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(Session, pk=session_id)
    passphrase = request.POST.get("passphrase", "")
    return session_change(
        request,
        session,
        lambda: services.set_passphrase(session=session, passphrase=passphrase),
        _("Joining now asks for the passphrase.")
        if passphrase.strip()
        else _("Joining no longer asks for a passphrase."),
    )


@require_POST
@organizer_required
def publish_outcome(request: HttpRequest, session_id: int) -> HttpResponse:
    """Publish the session's outcome, or withdraw it (services.outcome)."""
    session = get_object_or_404(Session, pk=session_id)
    if request.POST.get("publish") == "1":
        return session_change(
            request,
            session,
            lambda: services.publish_outcome(session=session),
            _(
                "The outcome is published: the results page is open, and participants see "
                "what became of their positions."
            ),
        )
    return session_change(
        request,
        session,
        lambda: services.withdraw_outcome(session=session),
        _("The publication is withdrawn: the results page is closed."),
    )


@require_POST
@organizer_required
def assign_facilitator(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(Session, pk=session_id)
    username = request.POST.get("username", "")
    group_ids = as_ids(request.POST.getlist("groups"))
    return session_change(
        request,
        session,
        lambda: services.assign_facilitator(
            session=session, username=username, group_ids=group_ids
        ),
        _("%(username)s can now facilitate this session.") % {"username": username.strip()},
    )


@require_POST
@organizer_required
def invite_facilitator(request: HttpRequest, session_id: int) -> HttpResponse:
    """An account for a facilitator who has none, and the link that sets its password."""
    session = get_object_or_404(Session, pk=session_id)
    username = request.POST.get("username", "")
    group_ids = as_ids(request.POST.getlist("groups"))
    link = []

    def change() -> None:
        _assignment, path = services.invite_facilitator(
            session=session, username=username, group_ids=group_ids
        )
        link.append(request.build_absolute_uri(path))

    days = round(settings.PASSWORD_RESET_TIMEOUT / 86400)
    return session_change(
        request,
        session,
        change,
        lambda: (
            ngettext(
                "%(username)s is invited. Send them this link, which sets their password once "
                "and works for %(days)s day: %(link)s",
                "%(username)s is invited. Send them this link, which sets their password once "
                "and works for %(days)s days: %(link)s",
                days,
            )
            % {"username": username.strip(), "days": days, "link": link[0]}
        ),
    )


@require_POST
@organizer_required
def unassign_facilitator(request: HttpRequest, session_id: int, user_id: int) -> HttpResponse:
    session = get_object_or_404(Session, pk=session_id)
    return session_change(
        request,
        session,
        lambda: services.unassign_facilitator(session=session, user_id=user_id),
        _("Facilitator unassigned."),
    )


@require_GET
@organizer_required
def export(request: HttpRequest, session_id: int) -> HttpResponse:
    """Download a session's export, at any time, live sessions included."""
    session = get_object_or_404(Session, pk=session_id)
    format = request.GET.get("format", "md")
    if format == "polis":  # the whole session, as Pol.is's open data (docs/exports.md)
        return _polis_export(request, session)
    if format not in exports.FORMATS:
        return HttpResponse(_("Unknown export format."), status=400, content_type="text/plain")
    group_id = request.GET.get("group", "")
    group = None if (gid := as_id(group_id)) is None else get_object_or_404(session.groups, pk=gid)
    data = offload.run(
        exports.export_file,
        session.pk,
        group.pk if group else None,
        request.GET.get("names") == "1",
        request.GET.get("full") == "1",
        format,
    )
    content_type, extension = exports.CONTENT_TYPES[format]
    response = HttpResponse(data, content_type=content_type)
    stem = slugify(f"{session.code} {group.name if group else session.name}") or session.code
    response["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    return response


def _polis_export(request: HttpRequest, session: Session) -> HttpResponse:
    site = request.build_absolute_uri("/").rstrip("/")
    data = offload.run(polis_interop.export_polis_zip, session.pk, site)
    response = HttpResponse(data, content_type="application/zip")
    stem = slugify(f"{session.code} {session.name}") or session.code
    response["Content-Disposition"] = f'attachment; filename="{stem}-polis.zip"'
    return response
