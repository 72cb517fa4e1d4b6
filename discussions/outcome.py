"""What became of the participants' input: the session's outcome, and each one's positions.

The outcome is the session's recommendations in their order, each with the positions it was
made from, their tallies, the support of every group, and the dissent note. Three readers
tell the same trail: the public results page (views.results), a participant's own page
(views.participant.my_input) and the reports (exports), which tests/test_outcome.py checks
against each other.

Tallies count every vote on a position, and a vote counts in the voter's group (the group
they are in now, as the synthesis counts it). Only visible positions are shown as sources:
one hidden or merged after its promotion is no longer the room's to show.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch

from discussions.exports import pseudonyms
from discussions.models import (
    BreakoutGroup,
    Participant,
    Position,
    Recommendation,
    Session,
    Vote,
)
from discussions.queries import Tally

MERGE_CHAIN_LIMIT = 20  # merged into one that was merged in turn: followed this far


@dataclass(frozen=True)
class Support:
    """One group's votes on a position, or on all of a recommendation's sources."""

    group: str
    group_id: int
    tally: Tally

    @property
    def rate(self) -> float | None:
        """Agree over all votes, passes included: the synthesis's agree rate."""
        return self.tally.agree / self.tally.votes if self.tally.votes else None

    @property
    def percent(self) -> int | None:
        return None if self.rate is None else round(100 * self.rate)


@dataclass
class Source:
    """A position a recommendation was made from."""

    id: int
    text: str
    group: str
    author: str
    tally: Tally
    by_group: list[Support]


@dataclass
class Trail:
    """One recommendation and what it rests on."""

    rank: int
    id: int
    text: str
    prompt: str | None
    dissent_note: str
    sources: list[Source]
    #: Every group's votes on all the sources together, groups that did not vote included.
    by_group: list[Support]

    @property
    def dissent_lines(self) -> list[str]:
        return [line for line in self.dissent_note.splitlines() if line.strip()]


@dataclass
class Outcome:
    session: Session
    groups: list[BreakoutGroup]
    recommendations: list[Trail]

    @property
    def published(self) -> bool:
        return self.session.outcome_published_at is not None


def author_labels(session: Session) -> dict[int, str]:
    """Participant id -> how the outcome names them: the exports' pseudonym, or their own
    name for those who chose to be credited."""
    labels = pseudonyms(session, names=False)
    credited = Participant.objects.filter(session=session, credited=True)
    labels.update(credited.values_list("pk", "display_name"))
    return labels


def of_session(session: Session) -> Outcome:
    """The outcome as it stands (published or not: the organizer previews it)."""
    groups = list(session.groups.order_by("position", "pk"))
    visible = Position.objects.filter(status=Position.Status.VISIBLE).select_related("group")
    recommendations = list(
        session.recommendations.select_related("prompt__question", "prompt__section")
        .prefetch_related(Prefetch("sources", queryset=visible.order_by("pk")))
        .order_by("position", "pk")
    )
    source_ids = {p.pk for r in recommendations for p in r.sources.all()}
    counts = _counts_by_group(source_ids)
    labels = author_labels(session) if source_ids else {}
    trails = []
    for rank, recommendation in enumerate(recommendations, start=1):
        sources = [
            Source(
                id=p.pk,
                text=p.text,
                group=p.group.name,
                author=labels.get(p.author_id, ""),
                tally=_sum(counts[p.pk].values()),
                by_group=_support(groups, counts[p.pk], voted_only=True),
            )
            for p in recommendation.sources.all()
        ]
        together: dict[int, Tally] = defaultdict(lambda: Tally(0, 0, 0))
        for p in recommendation.sources.all():
            for group_id, tally in counts[p.pk].items():
                together[group_id] = _sum([together[group_id], tally])
        trails.append(
            Trail(
                rank=rank,
                id=recommendation.pk,
                text=recommendation.text,
                prompt=recommendation.prompt.heading if recommendation.prompt else None,
                dissent_note=recommendation.dissent_note,
                sources=sources,
                by_group=_support(groups, together, voted_only=False),
            )
        )
    return Outcome(session=session, groups=groups, recommendations=trails)


def _counts_by_group(position_ids: set[int]) -> dict[int, dict[int, Tally]]:
    """Position id -> {voters' group id -> their tally}, in one query."""
    counts: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    if position_ids:
        rows = (
            Vote.objects.filter(position__in=position_ids)
            .values_list("position_id", "participant__group_id", "choice")
            .annotate(n=Count("pk"))
            .order_by()
        )
        slot = {Vote.Choice.AGREE: 0, Vote.Choice.DISAGREE: 1, Vote.Choice.PASS: 2}
        for position_id, group_id, choice, n in rows:
            counts[position_id][group_id][slot[choice]] += n
    return defaultdict(
        dict,
        {
            pk: {group_id: Tally(*numbers) for group_id, numbers in by_group.items()}
            for pk, by_group in counts.items()
        },
    )


def _sum(tallies) -> Tally:
    tallies = list(tallies)
    return Tally(
        sum(t.agree for t in tallies),
        sum(t.disagree for t in tallies),
        sum(t.passed for t in tallies),
    )


def _support(groups, tallies: dict[int, Tally], *, voted_only: bool) -> list[Support]:
    empty = Tally(0, 0, 0)
    return [
        Support(group=group.name, group_id=group.pk, tally=tallies.get(group.pk, empty))
        for group in groups
        if not voted_only or group.pk in tallies
    ]


# --- One participant's positions ------------------------------------------------------------


@dataclass
class Fate:
    """What became of one position."""

    position: Position
    tally: Tally
    #: Its merge's end: the visible position it lives on in (None: not merged, or the
    #: chain ends in one hidden since).
    merged_into: Position | None = None
    recommendations: list[Trail] = field(default_factory=list)


@dataclass
class MyInput:
    participant: Participant
    fates: list[Fate]
    outcome: Outcome
    tallies_hidden: bool


def my_input(participant: Participant) -> MyInput:
    """The participant's positions, newest first, each with its fate; the recommendations
    only once the outcome is published."""
    session = participant.session
    positions = list(
        Position.objects.filter(author=participant)
        .select_related("prompt__question", "prompt__section", "merged_into")
        .order_by("-created_at", "-pk")
    )
    counts = _counts_by_group({p.pk for p in positions})
    outcome = of_session(session) if session.outcome_published_at else None
    promoted: dict[int, list[Trail]] = defaultdict(list)
    if outcome is not None:
        sources = Recommendation.sources.through.objects.filter(
            recommendation__session=session, position__in=[p.pk for p in positions]
        ).values_list("position_id", "recommendation_id")
        trails = {trail.id: trail for trail in outcome.recommendations}
        for position_id, recommendation_id in sources:
            promoted[position_id].append(trails[recommendation_id])
    fates = [
        Fate(
            position=p,
            tally=_sum(counts[p.pk].values()),
            merged_into=_merge_end(p),
            recommendations=sorted(promoted[p.pk], key=lambda t: t.rank),
        )
        for p in positions
    ]
    hidden = (
        session.hide_tallies
        and outcome is None
        and participant.group.phase != BreakoutGroup.Phase.CLOSED
    )
    return MyInput(
        participant=participant,
        fates=fates,
        outcome=outcome or Outcome(session=session, groups=[], recommendations=[]),
        tallies_hidden=hidden,
    )


def _merge_end(position: Position) -> Position | None:
    target = position.merged_into if position.status == Position.Status.MERGED else None
    for _ in range(MERGE_CHAIN_LIMIT):
        if target is None or target.status != Position.Status.MERGED:
            break
        target = target.merged_into
    return target if target is not None and target.is_visible else None
