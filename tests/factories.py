"""Small builders for the live-breakout tests, on top of the published demo paper.

Plain functions rather than factory_boy classes: every row hangs off a session that must be
created by the real service (join code, prompts, numbered groups), so a builder that calls
the service is shorter and closer to what the app does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client
from django.urls import reverse

from discussions import identity, services
from discussions.models import BreakoutGroup, Paper, Participant, Position, Session, Vote
from tests.conftest import DEMO_PAPER

AGREE, DISAGREE, PASS = Vote.Choice.AGREE, Vote.Choice.DISAGREE, Vote.Choice.PASS


def make_demo_session(name: str, *, group_count: int) -> Session:
    """A session on the demo paper, imported and published as an organizer would."""
    paper = services.import_paper(
        data=DEMO_PAPER.read_bytes(), filename=DEMO_PAPER.name, publish=True
    ).paper
    return services.create_session(paper=paper, name=name, group_count=group_count)


def make_session(paper: Paper, *, group_count: int = 2, **options) -> Session:
    return services.create_session(
        paper=paper, name=options.pop("name", "Morning"), group_count=group_count, **options
    )


def make_participant(group: BreakoutGroup, name: str = "Ada") -> Participant:
    return Participant.objects.create(session_id=group.session_id, group=group, display_name=name)


def make_position(author: Participant, text: str = "Alliances need burden sharing.", **fields):
    group = author.group
    return Position.objects.create(
        group=group, prompt_id=group.current_prompt_id, author=author, text=text, **fields
    )


def make_vote(participant: Participant, position: Position, choice: int) -> Vote:
    return Vote.objects.create(participant=participant, position=position, choice=choice)


@dataclass
class Room:
    """A session with two groups: Ada and Ben in the first, Cleo in the second."""

    session: Session
    group: BreakoutGroup
    other_group: BreakoutGroup
    ada: Participant
    ben: Participant
    cleo: Participant


def make_room(paper: Paper) -> Room:
    session = make_session(paper, group_count=2)
    group, other_group = session.groups.order_by("position")
    return Room(
        session=session,
        group=group,
        other_group=other_group,
        ada=make_participant(group, "Ada"),
        ben=make_participant(group, "Ben"),
        cleo=make_participant(other_group, "Cleo"),
    )


def client_for(participant: Participant, **options) -> Client:
    """A browser that joined as this participant (its identity cookie says so)."""
    client = Client(**options)
    client.cookies[identity.COOKIE] = participant_cookie(participant)
    return client


def participant_cookie(participant: Participant) -> str:
    """The identity cookie's value of a browser that joined as this participant."""
    return identity.signed({str(participant.session_id): participant.pk})


def join_through_the_page(client: Client, session: Session, name: str, group=None) -> Participant:
    """Join the way a browser does: POST the join form; return the participant it created."""
    data = {"display_name": name}
    if group is not None:
        data["group"] = str(group.pk)
    response = client.post(reverse("join", args=[session.code]), data)
    assert response.status_code == 302, response.content.decode()[:500]
    return Participant.objects.get(session=session, display_name=name)
