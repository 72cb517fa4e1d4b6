"""Writes a facilitator makes: moderation, phases, prompts, the countdown, announcements.

Every function takes the acting user and checks, again, that they facilitate the group (the
views check first; this keeps a forgotten check in a view from becoming a hole). Every action
is written to the moderation log in the same transaction, and pushed to the affected rooms
after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from discussions import live, queries
from discussions.models import (
    BreakoutGroup,
    ModerationEntry,
    Participant,
    Position,
    Session,
    SessionPrompt,
    Vote,
)
from discussions.services.errors import ServiceError, clean_line, readable
from discussions.services.locks import (
    lock_group,
    lock_groups,
    lock_participant,
    lock_positions,
    retry_on_conflict,
)

MAX_REASON = 300
MAX_ANNOUNCEMENT = 300
MAX_TIMER = timedelta(hours=4)


class NotAllowed(ServiceError):
    """The actor does not facilitate what they tried to change (views answer 403)."""


def _check(actor, group: BreakoutGroup) -> None:
    if not group.facilitated_by(actor):
        raise NotAllowed(_("You do not facilitate this group."))


def written_in(session: Session) -> translation.override:
    """The language of what is written down for a session (the moderation log's details, a
    recommendation's first dissent note): the session's, as its exports are, whoever acted
    and in whatever language their page was. Use: `with written_in(session): ...`."""
    return translation.override(session.language or settings.LANGUAGE_CODE)


def _log(actor, group: BreakoutGroup, action: str, **fields) -> ModerationEntry:
    """One line of the moderation log; `undo=` (services.undo) makes the action undoable."""
    return ModerationEntry.objects.create(
        session_id=group.session_id, group=group, actor=actor, action=action, **fields
    )


def _locked_position(position_id: int) -> Position:
    """The position locked, after its group (services.locks)."""
    position = lock_positions([position_id]).get(position_id)
    if position is None:
        raise ServiceError(_("That position no longer exists."))
    return position


# --- Positions ----------------------------------------------------------------------------------


def _review(
    actor,
    position_id: int,
    *,
    was: str,
    refused: str,
    becomes: str,
    action: str,
    reason: str | None = None,
    undo: dict | None = None,
) -> Position:
    """What hiding, restoring, approving and rejecting share, in the caller's transaction:
    the position locked and the actor checked, the status it must have (else `refused`),
    the new one saved with the reason (if one is given) and logged. The caller tells the
    screens."""
    position = _locked_position(position_id)
    _check(actor, position.group)
    if position.status != was:
        raise ServiceError(refused)
    position.status = becomes
    fields, logged = ["status"], {}
    if reason is not None:
        position.moderation_reason = reason
        fields.append("moderation_reason")
        logged["detail"] = reason
    if undo is not None:
        logged["undo"] = undo
    position.save(update_fields=fields)
    _log(actor, position.group, action, position=position, **logged)
    return position


@retry_on_conflict
def hide_position(*, actor, position_id: int, reason: str) -> Position:
    """Take a visible position off every screen. Its votes stay, outside the tallies."""
    reason = clean_line(reason, what="reason for hiding", limit=MAX_REASON)
    with transaction.atomic():
        position = _review(
            actor,
            position_id,
            was=Position.Status.VISIBLE,
            refused=_("Only a visible position can be hidden."),
            becomes=Position.Status.HIDDEN,
            action="hide",
            reason=reason,
            undo={},
        )
        live.publish(position.group_id, live.position_removed(position.pk))
    return position


@retry_on_conflict
def restore_position(*, actor, position_id: int) -> Position:
    with transaction.atomic():
        position = _review(
            actor,
            position_id,
            was=Position.Status.HIDDEN,
            refused=_("Only a hidden position can be restored."),
            becomes=Position.Status.VISIBLE,
            action="restore",
        )
        live.publish(position.group_id, live.position_added(position.pk))
    return position


@retry_on_conflict
def approve_position(*, actor, position_id: int) -> Position:
    """Let a position that waited for review into the room."""
    with transaction.atomic():
        position = _review(
            actor,
            position_id,
            was=Position.Status.PENDING,
            refused="That position is not awaiting review.",
            becomes=Position.Status.VISIBLE,
            action="approve",
        )
        live.publish(position.group_id, live.position_added(position.pk))
        live.notify_participant(position.author_id, live.review_html(position.pk))
    return position


@retry_on_conflict
def reject_position(*, actor, position_id: int, reason: str) -> Position:
    reason = clean_line(reason, what="reason for rejecting", limit=MAX_REASON)
    with transaction.atomic():
        position = _review(
            actor,
            position_id,
            was=Position.Status.PENDING,
            refused="That position is not awaiting review.",
            becomes=Position.Status.REJECTED,
            action="reject",
            reason=reason,
        )
        live.notify_console(position.group)
        live.notify_participant(position.author_id, live.review_html(position.pk))
    return position


@retry_on_conflict
def set_pinned(*, actor, position_id: int, pinned: bool) -> Position:
    """Pin a position to the top of its group's list (or unpin it)."""
    with transaction.atomic():
        position = _locked_position(position_id)
        _check(actor, position.group)
        if not position.is_visible:
            raise ServiceError(_("Only a visible position can be pinned."))
        if position.pinned == pinned:
            return position
        position.pinned = pinned
        position.save(update_fields=["pinned"])
        _log(actor, position.group, "pin" if pinned else "unpin", position=position)
        live.publish(position.group_id, live.pinned(position.pk))
    return position


@retry_on_conflict
def merge_positions(*, actor, survivor_id: int, absorbed_id: int) -> Position:
    """Fold a duplicate into the position that survives.

    Votes combine so that each participant keeps one: a participant who voted on both keeps
    the vote on the survivor; one who voted only on the duplicate has it moved over.
    """
    if survivor_id == absorbed_id:
        raise ServiceError(_("Choose two different positions to merge."))
    with transaction.atomic():
        locked = lock_positions([survivor_id, absorbed_id])
        if len(locked) < 2:
            raise ServiceError(_("That position no longer exists."))
        survivor, absorbed = locked[survivor_id], locked[absorbed_id]
        _check(actor, survivor.group)
        if survivor.group_id != absorbed.group_id or survivor.prompt_id != absorbed.prompt_id:
            raise ServiceError(_("Only positions of the same group and prompt can be merged."))
        if not (survivor.is_visible and absorbed.is_visible):
            raise ServiceError(_("Both positions must be visible to merge them."))
        already = set(Vote.objects.filter(position=survivor).values_list("participant", flat=True))
        # Each vote on the duplicate as it was, for an unmerge to give back (services.undo).
        votes = [
            [participant, choice, participant in already]
            for participant, choice in Vote.objects.filter(position=absorbed)
            .order_by("pk")
            .values_list("participant", "choice")
        ]
        Vote.objects.filter(position=absorbed, participant__in=already).delete()
        moved = Vote.objects.filter(position=absorbed).update(position=survivor)
        absorbed.status = Position.Status.MERGED
        absorbed.merged_into = survivor
        absorbed.save(update_fields=["status", "merged_into"])
        _log(
            actor,
            survivor.group,
            "merge",
            position=survivor,
            detail=_merged_detail(survivor.group.session, absorbed, moved),
            undo={"absorbed": absorbed.pk, "votes": votes},
        )
        live.publish(survivor.group_id, live.merged(survivor.pk, absorbed.pk))
    return survivor


def _merged_detail(session: Session, absorbed: Position, moved: int) -> str:
    """The moderation log's detail of a merge: the duplicate, and how many votes moved."""
    with written_in(session):
        return ngettext(
            # Translators: in the moderation log: a duplicate position's number and text, merged
            # into another; then how many of its votes moved over.
            "Merged #%(number)s “%(text)s” (%(moved)s vote moved)",
            "Merged #%(number)s “%(text)s” (%(moved)s votes moved)",
            moved,
        ) % {"number": absorbed.pk, "text": absorbed.text[:200], "moved": moved}


# --- Participants -------------------------------------------------------------------------------


def _locked_participant(
    participant_id: int, *, moving_to: int | None = None, groups_too: Iterable[int] = ()
) -> tuple[Participant, BreakoutGroup | None]:
    """The participant locked after their group (and the group they are moving to, if it
    exists, and `groups_too`), each group with its session (services.locks); and that
    other group."""
    current = Participant.objects.filter(pk=participant_id).values_list("group_id", flat=True)
    wanted = [*current, *filter(None, [moving_to]), *groups_too]
    groups = {g.pk: g for g in lock_groups(wanted)}
    participant = lock_participant(participant_id)
    if participant is None or participant.removed_at is not None:
        raise ServiceError(_("That participant is no longer in the session."))
    if participant.group_id not in groups:  # moved between the read and the lock
        raise ServiceError(
            _("%(name)s was just moved: reload the page.") % {"name": participant.display_name}
        )
    participant.group = groups[participant.group_id]
    return participant, groups.get(moving_to)


@retry_on_conflict
def move_participant(*, actor, participant_id: int, group_id: int) -> Participant:
    """Move a participant to another group of the session; their page follows them."""
    with transaction.atomic():
        participant, new_group = _locked_participant(participant_id, moving_to=group_id)
        old_group = participant.group
        _check(actor, old_group)
        if new_group is None or new_group.session_id != old_group.session_id:
            raise ServiceError(_("Choose a group of the same session."))
        _check(actor, new_group)
        if new_group.pk == old_group.pk:
            raise ServiceError(
                # Translators: a participant's name, then the name of a breakout group.
                _("%(name)s is already in %(group)s.")
                % {"name": participant.display_name, "group": new_group.name}
            )
        participant.group = new_group
        participant.save(update_fields=["group"])
        _log(
            actor,
            old_group,
            "move",
            participant=participant,
            detail=f"{participant.display_name}: {old_group.name} → {new_group.name}",
        )
        live.send_participant_away(participant.pk, new_group.get_absolute_url())
        live.notify_console(old_group)
        live.notify_console(new_group)
    return participant


# Kept as the reason of the positions hidden with their author, in English: undoing the
# removal finds them by it. Pages show it translated (views.facilitator).
AUTHOR_REMOVED = gettext_noop("Its author was removed from the session.")


@retry_on_conflict
def remove_participant(
    *, actor, participant_id: int, hide_positions: bool = False, discard_votes: bool = False
) -> Participant:
    """Remove a participant from the session. Their positions stay, marked as theirs, or,
    with `hide_positions`, are hidden with them (a sock puppet's, a troll's); their votes
    count on, or, with `discard_votes`, are taken back (a sock puppet's). Undoing the
    removal shows those positions again and gives the votes back."""
    theirs = Position.objects.filter(author_id=participant_id, status=Position.Status.VISIBLE)
    votes = Vote.objects.filter(participant_id=participant_id)
    with transaction.atomic():
        # The groups of their positions (they may have moved since posting) and of what
        # they voted on (the plenary round's are other groups'), before the participant,
        # then the positions: the one lock order (services).
        shown_in = theirs.values_list("group_id", flat=True) if hide_positions else []
        votes_in = votes.values_list("position__group_id", flat=True) if discard_votes else []
        participant, _moving_to = _locked_participant(
            participant_id, groups_too=[*shown_in, *votes_in]
        )
        _check(actor, participant.group)
        hidden = lock_positions(theirs.values_list("pk", flat=True)) if hide_positions else {}
        for position in hidden.values():
            _check(actor, position.group)
        taken_back, voted_in = _take_back_votes(participant) if discard_votes else ({}, set())
        participant.removed_at = timezone.now()
        participant.save(update_fields=["removed_at"])
        Position.objects.filter(pk__in=hidden).update(
            status=Position.Status.HIDDEN, moderation_reason=AUTHOR_REMOVED
        )
        count = len(taken_back)
        _log(
            actor,
            participant.group,
            "remove",
            participant=participant,
            detail=_removed_detail(participant, count if discard_votes else None),
            undo={"hidden": sorted(hidden), "votes": sorted(taken_back.items())},
        )
        live.send_participant_away(participant.pk, "/")
        changed = {participant.group_id, *(p.group_id for p in hidden.values()), *voted_in}
        for group_id in changed:
            live.publish(group_id, live.POSITIONS_REFRESH)
    return participant


def _removed_detail(participant: Participant, votes_taken_back: int | None) -> str:
    """The moderation log's detail of a removal: who, and how many votes were taken back
    with them (None: their votes count on)."""
    if votes_taken_back is None:
        return participant.display_name
    with written_in(participant.group.session):
        return ngettext(
            "%(name)s, with their %(count)s vote",
            "%(name)s, with their %(count)s votes",
            votes_taken_back,
        ) % {"name": participant.display_name, "count": votes_taken_back}


def _take_back_votes(participant: Participant) -> tuple[dict[int, int], set[int]]:
    """Delete the participant's votes, their positions locked first: {position id: choice},
    and the positions' groups.

    Each position's tally version moves on, as with any vote's change, so that a page that
    holds a newer-looking tally takes the new one."""
    positions = lock_positions(
        Vote.objects.filter(participant=participant).values_list("position_id", flat=True)
    )
    votes = Vote.objects.filter(participant=participant, position__in=positions)
    taken_back = dict(votes.values_list("position_id", "choice"))
    votes.delete()
    Position.objects.filter(pk__in=taken_back).update(tally_version=F("tally_version") + 1)
    return taken_back, {position.group_id for position in positions.values()}


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
