import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussions import identity, services
from discussions.models import BreakoutGroup, Participant, Position, Session, Vote
from tests.factories import (
    AGREE,
    DISAGREE,
    client_for,
    join_through_the_page,
    make_participant,
    make_position,
    make_room,
    make_vote,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def room(published_paper):
    room = make_room(published_paper)
    Session.objects.filter(pk=room.session.pk).update(code="NJQUWJ")
    room.session.refresh_from_db()
    return room


@pytest.fixture
def position(room):
    return make_position(room.ben, "Alliances need burden sharing.")


@pytest.fixture
def ada(room):
    return client_for(room.ada)


def page(response) -> str:
    return response.content.decode()


def ids_in_order(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<li id="position-(\d+)"', html)]


def snapshot():
    """Everything a room write could change."""
    return (
        list(Position.objects.order_by("pk").values_list("pk", "text", "status")),
        list(Vote.objects.order_by("pk").values_list("pk", "choice")),
        list(BreakoutGroup.objects.order_by("pk").values_list("pk", "broadcast_seq")),
    )


# --- Joining ----------------------------------------------------------------------------------


def test_join_start_shows_the_code_form(client):
    response = client.get(reverse("join_start"))
    assert response.status_code == 200
    assert 'name="code"' in page(response)


@pytest.mark.parametrize("typed", ["njq uwj", "NJQ-UWJ", "NJQUWJ"])
def test_join_start_sends_a_typed_code_to_its_join_page(client, room, typed):
    response = client.get(reverse("join_start"), {"code": typed})
    assert response.status_code == 302
    # By the join link, with its key (tests/test_ratelimit.py: it outlasts the rate limit).
    assert response["Location"].startswith("/join/NJQUWJ/?key=")


def test_join_page_with_an_untidy_code_redirects_to_the_tidy_one(client, room):
    response = client.get("/join/njq-uwj/")
    assert response.status_code == 302
    assert response["Location"].startswith("/join/NJQUWJ/?key=")


def test_join_creates_a_participant_in_the_chosen_group_and_opens_the_room(client, room):
    response = client.get("/join/NJQUWJ/")
    assert response.status_code == 200
    assert f'value="{room.other_group.pk}"' in page(response)
    response = client.post(
        "/join/NJQUWJ/", {"display_name": "  Dora  ", "group": str(room.other_group.pk)}
    )
    dora = Participant.objects.get(display_name="Dora")
    assert (dora.session, dora.group) == (room.session, room.other_group)
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.other_group.pk}/"
    room_page = client.get(response["Location"])
    assert room_page.status_code == 200
    assert "you are <strong><bdi>Dora</bdi></strong>" in page(room_page)


def group_reads(captured) -> list[str]:
    table = BreakoutGroup._meta.db_table
    return [q["sql"] for q in captured.captured_queries if f'FROM "{table}"' in q["sql"]]


def test_the_join_form_counts_the_groups_once_a_second_for_everyone_arriving(client, room):
    """In the opening rush every arrival loads the join form: with a hundred groups, counting
    their members and listing them was most of the page's cost, the same for everyone."""
    Participant.objects.create(session=room.session, group=room.group, display_name="Dora")
    with CaptureQueriesContext(connection) as first:
        response = Client().get("/join/NJQUWJ/")
    assert f'value="{room.group.pk}"' in page(response) and "(3 joined)" in page(response)
    assert len(group_reads(first)) == 1
    with CaptureQueriesContext(connection) as second:
        response = Client().get("/join/NJQUWJ/")
    assert "(3 joined)" in page(response)
    assert group_reads(second) == []
    Session.objects.filter(pk=room.session.pk).update(assignment=Session.Assignment.AUTO)
    cache.clear()
    with CaptureQueriesContext(connection) as placed:
        response = Client().get("/join/NJQUWJ/")
    assert "placed in the group with the most room" in page(response)
    assert group_reads(placed) == []


def test_a_full_group_is_shown_full_and_the_join_refused_whatever_the_form_showed(client, room):
    Session.objects.filter(pk=room.session.pk).update(group_capacity=2)
    response = client.get("/join/NJQUWJ/")
    assert re.search(rf'id="group-{room.group.pk}"[^>]*disabled', page(response))
    assert "(2 joined of 2, full)" in page(response)
    response = client.post("/join/NJQUWJ/", {"display_name": "Dora", "group": room.group.pk})
    assert response.status_code == 400 and "full: choose another group" in page(response)
    assert not Participant.objects.filter(display_name="Dora").exists()


def test_join_again_in_the_same_browser_goes_straight_back_to_the_room(client, room):
    dora = join_through_the_page(client, room.session, "Dora", room.group)
    for response in (client.get("/join/NJQUWJ/"), client.post("/join/NJQUWJ/", {})):
        assert response.status_code == 302
        assert response["Location"] == f"/rooms/{room.group.pk}/"
    assert Participant.objects.filter(display_name="Dora").count() == 1
    # The same cookie in another tab (or after the laptop slept) is the same participant.
    second_tab = Client()
    second_tab.cookies[identity.COOKIE] = client.cookies[identity.COOKIE].value
    second_tab.post(reverse("post_position", args=[room.group.pk]), {"text": "From tab two"})
    assert Position.objects.get(text="From tab two").author == dora


def test_join_again_after_joining_closed_still_goes_back_to_the_room(client, room):
    join_through_the_page(client, room.session, "Dora", room.group)
    services.set_joining_open(session=room.session, is_open=False)
    for url in ("/join/NJQUWJ/", "/join/njq-uwj/", "/join/?code=njq+uwj"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] in (f"/rooms/{room.group.pk}/", "/join/NJQUWJ/"), url
        assert client.get(url, follow=True).request["PATH_INFO"] == f"/rooms/{room.group.pk}/"
    # A new browser is still turned away.
    assert Client().get("/join/NJQUWJ/").status_code == 404


def test_join_with_unknown_expired_or_closed_codes_says_why_in_one_line_with_404(client, room):
    def error_of(response) -> str:
        assert response.status_code == 404
        pattern = r'<p id="code-error" class="error" role="alert">(.*?)</p>'
        (message,) = re.findall(pattern, page(response))
        return message

    assert "No session has the code ACDEFG" in error_of(client.get("/join/?code=acdefg"))
    assert "No session has the code ACDEFG" in error_of(client.get("/join/ACDEFG/"))
    assert "is not a join code" in error_of(client.get("/join/?code=%3Cb%3Ehi"))
    room.session.join_expires_at = timezone.now() - timedelta(minutes=1)
    room.session.save()
    assert "no longer open for joining" in error_of(client.get("/join/NJQUWJ/"))
    refused = client.post("/join/NJQUWJ/", {"display_name": "Eve"})
    assert "no longer open for joining" in error_of(refused)
    assert not Participant.objects.filter(display_name="Eve").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"display_name": "   ", "group": "{group}"}, "The display name cannot be empty."),
        ({"display_name": "x" * 41, "group": "{group}"}, "the limit is 40"),
        ({"display_name": "Eve"}, "Choose one of this session&#x27;s groups."),
        ({"display_name": "Eve", "group": "abc"}, "Choose one of this session&#x27;s groups."),
        ({"display_name": "Eve", "group": "²"}, "Choose one of this session&#x27;s groups."),
        ({"display_name": "Eve", "group": "9" * 5000}, "Choose one of this session&#x27;s groups."),
    ],
)
def test_join_with_bad_input_answers_400_with_the_message_and_creates_no_one(
    client, room, data, message
):
    data = {key: value.format(group=room.group.pk) for key, value in data.items()}
    before = Participant.objects.count()
    response = client.post("/join/NJQUWJ/", data)
    assert response.status_code == 400
    assert message in page(response)
    assert Participant.objects.count() == before


def test_join_qr_is_an_svg_of_the_join_link_for_a_real_code_only(client, room):
    response = client.get("/join/NJQUWJ/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
    assert b"Join NJQUWJ" in response.content
    assert client.get("/join/ACDEFG/qr.svg").status_code == 404
    assert client.get("/join/njquwj/qr.svg").status_code == 404


# --- Who may do what in a room ----------------------------------------------------------------


def room_calls(group: BreakoutGroup, position: Position) -> list[tuple[str, str, dict]]:
    return [
        ("get", reverse("room", args=[group.pk]), {}),
        ("get", reverse("room_positions", args=[group.pk]), {}),
        ("get", reverse("room_status", args=[group.pk]), {}),
        ("post", reverse("post_position", args=[group.pk]), {"text": "Sneaking in"}),
        ("post", reverse("vote", args=[group.pk, position.pk]), {"choice": "agree"}),
    ]


def test_every_room_url_refuses_a_participant_of_another_group_and_changes_nothing(room, position):
    cleo = client_for(room.cleo)
    before = snapshot()
    for method, url, data in room_calls(room.group, position):
        for headers in ({}, HTMX):
            response = getattr(cleo, method)(url, data, **headers)
            assert response.status_code == 403, url
            assert "Sneaking in" not in page(response)
    assert snapshot() == before


def test_every_room_url_refuses_an_anonymous_caller_the_room_page_sends_to_join(
    client, room, position
):
    before = snapshot()
    for method, url, data in room_calls(room.group, position):
        response = getattr(client, method)(url, data)
        if url == reverse("room", args=[room.group.pk]):
            assert response.status_code == 302
            assert response["Location"] == "/join/"  # asks for the code: never tells it
        else:
            assert response.status_code == 403, url
    assert snapshot() == before


def test_every_room_url_of_a_missing_group_is_404(ada, room, position):
    missing = BreakoutGroup(pk=10**9)
    for method, url, data in room_calls(missing, position):
        assert getattr(ada, method)(url, data).status_code == 404, url


def test_a_member_moved_to_another_group_loses_the_old_room_at_once(ada, room, position):
    assert ada.get(reverse("room_positions", args=[room.group.pk])).status_code == 200
    Participant.objects.filter(pk=room.ada.pk).update(group=room.other_group)
    assert ada.get(reverse("room_positions", args=[room.group.pk])).status_code == 403
    assert ada.get(reverse("room_positions", args=[room.other_group.pk])).status_code == 200


def test_member_sees_the_room_with_the_prompt_and_fragments(ada, room, position):
    response = ada.get(reverse("room", args=[room.group.pk]))
    assert response.status_code == 200
    html = page(response)
    assert "What contributes to current trends?" in html
    assert f'ws-connect="/ws/rooms/{room.group.pk}/"' in html
    assert ids_in_order(html) == [position.pk]
    status = ada.get(reverse("room_status", args=[room.group.pk]), **HTMX)
    assert status.status_code == 200
    assert 'id="room-status"' in page(status)
    assert "<html" not in page(status)
    positions = ada.get(reverse("room_positions", args=[room.group.pk]), **HTMX)
    assert ids_in_order(page(positions)) == [position.pk]
    assert "<html" not in page(positions)


def test_writes_need_the_csrf_token_the_page_hands_to_htmx(room, position):
    browser = client_for(room.ada, enforce_csrf_checks=True)
    html = page(browser.get(reverse("room", args=[room.group.pk])))
    (token,) = re.findall(r"""<body hx-headers='\{"X-CSRFToken": "([^"]+)"\}'>""", html)
    url = reverse("vote", args=[room.group.pk, position.pk])
    assert browser.post(url, {"choice": "agree"}, **HTMX).status_code == 403
    assert not Vote.objects.exists()
    response = browser.post(url, {"choice": "agree"}, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200
    assert Vote.objects.get().participant == room.ada
    # The answer's buttons carry no token of their own: the page's header keeps working.
    assert "csrfmiddlewaretoken" not in page(response)
    response = browser.post(url, {"choice": "pass"}, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200
    assert Vote.objects.get().choice == Vote.Choice.PASS


# --- Writes: success and bad input ------------------------------------------------------------


def test_post_position_with_htmx_answers_a_fresh_form_and_the_new_card(ada, room):
    response = ada.post(
        reverse("post_position", args=[room.group.pk]), {"text": " Share it "}, **HTMX
    )
    assert response.status_code == 200
    position = Position.objects.get()
    assert (position.text, position.author) == ("Share it", room.ada)
    html = page(response)
    assert 'id="post-form"' in html
    assert f'<li id="position-{position.pk}"' in html
    assert "</textarea>" in html and ">Share it</textarea>" not in html


def test_post_position_without_javascript_redirects_to_the_room(ada, room):
    response = ada.post(reverse("post_position", args=[room.group.pk]), {"text": "No JS"})
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.group.pk}/"
    assert Position.objects.get().text == "No JS"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Write your position before posting it."),
        ("x" * 501, "Your position is 501 characters; the limit is 500."),
    ],
)
def test_post_position_with_bad_text_answers_422_or_400_with_the_message(ada, room, text, message):
    url = reverse("post_position", args=[room.group.pk])
    before = snapshot()
    with_js = ada.post(url, {"text": text}, **HTMX)
    assert with_js.status_code == 422
    assert message in page(with_js)
    assert 'id="post-form"' in page(with_js)
    without_js = ada.post(url, {"text": text})
    assert without_js.status_code == 400
    assert page(without_js).count(message) == 1
    assert snapshot() == before


def test_post_position_in_a_closed_group_answers_the_reason(ada, room):
    BreakoutGroup.objects.filter(pk=room.group.pk).update(phase="closed")
    response = ada.post(reverse("post_position", args=[room.group.pk]), {"text": "Hi"}, **HTMX)
    assert response.status_code == 422
    assert "new positions are closed" in page(response)
    assert not Position.objects.exists()


def test_vote_with_htmx_answers_the_buttons_with_the_choice_pressed(ada, room, position):
    url = reverse("vote", args=[room.group.pk, position.pk])
    response = ada.post(url, {"choice": "disagree"}, **HTMX)
    assert response.status_code == 200
    html = page(response)
    assert html.lstrip().startswith(f'<form id="vote-{position.pk}"')
    pressed = re.findall(r'<button[^>]*aria-pressed="true"[^>]*>([^<]*)</button>', html)
    assert pressed == ["✗ Disagree"]
    assert Vote.objects.get().choice == DISAGREE
    # Pressing the chosen button again withdraws the vote.
    response = ada.post(url, {"choice": "withdraw"}, **HTMX)
    assert 'aria-pressed="true"' not in page(response)
    assert not Vote.objects.exists()


def test_vote_on_a_card_left_from_the_previous_prompt_is_saved_and_answered_200(
    ada, room, position
):
    # The facilitator moved the group on; Ada's page still shows the old card.
    BreakoutGroup.objects.filter(pk=room.group.pk).update(
        current_prompt=room.session.ordered_prompts()[1]
    )
    url = reverse("vote", args=[room.group.pk, position.pk])
    response = ada.post(url, {"choice": "agree"}, **HTMX)
    assert Vote.objects.get().choice == AGREE
    assert response.status_code == 200
    assert re.findall(r'aria-pressed="true"[^>]*>([^<]*)<', page(response)) == ["✓ Agree"]


def test_vote_without_javascript_redirects_to_the_position(ada, room, position):
    response = ada.post(reverse("vote", args=[room.group.pk, position.pk]), {"choice": "agree"})
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.group.pk}/#position-{position.pk}"
    assert Vote.objects.get().choice == AGREE


def test_vote_with_a_bad_choice_answers_422_or_400_with_the_message(ada, room, position):
    other = make_position(room.ada, "A second card")
    url = reverse("vote", args=[room.group.pk, position.pk])
    message = "A vote is agree, disagree or pass."
    before = snapshot()
    with_js = ada.post(url, {"choice": "maybe"}, **HTMX)
    assert with_js.status_code == 422
    assert message in page(with_js)
    assert f'id="vote-{position.pk}"' in page(with_js)
    without_js = ada.post(url, {"choice": "maybe"})
    assert without_js.status_code == 400
    # Said once, not under every card.
    assert page(without_js).count(message) == 1
    assert ids_in_order(page(without_js)) == [other.pk, position.pk]
    assert snapshot() == before


def test_vote_on_a_hidden_or_foreign_position_answers_the_message(ada, room, position):
    hidden = make_position(room.ben, "Hidden", status="hidden")
    foreign = make_position(room.cleo, "Elsewhere")
    Position.objects.filter(pk=position.pk).update(status="hidden")  # no card left on the page
    message = "That position is not in your group (or was removed)."
    before = snapshot()
    for target in (hidden, foreign):
        url = reverse("vote", args=[room.group.pk, target.pk])
        with_js = ada.post(url, {"choice": "agree"}, **HTMX)
        assert with_js.status_code == 422
        assert message in page(with_js)
        without_js = ada.post(url, {"choice": "agree"})
        assert without_js.status_code == 400
        assert page(without_js).count(message) == 1
    assert snapshot() == before


# --- What the room shows ----------------------------------------------------------------------


def test_room_escapes_html_in_display_names_and_positions(ada, room):
    room.ben.display_name = '<img src=x onerror="alert(1)">'
    room.ben.save()
    make_position(room.ben, "<script>alert('pwned')</script>")
    Participant.objects.filter(pk=room.ada.pk).update(display_name="<b>Ada</b>")
    html = page(ada.get(reverse("room", args=[room.group.pk])))
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "&lt;b&gt;Ada&lt;/b&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>Ada" not in html


@pytest.fixture
def sorted_room(room):
    """Four positions, oldest first, with hand-made votes; Ada voted on the first two.

    agree/disagree: p1 2/2, p2 3/0, p3 1/1, p4 0/0.
    """
    v1, v2, v3 = (make_participant(room.group, name) for name in ("V1", "V2", "V3"))
    p1, p2, p3, p4 = (make_position(room.ben, f"Position {n}") for n in range(1, 5))
    for voter, target, choice in [
        (room.ada, p1, AGREE),
        (v1, p1, AGREE),
        (v2, p1, DISAGREE),
        (v3, p1, DISAGREE),
        (room.ada, p2, AGREE),
        (v1, p2, AGREE),
        (v2, p2, AGREE),
        (v1, p3, AGREE),
        (v2, p3, DISAGREE),
    ]:
        make_vote(voter, target, choice)
    # Never listed: hidden, another group's, or on another prompt.
    lots = make_position(room.ben, "Hidden with votes", status="hidden")
    for voter in (v1, v2, v3):
        make_vote(voter, lots, AGREE)
    make_position(room.cleo, "Another group's")
    old = make_position(room.ben, "Old prompt")
    Position.objects.filter(pk=old.pk).update(prompt=room.session.ordered_prompts()[1])
    return p1, p2, p3, p4


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", [4, 3, 2, 1]),
        ("agreed", [2, 1, 3, 4]),
        ("divisive", [1, 3, 2, 4]),
        ("unvoted", [4, 3]),
        ("nonsense", [4, 3, 2, 1]),
    ],
)
def test_room_positions_sort_orders(ada, room, sorted_room, sort, expected):
    by_number = {n: p.pk for n, p in enumerate(sorted_room, start=1)}
    fragment = ada.get(reverse("room_positions", args=[room.group.pk]), {"sort": sort}, **HTMX)
    assert ids_in_order(page(fragment)) == [by_number[n] for n in expected]
    full_page = ada.get(reverse("room", args=[room.group.pk]), {"sort": sort})
    assert ids_in_order(page(full_page)) == [by_number[n] for n in expected]


def test_room_shows_tallies_and_my_own_votes(ada, room, sorted_room):
    p1, p2, p3, p4 = sorted_room
    html = page(ada.get(reverse("room", args=[room.group.pk])))
    assert 'aria-label="2 agree, 2 disagree, 0 pass"' in html
    assert 'aria-label="3 agree, 0 disagree, 0 pass"' in html
    assert len(re.findall(r'aria-pressed="true"', html)) == 2  # Ada's votes on p1 and p2


def test_room_page_query_count_does_not_grow_with_positions(
    ada, room, sorted_room, django_assert_max_num_queries
):
    for n in range(20):
        make_position(room.ada if n % 2 else room.ben, f"More {n}")
    # 1 the browser's Django session, 2 the membership with the group, its session and
    # prompt (member_in), 3 the positions with their tallies and my votes in one query, 4 the
    # plenary round's positions, 5 who is online, 6-7 the prompt's question and its section
    # for the paper context. Seven, whatever the number of cards and votes.
    with django_assert_max_num_queries(7):
        response = ada.get(reverse("room", args=[room.group.pk]))
    assert len(ids_in_order(page(response))) == 24


def test_a_vote_costs_a_few_queries_and_one_for_the_membership_check(ada, room, position):
    """The hottest request of a conference: 1 the caller's membership (participant and group
    together; the browser's Django session comes from the cache), then in the vote's
    transaction 2 the position locked, read with the voter's earlier vote, 3 the new vote
    and 4 the tally's version, which PostgreSQL takes as one statement."""
    url = reverse("vote", args=[room.group.pk, position.pk])
    with CaptureQueriesContext(connection) as captured:
        response = ada.post(url, {"choice": "agree"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    statements = [
        q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION)
    ]
    expected = 3 if connection.vendor == "postgresql" else 4
    assert len(statements) == expected, "\n".join(s[:90] for s in statements)
    assert Vote.objects.get(participant=room.ada, position=position).choice == Vote.Choice.AGREE


# Transaction control: logged on some backends, and a savepoint inside the test's transaction.
TRANSACTION = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")


def position_reads(captured) -> list[str]:
    table = Position._meta.db_table
    return [
        q["sql"] for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]  # fmt: skip


def test_the_status_fragment_reads_no_positions(ada, room, sorted_room):
    """Every page of a group asks for its status at a countdown's end and after a gap in
    the broadcasts: the list it does not show must not be read."""
    with CaptureQueriesContext(connection) as captured:
        response = ada.get(reverse("room_status", args=[room.group.pk]))
    assert response.status_code == 200 and 'id="room-status"' in page(response)
    assert position_reads(captured) == []


def test_a_post_answered_to_htmx_reads_only_the_new_position(ada, room, sorted_room):
    """The answer is a fresh form and the author's new card: not the room's whole list."""
    with CaptureQueriesContext(connection) as captured:
        response = ada.post(
            reverse("post_position", args=[room.group.pk]), {"text": "Fund the UN fully."}, **HTMX
        )
    assert response.status_code == 200 and "Fund the UN fully." in page(response)
    assert len(position_reads(captured)) == 1, "\n".join(position_reads(captured))


def test_no_template_comment_leaks_into_the_room_page(ada, room, position):
    """Django's {# #} comments end at the line's end: one spanning lines shows on the page."""
    html = page(ada.get(reverse("room", args=[room.group.pk])))
    assert "{#" not in html and "#}" not in html


def test_names_and_positions_keep_their_own_direction_on_the_page(room, ada):
    """A right-to-left name or text is isolated: it cannot reorder the rest of its line."""
    arabic = make_participant(room.group, "سارة")
    make_position(arabic, "التعاون الدولي ضروري")
    html = page(ada.get(reverse("room", args=[room.group.pk])))
    assert "<bdi>سارة</bdi>" in html
    assert '<p class="position-text" dir="auto">التعاون الدولي ضروري</p>' in html
    assert "you are <strong><bdi>Ada</bdi></strong>" in html


def test_the_join_page_asks_for_the_passphrase_and_counts_a_wrong_one_as_a_guess(
    client, room, monkeypatch
):
    services.set_passphrase(session=room.session, passphrase="Blue harbour")
    guesses = []
    monkeypatch.setattr(
        "discussions.ratelimit.count_wrong_guess", lambda request: guesses.append(request.path)
    )
    url = reverse("join", args=[room.session.code])
    assert 'name="passphrase"' in page(client.get(url))
    data = {"display_name": "Dora", "group": room.group.pk}
    refused = client.post(url, data | {"passphrase": "green"})
    assert refused.status_code == 400
    assert "not this session&#x27;s passphrase" in page(refused)
    assert guesses == [url]
    assert not Participant.objects.filter(display_name="Dora").exists()
    admitted = client.post(url, data | {"passphrase": "blue harbour"})
    assert admitted.status_code == 302
    assert Participant.objects.filter(display_name="Dora").exists()
