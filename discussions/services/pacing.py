"""A group's pace, set by its facilitators: phases, prompts, the shared countdown, announcements
and the session's options (services.facilitation says what every such write shares)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from discussions import live, queries
from discussions.models import (
    BreakoutGroup,
    ModerationEntry,
    Session,
    SessionPrompt,
)
from discussions.services.errors import ServiceError, readable
from discussions.services.facilitation import NotAllowed, written_in
from discussions.services.locks import (
    lock_group,
    lock_groups,
    retry_on_conflict,
)

MAX_ANNOUNCEMENT = 300
MAX_TIMER = timedelta(hours=4)


# --- Phases, prompts, countdown, announcements ------------------------------------------------


def _groups_for(actor, groups: Iterable[BreakoutGroup]) -> list[BreakoutGroup]:
    """The groups, checked (one query per session, not per group: an action on every group
    of a session names a hundred), then locked (in id order: services.locks)."""
    groups = list(groups)
    if not groups:
        raise ServiceError(_("Choose at least one group."))
    for session in Session.objects.filter(pk__in={g.session_id for g in groups}):
        allowed = set(session.groups_facilitated_by(actor).values_list("pk", flat=True))
        if any(g.pk not in allowed for g in groups if g.session_id == session.pk):
            raise NotAllowed(_("You do not facilitate this group."))
    return lock_groups(group.pk for group in groups)


def _save_and_log(actor, groups: list[BreakoutGroup], fields: list[str], action: str, detail):
    """Write the groups' changed fields and a log entry each (`detail(group)`): two
    statements for any number of groups. The caller pushes their new status."""
    BreakoutGroup.objects.bulk_update(groups, fields)
    ModerationEntry.objects.bulk_create(
        ModerationEntry(
            session_id=group.session_id, group=group, actor=actor, action=action,
            detail=_detail_of(group, detail),
        )
        for group in groups
    )  # fmt: skip


def _detail_of(group: BreakoutGroup, detail) -> str:
    with written_in(group.session):
        return str(detail(group))


@retry_on_conflict
def set_phase(*, actor, groups: Iterable[BreakoutGroup], phase: str) -> None:
    if phase not in BreakoutGroup.Phase.values:
        raise ServiceError(_("A phase is collecting, voting or closed."))
    with transaction.atomic():
        changed = [group for group in _groups_for(actor, groups) if group.phase != phase]
        tallies_flip = {group.pk for group in changed if _tallies_flip(group, phase)}
        for group in changed:
            group.phase = phase
        _save_and_log(actor, changed, ["phase"], "phase", lambda g: g.get_phase_display())
        # The broadcast carries the phase. Only where tallies show or hide with it (a session
        # that hides them until voting closes) does every page re-fetch its list as well.
        live.publish_status([group.pk for group in changed if group.pk not in tallies_flip])
        live.publish_status(tallies_flip, positions_too=True)


def _tallies_flip(group: BreakoutGroup, phase: str) -> bool:
    """Whether the group's tallies show or hide when it moves to `phase` (a session that
    hides them until voting closes): then every page must re-fetch its list."""
    return queries.tallies_hidden(group) != queries.hidden_by(group.session.hide_tallies, phase)


@retry_on_conflict
def advance_prompt(*, actor, groups: Iterable[BreakoutGroup]) -> None:
    """Move each group to the session's next prompt, collecting positions again."""
    with transaction.atomic():
        locked = _groups_for(actor, groups)
        orders: dict[int, list[int]] = {}
        for group in locked:
            if group.session_id not in orders:
                orders[group.session_id] = list(
                    SessionPrompt.objects.filter(session=group.session_id)
                    .order_by("position")
                    .values_list("prompt_id", flat=True)
                )
            order = orders[group.session_id]
            index = order.index(group.current_prompt_id) if group.current_prompt_id in order else -1
            if index + 1 >= len(order):
                raise ServiceError(
                    _("%(group)s is already on the last prompt.") % {"group": group.name}
                )
            group.current_prompt_id = order[index + 1]
            group.phase = BreakoutGroup.Phase.COLLECTING

        def detail(group: BreakoutGroup) -> str:
            order = orders[group.session_id]
            # Translators: in the moderation log: the prompt a group moved to, of how many.
            return _("Prompt %(number)s of %(count)s") % {
                "number": order.index(group.current_prompt_id) + 1,
                "count": len(order),
            }

        _save_and_log(actor, locked, ["current_prompt", "phase"], "next prompt", detail)
        live.publish_status([group.pk for group in locked], positions_too=True)


TIMER_FIELDS = ["timer_ends_at", "timer_paused_remaining", "timer_then_phase"]


def _change_timers(actor, groups, action: str, change, detail: str = "") -> None:
    """Apply `change(group)` to each group's countdown; where it returns True (something
    changed), save, log and push the new countdown to the room."""
    with transaction.atomic():
        changed = [group for group in _groups_for(actor, groups) if change(group)]
        _save_and_log(actor, changed, TIMER_FIELDS, action, lambda group: detail)
        live.publish_status([group.pk for group in changed])


def _check_seconds(seconds: int, message: str) -> None:
    if not 1 <= seconds <= MAX_TIMER.total_seconds():
        raise ServiceError(message)


@retry_on_conflict
def start_timer(
    *, actor, groups: Iterable[BreakoutGroup], seconds: int, then_phase: str = ""
) -> None:
    """Start (or restart) the countdown; when it ends the groups may switch phase by itself."""
    _check_seconds(seconds, _("A countdown runs from 1 second to 4 hours."))
    if then_phase and then_phase not in BreakoutGroup.Phase.values:
        raise ServiceError(_("Choose what happens when the countdown ends."))
    ends_at = timezone.now() + timedelta(seconds=seconds)

    def start(group: BreakoutGroup) -> bool:
        group.timer_ends_at, group.timer_paused_remaining = ends_at, None
        group.timer_then_phase = then_phase
        return True

    _change_timers(actor, groups, "timer start", start, detail=_minutes(seconds))


@retry_on_conflict
def pause_timer(*, actor, groups: Iterable[BreakoutGroup]) -> None:
    now = timezone.now()

    def pause(group: BreakoutGroup) -> bool:
        if not group.timer_running:
            return False
        group.timer_paused_remaining, group.timer_ends_at = group.timer_remaining(now), None
        return True

    _change_timers(actor, groups, "timer pause", pause)


@retry_on_conflict
def resume_timer(*, actor, groups: Iterable[BreakoutGroup]) -> None:
    now = timezone.now()

    def resume(group: BreakoutGroup) -> bool:
        if group.timer_running or group.timer_paused_remaining is None:
            return False
        group.timer_ends_at = now + group.timer_paused_remaining
        group.timer_paused_remaining = None
        return True

    _change_timers(actor, groups, "timer resume", resume)


@retry_on_conflict
def extend_timer(*, actor, groups: Iterable[BreakoutGroup], seconds: int) -> None:
    _check_seconds(seconds, _("Extend by 1 second to 4 hours."))
    now, extra = timezone.now(), timedelta(seconds=seconds)

    def extend(group: BreakoutGroup) -> bool:
        if group.timer_running:
            group.timer_ends_at = max(group.timer_ends_at, now) + extra
        elif group.timer_paused_remaining is not None:
            group.timer_paused_remaining += extra
        else:
            return False
        return True

    _change_timers(actor, groups, "timer extend", extend, detail=_minutes(seconds))


@retry_on_conflict
def stop_timer(*, actor, groups: Iterable[BreakoutGroup]) -> None:
    def stop(group: BreakoutGroup) -> bool:
        if not group.timer_running and group.timer_paused_remaining is None:
            return False
        group.timer_ends_at = group.timer_paused_remaining = None
        group.timer_then_phase = ""
        return True

    _change_timers(actor, groups, "timer stop", stop)


@retry_on_conflict
def apply_due_timer(group: BreakoutGroup) -> BreakoutGroup:
    """If the group's countdown has run out, end it (and switch phase, if one was chosen).

    Called wherever the group is read or written: there is no background worker, and the
    first request after the end (every page asks when its countdown reaches zero) applies it.
    Call inside a transaction with the group locked, or with a fresh group outside one.
    """
    if not group.timer_due():
        return group
    with transaction.atomic():
        group = lock_group(group.pk)
        if not group.timer_due():
            return group
        then = group.timer_then_phase
        tallies_flip = bool(then) and _tallies_flip(group, then)
        group.timer_ends_at = None
        group.timer_paused_remaining = None
        group.timer_then_phase = ""
        fields = ["timer_ends_at", "timer_paused_remaining", "timer_then_phase"]
        if then and then != group.phase:
            group.phase = then
            fields.append("phase")
        group.save(update_fields=fields)
        with written_in(group.session):
            # Translators: in the moderation log: the phase a countdown switched a group to.
            detail = _("Phase: %(phase)s") % {"phase": group.get_phase_display()} if then else ""
        ModerationEntry.objects.create(
            session_id=group.session_id, group=group, action="timer end", detail=detail
        )
        live.publish_status([group.pk], positions_too=tallies_flip)
    return group


@retry_on_conflict
def announce(*, actor, groups: Iterable[BreakoutGroup], text: str) -> None:
    """Show a short announcement in the groups' rooms (empty text clears it)."""
    text = " ".join(readable(text).split())
    if len(text) > MAX_ANNOUNCEMENT:
        raise ServiceError(
            ngettext(
                "An announcement is at most %(limit)s character.",
                "An announcement is at most %(limit)s characters.",
                MAX_ANNOUNCEMENT,
            )
            % {"limit": MAX_ANNOUNCEMENT}
        )
    now = timezone.now()
    with transaction.atomic():
        locked = _groups_for(actor, groups)
        for group in locked:
            group.announcement = text
            group.announced_at = now if text else None
        action = "announce" if text else "clear announcement"
        _save_and_log(actor, locked, ["announcement", "announced_at"], action, lambda g: text)
        live.publish_status([group.pk for group in locked])


@retry_on_conflict
def set_session_option(*, actor, session: Session, option: str, value: bool) -> None:
    """Switch pre-moderation or hidden tallies for the whole session."""
    if option not in ("premoderation", "hide_tallies"):
        raise ServiceError(_("Unknown session option."))
    if not session.led_by(actor):
        raise NotAllowed(_("Only a facilitator of every group can change the whole session."))
    with transaction.atomic():
        Session.objects.filter(pk=session.pk).update(**{option: value})
        with written_in(session):
            detail = _option_switched(option, value)
        ModerationEntry.objects.create(session=session, actor=actor, action="option", detail=detail)
        rooms = lock_groups(session.groups.values_list("pk", flat=True))  # after the session
        live.publish_status([room.pk for room in rooms], positions_too=True)


def _option_switched(option: str, value: bool) -> str:
    """The moderation log's detail of a session option switched on or off."""
    return {
        ("premoderation", True): _("pre-moderation on"),
        ("premoderation", False): _("pre-moderation off"),
        ("hide_tallies", True): _("hidden tallies on"),
        ("hide_tallies", False): _("hidden tallies off"),
    }[option, value]


def _minutes(seconds: int) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"
