"""Undoing a facilitator's destructive action, for a few minutes after it
(ModerationEntry.UNDO_FOR): a hide, a merge, a participant's removal, a recommendation's
removal. The action's log entry holds what undoing it needs (its `undo` field).

An undo is a write like the others: it checks that the actor facilitates what it changes,
takes its locks in the one order (services), logs itself, and pushes to the rooms after
the commit. The entry is marked undone last, in the same transaction: two facilitators
pressing Undo at once undo once, and the second is told it was already undone.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from discussions import live
from discussions.models import ModerationEntry, Participant, Position, Recommendation, Vote
from discussions.services.curation import _check_whole_session
from discussions.services.errors import ServiceError
from discussions.services.facilitation import check_facilitates, log_action, written_in
from discussions.services.locks import (
    lock_groups,
    lock_participant,
    lock_positions,
    lock_session,
    retry_on_conflict,
)
from discussions.services.moderation import AUTHOR_REMOVED, restore_position


@retry_on_conflict
def undo_action(*, actor, entry_id: int) -> str:
    """Undo the logged action; returns what was done, for the facilitator."""
    entry = ModerationEntry.objects.select_related("group", "session").filter(pk=entry_id).first()
    if entry is None or entry.action not in UNDO:
        raise ServiceError(_("That action cannot be undone."))
    if entry.undone_at is not None:
        raise ServiceError(_("That action was already undone."))
    if not entry.can_undo:
        minutes = int(ModerationEntry.UNDO_FOR.total_seconds() // 60)
        raise ServiceError(
            ngettext(
                "Too late to undo: an action can be undone for %(minutes)s minute.",
                "Too late to undo: an action can be undone for %(minutes)s minutes.",
                minutes,
            )
            % {"minutes": minutes}
        )
    undo, done = UNDO[entry.action]
    with transaction.atomic():
        undo(actor, entry)
        marked = ModerationEntry.objects.filter(pk=entry.pk, undone_at__isnull=True).update(
            undone_at=timezone.now()
        )
        if not marked:
            raise ServiceError(_("That action was already undone."))
    return str(done)


def _unhide(actor, entry: ModerationEntry) -> None:
    if entry.position_id is None:
        raise ServiceError(_("That position no longer exists."))
    restore_position(actor=actor, position_id=entry.position_id)


def _unmerge(actor, entry: ModerationEntry) -> None:
    """The duplicate back in the room with each participant's own vote on it, as before the
    merge; a vote the merge moved onto the survivor leaves it again."""
    absorbed_id = entry.undo["absorbed"]
    locked = lock_positions([entry.position_id or 0, absorbed_id])
    absorbed = locked.get(absorbed_id)
    if absorbed is None:
        raise ServiceError(_("That position no longer exists."))
    check_facilitates(actor, absorbed.group)
    if absorbed.status != Position.Status.MERGED:
        raise ServiceError(_("That position is no longer merged."))
    votes = entry.undo["votes"]
    still_here = set(
        Participant.objects.filter(pk__in=[v[0] for v in votes]).values_list("pk", flat=True)
    )
    moved = [participant for participant, _choice, kept in votes if not kept]
    Vote.objects.filter(position_id=absorbed.merged_into_id, participant__in=moved).delete()
    Vote.objects.bulk_create(
        Vote(participant_id=participant, position=absorbed, choice=choice)
        for participant, choice, _kept in votes
        if participant in still_here
    )
    Position.objects.filter(pk__in=[absorbed.pk, absorbed.merged_into_id]).update(
        tally_version=F("tally_version") + 1
    )
    survivor_id = absorbed.merged_into_id
    absorbed.status = Position.Status.VISIBLE
    absorbed.merged_into = None
    absorbed.save(update_fields=["status", "merged_into"])
    log_action(
        actor,
        absorbed.group,
        "unmerge",
        position=absorbed,
        detail=_unmerged_detail(absorbed, survivor_id, len(votes)),
    )
    live.publish(absorbed.group_id, live.POSITIONS_REFRESH)


def _unmerged_detail(absorbed: Position, survivor_id: int, given_back: int) -> str:
    """The moderation log's detail of an unmerge."""
    with written_in(absorbed.group.session):
        return ngettext(
            # Translators: in the moderation log: a position's number, taken out of the one it
            # was merged into (its number), and how many votes it got back.
            "#%(number)s taken out of #%(survivor)s, %(count)s vote given back",
            "#%(number)s taken out of #%(survivor)s, %(count)s votes given back",
            given_back,
        ) % {"number": absorbed.pk, "survivor": survivor_id, "count": given_back}


def _reinstate(actor, entry: ModerationEntry) -> None:
    """The removed participant is a member again: their browser's page works once more, the
    positions hidden with them show again (unless hidden since for another reason), and
    the votes taken back with them count again (on the positions that are still there)."""
    if entry.participant_id is None:
        raise ServiceError(_("That participant no longer exists."))
    hidden_with_them = (entry.undo or {}).get("hidden", [])
    votes_taken = dict((entry.undo or {}).get("votes", []))
    current = list(
        Participant.objects.filter(pk=entry.participant_id).values_list("group", flat=True)
    )
    touched = Position.objects.filter(pk__in=[*hidden_with_them, *votes_taken])
    groups = lock_groups([*current, *touched.values_list("group_id", flat=True)])
    groups = [group for group in groups if group.pk in current]
    participant = lock_participant(entry.participant_id)
    if participant is None or not groups or participant.group_id != groups[0].pk:
        raise ServiceError(_("That participant no longer exists."))
    participant.group = groups[0]
    check_facilitates(actor, participant.group)
    if participant.removed_at is None:
        raise ServiceError(_("%(name)s is not removed.") % {"name": participant.display_name})
    participant.removed_at = None
    participant.save(update_fields=["removed_at"])
    positions = lock_positions([*hidden_with_them, *votes_taken])
    Position.objects.filter(
        pk__in=hidden_with_them, status=Position.Status.HIDDEN, moderation_reason=AUTHOR_REMOVED
    ).update(status=Position.Status.VISIBLE, moderation_reason="")
    # Nobody votes as a removed participant: no vote of theirs can be in the way.
    Vote.objects.bulk_create(
        Vote(participant=participant, position_id=position_id, choice=choice)
        for position_id, choice in votes_taken.items()
        if position_id in positions
    )
    Position.objects.filter(pk__in=votes_taken).update(tally_version=F("tally_version") + 1)
    log_action(
        actor,
        participant.group,
        "reinstate",
        participant=participant,
        detail=participant.display_name,
    )
    for group_id in {participant.group_id, *(p.group_id for p in positions.values())}:
        live.publish(group_id, live.POSITIONS_REFRESH)


def _undelete_recommendation(actor, entry: ModerationEntry) -> None:
    """The recommendation again, at its place in the list, with its sources."""
    _check_whole_session(actor, entry.session)
    kept = entry.undo
    lock_session(entry.session_id)  # the places in the list, as promote takes them
    later = Recommendation.objects.filter(session=entry.session, position__gte=kept["position"])
    later.update(position=F("position") + 1)
    recommendation = Recommendation.objects.create(
        session=entry.session,
        prompt_id=kept["prompt"],
        position=kept["position"],
        text=kept["text"],
        dissent_note=kept["dissent_note"],
        created_by=get_user_model().objects.filter(pk=kept["created_by"]).first(),
    )
    recommendation.sources.set(Position.objects.filter(pk__in=kept["sources"]))
    live.outcome_changed(entry.session_id)


UNDO: dict[str, tuple[Callable[[object, ModerationEntry], None], str]] = {
    "hide": (_unhide, gettext_lazy("Hiding undone: the position is back in the room.")),
    "merge": (
        _unmerge,
        gettext_lazy("Merge undone: both positions are back, each vote where it was."),
    ),
    "remove": (_reinstate, gettext_lazy("Removal undone: the participant can take part again.")),
    "delete_recommendation": (
        _undelete_recommendation,
        gettext_lazy("The recommendation is back."),
    ),
}
