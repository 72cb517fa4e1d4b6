"""Projector pages: large type, read-only, for the screen at the front of a room.

Reached by the session's unguessable screen link rather than a login, so the laptop driving
the projector carries no facilitator's or participant's identity. Nothing here writes.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from discussions import queries
from discussions.models import BreakoutGroup, Session

TOP_PER_GROUP = 3


def _session(token: str) -> Session:
    return get_object_or_404(Session.objects.select_related("paper"), screen_token=token)


def _group(session: Session, group_id: int) -> BreakoutGroup:
    group = (
        BreakoutGroup.objects.select_related("session", "current_prompt")
        .filter(pk=group_id, session=session)
        .first()
    )
    if group is None:
        raise Http404("No such group in this session.")
    return group


def _group_context(request: HttpRequest, session: Session, group: BreakoutGroup) -> dict:
    return {
        "session": session,
        "group": group,
        "prompt": group.current_prompt,
        "positions": queries.room_positions(group, None, "agreed"),
        "online": queries.online_count(group.pk),
        "join_url": request.build_absolute_uri(reverse("join", args=[session.code])),
        "sort": "agreed",
        "screen": True,  # no vote buttons on the projector
    }


@require_GET
def screen_group(request: HttpRequest, token: str, group_id: int) -> HttpResponse:
    session = _session(token)
    group = _group(session, group_id)
    return render(request, "screen/group.html", _group_context(request, session, group))


@require_GET
def screen_group_status(request: HttpRequest, token: str, group_id: int) -> HttpResponse:
    session = _session(token)
    group = _group(session, group_id)
    context = _group_context(request, session, group)
    return render(request, "room/_status.html", context)


@require_GET
def screen_group_positions(request: HttpRequest, token: str, group_id: int) -> HttpResponse:
    session = _session(token)
    group = _group(session, group_id)
    context = _group_context(request, session, group)
    return render(request, "screen/group.html#positions", context)


def _session_context(request: HttpRequest, session: Session) -> dict:
    groups = list(
        session.groups.select_related("current_prompt__question", "current_prompt__section")
    )
    for group in groups:
        group.session = session
        group.top = queries.room_positions(group, None, "agreed")[:TOP_PER_GROUP]
    return {
        "session": session,
        "groups": groups,
        "join_url": request.build_absolute_uri(reverse("join", args=[session.code])),
    }


@require_GET
def screen_session(request: HttpRequest, token: str) -> HttpResponse:
    session = _session(token)
    return render(request, "screen/session.html", _session_context(request, session))


@require_GET
def screen_session_results(request: HttpRequest, token: str) -> HttpResponse:
    session = _session(token)
    return render(request, "screen/session.html#results", _session_context(request, session))
