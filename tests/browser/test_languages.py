"""The participant's flow and the facilitators' console in French and in Arabic (issue 27):
in the reader's language, mirrored in Arabic, no sideways scroll from 360 to 1920 px, and
no axe violation (tests/browser/test_tour.py's look)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.test_facilitation_live import PASSWORD
from tests.browser.test_tour import look, tour_session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session(transactional_db, django_user_model):
    """The tour's session: the demo paper, three groups, 24 demo participants."""
    return tour_session(django_user_model)


# What each language calls the things the flow clicks and reads.
WORDS = {
    "fr": {"live": "En direct", "agree": "D’accord", "post": "Publier la position"},
    "ar": {"live": "مباشر", "agree": "أوافق", "post": "نشر الموقف"},
}


def in_language(new_page, base: str, language: str, width: int = 1366) -> Page:
    page = new_page(width, 768)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return page


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_participant_joins_posts_and_votes_in_their_language(
    asgi_server,
    new_page,
    session,
    language,
):
    base, words, problems = asgi_server.url, WORDS[language], []
    group = session.groups.order_by("position").first()
    page = in_language(new_page, base, language)
    page.goto(base + reverse("join", args=[session.code]))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    look(page, "join", problems)
    page.locator("#display-name").fill("Layla" if language == "ar" else "Zoé")
    page.locator(f"input[name=group][value='{group.pk}']").check()
    page.locator("form.stack button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/rooms/\d+/$"))
    expect(page.locator("#connection")).to_have_text(words["live"])

    page.locator("#position-text").fill("Une position à débattre / موقف للنقاش")
    page.get_by_role("button", name=words["post"]).click()
    card = page.locator("li.position", has_text="Une position à débattre")
    expect(card).to_have_count(1)
    card.get_by_role("button", name=re.compile(words["agree"])).first.click()
    expect(card.locator("button.agree")).to_have_attribute("aria-pressed", "true")
    look(page, "room", problems)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_console_speaks_the_facilitators_language(
    asgi_server,
    new_page,
    session,
    language,
):
    base, problems = asgi_server.url, []
    group = session.groups.order_by("position").first()
    organizer = in_language(new_page, base, language)
    organizer.goto(f"{base}/accounts/login/")
    organizer.locator("#id_username").fill("olga")
    organizer.locator("#id_password").fill(PASSWORD)
    organizer.locator("form button[type=submit]").last.click()
    expect(organizer).to_have_url(f"{base}{reverse('organizer:home')}")
    for name, path in [
        ("console", reverse("facilitator:overview", args=[session.pk])),
        ("console-group", reverse("facilitator:group", args=[group.pk])),
        ("synthesis", reverse("facilitator:synthesis", args=[session.pk])),
        ("session", reverse("organizer:session", args=[session.pk])),
    ]:
        organizer.goto(base + path)
        expect(organizer.locator("html")).to_have_attribute("lang", language)
        if organizer.locator("#connection").count():
            expect(organizer.locator("#connection")).to_have_text(WORDS[language]["live"])
        look(organizer, name, problems)
    assert not problems, "\n".join(problems)
