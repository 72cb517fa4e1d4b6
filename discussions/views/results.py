"""The public results page: the published outcome, by an unguessable link.

For the plenary screen and the conference's website: readable on a phone, printable, and
live while the plenary reorders and promotes (its socket, live.consumers.ResultsConsumer,
says when to re-fetch). It answers only while the outcome is published, and stays after
the event. Nothing here writes, and nothing here names a participant who did not choose to
be credited (discussions.outcome).

Its token is a session's own, not the projector's: the screen link opens the live rooms.
Wrong ones count with the wrong join codes (views.screen.wrong_link).
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language, ngettext
from django.views.decorators.http import require_GET

from discussions import outcome
from discussions.models import Session
from discussions.views.params import as_number
from discussions.views.screen import opened_by_token, wrong_link


def _results_session(request: HttpRequest, token: str) -> Session | None:
    """The published session the token opens; unpublished, for organizers only (a preview)."""
    session = Session.objects.select_related("paper").filter(results_token=token).first()
    if session is not None and session.outcome_published_at is None and not request.user.is_staff:
        return None
    return session


def _wrong_token(request: HttpRequest) -> HttpResponse:
    return wrong_link(
        request,
        "No published results have this link.",
        lambda seconds: (
            ngettext(
                "Too many wrong results links from this network. Check the link, and try again "
                "in %(seconds)s second.",
                "Too many wrong results links from this network. Check the link, and try again "
                "in %(seconds)s seconds.",
                seconds,
            )
            % {"seconds": seconds}
        ),
    )


_published = opened_by_token(_results_session, _wrong_token)


@require_GET
@_published
def results(request: HttpRequest, session: Session) -> HttpResponse:
    # A page loading has heard of no change yet: its list is rendered now (and shared).
    context = {"session": session, "recommendations_html": _list(session, since=time.time())}
    return render(request, "outcome/results.html", context)


@require_GET
@_published
def results_list(request: HttpRequest, session: Session) -> HttpResponse:
    """The recommendations alone, which the page fetches again when its socket says the
    session changed, asking for a render made after that moment (`since`)."""
    return HttpResponse(_list(session, since=_moment(request.GET.get("since", ""))))


# Every reader of a session's results page fetches the list again at each change (at most
# every two seconds each, static/js/screen-session.js): one render serves them all. The
# socket's message says when the change was announced, the page asks for a render made no
# earlier, and a render is taken at the time its reading began, so a change committed while
# it read is never passed off as included. A fetch that names no change (the page's
# fallback poll) takes a render younger than SHARED_FOR.
SHARED_FOR = 5.0  # seconds


def _list(session: Session, *, since: float = 0.0) -> str:
    if session.outcome_published_at is None:  # an organizer's preview: never shared
        return _render_list(session)
    key = f"results-list:{session.pk}:{session.outcome_published_at.timestamp()}:{get_language()}"
    kept = cache.get(key)
    now = time.time()
    if kept is not None and kept[0] >= since and now - kept[0] < SHARED_FOR:
        return kept[1]
    html = _render_list(session)
    cache.set(key, (now, html), timeout=SHARED_FOR)
    return html


def _render_list(session: Session) -> str:
    context = {"outcome": outcome.of_session(session)}
    return render_to_string("outcome/_recommendations.html", context)


def _moment(value: str) -> float:
    """A time the page sent back (the socket's), or 0 for none or nonsense."""
    moment = as_number(value[:32])
    return moment if moment is not None and moment > 0 else 0.0
