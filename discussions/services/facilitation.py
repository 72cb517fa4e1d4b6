"""What every facilitator's write shares: the check that the actor facilitates the group, the
moderation log, and the language what is written down is in.

The writes themselves: services.moderation (positions and participants) and services.pacing
(phases, prompts, the countdown, announcements, session options). Every one takes the acting
user and checks, again, that they facilitate the group (the views check first; this keeps a
forgotten check in a view from becoming a hole). Every action is written to the moderation
log in the same transaction, and pushed to the affected rooms after the commit.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from discussions.models import (
    BreakoutGroup,
    ModerationEntry,
    Session,
)
from discussions.services.errors import ServiceError


class NotAllowed(ServiceError):
    """The actor does not facilitate what they tried to change (views answer 403)."""


def check_facilitates(actor, group: BreakoutGroup) -> None:
    if not group.facilitated_by(actor):
        raise NotAllowed(_("You do not facilitate this group."))


def written_in(session: Session) -> translation.override:
    """The language of what is written down for a session (the moderation log's details, a
    recommendation's first dissent note): the session's, as its exports are, whoever acted
    and in whatever language their page was. Use: `with written_in(session): ...`."""
    return translation.override(session.language or settings.LANGUAGE_CODE)


def log_action(actor, group: BreakoutGroup, action: str, **fields) -> ModerationEntry:
    """One line of the moderation log; `undo=` (services.undo) makes the action undoable."""
    return ModerationEntry.objects.create(
        session_id=group.session_id, group=group, actor=actor, action=action, **fields
    )
