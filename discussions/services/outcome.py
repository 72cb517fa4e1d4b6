"""Writes that close the loop: publishing the outcome, and a participant's credit.

Publishing opens the public results page (views.results) and shows participants what became
of their positions in the recommendations (discussions.outcome). The recommendations stay
the plenary's to reorder and promote after it: the page follows them live. A participant's
choice to be credited by name is theirs until publication, and final from then on; if the
organizer withdraws the publication, it is theirs again.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from discussions import live
from discussions.models import BreakoutGroup, Participant, Session
from discussions.services.errors import ServiceError
from discussions.services.locks import lock_groups, lock_session, retry_on_conflict


@retry_on_conflict
def publish_outcome(*, session: Session) -> None:
    """Publish the session's outcome (an organizer's choice: the view checks the role)."""
    _set_published(session, published=True)


@retry_on_conflict
def withdraw_outcome(*, session: Session) -> None:
    """Take the publication back: the results page answers no more, credits reopen."""
    _set_published(session, published=False)


def _set_published(session: Session, *, published: bool) -> None:
    with transaction.atomic():
        # The session's row first (services' lock order): a credit changed at the same
        # moment waits for it, and then sees the publication.
        current = lock_session(session.pk)
        if (current.outcome_published_at is not None) == published:
            raise ServiceError(
                _("The outcome is already published.")
                if published
                else _("The outcome is not published.")
            )
        current.outcome_published_at = timezone.now() if published else None
        current.save(update_fields=["outcome_published_at"])
        session.outcome_published_at = current.outcome_published_at
        # Every room's status shows the outcome's link, as the publication stands.
        rooms = lock_groups(
            BreakoutGroup.objects.filter(session=session).values_list("pk", flat=True)
        )
        live.publish_status([room.pk for room in rooms])
        live.outcome_changed(session.pk)


@retry_on_conflict
def set_credit(*, participant: Participant, credited: bool) -> None:
    """Whether the participant is named in the published outcome (pseudonymous unless they
    choose). Refused once the outcome is published: what the public has read stays so."""
    with transaction.atomic():
        session = lock_session(participant.session_id)
        if session.outcome_published_at is not None:
            raise ServiceError(
                _("The outcome is published: how it names you can no longer change.")
            )
        Participant.objects.filter(pk=participant.pk).update(credited=credited)
        participant.credited = credited
        live.outcome_changed(session.pk)
