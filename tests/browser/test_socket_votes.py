"""Votes over the room's socket, in real browsers against the real ASGI server.

A click on a vote button while the room is live sends the vote on the room's WebSocket with
an id of the page's (static/js/live.js, "Votes on the socket"); the card shows "saving"
until the server answers that id, once the vote is in the database, with the card's buttons
(discussions/live/votes.py). With no open socket the form posts over HTTP as before.

To see the states between the click and the answer, some tests put their page's socket
through Playwright's WebSocket routing (`Relay`): every frame passes unchanged both ways,
except those the test holds.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Page, Request, Route, expect

from discussions.models import BreakoutGroup, Position, Session, Vote
from discussions.services.votes import CLOSED
from tests.browser.relay import Relay, is_vote
from tests.browser.test_room_live import (
    RECONNECT_TIMEOUT,
    assert_same_document,
    expect_my_vote,
    expect_tally,
    join,
    settled,
    vote,
    vote_button,
)
from tests.deadlines import DEADLINE
from tests.factories import make_demo_session

pytestmark = pytest.mark.django_db(transaction=True)

DROPPED = (
    "The connection dropped while your vote was being saved. "
    "Once it is back, your buttons show what was saved."
)


@pytest.fixture
def session(transactional_db) -> Session:
    return make_demo_session("Socket votes", group_count=1)


def vote_requests(page: Page) -> list[str]:
    """The URLs of the HTTP vote requests the page makes from now on."""
    urls: list[str] = []
    page.on("request", lambda request: "/vote" in request.url and urls.append(request.url))
    return urls


def vote_form(page: Page, position: Position):
    return page.locator(f"#vote-{position.pk}")


def post_position(page: Page, text: str) -> Position:
    """Post through the page, as a person would: no reload, the page stays the same."""
    page.get_by_label("Your position").fill(text)
    page.get_by_role("button", name="Post position").click()
    page.locator("#positions-list > li.position", has_text=text).wait_for()
    settled(page)
    return Position.objects.get(text=text)


def test_a_vote_goes_over_the_socket_and_reaches_the_others(asgi_server, new_page, session):
    group = session.groups.get()
    ada_page = new_page()
    frames: list[str | bytes] = []
    # The socket's frames, as the browser sent them (no routing: the page's own socket).
    ada_page.on("websocket", lambda ws: ws.on("framesent", lambda frame: frames.append(frame)))
    ada = join(ada_page, asgi_server.url, session.code, "Ada", group.name)
    ben = join(new_page(), asgi_server.url, session.code, "Ben", group.name)
    position = post_position(ben, "Trade rules need a working referee.")
    ada.locator(f"#position-{position.pk}").wait_for()
    settled(ada)
    http_votes = vote_requests(ada)

    vote(ada, position, "Agree")
    expect_my_vote(ada, position, "Agree")
    expect_tally([ben, ada], position, agree=1, disagree=0)
    # The answer came on the socket, marked with the vote's id.
    expect(vote_form(ada, position)).to_have_attribute("data-status", "saved")

    vote(ada, position, "Disagree")
    expect_my_vote(ada, position, "Disagree")
    expect_tally([ben, ada], position, agree=0, disagree=1)

    sent = [json.loads(frame) for frame in frames if is_vote(frame)]
    assert [(frame["position"], frame["choice"]) for frame in sent] == [
        (position.pk, "agree"),
        (position.pk, "disagree"),
    ]
    assert len({frame["id"] for frame in sent}) == 2, "each vote has an id of its own"
    ada_vote = Vote.objects.get(position=position)
    assert ada_vote.participant.display_name == "Ada"
    assert ada_vote.get_choice_display() == "Disagree"
    assert http_votes == [], "a vote was posted over HTTP while the socket was open"
    expect_my_vote(ben, position, None)
    assert_same_document(ada, ben)


def test_the_card_says_saving_until_the_server_answers(asgi_server, new_page, session, screenshot):
    group = session.groups.get()
    ada = new_page()
    relay = Relay(ada)
    join(ada, asgi_server.url, session.code, "Ada", group.name)
    position = post_position(ada, "Fund the WHO through assessed contributions.")
    http_votes = vote_requests(ada)
    form = vote_form(ada, position)
    agree = ada.locator(f"#vote-{position.pk}-agree")

    relay.hold_votes = True
    vote(ada, position, "Agree")
    relay.wait_for_held(ada)
    expect(form).to_have_attribute("aria-busy", "true")
    expect(agree).to_have_class(re.compile(r"\bpending\b"))
    # What a person sees and a screen reader says (the CSS adds it to the button's name).
    expect(agree).to_have_accessible_name("✓ Agree (saving…)")
    expect(agree).to_have_attribute("aria-pressed", "false")
    screenshot(ada, "socket-vote-pending")
    # The vote is held in the test: the server has not seen it.
    assert not Vote.objects.exists()

    # A second press on the card meanwhile is ignored: the first vote is on its way.
    ada.locator(f"#vote-{position.pk}-disagree").click()
    expect(form).to_have_attribute("aria-busy", "true")

    relay.release()
    expect(form).to_have_attribute("data-status", "saved")
    expect(form).not_to_have_attribute("aria-busy", "true")
    expect(agree).not_to_have_class(re.compile(r"\bpending\b"))
    expect_my_vote(ada, position, "Agree")
    expect(agree).to_have_accessible_name("✓ Agree (your vote)")
    assert Vote.objects.get(position=position).get_choice_display() == "Agree"
    assert [frame["choice"] for frame in relay.votes_sent] == ["agree"]
    assert http_votes == []
    assert_same_document(ada)


def test_a_card_re_fetched_while_its_vote_is_pending_still_says_saving(
    asgi_server, new_page, session
):
    """The page re-fetches its list after a gap, a reconnection or a refresh marker, and
    the fetched list replaces the cards. A card whose vote is on its way must still say
    "saving" and still ignore a second press: it used to come back idle, and a second
    press sent a second vote."""
    group = session.groups.get()
    ada = new_page()
    relay = Relay(ada)
    join(ada, asgi_server.url, session.code, "Ada", group.name)
    position = post_position(ada, "Arms control treaties need verification.")
    form = vote_form(ada, position)
    agree = ada.locator(f"#vote-{position.pk}-agree")

    relay.hold_votes = True
    vote(ada, position, "Agree")
    relay.wait_for_held(ada)
    expect(form).to_have_attribute("aria-busy", "true")
    form.evaluate("form => { form.dataset.before = 'fetch'; }")
    # The server's answer to a heartbeat when the page has missed a broadcast: the page
    # fetches its list again (static/js/live.js).
    with ada.expect_response(lambda response: "/positions?" in response.url):
        relay.sockets[-1].send('<div id="room-latest" hidden data-latest="1000000"></div>')
    settled(ada)
    expect(form).not_to_have_attribute("data-before", "fetch")  # a new card, from the list
    expect(form).to_have_attribute("aria-busy", "true")
    expect(agree).to_have_accessible_name("✓ Agree (saving…)")

    ada.locator(f"#vote-{position.pk}-disagree").click()
    relay.release()
    expect(form).to_have_attribute("data-status", "saved")
    expect(form).not_to_have_attribute("aria-busy", "true")
    expect_my_vote(ada, position, "Agree")
    assert Vote.objects.get(position=position).get_choice_display() == "Agree"
    assert [frame["choice"] for frame in relay.votes_sent] == ["agree"]
    assert_same_document(ada)


def test_a_refused_vote_says_why_on_its_card(asgi_server, new_page, session):
    group = session.groups.get()
    ada = join(new_page(), asgi_server.url, session.code, "Ada", group.name)
    position = post_position(ada, "Peacekeepers need a clear mandate.")
    http_votes = vote_requests(ada)
    # Voting closes between the page's last news and the click (no broadcast of it here).
    BreakoutGroup.objects.filter(pk=group.pk).update(phase=BreakoutGroup.Phase.CLOSED)

    vote(ada, position, "Agree")
    form = vote_form(ada, position)
    expect(form).to_have_attribute("data-status", "refused")
    expect(form.get_by_role("alert")).to_have_text(str(CLOSED))  # translated, lazily
    expect(form).not_to_have_attribute("aria-busy", "true")
    expect_my_vote(ada, position, None)
    assert not Vote.objects.exists()
    assert http_votes == []
    assert_same_document(ada)


def test_with_no_socket_open_a_vote_posts_over_http(asgi_server, new_page, session):
    group = session.groups.get()
    ada = new_page()
    relay = Relay(ada)
    join(ada, asgi_server.url, session.code, "Ada", group.name)
    position = post_position(ada, "Keep the WTO's courts.")

    # The socket drops and every new one is refused before it opens: the network is up
    # (HTTP works) but the room is not live.
    relay.refuse = True
    relay.drop()
    badge = ada.locator("#connection")
    expect(badge).to_have_attribute("data-state", "reconnecting")
    expect(badge).to_have_text("Connection lost. Reconnecting…")
    http_votes = vote_requests(ada)

    vote(ada, position, "Agree")
    expect_my_vote(ada, position, "Agree")
    assert http_votes == [f"{asgi_server.url}/rooms/{group.pk}/positions/{position.pk}/vote"]
    assert Vote.objects.get(position=position).get_choice_display() == "Agree"
    assert relay.votes_sent == []
    expect(badge).to_have_attribute("data-state", "reconnecting")
    assert_same_document(ada)


class HeldResyncs:
    """The page's re-fetches (X-Resync), held until released: a successful request clears
    the notice, so without this a quick reconnection could clear it before it is read."""

    def __init__(self, page: Page) -> None:
        self.holding = True
        self.held: list[Route] = []
        page.route("**/*", self.handle)

    def handle(self, route: Route, request: Request) -> None:
        if self.holding and request.headers.get("x-resync") == "1":
            self.held.append(route)
        else:
            route.continue_()

    def release(self) -> None:
        self.holding = False
        while self.held:
            self.held.pop(0).continue_()


@pytest.mark.parametrize("reached_the_server", [True, False], ids=["saved", "never-sent"])
def test_a_socket_that_drops_while_a_vote_is_pending_releases_the_card(
    asgi_server, new_page, session, reached_the_server
):
    """Saved (its answer lost with the socket) or never sent: the page cannot tell which.
    It gives the card back, says so, and once reconnected shows what the database holds."""
    group = session.groups.get()
    ada = new_page()
    relay = Relay(ada)
    join(ada, asgi_server.url, session.code, "Ada", group.name)
    position = post_position(ada, "Sanctions need an exit path.")
    form = vote_form(ada, position)

    if reached_the_server:
        relay.hold_answers = True  # the vote reaches the server; its answer stops here
    else:
        relay.hold_votes = True  # the vote stops here
    vote(ada, position, "Agree")
    relay.wait_for_held(ada)
    # An answer is sent once the vote is durable; a held vote never reached the server.
    assert Vote.objects.filter(position=position).exists() == reached_the_server
    expect(form).to_have_attribute("aria-busy", "true")

    resyncs = HeldResyncs(ada)
    relay.drop()
    notice = ada.locator("#live-notice")
    expect(notice).to_have_text(DROPPED)
    expect(notice).to_have_class("message error")
    expect(form).not_to_have_attribute("aria-busy", "true")
    expect(form.locator(".pending")).to_have_count(0)
    # The page does not know the vote's fate: it shows no vote it was not told of.
    expect_my_vote(ada, position, None)

    expect(ada.locator("#connection")).to_have_text("Live", timeout=RECONNECT_TIMEOUT)
    deadline = time.monotonic() + DEADLINE
    while not resyncs.held:  # the list's is queued behind the status's (one at a time)
        assert time.monotonic() < deadline, "the page never re-fetched what it shows"
        ada.wait_for_timeout(50)
    resyncs.release()
    expect_my_vote(ada, position, "Agree" if reached_the_server else None)
    expect_tally([ada], position, agree=1 if reached_the_server else 0, disagree=0)

    # The new socket takes votes as the first did.
    http_votes = vote_requests(ada)
    vote(ada, position, "Disagree")
    expect_my_vote(ada, position, "Disagree")
    expect(form).to_have_attribute("data-status", "saved")
    assert Vote.objects.get(position=position).get_choice_display() == "Disagree"
    assert http_votes == []
    assert_same_document(ada)


@pytest.mark.parametrize("key", ["Enter", "Space"])
def test_the_keyboard_focus_stays_on_the_pressed_button(asgi_server, new_page, session, key):
    group = session.groups.get()
    ada = new_page()
    relay = Relay(ada)
    join(ada, asgi_server.url, session.code, "Ada", group.name)
    position = post_position(ada, "A standing UN peace force.")
    form = vote_form(ada, position)
    agree = ada.locator(f"#vote-{position.pk}-agree")  # by id: its name changes as it goes

    agree.focus()
    relay.hold_votes = True
    ada.keyboard.press(key)
    relay.wait_for_held(ada)
    expect(form).to_have_attribute("aria-busy", "true")
    expect(agree).to_have_accessible_name("✓ Agree (saving…)")
    expect(agree).to_be_focused()  # while saving, too
    relay.release()
    expect_my_vote(ada, position, "Agree")
    expect(form).to_have_attribute("data-status", "saved")
    # The buttons were swapped for the answer's: the focus is on the new Agree, so Tab goes on.
    expect(agree).to_be_focused()
    ada.keyboard.press("Tab")
    expect(vote_button(ada, position, "Disagree")).to_be_focused()

    # Pressed again: withdrawn, and the focus still there.
    ada.keyboard.press("Shift+Tab")
    ada.keyboard.press(key)
    expect_my_vote(ada, position, None)
    expect(agree).to_be_focused()
    assert not Vote.objects.exists()
    assert [frame["choice"] for frame in relay.votes_sent] == ["agree", "withdraw"]
    assert_same_document(ada)
