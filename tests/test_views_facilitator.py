"""The facilitator console over HTTP: who may open and use it, and what each answer holds."""

import pytest
from django.urls import reverse

from discussions.models import (
    BreakoutGroup,
    FacilitatorAssignment,
    ModerationEntry,
    Position,
    Vote,
)
from tests.factories import client_for, make_position, make_session, make_vote
from tests.test_services_facilitation import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def position(room):
    return make_position(room.ada, "Keep the WTO's appellate body.")


@pytest.fixture
def facilitator_client(client, django_user_model, room):
    user = django_user_model.objects.create_user(username="fay", password="x" * 12)
    FacilitatorAssignment.objects.create(session=room.session, user=user)
    client.force_login(user)
    return client


@pytest.fixture
def stranger_client(client, django_user_model, published_paper):
    user = django_user_model.objects.create_user(username="sam", password="x" * 12)
    FacilitatorAssignment.objects.create(session=make_session(published_paper, name="B"), user=user)
    client.force_login(user)
    return client


def console_requests(room, position):
    """Every console URL, with a request that would change something if it were allowed."""
    session, group = room.session, room.group
    return [
        ("get", reverse("facilitator:overview", args=[session.pk]), {}),
        ("get", reverse("facilitator:log", args=[session.pk]), {}),
        ("get", reverse("facilitator:group", args=[group.pk]), {}),
        ("get", reverse("facilitator:group_panel", args=[group.pk]), {}),
        ("get", reverse("facilitator:group_row", args=[group.pk]), {}),
        (
            "post",
            reverse("facilitator:position", args=[position.pk]),
            {"action": "hide", "reason": "x"},
        ),
        (
            "post",
            reverse("facilitator:participant", args=[room.ada.pk]),
            {"action": "remove"},
        ),
        (
            "post",
            reverse("facilitator:control", args=[session.pk]),
            {"action": "phase", "phase": "closed", "group": "all"},
        ),
        (
            "post",
            reverse("facilitator:control", args=[session.pk]),
            {"action": "announce", "text": "Hi", "group": str(group.pk)},
        ),
    ]


def test_console_refuses_a_facilitator_of_another_session_and_changes_nothing(
    stranger_client, room, position
):
    before = snapshot()
    for method, url, data in console_requests(room, position):
        response = getattr(stranger_client, method)(url, data)
        assert response.status_code == 403, url
    assert snapshot() == before


def test_console_refuses_a_participant_and_changes_nothing(room, position):
    participant = client_for(room.ada)
    before = snapshot()
    for method, url, data in console_requests(room, position):
        response = getattr(participant, method)(url, data)
        assert response.status_code == 403, url
    assert snapshot() == before


def test_console_sends_an_anonymous_visitor_to_log_in(client, room, position):
    for method, url, data in console_requests(room, position):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_a_facilitator_of_some_groups_sees_and_acts_on_those_only(
    client, django_user_model, room, position
):
    user = django_user_model.objects.create_user(username="gia", password="x" * 12)
    FacilitatorAssignment.objects.create(session=room.session, user=user).groups.set(
        [room.other_group]
    )
    client.force_login(user)
    page = client.get(reverse("facilitator:overview", args=[room.session.pk])).content.decode()
    assert room.other_group.name in page
    assert f'id="row-{room.group.pk}"' not in page
    assert "All groups at once" not in page
    assert client.get(reverse("facilitator:group", args=[room.group.pk])).status_code == 403
    response = client.post(
        reverse("facilitator:control", args=[room.session.pk]),
        {"action": "phase", "phase": "closed", "group": str(room.group.pk)},
    )
    assert response.status_code == 403
    # "all" means all of *their* groups.
    client.post(
        reverse("facilitator:control", args=[room.session.pk]),
        {"action": "phase", "phase": "closed", "group": "all"},
    )
    phases = dict(BreakoutGroup.objects.values_list("pk", "phase"))
    assert phases == {room.group.pk: "collecting", room.other_group.pk: "closed"}


def test_overview_shows_each_group_with_its_figures(facilitator_client, room, position):
    page = facilitator_client.get(
        reverse("facilitator:overview", args=[room.session.pk])
    ).content.decode()
    assert f'id="row-{room.group.pk}"' in page
    assert f'id="row-{room.other_group.pk}"' in page
    assert "Quiet" in page  # the second group has had no activity


def test_hide_from_the_group_view_with_htmx_answers_with_the_panel(
    facilitator_client, room, position
):
    response = facilitator_client.post(
        reverse("facilitator:position", args=[position.pk]),
        {"action": "hide", "reason": "Duplicate", "panel": "group"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="panel"')
    assert "Position hidden from participants." in body
    assert "Hidden and rejected (1)" in body
    position.refresh_from_db()
    assert position.status == "hidden"


def test_a_refused_action_says_why_with_422_and_changes_nothing(facilitator_client, room, position):
    before = snapshot()
    response = facilitator_client.post(
        reverse("facilitator:position", args=[position.pk]),
        {"action": "hide", "reason": "   ", "panel": "group"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "reason for hiding cannot be empty" in response.content.decode()
    assert snapshot() == before


def test_unknown_action_is_refused(facilitator_client, room, position):
    response = facilitator_client.post(
        reverse("facilitator:position", args=[position.pk]),
        {"action": "explode"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert Position.objects.get(pk=position.pk).status == "visible"


def test_control_without_javascript_redirects_back_to_the_console(facilitator_client, room):
    response = facilitator_client.post(
        reverse("facilitator:control", args=[room.session.pk]),
        {"action": "timer_start", "minutes": "2", "then": "voting", "group": "all"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == room.session.get_facilitator_url()
    assert "Countdown started." in response.content.decode()
    assert all(g.timer_running for g in BreakoutGroup.objects.all())


def test_malformed_countdown_minutes_are_refused(facilitator_client, room):
    response = facilitator_client.post(
        reverse("facilitator:control", args=[room.session.pk]),
        {"action": "timer_start", "minutes": "soon", "group": "all"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert not any(g.timer_running for g in BreakoutGroup.objects.all())


def test_moderation_log_lists_actions_for_facilitators_and_organizers(
    facilitator_client, room, position
):
    facilitator_client.post(reverse("facilitator:position", args=[position.pk]), {"action": "pin"})
    page = facilitator_client.get(
        reverse("facilitator:log", args=[room.session.pk])
    ).content.decode()
    assert "pin" in page
    assert "fay" in page
    assert ModerationEntry.objects.count() == 1


def test_projector_pages_need_the_screen_link_and_show_no_controls(client, room, position):
    token = room.session.screen_token
    group_page = client.get(reverse("screen_group", args=[token, room.group.pk]))
    assert group_page.status_code == 200
    body = group_page.content.decode()
    assert position.text.replace("'", "&#x27;") in body
    assert room.session.code in body
    assert "<form" not in body
    assert client.get(reverse("screen_session", args=[token])).status_code == 200
    assert client.get(reverse("screen_session", args=["wrong-token"])).status_code == 404
    # A group of another session is not reachable with this session's link.
    other = make_session(room.session.paper, name="Other").groups.first()
    assert client.get(reverse("screen_group", args=[token, other.pk])).status_code == 404


def test_a_hide_offers_its_undo_in_its_notice_and_the_undo_answers_with_the_panel(
    facilitator_client, room, position
):
    hidden = facilitator_client.post(
        reverse("facilitator:position", args=[position.pk]),
        {"action": "hide", "reason": "Duplicate", "panel": "group"},
        headers={"HX-Request": "true"},
    ).content.decode()
    entry = ModerationEntry.objects.get(action="hide")
    assert f'id="undo-now-{entry.pk}"' in hidden  # in the notice
    assert f'id="undo-{entry.pk}"' in hidden  # in the group's log

    response = facilitator_client.post(
        reverse("facilitator:undo", args=[entry.pk]),
        {"panel": "group"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Hiding undone: the position is back in the room." in body
    assert f'id="undo-{entry.pk}"' not in body
    position.refresh_from_db()
    assert position.status == "visible"

    again = facilitator_client.post(
        reverse("facilitator:undo", args=[entry.pk]),
        {"panel": "group"},
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 422
    assert "already undone" in again.content.decode()


def test_undo_refuses_whoever_does_not_facilitate_the_group(
    client, stranger_client, room, position
):
    position.status = "hidden"
    position.save()
    entry = ModerationEntry.objects.create(
        session=room.session, group=room.group, action="hide", position=position, undo={}
    )
    url = reverse("facilitator:undo", args=[entry.pk])
    assert stranger_client.post(url, {"panel": "group"}).status_code == 403
    assert client_for(room.ada).post(url, {"panel": "group"}).status_code == 403
    stranger_client.logout()
    assert client.post(url).status_code == 302
    entry.refresh_from_db()
    position.refresh_from_db()
    assert (entry.undone_at, position.status) == (None, "hidden")


def test_a_login_without_a_destination_lands_each_role_where_it_works(
    client, django_user_model, room
):
    """A facilitator who is not staff landed on the organizer's pages, which refused them."""
    django_user_model.objects.create_user(username="fay", password="x" * 12)
    django_user_model.objects.create_user(username="olga", password="x" * 12, is_staff=True)
    for username, lands in [("fay", "facilitator:home"), ("olga", "organizer:home")]:
        response = client.post(
            reverse("login"), {"username": username, "password": "x" * 12}, follow=True
        )
        assert response.redirect_chain[-1][0] == reverse(lands), username
        assert response.status_code == 200
        page = response.content.decode()
        assert f'href="{reverse("facilitator:home")}">Facilitate</a>' in page
        assert (f'href="{reverse("organizer:home")}">Organizer</a>' in page) == (username == "olga")
        client.logout()


def test_a_refusal_says_why_and_where_to_go(stranger_client, room):
    response = stranger_client.get(reverse("facilitator:group", args=[room.group.pk]))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You do not facilitate this group." in page
    assert f'href="{reverse("facilitator:home")}"' in page
    assert f'href="{reverse("join_start")}"' in page


def test_the_group_page_removes_a_participant_with_their_votes(facilitator_client, room, position):
    make_vote(room.ben, position, 1)
    page = facilitator_client.get(reverse("facilitator:group", args=[room.group.pk]))
    content = page.content.decode()
    assert f'id="remove-{room.ben.pk}-votes">' in content  # Ben voted: offered
    assert f'id="remove-{room.ada.pk}-votes" disabled>' in content  # Ada did not
    answer = facilitator_client.post(
        reverse("facilitator:participant", args=[room.ben.pk]),
        {"action": "remove", "discard_votes": "1"},
        follow=True,
    )
    assert "Ben removed; their positions stay and their votes are taken back." in (
        answer.content.decode()
    )
    assert not Vote.objects.filter(participant=room.ben).exists()
