"""Session-level and group-level facilitation (Session.led_by).

A facilitator assigned some of a session's groups acts on those groups. What concerns every
group (the session's options, the plenary round, the recommendations, the whole moderation
log) is for a facilitator of the whole session: one assigned every group (or no list), or
an organizer. Every session-wide action is tried by both; every group action by the
group-level facilitator on their group and on another.
"""

import pytest
from django.test import Client
from django.urls import reverse

from discussions import services
from discussions.models import FacilitatorAssignment, Recommendation, Vote
from tests.factories import make_position, make_room, make_vote
from tests.test_abuse import snapshot

pytestmark = pytest.mark.django_db


class Setting:
    """Two groups; Fay facilitates the first, Lea the whole session."""

    def __init__(self, published_paper, django_user_model):
        self.room = room = make_room(published_paper)
        self.ours = make_position(room.ada, "Ours")
        self.theirs = make_position(room.cleo, "Theirs")
        make_vote(room.ben, self.ours, Vote.Choice.AGREE)  # a top position in each group
        make_vote(room.cleo, self.theirs, Vote.Choice.AGREE)
        self.fay = django_user_model.objects.create_user(username="fay", password="x" * 12)
        self.lea = django_user_model.objects.create_user(username="lea", password="x" * 12)
        session = room.session
        FacilitatorAssignment.objects.create(session=session, user=self.fay).groups.set(
            [room.group]
        )
        FacilitatorAssignment.objects.create(session=session, user=self.lea)  # every group
        self.recommendation = services.promote(
            actor=self.lea, session=session, position_ids=[self.theirs.pk]
        )
        services.promote(actor=self.lea, session=session, position_ids=[self.ours.pk])
        services.hide_position(actor=self.lea, position_id=self.theirs.pk, reason="Cleo's secret")
        services.restore_position(actor=self.lea, position_id=self.theirs.pk)

    def client(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def setting(published_paper, django_user_model):
    return Setting(published_paper, django_user_model)


def session_wide_actions(s: Setting) -> dict[str, tuple[str, dict]]:
    curate = reverse("facilitator:curate", args=[s.room.session.pk])
    control = reverse("facilitator:control", args=[s.room.session.pk])
    rec = str(s.recommendation.pk)
    return {
        "promote their position": (curate, {"action": "promote", "positions": s.theirs.pk}),
        "promote our position": (curate, {"action": "promote", "positions": s.ours.pk}),
        "their position to the plenary": (curate, {"action": f"plenary:{s.theirs.pk}"}),
        "our position to the plenary": (curate, {"action": f"plenary:{s.ours.pk}"}),
        "every group's top to the plenary": (curate, {"action": "plenary_top"}),
        "reword a recommendation": (
            curate,
            {"action": "edit", "recommendation": rec, "text": "Changed", "dissent_note": ""},
        ),
        "move a recommendation": (curate, {"action": "down", "recommendation": rec}),
        "remove a recommendation": (curate, {"action": "delete", "recommendation": rec}),
        "pre-moderation": (control, {"action": "premoderation", "group": "all", "on": "1"}),
        "hidden tallies": (control, {"action": "hide_tallies", "group": "all", "on": "1"}),
    }


ACTIONS = [
    "promote their position",
    "promote our position",
    "their position to the plenary",
    "our position to the plenary",
    "every group's top to the plenary",
    "reword a recommendation",
    "move a recommendation",
    "remove a recommendation",
    "pre-moderation",
    "hidden tallies",
]


@pytest.mark.parametrize("action", ACTIONS)
def test_a_session_wide_action_is_refused_to_a_facilitator_of_some_groups(setting, action):
    path, data = session_wide_actions(setting)[action]
    fay = setting.client(setting.fay)
    before = snapshot()
    answer = fay.post(path, data)
    assert answer.status_code == 403, action
    assert snapshot() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_a_session_wide_action_is_taken_by_a_facilitator_of_the_whole_session(setting, action):
    path, data = session_wide_actions(setting)[action]
    lea = setting.client(setting.lea)
    before = snapshot()
    answer = lea.post(path, data)
    assert answer.status_code in (200, 302), action
    assert snapshot() != before, f"{action} changed nothing"


def test_group_actions_are_taken_on_ones_own_group_and_refused_on_another(setting):
    fay = setting.client(setting.fay)
    control = reverse("facilitator:control", args=[setting.room.session.pk])
    own, other = setting.room.group.pk, setting.room.other_group.pk
    for group, status in [(other, 403), (own, 302)]:
        before = snapshot()
        answer = fay.post(control, {"action": "announce", "group": group, "text": "Hello"})
        assert answer.status_code == status
        assert (snapshot() != before) is (status == 302)
    for position, status in [(setting.theirs, 403), (setting.ours, 302)]:
        path = reverse("facilitator:position", args=[position.pk])
        answer = fay.post(path, {"action": "hide", "reason": "Off topic"})
        assert answer.status_code == status


@pytest.mark.parametrize("page", ["facilitator:log", "facilitator:overview"])
def test_the_moderation_log_shows_a_facilitator_of_some_groups_only_theirs(setting, page):
    url = reverse(page, args=[setting.room.session.pk])
    services.hide_position(actor=setting.fay, position_id=setting.ours.pk, reason="Our own")
    fay = setting.client(setting.fay).get(url).content.decode()
    lea = setting.client(setting.lea).get(url).content.decode()
    if page == "facilitator:log":
        assert "Cleo&#x27;s secret" in lea and "Cleo&#x27;s secret" not in fay
    assert setting.room.other_group.name in lea and setting.room.other_group.name not in fay
    assert "Our own" in fay  # her own group's entries, with their reasons


def test_the_synthesis_page_offers_recommendations_to_change_only_to_who_leads(setting):
    url = reverse("facilitator:synthesis", args=[setting.room.session.pk])
    fay = setting.client(setting.fay).get(url).content.decode()
    lea = setting.client(setting.lea).get(url).content.decode()
    assert 'name="dissent_note"' in lea and 'id="curation-only-leads"' not in lea
    assert 'name="dissent_note"' not in fay and 'id="curation-only-leads"' in fay
    assert Recommendation.objects.count() == 2
