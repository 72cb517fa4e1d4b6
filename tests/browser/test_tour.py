"""Every main screen, as its users see it (issue 24): no sideways scroll from 360 to 1920 px
wide, and no axe violation, in the light scheme and the dark one.

The same tour makes the docs' screenshots, at 1366x768 in both schemes:

    SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/browser/test_tour.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import Page, expect

from discussions import demo, services
from discussions.models import Participant, Position, Session
from tests.browser import accessibility
from tests.browser.test_facilitation_live import PASSWORD
from tests.browser.test_room_live import join, off_the_browser_thread
from tests.conftest import DEMO_PAPER

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (360, 768, 1366, 1920)
SHOTS = os.environ.get("SCREENSHOTS")


@pytest.fixture
def session(transactional_db, django_user_model) -> Session:
    return tour_session(django_user_model)


def tour_session(django_user_model) -> Session:
    """The demo paper in a session of three groups with 24 demo participants; Olga
    organizes."""
    django_user_model.objects.create_user(username="olga", password=PASSWORD, is_staff=True)
    paper = services.import_paper(
        data=DEMO_PAPER.read_bytes(), filename=DEMO_PAPER.name, publish=True
    ).paper
    session = services.create_session(paper=paper, name="Multilateralism breakouts", group_count=3)
    demo.fill(session, 24, seed=0)
    return session


def sideways(page: Page) -> int:
    """How far the page scrolls sideways, in CSS pixels (0: it does not)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


def look(page: Page, name: str, problems: list[str]) -> None:
    """The page as it stands, at every width and in both schemes."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 768})
            if over := sideways(page):
                problems.append(f"{name} ({scheme}, {width} px): scrolls {over} px sideways")
        page.set_viewport_size({"width": 1366, "height": 768})
        if found := accessibility.violations(page):
            problems.append(f"{name} ({scheme}):\n{accessibility.describe(found)}")
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{scheme}.png"))
    page.emulate_media(color_scheme="light")


def test_every_main_screen_fits_and_passes_axe_in_both_schemes(asgi_server, new_page, session):
    base = asgi_server.url
    group = session.groups.order_by("position").first()
    problems: list[str] = []

    visitor = new_page(1366, 768)
    for name, path in [
        ("home", "/"),
        ("join", reverse("join_start")),
        ("join-code", reverse("join", args=[session.code])),
        ("login", reverse("login")),
        ("projector-group", reverse("screen_group", args=[session.screen_token, group.pk])),
        ("projector-session", reverse("screen_session", args=[session.screen_token])),
    ]:
        visitor.goto(base + path)
        look(visitor, name, problems)

    participant = join(new_page(1366, 768), base, session.code, "Ana", group.name)
    look(participant, "room", problems)

    organizer = new_page(1366, 768)
    organizer.goto(f"{base}/accounts/login/")
    organizer.get_by_label("Username").fill("olga")
    organizer.get_by_label("Password").fill(PASSWORD)
    organizer.get_by_role("button", name="Log in").click()
    expect(organizer).to_have_url(f"{base}{reverse('organizer:home')}")
    for name, path in [
        ("organizer", reverse("organizer:home")),
        ("paper", reverse("organizer:paper", args=[session.paper_id])),
        ("session", reverse("organizer:session", args=[session.pk])),
        ("console", reverse("facilitator:overview", args=[session.pk])),
        ("console-group", reverse("facilitator:group", args=[group.pk])),
        ("synthesis", reverse("facilitator:synthesis", args=[session.pk])),
        ("log", reverse("facilitator:log", args=[session.pk])),
    ]:
        organizer.goto(base + path)
        if organizer.locator("#connection").count():
            expect(organizer.locator("#connection")).to_have_text("Live")
        look(organizer, name, problems)

    # The outcome, published: the public results page and a participant's own page.
    olga = session.created_by or get_user_model().objects.get(username="olga")
    ana = Participant.objects.get(session=session, display_name="Ana")
    anas = off_the_browser_thread(
        services.post_position, participant=ana, text="Publish every ally's spending plans."
    )
    top = [*Position.objects.filter(group__session=session).exclude(author=ana)[:2], anas]
    for position in top:
        off_the_browser_thread(
            services.promote, actor=olga, session=session, position_ids=[position.pk]
        )
    off_the_browser_thread(services.publish_outcome, session=session)
    visitor.goto(base + reverse("results", args=[session.results_token]))
    look(visitor, "results", problems)
    participant.goto(base + reverse("my_input", args=[group.pk]))
    look(participant, "my-input", problems)

    assert not problems, "\n".join(problems)
