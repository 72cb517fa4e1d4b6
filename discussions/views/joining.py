"""Joining a breakout: the code (typed, from a link with its key, or the QR code), a name and a
group, or an invitation; a venue's many laptops behind one address are let through while
networks that guess codes wait (discussions.ratelimit).

Joining gives the browser a signed cookie naming the Participant it became, keyed by the
conference session (discussions.identity), so a second tab or a laptop that sleeps keeps the
same identity. The room itself: discussions.views.participant.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import segno
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from discussions import identity, languages, queries, ratelimit, services
from discussions.models import (
    JOIN_CODE_ALPHABET,
    Invitation,
    Participant,
    Session,
)
from discussions.rules import participant_for
from discussions.views.params import as_id, as_ids

_JOIN_KEY_SALT = "discussions.join-link"
_CODE_CHARACTERS = set(JOIN_CODE_ALPHABET)


@require_GET
def join_start(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "")
    if not code:
        return render(request, "room/join_start.html", {"code": ""})
    session = _session_for_code(request, code)
    if isinstance(session, HttpResponse):
        return session
    # To the join page by its link: the form keeps working if the network then runs out
    # of wrong codes while the name is being typed.
    return redirect(join_path(session))


def join_key(session: Session) -> str:
    """The key in every join link the app hands out (the organizer's page, the QR codes,
    the redirect after a typed code): a link with it was not guessed, so it is answered
    even while the network's typed codes wait (discussions.ratelimit). Derived from the
    session's screen token, a secret as long-lived as the session: nothing more to store,
    the same in every process and after a restart."""
    return salted_hmac(_JOIN_KEY_SALT, session.code, secret=session.screen_token).hexdigest()[:20]


def join_path(session: Session) -> str:
    """The join link: the join page's address with its key."""
    return f"{reverse('join', args=[session.code])}?key={join_key(session)}"


def join_qr_path(session: Session) -> str:
    """The address of the join link's QR code, with the key (it answers over the limit)."""
    return f"{reverse('join_qr', args=[session.code])}?key={join_key(session)}"


def _could_name_a_session(code: str) -> bool:
    """Whether looking `code` up could find a session (find_session's test): a code that
    cannot tells a guesser nothing, so it is neither counted nor kept waiting."""
    return 0 < len(code) <= 12 and set(code) <= _CODE_CHARACTERS


def _knows_the_code(request: HttpRequest, code: str) -> bool:
    """Whether the caller shows it had the code before trying it here: a join link's key,
    the identity cookie of a browser that joined its session (signed: it cannot be made
    up), or an organizer's login (organizers see every code)."""
    key = request.GET.get("key", "")
    if key:
        session = Session.objects.filter(code=code).only("code", "screen_token").first()
        if session is not None and constant_time_compare(key, join_key(session)):
            return True
    joined = as_ids(list(identity.joined(request.COOKIES)))
    if joined and Session.objects.filter(pk__in=joined, code=code).exists():
        return True
    return request.user.is_staff


def _must_wait(request: HttpRequest, code: str) -> ratelimit.Limit | None:
    """The limit that keeps the caller from trying `code` now (logged), or None.

    Checked before the lookup, and alike for right and wrong codes: once wrong codes are
    refused, an answer to a right one would tell a guesser which codes exist."""
    if not _could_name_a_session(code):
        return None
    limit = ratelimit.guessing_refused(request)
    if limit is None or _knows_the_code(request, code):
        return None
    key = ratelimit.SITE if limit is ratelimit.JOIN_SITE else ratelimit.network(request)
    ratelimit.refuse(limit, key)
    return limit


def _count_if_wrong_guess(request: HttpRequest, code: str) -> None:
    if _could_name_a_session(code) and not _knows_the_code(request, code):
        ratelimit.count_wrong_guess(request)


def _wait_message(limit: ratelimit.Limit) -> str:
    seconds = ratelimit.retry_after(limit)
    message = ngettext(
        # Translators: %(reason)s is a sentence saying why (many wrong join codes came from
        # this network, or from everywhere); the join link and the QR code are let through.
        "%(reason)s Type the code again in %(seconds)s second, or open the join link or scan "
        "the QR code in your room: they work now.",
        "%(reason)s Type the code again in %(seconds)s seconds, or open the join link or scan "
        "the QR code in your room: they work now.",
        seconds,
    )
    return message % {"reason": _(limit.message), "seconds": seconds}


def _with_retry_after(response: HttpResponse, limit: ratelimit.Limit) -> HttpResponse:
    response["Retry-After"] = str(ratelimit.retry_after(limit))
    return response


def _session_for_code(request: HttpRequest, code: str) -> Session | HttpResponse:
    """The session a typed code or a join link opens, or the page that says why not.

    Wrong codes are counted per network (discussions.ratelimit); past the limit, codes
    typed there wait, while join links and returning participants are let through.
    """
    normalised = services.normalise_code(code)
    waiting = _must_wait(request, normalised)
    if waiting is not None:
        context = {"code": code, "error": _wait_message(waiting)}
        response = render(request, "room/join_start.html", context, status=429)
        return _with_retry_after(response, waiting)
    try:
        return services.find_session(code)
    except services.ServiceError as error:
        _count_if_wrong_guess(request, normalised)
        return _back_to_room(request, code) or render(
            request, "room/join_start.html", {"code": code, "error": str(error)}, status=404
        )


# Seconds the join form's list of groups and their sizes is shared by everyone arriving (a
# cached fragment): in the opening rush, reading and drawing a hundred groups was most of
# every arrival's first page. A full group is refused by the join itself anyway.
JOIN_GROUPS_FRESH = 1


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, code: str) -> HttpResponse:
    session = _session_for_code(request, code)
    if isinstance(session, HttpResponse):
        return session
    if session.code != code:
        return redirect(join_path(session))
    languages.use_session_language(request, session.language)
    existing = participant_for(identity.joined(request.COOKIES), session.pk)
    if existing is not None and existing.removed_at is not None:
        return render(request, "room/removed.html", {"session": session}, status=403)
    if existing is not None:
        return redirect(existing.group)
    if session.invite_only:
        context = {"session": session, "error": _(services.INVITE_ONLY)}
        return render(request, "room/join_refused.html", context, status=403)
    return _join_form(
        request,
        session,
        join_path(session),
        lambda display_name, group_id: services.join_session(
            session=session,
            display_name=display_name,
            group_id=group_id,
            passphrase=request.POST.get("passphrase", ""),
        ),
    )


def _join_form(
    request: HttpRequest,
    session: Session,
    action: str,
    join: Callable[[str, int | None], Participant],
    invitation: Invitation | None = None,
) -> HttpResponse:
    """The join form, and its answer: into the room with the identity cookie, or the form
    again with what was typed and why it was refused. `join(display_name, group_id)` makes
    the participant."""
    context = {
        "session": session,
        "join_path": action,
        "invitation": invitation,
        "display_name": invitation.name if invitation else "",
        "chosen": "",
        "error": "",
    }
    status = 200
    if request.method == "POST":
        display_name = request.POST.get("display_name", "")
        chosen = request.POST.get("group", "")
        try:
            # Per session, not per network: a venue's whole audience joins from one address.
            if ratelimit.exceeded(ratelimit.SESSION_JOIN, f"session-{session.pk}"):
                raise ratelimit.refuse(ratelimit.SESSION_JOIN, f"session-{session.pk}")
            participant = join(display_name, as_id(chosen))
        except services.ServiceError as error:
            message = str(error)
            status = 400
            if isinstance(error, services.WrongPassphrase):
                # As a wrong code: guessing the passphrase is slowed like guessing codes.
                ratelimit.count_wrong_guess(request)
            if isinstance(error, ratelimit.Limited):
                seconds = ratelimit.retry_after(ratelimit.SESSION_JOIN)
                message = ngettext(
                    # Translators: %(reason)s is the refusal's sentence (very many people
                    # are joining); "Join" is the join form's button.
                    "%(reason)s Press Join again in %(seconds)s second.",
                    "%(reason)s Press Join again in %(seconds)s seconds.",
                    seconds,
                ) % {"reason": message, "seconds": seconds}
                status = 429
            if isinstance(error, services.RemovedInvitee):
                return render(request, "room/removed.html", {"session": session}, status=403)
            context |= {"display_name": display_name, "chosen": chosen, "error": message}
        else:
            response = redirect(participant.group)
            identity.remember(request.COOKIES, response, session.pk, participant.pk)
            languages.remember_session_language(request, response, session.language)
            return response
    context |= {"groups": queries.groups_to_join(session), "groups_fresh": JOIN_GROUPS_FRESH}
    response = render(request, "room/join.html", context, status=status)
    if status == 429:
        _with_retry_after(response, ratelimit.SESSION_JOIN)
    return response


@require_http_methods(["GET", "POST"])
def join_invited(request: HttpRequest, invitation_token: str) -> HttpResponse:
    """A personal invitation link: the join form with the invitee's name at first, then,
    in any browser, straight back into the room as the same participant."""
    try:
        invitation = services.find_invitation(invitation_token)
    except services.ServiceError as error:
        return render(request, "room/join_refused.html", {"error": str(error)}, status=404)
    session = invitation.session
    languages.use_session_language(request, session.language)
    try:
        participant = services.returning_invitee(invitation)
    except services.RemovedInvitee:
        return render(request, "room/removed.html", {"session": session}, status=403)
    if participant is None:
        # Someone who joined with the code before being sent a link keeps that identity.
        participant = participant_for(identity.joined(request.COOKIES), session.pk)
        if participant is not None and participant.removed_at is not None:
            return render(request, "room/removed.html", {"session": session}, status=403)
    if participant is not None:
        response = redirect(participant.group)
        identity.remember(request.COOKIES, response, session.pk, participant.pk)
        languages.remember_session_language(request, response, session.language)
        return response
    if not session.accepts_joins():
        context = {"session": session, "error": _("Joining this session has closed.")}
        return render(request, "room/join_refused.html", context, status=403)
    return _join_form(
        request,
        session,
        invitation.get_absolute_url(),
        lambda display_name, group_id: services.join_invited(
            invitation=invitation, display_name=display_name, group_id=group_id
        ),
        invitation,
    )


def _back_to_room(request: HttpRequest, code: str) -> HttpResponse | None:
    """Someone who already joined keeps their room after the code stops admitting newcomers
    (joining closed or expired): the join link or QR code still takes them back."""
    session = Session.objects.filter(code=services.normalise_code(code)).first()
    existing = participant_for(identity.joined(request.COOKIES), session.pk) if session else None
    if existing is None or existing.removed_at is not None:
        return None
    return redirect(existing.group)


@require_GET
def join_qr(request: HttpRequest, code: str) -> HttpResponse:
    """The join link as a QR code (SVG), for the screen at the front of the room and the
    organizer's page. Whether it answers tells whether a code exists, as /join/ does: the
    same limit holds (the pages that show it ask with the key)."""
    waiting = _must_wait(request, code)
    if waiting is not None:
        seconds = ratelimit.retry_after(waiting)
        text = ngettext(
            # Translators: %(reason)s is a sentence saying why (many wrong join codes).
            "%(reason)s Try again in %(seconds)s second.",
            "%(reason)s Try again in %(seconds)s seconds.",
            seconds,
        ) % {"reason": _(waiting.message), "seconds": seconds}
        response = HttpResponse(text, status=429, content_type="text/plain; charset=utf-8")
        return _with_retry_after(response, waiting)
    session = Session.objects.filter(code=code).first() if _could_name_a_session(code) else None
    if session is None:
        _count_if_wrong_guess(request, code)
        raise Http404("No session has this code.")
    url = request.build_absolute_uri(join_path(session))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=8, border=2, title=_("Join %(code)s") % {"code": code}
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    # Only the image is kept an hour: a refusal or a 404 must not outlive its reason.
    patch_cache_control(response, max_age=3600)
    return response
