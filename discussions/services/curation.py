"""Writes that turn votes into an answer: recommendations and the plenary round."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from discussions import live
from discussions.models import (
    BreakoutGroup,
    ModerationEntry,
    Position,
    Recommendation,
    Session,
    Vote,
)
from discussions.services.errors import ServiceError, has_something_to_read, readable
from discussions.services.facilitation import NotAllowed, written_in
from discussions.services.locks import lock_groups, lock_session, locked, retry_on_conflict

DISSENT_QUOTES = 2


def _check_whole_session(actor, session: Session) -> None:
    """Recommendations and the plenary round concern every group: a facilitator of only
    some groups reads them, but changing them is for who leads the whole session."""
    if not session.led_by(actor):
        raise NotAllowed(_("Only a facilitator of every group can change the whole session."))


def _visible(session: Session, position_ids: list[int]) -> list[Position]:
    positions = list(
        Position.objects.filter(
            pk__in=position_ids, group__session=session, status=Position.Status.VISIBLE
        ).order_by("pk")
    )
    if not positions or len(positions) != len(set(position_ids)):
        raise ServiceError(_("Choose visible positions of this session."))
    return positions


# --- Recommendations -----------------------------------------------------------------------------


def default_dissent(sources: list[Position], session: Session | None = None) -> str:
    """Quote what the minority said: the positions the people who voted against the
    recommendation's sources agree with, verbatim, most distinctive first. Written in the
    session's language (services.facilitation.written_in), as its exports are: `session`, the
    sources' (read from them if not given).

    Distinctive: agreed by a larger share of the dissenters than of everyone else who voted
    on it, so a sentence the whole room agrees with is not passed off as dissent.
    """
    source_ids = [p.pk for p in sources]
    dissenters = (
        Vote.objects.filter(position__in=source_ids, choice=Vote.Choice.DISAGREE)
        .values_list("participant", flat=True)
        .distinct()
    )
    session = session or sources[0].group.session
    dissenter_count = dissenters.count()
    if not dissenter_count:
        with written_in(session):
            return _("Nobody voted against this recommendation's source positions.")
    dissenting = Q(votes__participant__in=dissenters)
    candidates = (
        Position.objects.filter(
            group__session=session.pk,
            prompt=sources[0].prompt_id,
            status=Position.Status.VISIBLE,
        )
        .exclude(pk__in=source_ids)
        .annotate(
            backing=Count("votes", filter=Q(votes__choice=Vote.Choice.AGREE) & dissenting),
            others_agree=Count("votes", filter=Q(votes__choice=Vote.Choice.AGREE) & ~dissenting),
            others_votes=Count("votes", filter=~dissenting),
        )
        .filter(backing__gt=0)
    )

    def lift(p: Position) -> float:
        others = p.others_agree / p.others_votes if p.others_votes else 0.0
        return p.backing / dissenter_count - others

    ranked = sorted(
        (p for p in candidates if lift(p) > 0), key=lambda p: (-lift(p), -p.backing, p.pk)
    )
    quoted = _distinct_texts(ranked, DISSENT_QUOTES)
    with written_in(session):
        lines = [
            ngettext(
                "%(count)s participant voted against.",
                "%(count)s participants voted against.",
                dissenter_count,
            )
            % {"count": dissenter_count}
        ]
        lines += [
            ngettext(
                # Translators: a position quoted in a recommendation's dissent note, then how many
                # of those who voted against the recommendation agree with it.
                "“%(text)s” (agreed by %(backing)s of %(count)s who disagreed)",
                "“%(text)s” (agreed by %(backing)s of %(count)s who disagreed)",
                dissenter_count,
            )
            % {"text": p.text, "backing": p.backing, "count": dissenter_count}
            for p in quoted
        ]
    return "\n".join(lines)


def _distinct_texts(positions, limit: int) -> list[Position]:
    """The first `limit` positions whose wording differs: the same sentence raised in two
    groups is quoted once."""
    chosen, seen = [], set()
    for position in positions[: limit * 10]:
        key = " ".join(position.text.casefold().split())
        if key not in seen:
            seen.add(key)
            chosen.append(position)
            if len(chosen) == limit:
                break
    return chosen


@retry_on_conflict
def promote(*, actor, session: Session, position_ids: list[int], text: str = "") -> Recommendation:
    """Make a recommendation from one or more positions. Its wording starts as the first
    position's text and its dissent note quotes the minority; both can be edited."""
    _check_whole_session(actor, session)
    sources = _visible(session, position_ids)
    text = text.strip() or sources[0].text
    if len(text) > Recommendation.MAX_TEXT:
        raise ServiceError(
            ngettext(
                "A recommendation is at most %(limit)s character.",
                "A recommendation is at most %(limit)s characters.",
                Recommendation.MAX_TEXT,
            )
            % {"limit": Recommendation.MAX_TEXT}
        )
    with transaction.atomic():
        lock_session(session.pk)  # two promotions at once would take the same place
        last = session.recommendations.aggregate(p=Max("position"))["p"]
        recommendation = Recommendation.objects.create(
            session=session,
            prompt_id=sources[0].prompt_id,
            position=0 if last is None else last + 1,
            text=text,
            dissent_note=default_dissent(sources, session),
            created_by=actor,
        )
        recommendation.sources.set(sources)
        live.outcome_changed(session.pk)
    return recommendation


def _recommendation(actor, recommendation_id: int) -> Recommendation:
    recommendation = (
        Recommendation.objects.select_related("session").filter(pk=recommendation_id).first()
    )
    if recommendation is None:
        raise ServiceError(_("That recommendation no longer exists."))
    _check_whole_session(actor, recommendation.session)
    return recommendation


def edit_recommendation(*, actor, recommendation_id: int, text: str, dissent_note: str) -> None:
    recommendation = _recommendation(actor, recommendation_id)
    text, dissent_note = readable(text).strip(), readable(dissent_note).strip()
    if not has_something_to_read(text):
        raise ServiceError(_("A recommendation needs wording."))
    if len(text) > Recommendation.MAX_TEXT or len(dissent_note) > 4 * Recommendation.MAX_TEXT:
        raise ServiceError(_("That is too long for a recommendation."))
    with transaction.atomic():
        Recommendation.objects.filter(pk=recommendation.pk).update(
            text=text, dissent_note=dissent_note
        )
        live.outcome_changed(recommendation.session_id)


@retry_on_conflict
def move_recommendation(*, actor, recommendation_id: int, offset: int) -> None:
    recommendation = _recommendation(actor, recommendation_id)
    if offset not in (-1, 1):
        raise ServiceError(_("A recommendation moves one place up or down."))
    with transaction.atomic():
        siblings = locked(Recommendation.objects).filter(session=recommendation.session_id)
        ordered = list(siblings.order_by("position", "pk"))
        index = [r.pk for r in ordered].index(recommendation.pk)
        other = index + offset
        if not 0 <= other < len(ordered):
            raise ServiceError(
                _("That recommendation is already at the top.")
                if offset < 0
                else _("That recommendation is already at the end.")
            )
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, item in enumerate(ordered):
            item.position = position
        Recommendation.objects.bulk_update(ordered, ["position"])
        live.outcome_changed(recommendation.session_id)


def delete_recommendation(*, actor, recommendation_id: int) -> None:
    """Remove a recommendation. The log keeps it whole, for an undo (services.undo)."""
    recommendation = _recommendation(actor, recommendation_id)
    with transaction.atomic():
        ModerationEntry.objects.create(
            session=recommendation.session,
            actor=actor,
            action="delete_recommendation",
            detail=recommendation.text[:500],
            undo={
                "prompt": recommendation.prompt_id,
                "position": recommendation.position,
                "text": recommendation.text,
                "dissent_note": recommendation.dissent_note,
                "sources": sorted(recommendation.sources.values_list("pk", flat=True)),
                "created_by": recommendation.created_by_id,
            },
        )
        recommendation.delete()
        live.outcome_changed(recommendation.session_id)


# --- Plenary round ------------------------------------------------------------------------------


def _lock_rooms(session: Session) -> list[BreakoutGroup]:
    """Every group of the session locked, before the positions a plenary change updates:
    groups before positions (services.locks), and each room's broadcast numbers are taken
    in the change's transaction."""
    return lock_groups(BreakoutGroup.objects.filter(session=session).values_list("pk", flat=True))


def _publish_plenary(rooms: list[BreakoutGroup]) -> None:
    for room in rooms:
        live.publish(room.pk, live.POSITIONS_REFRESH)


@retry_on_conflict
def take_into_plenary(*, actor, session: Session, position_ids: list[int]) -> int:
    """Put positions in front of every group of the session, for everyone to vote on."""
    _check_whole_session(actor, session)
    positions = _visible(session, position_ids)
    with transaction.atomic():
        rooms = _lock_rooms(session)
        changed = Position.objects.filter(pk__in=[p.pk for p in positions], plenary=False).update(
            plenary=True
        )
        if changed:
            _publish_plenary(rooms)
    return changed


def take_top_into_plenary(*, actor, session: Session, per_group: int = 2) -> int:
    """The positions each group backs most (smoothed agree probability, at least one vote)
    go into the plenary round."""
    _check_whole_session(actor, session)
    if not 1 <= per_group <= 10:
        raise ServiceError(_("Take between 1 and 10 positions from each group."))
    chosen: list[int] = []
    for group in session.groups.all():
        ranked = (
            Position.objects.filter(
                group=group, prompt=group.current_prompt_id, status=Position.Status.VISIBLE
            )
            .annotate(
                agree=Count("votes", filter=Q(votes__choice=Vote.Choice.AGREE)),
                cast=Count("votes"),
            )
            .filter(cast__gt=0)
        )
        best = sorted(ranked, key=lambda p: (-(p.agree + 1) / (p.cast + 2), p.pk))[:per_group]
        chosen += [p.pk for p in best]
    if not chosen:
        raise ServiceError(_("No group has voted on any position yet."))
    return take_into_plenary(actor=actor, session=session, position_ids=chosen)


@retry_on_conflict
def leave_plenary(*, actor, session: Session, position_id: int) -> None:
    _check_whole_session(actor, session)
    with transaction.atomic():
        rooms = _lock_rooms(session)
        if Position.objects.filter(pk=position_id, group__session=session).update(plenary=False):
            _publish_plenary(rooms)
