"""The whole-session projector is pushed to, as the group projector is (issue 24): it
polled every 3 s, and lagged as much. Its fallback poll is a minute, longer than the test's
deadline, so only the push can pass this test."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from discussions.models import Session
from tests.browser.test_facilitation_live import post
from tests.browser.test_room_live import join
from tests.factories import make_demo_session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session(transactional_db) -> Session:
    return make_demo_session("Projected", group_count=2)


def test_the_whole_session_projector_shows_a_new_position_when_it_is_posted(
    asgi_server, new_page, session
):
    group = session.groups.order_by("position").last()
    screen = new_page(1920, 1080)
    screen.goto(asgi_server.url + reverse("screen_session", args=[session.screen_token]))
    expect(screen.locator(f"#g{group.pk}")).to_be_visible()
    fetched: list[str] = []
    screen.on("request", lambda request: fetched.append(request.url))

    ana = join(new_page(), asgi_server.url, session.code, "Ana", group.name)
    post(ana, "Shared institutions outlast any administration.")

    section = screen.locator("section.screen-group", has=screen.locator(f"#g{group.pk}"))
    expect(section).to_contain_text("Shared institutions outlast any administration.")
    assert any("/results" in url for url in fetched), fetched
