"""Facilitator console: every group of a session at a glance, one group in detail, actions.

Each view checks, on every request, that the user facilitates the session or group it
names. Actions are small POST forms that work without JavaScript (redirect back); with htmx
they swap the panel they came from. The console listens on its own socket and re-fetches a
group's row or panel when that group changes.

One module, a little over the others' length: the console is one page whose parts (the
overview's rows, a group's panel, the log, the controls) answer each other's actions, and
share the checks and the contexts written here once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from discussions import queries, services
from discussions.models import BreakoutGroup, ModerationEntry, Participant, Position, Session
from discussions.services.moderation import AUTHOR_REMOVED
from discussions.views.access import facilitated_session, login_first
from discussions.views.actions import answer, attempt, chosen
from discussions.views.params import as_number, id_or_zero

# A group with no new position or vote for this long is flagged as quiet.
QUIET_AFTER = timedelta(minutes=3)


def _group_for(request: HttpRequest, group_id: int) -> BreakoutGroup:
    group = get_object_or_404(
        BreakoutGroup.objects.select_related("session", "current_prompt"), pk=group_id
    )
    if not group.facilitated_by(request.user):
        raise PermissionDenied(_("You do not facilitate this group."))
    return services.apply_due_timer(group)


# --- Reading ------------------------------------------------------------------------------------


@dataclass
class GroupSummary:
    group: BreakoutGroup
    online: int
    positions: int
    pending: int
    votes: int
    latest: datetime | None

    @property
    def quiet(self) -> bool:
        return self.latest is None or timezone.now() - self.latest > QUIET_AFTER


def _summaries(groups) -> list[GroupSummary]:
    groups = list(
        groups.annotate(
            visible=Count("positions", filter=Q(positions__status=Position.Status.VISIBLE)),
            pending=Count("positions", filter=Q(positions__status=Position.Status.PENDING)),
            latest_position=Max("positions__created_at"),
        ).select_related("current_prompt__question", "current_prompt__section")
    )
    # Votes in a separate query: counted in the same one, the joins would multiply rows.
    votes = {
        pk: (count, latest)
        for pk, count, latest in BreakoutGroup.objects.filter(pk__in=[g.pk for g in groups])
        .annotate(
            n=Count("positions__votes", filter=Q(positions__status=Position.Status.VISIBLE)),
            latest=Max("positions__votes__cast_at"),
        )
        .values_list("pk", "n", "latest")
    }
    online = queries.online_counts([g.pk for g in groups])
    summaries = []
    for group in groups:
        services.apply_due_timer(group)
        vote_count, latest_vote = votes.get(group.pk, (0, None))
        moments = [m for m in (group.latest_position, latest_vote) if m]
        summaries.append(
            GroupSummary(
                group=group,
                online=online.get(group.pk, 0),
                positions=group.visible,
                pending=group.pending,
                votes=vote_count,
                latest=max(moments) if moments else None,
            )
        )
    return summaries


@require_GET
@login_first
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    sessions = (
        Session.objects.all() if user.is_staff else Session.objects.filter(assignments__user=user)
    )
    return render(request, "facilitator/home.html", {"sessions": sessions.select_related("paper")})


def _log_for(request: HttpRequest, session: Session, *, leads: bool):
    """The moderation log as this facilitator may read it: who leads the session
    (Session.led_by) reads it all; a facilitator of some groups reads theirs (with the
    reasons positions were hidden) and what concerned the whole session."""
    entries = session.moderation_log.select_related("actor", "group", "position", "participant")
    if leads:
        return entries
    groups = session.groups_facilitated_by(request.user)
    return entries.filter(Q(group__in=groups) | Q(group=None))


def _overview_context(request: HttpRequest, session: Session) -> dict:
    groups = session.groups_facilitated_by(request.user)
    leads = session.led_by(request.user)
    return {
        "session": session,
        "summaries": _summaries(groups),
        "all_groups": leads,
        "phases": BreakoutGroup.Phase.choices,
        "log": _log_for(request, session, leads=leads)[:8],
    }


@require_GET
@login_first
def overview(request: HttpRequest, session_id: int) -> HttpResponse:
    session = facilitated_session(request, session_id)
    return render(request, "facilitator/overview.html", _overview_context(request, session))


@require_GET
@login_first
def group_row(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group_for(request, group_id)
    summary = _summaries(BreakoutGroup.objects.filter(pk=group.pk))[0]
    return render(
        request,
        "facilitator/overview.html#row",
        {"summary": summary, "session": group.session, "phases": BreakoutGroup.Phase.choices},
    )


def _group_context(request: HttpRequest, group: BreakoutGroup) -> dict:
    positions = list(
        queries.with_tallies(
            Position.objects.filter(group=group, prompt=group.current_prompt_id)
            .exclude(status=Position.Status.MERGED)
            .select_related("author")
        ).order_by("-pinned", "-created_at", "-pk")
    )
    for position in positions:
        position.tally = queries.tally_of(position)
        # Written down in English (undoing the removal finds the positions by it): shown
        # in the reader's language.
        position.reason_shown = (
            _(AUTHOR_REMOVED)
            if position.moderation_reason == AUTHOR_REMOVED
            else position.moderation_reason
        )
    by_status: dict[str, list[Position]] = {status: [] for status in Position.Status.values}
    for position in positions:
        by_status[position.status].append(position)
    return {
        "session": group.session,
        "group": group,
        "prompt": group.current_prompt,
        "pending": by_status[Position.Status.PENDING],
        "visible": by_status[Position.Status.VISIBLE],
        "hidden": by_status[Position.Status.HIDDEN] + by_status[Position.Status.REJECTED],
        "participants": group.participants.filter(removed_at__isnull=True).annotate(
            authored=Count("positions", distinct=True), voted=Count("votes", distinct=True)
        ),
        "other_groups": group.session.groups_facilitated_by(request.user).exclude(pk=group.pk),
        "phases": BreakoutGroup.Phase.choices,
        "online": queries.online_count(group.pk),
        "log": group.session.moderation_log.filter(group=group).select_related("actor")[:10],
    }


@require_GET
@login_first
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group_for(request, group_id)
    return render(request, "facilitator/group.html", _group_context(request, group))


@require_GET
@login_first
def group_panel(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group_for(request, group_id)
    return render(request, "facilitator/group.html#panel", _group_context(request, group))


@require_GET
@login_first
def moderation_log(request: HttpRequest, session_id: int) -> HttpResponse:
    session = facilitated_session(request, session_id)
    entries = _log_for(request, session, leads=session.led_by(request.user))
    return render(request, "facilitator/log.html", {"session": session, "entries": entries})


# --- Acting -------------------------------------------------------------------------------------


def _respond(
    request: HttpRequest, change: Callable[[], object], done: str | Callable[[], str], *, back
) -> HttpResponse:
    """Run one action. htmx gets the panel it came from (422 with the reason if refused);
    without JavaScript the browser goes back to the page with a message."""
    started = timezone.now()
    error, notice = attempt(change, done, forbidden=_("You do not facilitate this group."))

    def fragment() -> tuple[str, dict]:
        if request.POST.get("panel") == "group":
            group = _group_for(request, back.pk)
            context = _group_context(request, group)
            if not error:
                context["undo_entry"] = _undoable_since(request.user, group, started)
            return "facilitator/group.html#panel", context
        session = back if isinstance(back, Session) else back.session
        return "facilitator/overview.html#console", _overview_context(request, session)

    return answer(request, error, notice, back=back.get_facilitator_url(), fragment=fragment)


def _undoable_since(user, group: BreakoutGroup, started: datetime) -> ModerationEntry | None:
    """The action the user just took in the group, if it can be undone: its notice offers
    the undo at once."""
    entry = ModerationEntry.objects.filter(
        actor=user, group=group, created_at__gte=started, undo__isnull=False
    ).first()
    return entry if entry and entry.can_undo else None


@require_POST
@login_first
def undo(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Undo a destructive action from its log entry (services.undo checks the rest)."""
    entry = get_object_or_404(
        ModerationEntry.objects.select_related("session", "group"), pk=entry_id
    )
    if not entry.session.facilitated_by(request.user):
        raise PermissionDenied(_("You do not facilitate this session."))

    said: list[str] = []

    def change() -> None:
        said.append(services.undo_action(actor=request.user, entry_id=entry.pk))

    def done() -> str:  # an undo says what it did
        return said[0] or _("Undone.")

    if entry.group is not None:
        return _respond(request, change, done, back=entry.group)
    # A removed recommendation: back to the synthesis page, where it was.
    error, notice = attempt(change, done, forbidden=_("You do not facilitate this session."))
    back = reverse("facilitator:synthesis", args=[entry.session_id]) + "#curation"
    return answer(request, error, notice, back=back)


def _position_for(request: HttpRequest, position_id: int) -> Position:
    position = get_object_or_404(Position.objects.select_related("group__session"), pk=position_id)
    if not position.group.facilitated_by(request.user):
        raise PermissionDenied(_("You do not facilitate this group."))
    return position


@require_POST
@login_first
def position_action(request: HttpRequest, position_id: int) -> HttpResponse:
    """The buttons beside a position: hide, restore, approve, reject, pin, unpin, merge."""
    position = _position_for(request, position_id)
    user, post = request.user, request.POST
    actions: dict[str, tuple[Callable[[], object], str]] = {
        "hide": (
            lambda: services.hide_position(
                actor=user, position_id=position.pk, reason=post.get("reason", "")
            ),
            _("Position hidden from participants."),
        ),
        "restore": (
            lambda: services.restore_position(actor=user, position_id=position.pk),
            _("Position restored."),
        ),
        "approve": (
            lambda: services.approve_position(actor=user, position_id=position.pk),
            _("Position approved: it is in the room now."),
        ),
        "reject": (
            lambda: services.reject_position(
                actor=user, position_id=position.pk, reason=post.get("reason", "")
            ),
            _("Position rejected."),
        ),
        "pin": (
            lambda: services.set_pinned(actor=user, position_id=position.pk, pinned=True),
            _("Position pinned to the top."),
        ),
        "unpin": (
            lambda: services.set_pinned(actor=user, position_id=position.pk, pinned=False),
            _("Position unpinned."),
        ),
        "merge": (
            lambda: services.merge_positions(
                actor=user, survivor_id=id_or_zero(post.get("into")), absorbed_id=position.pk
            ),
            _("Positions merged."),
        ),
    }
    change, done = chosen(actions, post.get("action", ""))
    return _respond(request, change, done, back=position.group)


def _participant_for(request: HttpRequest, participant_id: int) -> Participant:
    participant = get_object_or_404(
        Participant.objects.select_related("group__session"), pk=participant_id
    )
    if not participant.group.facilitated_by(request.user):
        raise PermissionDenied(_("You do not facilitate this group."))
    return participant


@require_POST
@login_first
def participant_action(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = _participant_for(request, participant_id)
    group = participant.group
    user, post = request.user, request.POST
    hiding = post.get("hide_positions") == "1"
    discarding = post.get("discard_votes") == "1"
    actions = {
        "move": (
            lambda: services.move_participant(
                actor=user, participant_id=participant.pk, group_id=id_or_zero(post.get("group"))
            ),
            _("%(name)s moved.") % {"name": participant.display_name},
        ),
        "remove": (
            lambda: services.remove_participant(
                actor=user,
                participant_id=participant.pk,
                hide_positions=hiding,
                discard_votes=discarding,
            ),
            _removed(participant.display_name, hiding=hiding, discarding=discarding),
        ),
    }
    change, done = chosen(actions, post.get("action", ""))
    return _respond(request, change, done, back=group)


def _removed(name: str, *, hiding: bool, discarding: bool) -> str:
    """What a removal did, in one sentence: what became of the participant's positions and
    votes."""
    values = {"name": name}
    if hiding and discarding:
        return (
            _("%(name)s removed; their positions are hidden and their votes are taken back.")
            % values
        )
    if hiding:
        return _("%(name)s removed; their positions are hidden and their votes count.") % values
    if discarding:
        return _("%(name)s removed; their positions stay and their votes are taken back.") % values
    return _("%(name)s removed; their positions stay and their votes count.") % values


def _target_groups(request: HttpRequest, session: Session) -> list[BreakoutGroup]:
    """The groups an action applies to: one (group=ID) or every group the user facilitates."""
    groups = session.groups_facilitated_by(request.user)
    named = request.POST.get("group", "all")
    if named == "all":
        return list(groups)
    group = groups.filter(pk=id_or_zero(named)).first()
    if group is None:
        raise PermissionDenied(_("You do not facilitate that group."))
    return [group]


@require_POST
@login_first
def control(request: HttpRequest, session_id: int) -> HttpResponse:
    """Phase, prompt, countdown and announcement, for one group or all of them."""
    session = facilitated_session(request, session_id)
    groups = _target_groups(request, session)
    user, post = request.user, request.POST
    seconds = _seconds(post)
    actions = {
        "phase": (
            lambda: services.set_phase(actor=user, groups=groups, phase=post.get("phase", "")),
            _("Phase set."),
        ),
        "next_prompt": (
            lambda: services.advance_prompt(actor=user, groups=groups),
            _("Moved to the next prompt."),
        ),
        "timer_start": (
            lambda: services.start_timer(
                actor=user, groups=groups, seconds=seconds, then_phase=post.get("then", "")
            ),
            _("Countdown started."),
        ),
        "timer_pause": (lambda: services.pause_timer(actor=user, groups=groups), _("Paused.")),
        "timer_resume": (lambda: services.resume_timer(actor=user, groups=groups), _("Resumed.")),
        "timer_extend": (
            lambda: services.extend_timer(actor=user, groups=groups, seconds=seconds),
            _("Countdown extended."),
        ),
        "timer_stop": (lambda: services.stop_timer(actor=user, groups=groups), _("Stopped.")),
        "announce": (
            lambda: services.announce(actor=user, groups=groups, text=post.get("text", "")),
            _("Announcement sent.") if post.get("text", "").strip() else _("Announcement cleared."),
        ),
        "premoderation": (
            lambda: services.set_session_option(
                actor=user, session=session, option="premoderation", value=post.get("on") == "1"
            ),
            _("Pre-moderation switched."),
        ),
        "hide_tallies": (
            lambda: services.set_session_option(
                actor=user, session=session, option="hide_tallies", value=post.get("on") == "1"
            ),
            _("Tally visibility switched."),
        ),
    }
    change, done = chosen(actions, post.get("action", ""))
    back = groups[0] if post.get("panel") == "group" and len(groups) == 1 else session
    return _respond(request, change, done, back=back)


def _seconds(post) -> int:
    """Minutes and seconds fields of the countdown forms, as seconds (0 if malformed: the
    service refuses it with the countdown's bounds)."""
    minutes = as_number(post.get("minutes") or "0")
    seconds = as_number(post.get("seconds") or "0")
    if minutes is None or seconds is None:
        return 0
    total = minutes * 60 + seconds  # finite numbers, whose sum may not be (1e308 minutes)
    return int(total) if math.isfinite(total) else 0
