"""Writes inside a breakout room: post a position (votes: services.votes)."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from discussions import live
from discussions.models import BreakoutGroup, Participant, Position
from discussions.services.errors import ServiceError, has_something_to_read, readable
from discussions.services.locks import lock_group, retry_on_conflict
from discussions.services.pacing import apply_due_timer


def _end_due_countdown(participant: Participant) -> None:
    """Write down a countdown that ran out, in its own transaction, before the write: the
    phase switch must stay even when the write it closes is then refused."""
    apply_due_timer(BreakoutGroup.objects.get(pk=participant.group_id))


@retry_on_conflict
def post_position(*, participant: Participant, text: str) -> Position:
    """Post a position to the participant's group, on the group's current prompt.

    Side effects: after commit, every socket of the group gets the new position; with
    pre-moderation it waits for a facilitator instead, and only its author sees it.
    """
    # Browsers submit a line break as \r\n but count it as one character against maxlength.
    text = readable(text.replace("\r\n", "\n")).strip()
    if not has_something_to_read(text):
        raise ServiceError(_("Write your position before posting it."))
    if len(text) > Position.MAX_LENGTH:
        raise ServiceError(
            ngettext(
                "Your position is %(count)s character; the limit is %(limit)s.",
                "Your position is %(count)s characters; the limit is %(limit)s.",
                len(text),
            )
            % {"count": len(text), "limit": Position.MAX_LENGTH}
        )
    _end_due_countdown(participant)
    with transaction.atomic():
        # Re-read and locked: its phase decides (a countdown that ran out a moment ago
        # counts), and its broadcast number is taken in the same transaction.
        group = lock_group(participant.group_id)
        if not group.accepts_positions:
            phase = BreakoutGroup.Phase(group.effective_phase).label
            raise ServiceError(
                # Translators: the group's phase, as the phase menu names it.
                _("The facilitator has set this group to “%(phase)s”: new positions are closed.")
                % {"phase": phase}
            )
        if group.current_prompt_id is None:
            raise ServiceError(_("This group has no prompt yet: wait for the facilitator."))
        premoderated = group.session.premoderation
        position = Position.objects.create(
            group=group,
            prompt_id=group.current_prompt_id,
            author=participant,
            text=text,
            language=translation.get_language() or "",
            status=Position.Status.PENDING if premoderated else Position.Status.VISIBLE,
        )
        if premoderated:
            live.notify_console(group)  # it waits in the facilitators' queue, unseen
        else:
            live.publish(group.pk, live.position_added(position.pk))
    return position
