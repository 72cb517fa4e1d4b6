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

import functools

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from discussions import languages, outcome
from discussions.models import Session
from discussions.views.screen import wrong_link


def _published(view):
    """The view with the published session its results token opens, or a 404 (429 past
    the limit of wrong links). Organizers also open it before publication, to preview."""

    @functools.wraps(view)
    def with_session(request: HttpRequest, token: str) -> HttpResponse:
        session = (
            Session.objects.select_related("paper").filter(results_token=token).first()
            if "\x00" not in token  # PostgreSQL cannot even compare it: no token has one
            else None
        )
        if session is not None and session.outcome_published_at is None:
            session = session if request.user.is_staff else None
        if session is None:
            return _wrong_token(request)
        languages.use_session_language(request, session.language)
        return view(request, session)

    return with_session


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


@require_GET
@_published
def results(request: HttpRequest, session: Session) -> HttpResponse:
    return render(request, "outcome/results.html", {"outcome": outcome.of_session(session)})


@require_GET
@_published
def results_list(request: HttpRequest, session: Session) -> HttpResponse:
    """The recommendations alone, which the page fetches again when its socket says."""
    context = {"outcome": outcome.of_session(session)}
    return render(request, "outcome/results.html#recommendations", context)
