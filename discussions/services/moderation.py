"""A facilitator's moderation: positions hidden, restored, approved, rejected, pinned or merged,
and participants moved or removed (services.facilitation says what every such write shares)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from discussions import live
from discussions.models import (
    BreakoutGroup,
    Participant,
    Position,
    Session,
    Vote,
)
from discussions.services.errors import ServiceError, clean_line
from discussions.services.facilitation import check_facilitates, log_action, written_in
from discussions.services.locks import (
    lock_groups,
    lock_participant,
    lock_positions,
    retry_on_conflict,
)

MAX_REASON = 300


def _locked_position(position_id: int) -> Position:
    """The position locked, after its group (services.locks)."""
    position = lock_positions([position_id]).get(position_id)
    if position is None:
        raise ServiceError(_("That position no longer exists."))
    return position


# --- Positions ----------------------------------------------------------------------------------


# Each review: the status a position must have, the status it gets, and what a facilitator
# reads when it has another (the log's action is the key).
_REVIEWS = {
    "hide": (
        Position.Status.VISIBLE,
        Position.Status.HIDDEN,
        gettext_lazy("Only a visible position can be hidden."),
    ),
    "restore": (
        Position.Status.HIDDEN,
        Position.Status.VISIBLE,
        gettext_lazy("Only a hidden position can be restored."),
    ),
    "approve": (
        Position.Status.PENDING,
        Position.Status.VISIBLE,
        gettext_lazy("That position is not awaiting review."),
    ),
    "reject": (
        Position.Status.PENDING,
        Position.Status.REJECTED,
        gettext_lazy("That position is not awaiting review."),
    ),
}


def _review(
    actor, position_id: int, action: str, *, reason: str | None = None, undo: dict | None = None
) -> Position:
    """What hiding, restoring, approving and rejecting share, in the caller's transaction:
    the position locked and the actor checked, the status it must have (_REVIEWS), the new
    one saved with the reason (if one is given) and logged. The caller tells the screens."""
    was, becomes, refused = _REVIEWS[action]
    position = _locked_position(position_id)
    check_facilitates(actor, position.group)
    if position.status != was:
        raise ServiceError(str(refused))
    position.status = becomes
    fields, logged = ["status"], {}
    if reason is not None:
        position.moderation_reason = reason
        fields.append("moderation_reason")
        logged["detail"] = reason
    if undo is not None:
        logged["undo"] = undo
    position.save(update_fields=fields)
    log_action(actor, position.group, action, position=position, **logged)
    return position


@retry_on_conflict
def hide_position(*, actor, position_id: int, reason: str) -> Position:
    """Take a visible position off every screen. Its votes stay, outside the tallies."""
    reason = clean_line(reason, what="reason for hiding", limit=MAX_REASON)
    with transaction.atomic():
        position = _review(actor, position_id, "hide", reason=reason, undo={})
        live.publish(position.group_id, live.position_removed(position.pk))
    return position


@retry_on_conflict
def restore_position(*, actor, position_id: int) -> Position:
    with transaction.atomic():
        position = _review(actor, position_id, "restore")
        live.publish(position.group_id, live.position_added(position.pk))
    return position


@retry_on_conflict
def approve_position(*, actor, position_id: int) -> Position:
    """Let a position that waited for review into the room."""
    with transaction.atomic():
        position = _review(actor, position_id, "approve")
        live.publish(position.group_id, live.position_added(position.pk))
        live.notify_participant(position.author_id, live.review_html(position.pk))
    return position


@retry_on_conflict
def reject_position(*, actor, position_id: int, reason: str) -> Position:
    reason = clean_line(reason, what="reason for rejecting", limit=MAX_REASON)
    with transaction.atomic():
        position = _review(actor, position_id, "reject", reason=reason)
        live.notify_console(position.group)
        live.notify_participant(position.author_id, live.review_html(position.pk))
    return position


@retry_on_conflict
def set_pinned(*, actor, position_id: int, pinned: bool) -> Position:
    """Pin a position to the top of its group's list (or unpin it)."""
    with transaction.atomic():
        position = _locked_position(position_id)
        check_facilitates(actor, position.group)
        if not position.is_visible:
            raise ServiceError(_("Only a visible position can be pinned."))
        if position.pinned == pinned:
            return position
        position.pinned = pinned
        position.save(update_fields=["pinned"])
        log_action(actor, position.group, "pin" if pinned else "unpin", position=position)
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
        check_facilitates(actor, survivor.group)
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
        log_action(
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
        check_facilitates(actor, old_group)
        if new_group is None or new_group.session_id != old_group.session_id:
            raise ServiceError(_("Choose a group of the same session."))
        check_facilitates(actor, new_group)
        if new_group.pk == old_group.pk:
            raise ServiceError(
                # Translators: a participant's name, then the name of a breakout group.
                _("%(name)s is already in %(group)s.")
                % {"name": participant.display_name, "group": new_group.name}
            )
        participant.group = new_group
        participant.save(update_fields=["group"])
        log_action(
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
        check_facilitates(actor, participant.group)
        hidden = lock_positions(theirs.values_list("pk", flat=True)) if hide_positions else {}
        for position in hidden.values():
            check_facilitates(actor, position.group)
        taken_back, voted_in = _take_back_votes(participant) if discard_votes else ({}, set())
        participant.removed_at = timezone.now()
        participant.save(update_fields=["removed_at"])
        Position.objects.filter(pk__in=hidden).update(
            status=Position.Status.HIDDEN, moderation_reason=AUTHOR_REMOVED
        )
        count = len(taken_back)
        log_action(
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
