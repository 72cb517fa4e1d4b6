"""The room's small things a participant meets (issue 24): characters left as they type,
a pin badge that shows without an emoji font, a bar that one vote does not fill."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from discussions.models import Participant, Position, Session
from tests.browser.accessibility import assert_accessible
from tests.browser.test_facilitation_live import vote
from tests.browser.test_room_live import join
from tests.factories import make_demo_session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session(transactional_db) -> Session:
    return make_demo_session("Details", group_count=1)


def test_the_room_counts_characters_left_and_draws_pins_and_bars_plainly(
    asgi_server, new_page, session
):
    group = session.groups.get()
    page = join(new_page(), asgi_server.url, session.code, "Ana", group.name)
    ana = Participant.objects.get(display_name="Ana")
    position = Position.objects.create(
        group=group,
        prompt=group.current_prompt,
        author=ana,
        text="Pinned, with one vote.",
        pinned=True,
    )
    page.reload()
    expect(page.locator("#connection")).to_have_text("Live")

    counter = page.locator("#position-count")
    expect(counter).to_have_text("500 characters left")
    page.get_by_label("Your position").fill("x" * 460)
    expect(counter).to_have_text("40 characters left")
    expect(counter).to_have_class("help counter near-limit")
    assert_accessible(page, "the room with a position half-written")

    badge = page.locator(f"#pin-{position.pk} .badge")
    expect(badge).to_have_text("Pinned by the facilitator")
    expect(badge.locator("svg")).to_have_count(1)

    vote(page, position, "Agree")
    bar = page.locator(f"#tally-{position.pk} .seg.agree")
    expect(bar).to_have_attribute("style", "width: 20%")


def test_new_votes_are_told_to_screen_readers_politely(asgi_server, new_page, session):
    group = session.groups.get()
    ana = join(new_page(), asgi_server.url, session.code, "Ana", group.name)
    ben = join(new_page(), asgi_server.url, session.code, "Ben", group.name)
    author = Participant.objects.get(display_name="Ana")
    position = Position.objects.create(
        group=group, prompt=group.current_prompt, author=author, text="Fund the WHO in full."
    )
    for page in (ana, ben):
        page.reload()
        expect(page.locator("#connection")).to_have_text("Live")
    region = ana.locator("#tally-announcer")
    expect(region).to_have_attribute("aria-live", "polite")

    vote(ben, position, "Disagree")

    expect(region).to_have_text(
        "New votes on “Fund the WHO in full.”: 0 agree, 1 disagree, 0 pass."
    )
