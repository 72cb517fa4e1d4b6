"""Synthetic activity for the demo session: participants, positions and votes with planted
opinion groups, so the synthesis can be seen (and tested) without a live crowd.

Three planted opinion groups take stances on every statement; each participant belongs to
one, votes mostly with it, sometimes against (noise) and sometimes passes. Each breakout
group discusses its own statements; the statements each group backs most then go to the
plenary round, where every group votes on them, so cross-group consensus has something to
measure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import transaction

from discussions.models import Participant, Position, Session, Vote

# Stances of the three planted opinion groups: internationalists, sceptics, pragmatists.
# "+" agrees, "-" disagrees. The first statements of each question are shared ground.
STATEMENTS: list[list[tuple[str, str]]] = [
    [  # What contributes to current trends?
        ("+++", "Globalization left whole regions behind, and multilateralism took the blame."),
        ("+++", "Disinformation campaigns exploit divisions that were already there."),
        ("+-+", "Populist leaders profit from breaking norms that used to restrain them."),
        ("-+-", "Voters rightly see that international bodies answer to no one."),
        ("+--", "China's rise is the main reason allies now hedge their bets."),
        ("-++", "Allies have free-ridden on American security guarantees for decades."),
        ("+-+", "Wealth inequality at home erodes support for engagement abroad."),
        ("-+-", "Trade deals were sold with promises that never reached workers."),
        ("+-+", "Social media rewards outrage over cooperation."),
        ("-+-", "The liberal order was designed for a world that no longer exists."),
    ],
    [  # What does the future hold for the United States and multilateralism?
        ("+++", "Whatever happens, climate and pandemics will need shared institutions."),
        ("+-+", "NATO will survive, but only if burden sharing becomes real."),
        ("-+-", "Expect coalitions of the willing rather than standing institutions."),
        ("+--", "A rules-based order can outlast any single administration."),
        ("-+-", "The UN Security Council will keep failing until its membership changes."),
        ("++-", "Regional trade agreements will replace the WTO in practice."),
        ("+-+", "Allies will build their own capacity and keep the US close."),
        ("-++", "The US will pick issues case by case, not commit to institutions."),
        ("+-+", "Technology standards will be the next great multilateral contest."),
    ],
    [  # How might policy-makers frame an approach for the 21st century?
        ("+++", "Show voters concrete gains from cooperation, in their towns, not in GDP."),
        ("+++", "Invest in workers hurt by trade before signing the next agreement."),
        ("+-+", "Defend norms publicly, even when breaking them would be convenient."),
        ("-+-", "Join only institutions that can enforce their own rules."),
        ("+-+", "Counter gray-zone tactics together with allies, not alone."),
        ("-++", "Tie alliance commitments to clear, published spending targets."),
        ("+--", "Reform the Security Council's veto before it loses all legitimacy."),
        ("-+-", "Put national sovereignty first in every treaty negotiation."),
        ("+-+", "Build digital and cyber rules with democracies first."),
        ("++-", "Make the case for multilateralism as a bargain, not an ideal."),
    ],
]
NOISE = 0.12
PASS_RATE = 0.06
SEEN = 0.85  # share of its group's statements a participant votes on
PLENARY_PER_GROUP = 2
FIRST_NAMES = [
    "Amara", "Bruno", "Chen", "Dalia", "Emre", "Farah", "Goran", "Hana", "Ivo", "Jun",
    "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tove",
]  # fmt: skip


@dataclass(frozen=True)
class Activity:
    participants: int
    positions: int
    votes: int


def _choice(rng: random.Random, stance: str, opinion: int) -> int:
    if rng.random() < PASS_RATE:
        return Vote.Choice.PASS
    agree = stance[opinion] == "+"
    if rng.random() < NOISE:
        agree = not agree
    return Vote.Choice.AGREE if agree else Vote.Choice.DISAGREE


def fill(session: Session, n: int, *, seed: int = 0) -> Activity:
    """Add n synthetic participants to the session, with positions and planted votes.

    The same session, n and seed give the same activity. Prompts that are not the paper's
    framing questions get the statements of the question with the same index.
    """
    rng = random.Random(seed)
    groups = list(session.groups.order_by("position", "pk"))
    prompts = list(session.ordered_prompts())
    with transaction.atomic():
        start = Participant.objects.filter(session=session).count()
        people = Participant.objects.bulk_create(
            Participant(
                session=session,
                group=groups[i % len(groups)],
                display_name=f"{FIRST_NAMES[(start + i) % len(FIRST_NAMES)]} {start + i + 1}",
            )
            for i in range(n)
        )
        opinion = {p.pk: rng.randrange(3) for p in people}
        stances: dict[int, str] = {}
        positions: list[Position] = []
        for prompt_index, prompt in enumerate(prompts):
            bank = STATEMENTS[prompt_index % len(STATEMENTS)]
            for group_index, group in enumerate(groups):
                members = [p for p in people if p.group_id == group.pk]
                if not members:
                    continue
                # Each group raises a different share of the statements, in its own order.
                chosen = [s for k, s in enumerate(bank) if (k + group_index) % 3 != 2]
                for stance, text in chosen:
                    positions.append(
                        Position(group=group, prompt=prompt, author=rng.choice(members), text=text)
                    )
                    stances[len(positions) - 1] = stance
        positions = Position.objects.bulk_create(positions)
        stance = {positions[i].pk: value for i, value in stances.items()}
        votes = _votes(rng, people, positions, stance, opinion, plenary=False)
        Vote.objects.bulk_create(votes, batch_size=5000)
        plenary = _plenary(positions, votes)
        plenary_votes = _votes(rng, people, plenary, stance, opinion, plenary=True)
        Vote.objects.bulk_create(plenary_votes, batch_size=5000)
    return Activity(len(people), len(positions), len(votes) + len(plenary_votes))


def _votes(rng, people, positions, stance, opinion, *, plenary: bool) -> list[Vote]:
    votes = []
    for person in people:
        for position in positions:
            same_group = position.group_id == person.group_id
            if plenary == same_group or rng.random() > SEEN:
                # In the plenary round people vote on the other groups' positions only;
                # their own group's they have voted on already.
                continue
            choice = _choice(rng, stance[position.pk], opinion[person.pk])
            votes.append(Vote(participant=person, position=position, choice=choice))
    return votes


def _plenary(positions: list[Position], votes: list[Vote]) -> list[Position]:
    """Each group's most agreed positions of each prompt, marked for the plenary round."""
    agree: dict[int, int] = {}
    cast: dict[int, int] = {}
    for vote in votes:
        cast[vote.position_id] = cast.get(vote.position_id, 0) + 1
        agree[vote.position_id] = agree.get(vote.position_id, 0) + (vote.choice == 1)
    chosen = []
    keys = sorted({(p.group_id, p.prompt_id) for p in positions})
    for group_id, prompt_id in keys:
        mine = [p for p in positions if p.group_id == group_id and p.prompt_id == prompt_id]
        mine.sort(key=lambda p: (-(agree.get(p.pk, 0) + 1) / (cast.get(p.pk, 0) + 2), p.pk))
        chosen += mine[:PLENARY_PER_GROUP]
    Position.objects.filter(pk__in=[p.pk for p in chosen]).update(plenary=True)
    return chosen
