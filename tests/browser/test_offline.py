"""Offline is shown, and nothing done offline is silently lost (issue 24).

The badge said "Live" with the network off. Now it says offline as soon as the browser knows
it; a vote made then is refused where it was made, saved nowhere, and made again once the
connection is back; the console shows the same.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from discussions import services
from discussions.models import Participant, Position, Session, Vote
from tests.browser.accessibility import assert_accessible
from tests.browser.pages import settled
from tests.browser.test_facilitation_live import PASSWORD, log_in
from tests.browser.test_room_live import expect_my_vote, join, vote_button
from tests.factories import make_demo_session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session(transactional_db) -> Session:
    return make_demo_session("Offline", group_count=1)


def test_a_participant_offline_is_told_and_their_vote_is_refused_not_lost(
    asgi_server, new_page, session
):
    group = session.groups.get()
    page = join(new_page(), asgi_server.url, session.code, "Ana", group.name)
    ana = Participant.objects.get(display_name="Ana")
    position = Position.objects.create(
        group=group, prompt=group.current_prompt, author=ana, text="Keep the WTO's courts."
    )
    page.reload()
    expect(page.locator("#connection")).to_have_text("Live")
    settled(page)

    page.context.set_offline(True)
    badge = page.locator("#connection")
    expect(badge).to_have_attribute("data-state", "offline")
    expect(badge).to_contain_text("Offline")
    assert_accessible(page, "the room offline")
    vote_button(page, position, "Agree").click()
    expect(page.locator("#live-notice")).to_contain_text("That was not saved")
    expect_my_vote(page, position, None)
    assert not Vote.objects.exists()

    page.context.set_offline(False)
    expect(badge).to_have_attribute("data-state", "live")
    settled(page)
    vote_button(page, position, "Agree").click()
    expect_my_vote(page, position, "Agree")
    expect(page.locator("#live-notice")).not_to_contain_text("not saved")
    assert Vote.objects.get().participant == ana


def test_the_console_shows_offline_and_live_again(
    asgi_server, new_page, session, django_user_model
):
    group = session.groups.get()
    django_user_model.objects.create_user(username="gil", password=PASSWORD)
    services.assign_facilitator(session=session, username="gil", group_ids=[group.pk])
    console = log_in(new_page(1366, 900), asgi_server.url, "gil", f"/facilitate/groups/{group.pk}/")
    console.context.set_offline(True)
    expect(console.locator("#connection")).to_have_attribute("data-state", "offline")
    console.context.set_offline(False)
    expect(console.locator("#connection")).to_have_attribute("data-state", "live")
