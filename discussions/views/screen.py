"""Projector pages: large type, read-only, for the screen at the front of a room.

Reached by the session's unguessable screen link rather than a login, so the laptop driving
the projector carries no facilitator's or participant's identity. Nothing here writes.

A screen link's token is 32 characters of a 64-letter alphabet (192 random bits): beyond
guessing, so the right one is always answered (the projector shares the venue's network).
Wrong ones are counted with the wrong join codes all the same (discussions.ratelimit), so
that no address of the app answers guesses without limit.
"""

from __future__ import annotations

import functools

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from discussions import languages, queries, ratelimit
from discussions.models import BreakoutGroup, Session
from discussions.views.joining import join_path, join_qr_path

TOP_PER_GROUP = 3


def opened_by_token(find, wrong):
    """A decorator: the view gets the session `find(request, token)` opens, or the caller
    gets `wrong(request)` (404, 429 past the limit of wrong links), in the session's
    language for whoever asks for none of the site's."""

    def decorator(view):
        @functools.wraps(view)
        def with_session(request: HttpRequest, token: str, **kwargs) -> HttpResponse:
            # PostgreSQL cannot even compare a token with a NUL: no token has one.
            session = None if "\x00" in token else find(request, token)
            if session is None:
                return wrong(request)
            languages.use_session_language(request, session.language)
            return view(request, session, **kwargs)

        return with_session

    return decorator


def _wrong_token(request: HttpRequest) -> HttpResponse:
    return wrong_link(
        request,
        "No screen has this link.",
        # The English says "seconds" even for one: as it always has (the site's turn is 1 s).
        lambda seconds: (
            ngettext(
                "Too many wrong screen links from this network. Check the link on the "
                "facilitator's console, and try again in %(seconds)s seconds.",
                "Too many wrong screen links from this network. Check the link on the "
                "facilitator's console, and try again in %(seconds)s seconds.",
                seconds,
            )
            % {"seconds": seconds}
        ),
    )


def _screen_session(request: HttpRequest, token: str) -> Session | None:
    return Session.objects.select_related("paper").filter(screen_token=token).first()


_by_token = opened_by_token(_screen_session, _wrong_token)


def wrong_link(request: HttpRequest, missing: str, too_many) -> HttpResponse:
    """A link's token opens nothing: 404, counted with the wrong join codes; past the
    limit, 429 with `too_many(seconds)`, the wait in words."""
    limit = ratelimit.guessing_refused(request)
    if limit is None:
        ratelimit.count_wrong_guess(request)
        raise Http404(missing)
    key = ratelimit.SITE if limit is ratelimit.JOIN_SITE else ratelimit.network(request)
    ratelimit.refuse(limit, key)
    seconds = ratelimit.retry_after(limit)
    response = HttpResponse(too_many(seconds), status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(seconds)
    return response


def _group(session: Session, group_id: int) -> BreakoutGroup:
    group = (
        BreakoutGroup.objects.select_related("session", "current_prompt")
        .filter(pk=group_id, session=session)
        .first()
    )
    if group is None:
        raise Http404("No such group in this session.")
    return group


def _join_context(request: HttpRequest, session: Session) -> dict:
    return {
        "join_url": request.build_absolute_uri(join_path(session)),
        "qr_url": join_qr_path(session),
    }


def _group_context(request: HttpRequest, session: Session, group: BreakoutGroup) -> dict:
    sort = queries.offered_sort(group, "agreed")  # the newest first while tallies are hidden
    return {
        "session": session,
        "group": group,
        "prompt": group.current_prompt,
        "positions": queries.room_positions(group, None, sort),
        "online": queries.online_count(group.pk),
        "sort": sort,
        "sort_label": queries.SORTS[sort],
        "screen": True,  # no vote buttons on the projector
    } | _join_context(request, session)


@require_GET
@_by_token
def screen_group(request: HttpRequest, session: Session, group_id: int) -> HttpResponse:
    group = _group(session, group_id)
    return render(request, "screen/group.html", _group_context(request, session, group))


@require_GET
@_by_token
def screen_group_status(request: HttpRequest, session: Session, group_id: int) -> HttpResponse:
    group = _group(session, group_id)
    context = _group_context(request, session, group)
    return render(request, "room/_status.html", context)


@require_GET
@_by_token
def screen_group_positions(request: HttpRequest, session: Session, group_id: int) -> HttpResponse:
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
    return {"session": session, "groups": groups} | _join_context(request, session)


@require_GET
@_by_token
def screen_session(request: HttpRequest, session: Session) -> HttpResponse:
    return render(request, "screen/session.html", _session_context(request, session))


@require_GET
@_by_token
def screen_session_results(request: HttpRequest, session: Session) -> HttpResponse:
    return render(request, "screen/session.html#results", _session_context(request, session))
