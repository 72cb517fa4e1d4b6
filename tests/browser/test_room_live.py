"""Live breakouts in real browsers, against the real ASGI server (HTTP and WebSocket).

Each participant has a browser context of their own (their own cookies), joins through the
join pages and waits for the room's connection to say "Live". Writes go over HTTP; what the
others see arrives over their sockets.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from discussions import services
from discussions.middleware import DATABASE_AWAY
from discussions.models import Participant, Position, Session, Vote
from tests.browser.pages import settled
from tests.browser.relay import Relay
from tests.deadlines import DEADLINE, DEADLINE_MS
from tests.factories import make_demo_session

pytestmark = pytest.mark.django_db(transaction=True)

# After a restart a page waits before its next attempt (a random delay of up to 8 s after a
# few failed tries, static/js/live.js), then the deadline for anything that must happen.
RECONNECT_TIMEOUT = DEADLINE_MS + 8_250


@pytest.fixture
def live_session(transactional_db) -> Session:
    return make_demo_session("Multilateralism breakouts", group_count=2)


def off_the_browser_thread(write, /, **kwargs):
    """Call a service in a thread of its own. Playwright's event loop runs in the test's
    thread, where the after-commit publish (async_to_sync) is refused."""

    def call():
        try:
            return write(**kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def join(page: Page, base_url: str, code: str, name: str, group: str) -> Page:
    """Join through the real pages, as a person would: code, name, group, Join."""
    page.goto(f"{base_url}/join/")
    page.get_by_label("Join code").fill(code.lower())
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Your display name").fill(name)
    page.get_by_role("radio", name=re.compile(rf"^{re.escape(group)}\b")).check()
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page).to_have_url(re.compile(r"/rooms/\d+/$"))
    expect(page.locator("#connection")).to_have_text("Live")
    mark_document(page)
    return page


def mark_document(page: Page) -> None:
    """A mark on the window, gone if the page navigates (a reload, or a form posted without
    htmx): everything after this must happen in place."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(*pages: Page) -> None:
    for page in pages:
        assert page.evaluate("window.__sameDocument === true"), f"{page.url} was reloaded"


def card(page: Page, position: Position):
    return page.locator(f"#position-{position.pk}")


def vote_button(page: Page, position: Position, label: str):
    """One of the card's vote buttons; a chosen one is named "✓ Agree (your vote)" (CSS)."""
    symbol = {"Agree": "✓", "Disagree": "✗", "Pass": "–"}[label]
    name = re.compile(rf"^{symbol} {label}( \(your vote\))?$")
    return card(page, position).get_by_role("button", name=name)


def vote(page: Page, position: Position, label: str) -> None:
    """Press a vote button once htmx has wired up the buttons (see `settled`)."""
    settled(page)
    vote_button(page, position, label).click()


def expect_tally(pages: list[Page], position: Position, agree: int, disagree: int) -> None:
    for page in pages:
        tally = page.locator(f"#tally-{position.pk}")
        expect(tally.locator(".agree-text")).to_have_text(f"✓ {agree} agree")
        expect(tally.locator(".disagree-text")).to_have_text(f"✗ {disagree} disagree")
        expect(tally).to_have_attribute("aria-label", f"{agree} agree, {disagree} disagree, 0 pass")


def expect_my_vote(page: Page, position: Position, chosen: str | None) -> None:
    for label in ("Agree", "Disagree", "Pass"):
        pressed = "true" if label == chosen else "false"
        expect(vote_button(page, position, label)).to_have_attribute("aria-pressed", pressed)


def test_a_position_and_votes_reach_the_group_live_and_no_one_else(
    asgi_server, new_page, live_session
):
    base, code = asgi_server.url, live_session.code
    ana = join(new_page(), base, code, "Ana", "Group 1")
    ben = join(new_page(), base, code, "Ben", "Group 1")
    cy = join(new_page(), base, code, "Cy", "Group 2")
    expect(ana.locator("#presence")).to_have_text("2 online")

    text = "The US should recommit to NATO's Article 5 <publicly> & often."
    ana.get_by_label("Your position").fill(text)
    started = time.monotonic()
    ana.get_by_role("button", name="Post position").click()
    ben.locator("#positions-list > li.position", has_text=text).wait_for(state="visible")
    latency = time.monotonic() - started
    # A figure to read, not a bound: the rehearsal measures speed (tests/deadlines.py).
    print(f"position posted by Ana visible for Ben after {latency * 1000:.0f} ms")

    position = Position.objects.get()
    assert position.text == text
    for page in (ana, ben):
        expect(page.locator("li.position")).to_have_count(1)  # the author's card is not doubled
        expect(card(page, position).locator(".position-text")).to_have_text(text)
    expect(card(ana, position).locator(".position-author")).to_have_text("Ana (you)")
    expect(card(ben, position).locator(".position-author")).to_have_text("Ana")
    expect(ben.locator("#announcer")).to_have_text(f"New position from Ana: {text}")

    # Cy is in the other group: nothing arrives, however long we wait.
    time.sleep(0.5)
    expect(cy.locator("li.position")).to_have_count(0)
    expect(cy.get_by_text("Article 5")).to_have_count(0)
    expect(cy.locator("#announcer")).to_be_empty()

    # Ben agrees: both see the tally move; only Ben's own button is marked.
    started = time.monotonic()
    vote(ben, position, "Agree")
    expect(ana.locator(f"#tally-{position.pk} .agree-text")).to_have_text("✓ 1 agree")
    print(f"Ben's vote visible for Ana after {(time.monotonic() - started) * 1000:.0f} ms")
    expect_tally([ana, ben], position, agree=1, disagree=0)
    expect_my_vote(ben, position, "Agree")
    expect_my_vote(ana, position, None)

    # Ana disagrees with her own position.
    vote(ana, position, "Disagree")
    expect_tally([ana, ben], position, agree=1, disagree=1)
    expect_my_vote(ana, position, "Disagree")
    expect_my_vote(ben, position, "Agree")

    # Ana changes her mind: one vote moves, none is added.
    vote(ana, position, "Agree")
    expect_tally([ana, ben], position, agree=2, disagree=0)
    expect_my_vote(ana, position, "Agree")

    # Ben presses his chosen button again: his vote is withdrawn.
    chosen = vote_button(ben, position, "Agree")
    expect(chosen).to_have_attribute("title", re.compile("withdraw"))
    vote(ben, position, "Agree")
    expect_tally([ana, ben], position, agree=1, disagree=0)
    expect_my_vote(ben, position, None)
    expect_my_vote(ana, position, "Agree")

    assert [(v.participant.display_name, v.get_choice_display()) for v in position.votes.all()] == [
        ("Ana", "Agree")
    ]
    expect(cy.locator("li.position")).to_have_count(0)
    assert_same_document(ana, ben, cy)


def test_a_page_reconnects_by_itself_after_a_server_restart_and_catches_up(
    asgi_server, new_page, live_session
):
    base, code = asgi_server.url, live_session.code
    ana = join(new_page(), base, code, "Ana", "Group 1")
    ben = join(new_page(), base, code, "Ben", "Group 1")

    ana.get_by_label("Your position").fill("Alliances are worth their cost.")
    ana.get_by_role("button", name="Post position").click()
    first = ben.locator("li.position", has_text="Alliances are worth their cost.")
    expect(first).to_be_visible()

    asgi_server.stop()
    expect(ben.locator("#connection")).to_have_attribute("data-state", "reconnecting")
    expect(ben.locator("#connection")).to_have_text("Connection lost. Reconnecting…")

    # Meanwhile writes land in the database that no socket sees.
    ana_participant = Participant.objects.get(display_name="Ana")
    earlier = Position.objects.get()
    off_the_browser_thread(
        services.cast_vote, participant=ana_participant, position_id=earlier.pk, choice="agree"
    )
    missed = off_the_browser_thread(
        services.post_position,
        participant=ana_participant,
        text="Written while the server was down.",
    )

    asgi_server.start()
    started = time.monotonic()
    expect(ben.locator("#connection")).to_have_text("Live", timeout=RECONNECT_TIMEOUT)
    print(f"Ben's page was live again {time.monotonic() - started:.1f} s after the restart")
    assert_same_document(ben)
    expect(card(ben, missed)).to_be_visible()
    expect(card(ben, missed).locator(".position-text")).to_have_text(
        "Written while the server was down."
    )
    expect_tally([ben], earlier, agree=1, disagree=0)
    expect(ben.locator("li.position")).to_have_count(2)

    # And the new socket is subscribed: live updates flow again.
    expect(ana.locator("#connection")).to_have_text("Live", timeout=RECONNECT_TIMEOUT)
    expect(card(ana, missed)).to_be_visible()
    vote(ana, missed, "Disagree")
    expect_tally([ben, ana], missed, agree=0, disagree=1)
    assert_same_document(ana, ben)


def tab_to(page: Page, predicate: str, limit: int = 60) -> None:
    """Press Tab until `predicate` (JS, over `el`) holds for the focused element."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => Boolean({predicate}))(document.activeElement)"):
            return
    focused = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    pytest.fail(f"Tab never reached {predicate}; focus is on {focused}")


def test_room_layout_keyboard_and_announcements(asgi_server, new_page, live_session, screenshot):
    base, code = asgi_server.url, live_session.code
    ana = join(new_page(1280, 800), base, code, "Ana", "Group 1")
    ben = join(new_page(1024, 768), base, code, "Ben", "Group 1")

    # Some content, so the room looks like a room.
    ana_participant, ben_participant = Participant.objects.order_by("pk")
    for author, text in [
        (ben_participant, "Burden-sharing in NATO should be tied to clear, published targets."),
        (ana_participant, "The WTO's dispute settlement needs fixing before anything else."),
    ]:
        position = off_the_browser_thread(services.post_position, participant=author, text=text)
        off_the_browser_thread(
            services.cast_vote, participant=ana_participant, position_id=position.pk, choice="agree"
        )
    for page in (ana, ben):
        page.reload()
        expect(page.locator("#connection")).to_have_text("Live")
        mark_document(page)

    for page, (width, height) in ((ana, (1280, 800)), (ben, (1024, 768))):
        expect(page.locator("#connection")).to_have_text("Live")
        expect(page.locator("li.position")).to_have_count(2)
        screenshot(page, f"room-{width}x{height}")
        overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], f"{width}x{height} overflows: {overflow}"
        expect(page.locator("#post-form")).to_be_visible()
        expect(page.get_by_label("Your position")).to_be_visible()
        expect(page.get_by_role("button", name="Post position")).to_be_visible()
        for label in ("✓ Agree", "✗ Disagree", "– Pass"):
            expect(page.get_by_role("button", name=label).first).to_be_visible()
        expect(page.locator("h1")).to_have_count(1)

    # Ana posts and votes with the keyboard alone.
    text = "Keyboard users can post positions too."
    tab_to(ana, "el.id === 'position-text'")
    ana.keyboard.type(text)
    tab_to(ana, "el.type === 'submit' && el.textContent.trim() === 'Post position'")
    ana.keyboard.press("Enter")
    expect(ben.locator("li.position", has_text=text)).to_be_visible()
    # The form was swapped for a fresh one: the focus stays on its button, not the page top.
    expect(ana.get_by_role("button", name="Post position")).to_be_focused()
    position = Position.objects.get(text=text)
    expect(ben.locator("#announcer")).to_have_text(f"New position from Ana: {text}")

    # Her own copy of the card (the HTTP answer) is the one shown, whichever came first.
    expect(card(ana, position).locator(".position-author")).to_have_text("Ana (you)")
    expect(ana.get_by_label("Your position")).to_have_value("")
    settled(ana)
    tab_to(ana, f"el.closest('#vote-{position.pk}') && el.textContent.trim() === '✓ Agree'")
    ana.keyboard.press("Enter")
    expect_my_vote(ana, position, "Agree")
    expect_tally([ana, ben], position, agree=1, disagree=0)
    # The buttons were swapped too: the focus is back on the one pressed, so Tab goes on.
    expect(vote_button(ana, position, "Agree")).to_be_focused()
    ana.keyboard.press("Tab")
    expect(vote_button(ana, position, "Disagree")).to_be_focused()

    screenshot(ana, "room-1280x800-after-keyboard")
    screenshot(ben, "room-1024x768-after-update")
    for page in (ana, ben):
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1]
        expect(page.locator("h1")).to_have_count(1)
    assert_same_document(ana, ben)


def test_a_vote_the_server_could_not_save_says_so(asgi_server, new_page, live_session):
    """A 5xx (the database restarting) or no answer at all: the page says the vote was not
    saved, never shows it as cast, and the message goes with the next write that works.

    The HTTP form's failures: the room's socket is dropped and kept closed (a page that is
    not live votes over HTTP). The socket's own "not saved" is tests/test_socket_votes.py's."""
    base, code = asgi_server.url, live_session.code
    page = new_page()
    sockets = Relay(page)
    ana = join(page, base, code, "Ana", "Group 1")
    ana.get_by_label("Your position").fill("Keep the alliances")
    ana.get_by_role("button", name="Post position").click()
    ana.locator("#positions-list > li.position", has_text="Keep the alliances").wait_for()
    position = Position.objects.get(text="Keep the alliances")
    notice = ana.locator("#live-notice")
    sockets.refuse = True  # the socket drops and no new one opens: votes go over HTTP
    sockets.drop()
    expect(ana.locator("#connection")).to_have_attribute("data-state", "reconnecting")

    # The server's own explanation, as discussions.middleware.DatabaseUnavailable sends it.
    ana.route(
        "**/vote",
        lambda route: route.fulfill(
            status=503, body=DATABASE_AWAY, content_type="text/plain; charset=utf-8"
        ),
    )
    vote(ana, position, "Agree")
    expect(notice).to_have_text(DATABASE_AWAY)
    expect_my_vote(ana, position, None)
    ana.unroute("**/vote")

    ana.route("**/vote", lambda route: route.fulfill(status=500, body="<h1>Server Error</h1>"))
    notice.evaluate("el => { el.textContent = ''; }")
    vote(ana, position, "Agree")
    expect(notice).to_have_text(re.compile("not saved: the server could not save it"))
    expect_my_vote(ana, position, None)
    ana.unroute("**/vote")

    ana.route("**/vote", lambda route: route.abort("connectionrefused"))
    notice.evaluate("el => { el.textContent = ''; }")
    vote(ana, position, "Agree")
    expect(notice).to_have_text(re.compile("not saved"))
    ana.unroute("**/vote")

    vote(ana, position, "Agree")
    expect_my_vote(ana, position, "Agree")
    expect(notice).to_have_text("")
    assert Vote.objects.get(position=position).choice == 1
    assert_same_document(ana)


def test_the_next_position_cannot_be_typed_into_a_form_the_answer_will_replace(
    asgi_server, new_page, live_session
):
    """Under load the broadcast of a post can come back before its answer: the card shows,
    the author starts on the next position, and the answer's fresh form then wiped it. The
    form stays closed until its answer is in."""
    base, code = asgi_server.url, live_session.code
    ana = join(new_page(), base, code, "Ana", "Group 1")
    held = []
    # The request waits, unsent, until the test lets it through.
    ana.route("**/post", lambda route: held.append(route))
    ana.get_by_label("Your position").fill("Keep the alliances")
    ana.get_by_role("button", name="Post position").click()
    deadline = time.monotonic() + DEADLINE
    while not held:
        assert time.monotonic() < deadline, "the post was never sent"
        ana.wait_for_timeout(50)
    textarea = ana.get_by_label("Your position")
    expect(textarea).to_be_disabled()
    # A second press meanwhile posts nothing more (counted at the end: by the time the next
    # position is in, a second request queued behind the first would have been sent).
    ana.get_by_role("button", name="Post position").click()
    held[0].continue_()
    ana.unroute("**/post")
    cards = ana.locator("#positions-list > li.position")
    expect(cards.filter(has_text="Keep the alliances")).to_have_count(1)
    expect(textarea).to_be_enabled()
    expect(textarea).to_have_value("")
    textarea.fill("Fund the WHO")
    ana.get_by_role("button", name="Post position").click()
    expect(cards.filter(has_text="Fund the WHO")).to_have_count(1)
    assert Position.objects.filter(text="Keep the alliances").count() == 1
    assert_same_document(ana)
