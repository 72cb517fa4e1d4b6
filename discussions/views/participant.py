"""Participant pages: the breakout room, its writes, and what became of the participant's input.

A participant is anonymous: joining (discussions.views.joining) gives the browser a signed
cookie naming the Participant it became. Every room URL checks, on every request, that the
caller is a member of that room's group.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from discussions import identity, outcome, queries, ratelimit, services
from discussions.models import (
    BreakoutGroup,
    Participant,
    Position,
    Vote,
)
from discussions.rules import member_in, participant_for, votable_in

# --- Identity -----------------------------------------------------------------------------------


def member_of(request: HttpRequest, group_id: int) -> tuple[BreakoutGroup, Participant]:
    """The group and the caller, who must be its member: 403 otherwise (404: no such group)."""
    participant = member_in(identity.joined(request.COOKIES), group_id)
    if participant is None:
        if not BreakoutGroup.objects.filter(pk=group_id).exists():
            raise Http404("No such breakout group.")
        raise PermissionDenied(_("You are not a member of this group."))
    return participant.group, participant


# --- The room -----------------------------------------------------------------------------------


def _sort(request: HttpRequest) -> str:
    sort = request.GET.get("sort", queries.DEFAULT_SORT)
    return sort if sort in queries.SORTS else queries.DEFAULT_SORT


def _post_context(group: BreakoutGroup, participant: Participant) -> dict:
    """What the post form and the author's new card show: a post is answered with these
    alone, not the list (the costly part of the room) nor the status."""
    return {
        "session": group.session,
        "group": group,
        "participant": participant,
        "vote_choices": queries.VOTE_BUTTONS,
    }


def _status_context(group: BreakoutGroup, participant: Participant) -> dict:
    """What the room's status shows: re-fetched by every page of a group at a countdown's
    end, so without the list."""
    return _post_context(group, participant) | {
        "prompt": group.current_prompt,
        "online": queries.online_count(group.pk),
    }


def _room_context(group: BreakoutGroup, participant: Participant, sort: str) -> dict:
    sorts, sort = queries.sorts_for(group), queries.offered_sort(group, sort)
    return _status_context(group, participant) | {
        "positions": queries.room_positions(group, participant, sort),
        "plenary": queries.plenary_positions(group, participant),
        "sort": sort,
        "sort_label": sorts[sort],
        "sorts": sorts,
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
        raise PermissionDenied(_("You are not a member of this group."))
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
    context = _status_context(group, participant)
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
        context = _post_context(group, participant)
        context |= {"post_error": str(error), "post_text": text}
        status = 429 if isinstance(error, ratelimit.Limited) else 422
        return render(request, "room/room.html#post_form", context, status=status)
    if not request.htmx:
        return redirect(group)
    # A fresh form, and the new card straight away; the broadcast copy of it is dropped by
    # the page because an element with its id is already there.
    context = _post_context(group, participant) | {"posted": True}
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
        position = (
            Position.objects.filter(
                votable_in(group), pk=position_id, status=Position.Status.VISIBLE
            )
            .select_related("group__session")
            .first()
        )
        if position is None:
            # Hidden or never in this group: say so where the buttons were.
            error = error or _("That position is not in your group (or was removed).")
            return HttpResponse(
                format_html(
                    '<p class="error" role="alert" id="vote-{}">{}</p>', position_id, error
                ),
                status=422,
            )
        mine = Vote.objects.filter(participant=participant, position=position)
        position.my_choice = mine.values_list("choice", flat=True).first()
        position.tally_hidden = queries.tallies_hidden(position.group)
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
    # building their context was a third of the rendering (docs/capacity.md, "Where a
    # vote's time goes").
    return HttpResponse(render_to_string("room/_vote.html", context), status=status)


def _room_with(request, group, participant, status: int = 400, **extra) -> HttpResponse:
    """The whole room page with a message, for browsers without JavaScript."""
    context = _room_context(group, participant, queries.DEFAULT_SORT) | extra
    return render(request, "room/room.html", context, status=status)


# --- What became of my input ---------------------------------------------------------------


@require_GET
def my_input(request: HttpRequest, group_id: int) -> HttpResponse:
    """The participant's positions and what became of each; the published outcome's
    recommendations and how their group's support compares with the others'."""
    group, participant = member_of(request, group_id)
    return render(request, "room/my_input.html", _my_input_context(participant))


def _my_input_context(participant: Participant, **extra) -> dict:
    mine = outcome.my_input(participant)
    return {
        "mine": mine,
        "outcome": mine.outcome,
        "participant": participant,
        "group": participant.group,
        "session": participant.session,
    } | extra


@require_POST
def set_credit(request: HttpRequest, group_id: int) -> HttpResponse:
    """Credited by name in the published outcome, or by pseudonym (the default)."""
    group, participant = member_of(request, group_id)
    credited = request.POST.get("credited") == "1"
    try:
        services.set_credit(participant=participant, credited=credited)
    except services.ServiceError as error:
        if request.htmx:
            context = _my_input_context(participant, credit_error=str(error))
            return render(request, "room/my_input.html#credit", context, status=422)
        messages.error(request, str(error))
    else:
        if request.htmx:
            context = _my_input_context(participant, credit_saved=True)
            return render(request, "room/my_input.html#credit", context)
    return redirect("my_input", group.pk)
