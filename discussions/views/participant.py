"""Participant pages: join with a code, then the breakout room and its writes.

A participant is anonymous: joining gives the browser a signed cookie naming the Participant
it became, keyed by the conference session (discussions.identity), so a second tab or a
laptop that sleeps keeps the same identity. Every room URL checks, on every request, that
the caller is a member of that room's group.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import segno
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from discussions import identity, queries, ratelimit, rows, services
from discussions.models import BreakoutGroup, Participant, Position, Prompt, Session, Vote
from discussions.views.params import as_id

# --- Identity -----------------------------------------------------------------------------------


def participant_for(joined: Mapping[str, int], session_id: int) -> Participant | None:
    """The participant this browser is in a session, from its identity cookie's entries."""
    participant_id = joined.get(str(session_id))
    if participant_id is None:
        return None
    return (
        Participant.objects.select_related("group", "session")
        .filter(pk=participant_id, session=session_id)
        .first()
    )


def member_in(joined: Mapping[str, int], group_id: int) -> Participant | None:
    """The browser's participant in this group, still a member, with the group (its session
    and current prompt) read fresh by the same query; None if the browser is not a member.

    `joined` is the browser's identity cookie's entries (discussions.identity). One query:
    every room request and every socket message checks membership, and two queries (the
    group's, then the participant's) were a third of a vote's time. Shared with the
    WebSocket consumer, which reads the same cookie from its scope.
    """
    candidates = [pk for pk in joined.values() if type(pk) is int]
    if not candidates or not rows.in_range(BreakoutGroup, group_id):
        return None
    for participant in _members_with_group(candidates, group_id):
        # Joined under this session's key, not another's (a browser in two conferences).
        if joined.get(str(participant.session_id)) == participant.pk:
            return participant
    return None


def still_member(joined: Mapping[str, int], group_id: int) -> tuple[int, int] | None:
    """(participant id, the room's latest broadcast number) if the browser is still a member
    of the group, else None: member_in's check, without the rows it reads.

    For the room's sockets, which need no more at their opening and at each of their
    80 heartbeats a second (2,000 sockets): building the four model instances was about a
    third of member_in's time (docs/capacity.md).
    """
    candidates = [pk for pk in joined.values() if type(pk) is int]
    if not candidates or not rows.in_range(BreakoutGroup, group_id):
        return None
    marks = ", ".join(["%s"] * len(candidates))
    sql = f"""
        SELECT pa.id, pa.session_id, g.broadcast_seq
        FROM {Participant._meta.db_table} pa
        JOIN {BreakoutGroup._meta.db_table} g ON g.id = pa.group_id
        WHERE pa.id IN ({marks}) AND pa.group_id = %s AND pa.removed_at IS NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*candidates, group_id])
        found = cursor.fetchall()
    for participant_id, session_id, broadcast_seq in found:
        # Joined under this session's key, not another's, as in member_in.
        if joined.get(str(session_id)) == participant_id:
            return participant_id, broadcast_seq
    return None


def _members_with_group(participant_ids: list[int], group_id: int) -> list[Participant]:
    """Those of the participants still in the group, each with its group, the group's session
    and current prompt: what select_related("group__session", "group__current_prompt")
    reads, written out (discussions/rows.py), since every vote and heartbeat runs it."""
    marks = ", ".join(["%s"] * len(participant_ids))
    sql = f"""
        SELECT {rows.columns(Participant, "pa")}, {rows.columns(BreakoutGroup, "g")},
               {rows.columns(Session, "s")}, {rows.columns(Prompt, "pr")}
        FROM {Participant._meta.db_table} pa
        JOIN {BreakoutGroup._meta.db_table} g ON g.id = pa.group_id
        JOIN {Session._meta.db_table} s ON s.id = g.session_id
        LEFT JOIN {Prompt._meta.db_table} pr ON pr.id = g.current_prompt_id
        WHERE pa.id IN ({marks}) AND pa.group_id = %s AND pa.removed_at IS NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*participant_ids, group_id])
        found = cursor.fetchall()
    members = []
    for row in found:
        participant, end = rows.take(Participant, row, 0)
        group, end = rows.take(BreakoutGroup, row, end)
        session, end = rows.take(Session, row, end)
        prompt, _ = rows.take(Prompt, row, end)
        group.session, group.current_prompt = session, prompt
        participant.group, participant.session = group, session  # the same rows: no query
        members.append(participant)
    return members


def member_of(request: HttpRequest, group_id: int) -> tuple[BreakoutGroup, Participant]:
    """The group and the caller, who must be its member: 403 otherwise (404: no such group)."""
    participant = member_in(identity.joined(request.COOKIES), group_id)
    if participant is None:
        if not BreakoutGroup.objects.filter(pk=group_id).exists():
            raise Http404("No such breakout group.")
        raise PermissionDenied("You are not a member of this group.")
    return participant.group, participant


# --- Joining ------------------------------------------------------------------------------------


@require_GET
def join_start(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "")
    if not code:
        return render(request, "room/join_start.html", {"code": ""})
    session = _session_for_code(request, code)
    if isinstance(session, HttpResponse):
        return session
    return redirect("join", session.code)


def _session_for_code(request: HttpRequest, code: str) -> Session | HttpResponse:
    """The session a typed code opens, or the page that says why not.

    Wrong codes are counted per network address: a script guessing codes is stopped, while a
    whole venue behind one address joining with the right code never is.
    """
    address = ratelimit.client_address(request)
    if ratelimit.over(ratelimit.JOIN, address):
        error = str(ratelimit.refuse(ratelimit.JOIN, address))
        return render(request, "room/join_start.html", {"code": code, "error": error}, status=429)
    try:
        return services.find_session(code)
    except services.ServiceError as error:
        ratelimit.exceeded(ratelimit.JOIN, address)
        return _back_to_room(request, code) or render(
            request, "room/join_start.html", {"code": code, "error": str(error)}, status=404
        )


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, code: str) -> HttpResponse:
    session = _session_for_code(request, code)
    if isinstance(session, HttpResponse):
        return session
    if session.code != code:
        return redirect("join", session.code)
    existing = participant_for(identity.joined(request.COOKIES), session.pk)
    if existing is not None and existing.removed_at is not None:
        return render(request, "room/removed.html", {"session": session}, status=403)
    if existing is not None:
        return redirect(existing.group)

    context = {"session": session, "display_name": "", "chosen": "", "error": ""}
    status = 200
    if request.method == "POST":
        display_name = request.POST.get("display_name", "")
        chosen = request.POST.get("group", "")
        try:
            participant = services.join_session(
                session=session,
                display_name=display_name,
                group_id=as_id(chosen),
            )
        except services.ServiceError as error:
            context |= {"display_name": display_name, "chosen": chosen, "error": str(error)}
            status = 400
        else:
            response = redirect(participant.group)
            identity.remember(request.COOKIES, response, session.pk, participant.pk)
            return response
    groups = list(session.groups.annotate(size=Count("participants")))
    for group in groups:
        group.is_full = session.group_capacity is not None and group.size >= session.group_capacity
    context["groups"] = groups
    return render(request, "room/join.html", context, status=status)


def _back_to_room(request: HttpRequest, code: str) -> HttpResponse | None:
    """Someone who already joined keeps their room after the code stops admitting newcomers
    (joining closed or expired): the join link or QR code still takes them back."""
    session = Session.objects.filter(code=services.normalise_code(code)).first()
    existing = participant_for(identity.joined(request.COOKIES), session.pk) if session else None
    if existing is None or existing.removed_at is not None:
        return None
    return redirect(existing.group)


@require_GET
@cache_control(max_age=3600)
def join_qr(request: HttpRequest, code: str) -> HttpResponse:
    """The join link as a QR code (SVG), for the screen at the front of the room."""
    session = get_object_or_404(Session, code=code)
    url = request.build_absolute_uri(reverse("join", args=[session.code]))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, border=2, title=f"Join {code}")
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


# --- The room -----------------------------------------------------------------------------------


def _sort(request: HttpRequest) -> str:
    sort = request.GET.get("sort", queries.DEFAULT_SORT)
    return sort if sort in queries.SORTS else queries.DEFAULT_SORT


def _room_context(group: BreakoutGroup, participant: Participant, sort: str) -> dict:
    prompt = group.current_prompt
    return {
        "session": group.session,
        "group": group,
        "participant": participant,
        "prompt": prompt,
        "positions": queries.room_positions(group, participant, sort),
        "plenary": queries.plenary_positions(group, participant),
        "online": queries.online_count(group.pk),
        "sort": sort,
        "sort_label": queries.SORTS[sort],
        "sorts": queries.SORTS,
        "vote_choices": queries.VOTE_BUTTONS,
    }


@require_GET
def room(request: HttpRequest, group_id: int) -> HttpResponse:
    joined = identity.joined(request.COOKIES)
    participant = member_in(joined, group_id)
    if participant is None:
        group = get_object_or_404(BreakoutGroup.objects.select_related("session"), pk=group_id)
        if participant_for(joined, group.session_id) is None:
            # Not joined yet (or a new browser): the page that asks for the code, not a bare
            # 403. Not the session's join page: group numbers are sequential, so that gave
            # every session's code away to anyone who counted.
            return redirect("join_start")
        raise PermissionDenied("You are not a member of this group.")
    # A member: one query said so, where three did (every joiner loads this page).
    context = _room_context(participant.group, participant, _sort(request))
    return render(request, "room/room.html", context)


@require_GET
def room_positions(request: HttpRequest, group_id: int) -> HttpResponse:
    group, participant = member_of(request, group_id)
    context = _room_context(group, participant, _sort(request))
    return render(request, "room/room.html#positions", context)


@require_GET
def room_status(request: HttpRequest, group_id: int) -> HttpResponse:
    group, participant = member_of(request, group_id)
    # Pages ask for the status when their countdown reaches zero: end it here.
    group = services.apply_due_timer(group)
    context = _room_context(group, participant, queries.DEFAULT_SORT)
    return render(request, "room/room.html#status", context)


@require_POST
def post_position(request: HttpRequest, group_id: int) -> HttpResponse:
    group, participant = member_of(request, group_id)
    text = request.POST.get("text", "")
    try:
        ratelimit.check(request, participant.pk, ratelimit.POST, ratelimit.POST_ADDRESS)
        position = services.post_position(participant=participant, text=text)
    except services.ServiceError as error:
        if not request.htmx:
            return _room_with(request, group, participant, post_error=str(error), post_text=text)
        context = _room_context(group, participant, queries.DEFAULT_SORT)
        context |= {"post_error": str(error), "post_text": text}
        status = 429 if isinstance(error, ratelimit.Limited) else 422
        return render(request, "room/room.html#post_form", context, status=status)
    if not request.htmx:
        return redirect(group)
    # A fresh form, and the new card straight away; the broadcast copy of it is dropped by
    # the page because an element with its id is already there.
    context = _room_context(group, participant, queries.DEFAULT_SORT) | {"posted": True}
    context["position"] = queries.position_with_tally(position.pk)
    return render(request, "room/posted.html", context)


@require_POST
def vote(request: HttpRequest, group_id: int, position_id: int) -> HttpResponse:
    group, participant = member_of(request, group_id)
    error, limited, ballot = "", False, None
    try:
        ratelimit.check(request, participant.pk, ratelimit.VOTE, ratelimit.VOTE_ADDRESS)
        ballot = services.cast_vote(
            participant=participant,
            group=group,  # read with the membership check a moment ago
            position_id=position_id,
            choice=request.POST.get("choice", ""),
        )
    except services.ServiceError as exc:
        error = str(exc)
        limited = isinstance(exc, ratelimit.Limited)
    if not request.htmx:
        if error:
            return _room_with(request, group, participant, room_error=error)
        return redirect(f"{group.get_absolute_url()}#position-{position_id}")
    if ballot is not None:
        # Just this card's buttons, from what the vote itself read: no query more.
        position = ballot.position
        position.my_choice = ballot.vote.choice if ballot.vote else None
    else:
        # Not the whole list, which may be on another prompt by now.
        position = Position.objects.filter(
            queries.votable_in(group), pk=position_id, status=Position.Status.VISIBLE
        ).first()
        if position is None:
            # Hidden or never in this group: say so where the buttons were.
            error = error or "That position is not in your group (or was removed)."
            return HttpResponse(
                format_html(
                    '<p class="error" role="alert" id="vote-{}">{}</p>', position_id, error
                ),
                status=422,
            )
        mine = Vote.objects.filter(participant=participant, position=position)
        position.my_choice = mine.values_list("choice", flat=True).first()
    context = {
        "group": group,
        "position": position,
        "vote_choices": queries.VOTE_BUTTONS,
        "vote_error": error,
        # No hidden token in this fragment: htmx sends the page's in a header (base.html),
        # and masking a fresh copy for every vote was 2.5 % of a server process's time.
        "csrf_token": "",
    }
    status = (429 if limited else 422) if error else 200
    # Rendered without the request: the buttons use nothing the context processors add, and
    # building their context was a third of the rendering (190 against 286 µs a vote).
    return HttpResponse(render_to_string("room/_vote.html", context), status=status)


def _room_with(request, group, participant, status: int = 400, **extra) -> HttpResponse:
    """The whole room page with a message, for browsers without JavaScript."""
    context = _room_context(group, participant, queries.DEFAULT_SORT) | extra
    return render(request, "room/room.html", context, status=status)
