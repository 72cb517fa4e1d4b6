"""A facilitator moderates in French or in Arabic while a participant votes in Spanish.

Every vote of Ana's redraws the facilitator's console live (the console re-fetches its
group's panel). The console must come back in the facilitator's language each time, with
the reason they were typing still in its box; the broadcasts Ana's page receives (a
position gone, a pin) must come in hers. Ana is in Spanish rather than in the site's
default, English: a broadcast rendered in the default language, or in the language of
whoever acted, would show.

Every interface string the test expects is looked up in the catalogues
(locale/<lang>/LC_MESSAGES), by its msgid, in the test's process: none is written here but
as the source's English msgid (the reasons are the facilitator's own words), and each is
checked to be translated, so a missing catalogue fails loudly instead of letting an
English page pass.
"""

from __future__ import annotations

import gettext as stdlib_gettext
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from discussions import services
from discussions.models import Participant, Position, Session
from tests.browser import test_facilitation_live
from tests.browser.accessibility import assert_accessible
from tests.browser.pages import settled
from tests.browser.test_facilitation_live import PASSWORD
from tests.browser.test_room_live import assert_same_document, card, mark_document
from tests.factories import make_demo_session

pytestmark = pytest.mark.django_db(transaction=True)

# conftest's new_page, watched: a JavaScript error on any page fails the test.
new_page = test_facilitation_live.new_page

PARTICIPANT_LANGUAGE = "es"
# What the facilitator types as the reason for hiding: their own words, in their language.
REASONS = {
    "fr": "Hors sujet pour cette question",
    "ar": "خارج عن موضوع هذا السؤال",
}


# --- The catalogues ---------------------------------------------------------------------------


def tr(language: str, msgid: str, *, context: str | None = None, **values) -> str:
    """The msgid as a page in `language` shows it (the server's catalogues, django.mo)."""
    with translation.override(language):
        text = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
        return str(text) % values if values else str(text)


def translated(language: str, msgid: str, **kwargs) -> str:
    """tr(), and the catalogue must have it: an English string would make the test vacuous."""
    text = tr(language, msgid, **kwargs)
    assert text != tr("en", msgid, **kwargs), f"{msgid!r} is not translated into {language}"
    return text


def js(language: str, msgid: str, *, context: str | None = None) -> str:
    """A string of the scripts' catalogue (djangojs.mo, served by the javascript_catalog)."""
    catalogue = stdlib_gettext.translation(
        "djangojs",
        localedir=str(settings.BASE_DIR / "locale"),
        languages=[translation.to_locale(language)],
    )
    return catalogue.pgettext(context, msgid) if context else catalogue.gettext(msgid)


def tally_texts(language: str, agree: int, disagree: int, passed: int) -> dict[str, str]:
    """What room/_tally.html shows: each count with its word, and the screen readers' label."""
    with translation.override(language):
        return {
            ".agree-text": "✓ "
            + translation.ngettext("%(counter)s agree", "%(counter)s agree", agree)
            % {"counter": agree},
            ".disagree-text": "✗ "
            + translation.ngettext("%(counter)s disagree", "%(counter)s disagree", disagree)
            % {"counter": disagree},
            ".pass-text": "– "
            + translation.npgettext("vote", "%(counter)s pass", "%(counter)s pass", passed)
            % {"counter": passed},
            "aria-label": translation.gettext(
                "%(agree)s agree, %(disagree)s disagree, %(passed)s pass"
            )
            % {"agree": agree, "disagree": disagree, "passed": passed},
        }


def expect_tally(page: Page, position: Position, language: str, *counts: int) -> None:
    """The position's tally on the page, every word of it in `language`."""
    expected = tally_texts(language, *counts)
    if language != "en":
        english = tally_texts("en", *counts)
        assert expected[".agree-text"] != english[".agree-text"], f"no {language} tally"
    tally = page.locator(f"#tally-{position.pk}")
    for part in (".agree-text", ".disagree-text", ".pass-text"):
        expect(tally.locator(part)).to_have_text(expected[part])
    expect(tally).to_have_attribute("aria-label", expected["aria-label"])


def expect_language(page: Page, language: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    rtl = translation.get_language_info(language)["bidi"]
    expect(html).to_have_attribute("dir", "rtl" if rtl else "ltr")


# --- The people ---------------------------------------------------------------------------------


def in_language(new_page, base: str, language: str, width: int, height: int) -> Page:
    """A browser context of its own whose reader chose `language` (the switcher's cookie)."""
    page = new_page(width, height)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return page


def join_in(page: Page, base: str, session: Session, name: str, group, language: str) -> Page:
    """Join through the join page as it reads in `language`."""
    page.goto(base + reverse("join", args=[session.code]))
    expect_language(page, language)
    page.get_by_label(translated(language, "Your display name")).fill(name)
    page.locator(f"input[name=group][value='{group.pk}']").check()
    page.get_by_role(
        "button", name=translated(language, "Join", context="button"), exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/rooms/\d+/$"))
    expect_live(page, language, context="connection state")
    return page


def log_in_to(page: Page, base: str, language: str, username: str, next_path: str) -> Page:
    """Log in through the login page as it reads in `language`, landing on next_path."""
    page.goto(f"{base}{reverse('login')}?next={next_path}")
    expect_language(page, language)
    page.get_by_label(translated(language, "Username")).fill(username)
    page.get_by_label(translated(language, "Password")).fill(PASSWORD)
    page.get_by_role("button", name=translated(language, "Log in"), exact=True).click()
    expect(page).to_have_url(f"{base}{next_path}")
    expect_live(page, language)
    return page


def expect_live(page: Page, language: str, *, context: str | None = None) -> None:
    connection = page.locator("#connection")
    expect(connection).to_have_attribute("data-state", "live")
    expect(connection).to_have_text(js(language, "Live", context=context))


def vote(page: Page, position: Position, key: str) -> None:
    """Ana's vote, by the button's id: its name is in her language."""
    settled(page)
    button = page.locator(f"#vote-{position.pk}-{key}")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


@pytest.fixture
def session(transactional_db) -> Session:
    return make_demo_session("Consoles in six languages", group_count=1)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_facilitator_moderates_in_their_language_while_votes_redraw_the_console(
    asgi_server, new_page, session, django_user_model, screenshot, language
):
    base, reason = asgi_server.url, REASONS[language]
    group = session.groups.get()
    django_user_model.objects.create_user(username="gil", password=PASSWORD)
    services.assign_facilitator(session=session, username="gil", group_ids=[group.pk])

    ana_page = join_in(
        in_language(new_page, base, PARTICIPANT_LANGUAGE, 1280, 800),
        base,
        session,
        "Ana",
        group,
        PARTICIPANT_LANGUAGE,
    )
    ana = Participant.objects.get(display_name="Ana")
    # Written directly, and Ana's page loaded again: a service called from this process
    # would publish to no socket of the server's.
    first, second, third = (
        Position.objects.create(group=group, prompt=group.current_prompt, author=ana, text=text)
        for text in (
            "The US should stay in NATO and lead it.",
            "Fund the UN's peacekeeping in full.",
            "Reform the Security Council's veto.",
        )
    )
    ana_page.reload()
    expect_live(ana_page, PARTICIPANT_LANGUAGE, context="connection state")
    mark_document(ana_page)

    console_path = reverse("facilitator:group", args=[group.pk])
    console = log_in_to(
        in_language(new_page, base, language, 1366, 900), base, language, "gil", console_path
    )
    expect_language(console, language)
    feedback = console.locator("#panel .feedback")

    # 1. A reason typed for hiding the first position; Ana's vote redraws the console
    #    before the facilitator presses Hide.
    console.locator(f"#reason-{first.pk}").fill(reason)
    vote(ana_page, second, "agree")
    expect_tally(console, second, language, 1, 0, 0)
    settled(console)
    expect(console.locator(f"#reason-{first.pk}")).to_have_value(reason)
    expect_language(console, language)

    hide = console.locator(f"#hide-{first.pk}")
    expect(hide).to_have_accessible_name(
        re.sub(
            r"<[^>]+>",
            "",
            translated(language, 'Hide<span class="visually-hidden"> position: %(text)s</span>')
            % {"text": first.text},
        )
    )
    hide.click()
    expect(feedback).to_contain_text(translated(language, "Position hidden from participants."))
    expect(console.locator("#hidden-heading")).to_have_text(
        translated(language, "Hidden and rejected (%(count)s)", count=1)
    )
    with translation.override(language):
        hidden_as = translation.gettext("%(status)s: %(reason)s") % {
            "status": str(Position.Status.HIDDEN.label),
            "reason": reason,
        }
    assert translated(language, "Hidden") in hidden_as
    expect(console.locator(f"#mod-position-{first.pk} .muted")).to_contain_text(hidden_as)
    expect(card(ana_page, first)).to_have_count(0)
    first.refresh_from_db()
    assert (first.status, first.moderation_reason) == (Position.Status.HIDDEN, reason)

    # 2. A reason typed for the third position, not sent; the second one pinned; then
    #    Ana's vote redraws the console again.
    console.locator(f"#reason-{third.pk}").fill(reason)
    settled(console)
    console.locator(f"#pin-{second.pk}").click()
    expect(feedback).to_contain_text(translated(language, "Position pinned to the top."))
    pinned = translated(language, "Pinned")
    expect(console.locator(f"#mod-position-{second.pk} .badge.pin")).to_have_text(pinned)
    expect(console.locator(f"#reason-{third.pk}")).to_have_value(reason)

    marker = translated(PARTICIPANT_LANGUAGE, "Pinned by the facilitator")
    ana_marker = card(ana_page, second).locator(".badge.pin")
    expect(ana_marker).to_have_text(marker)
    expect(ana_marker).not_to_contain_text(tr(language, "Pinned by the facilitator"))

    vote(ana_page, third, "disagree")
    expect_tally(console, third, language, 0, 1, 0)
    settled(console)
    expect(console.locator(f"#reason-{third.pk}")).to_have_value(reason)
    expect(console.locator(f"#mod-position-{second.pk} .badge.pin")).to_have_text(pinned)
    expect_tally(console, second, language, 1, 0, 0)
    expect(console.locator("#hidden-heading")).to_have_text(
        translated(language, "Hidden and rejected (%(count)s)", count=1)
    )
    # The notice of the last action stays through the redraw, still in their language.
    expect(feedback).to_contain_text(translated(language, "Position pinned to the top."))
    expect_language(console, language)
    expect_live(console, language)

    # The group's latest actions, on the console, in the facilitator's language.
    hide_word = translated(language, "hide", context="moderation log action")
    pin_word = translated(language, "pin", context="moderation log action")
    latest = console.locator("section[aria-labelledby=glog-heading]")
    expect(latest.locator("h2")).to_have_text(translated(language, "Latest actions in this group"))
    expect(latest.locator("li")).to_have_count(2)
    expect(latest.locator("li").nth(0)).to_contain_text(f"gil · {pin_word}")
    expect(latest.locator("li").nth(1)).to_contain_text(f"gil · {hide_word} · {reason}")

    # Ana's page, meanwhile, in Spanish throughout: same document, her own tallies.
    expect_language(ana_page, PARTICIPANT_LANGUAGE)
    expect(card(ana_page, first)).to_have_count(0)
    expect(ana_marker).to_have_text(marker)
    expect_tally(ana_page, second, PARTICIPANT_LANGUAGE, 1, 0, 0)
    expect_tally(ana_page, third, PARTICIPANT_LANGUAGE, 0, 1, 0)
    expect_live(ana_page, PARTICIPANT_LANGUAGE, context="connection state")
    assert_same_document(ana_page)

    screenshot(console, f"console-in-{language}-after-moderating")
    if language == "ar":
        assert_accessible(console, "the console in Arabic after hiding and pinning")

    # 3. The moderation log, in the facilitator's language.
    log = console.context.new_page()
    log.goto(base + reverse("facilitator:log", args=[session.pk]))
    expect_language(log, language)
    expect(log.get_by_role("heading", level=1)).to_have_text(translated(language, "Moderation log"))
    # Some are the same words in French ("Action"): looked up, not required to differ.
    header = [
        tr(language, words)
        for words in ("When", "Who", "Action", "Group", "Position or participant", "Detail")
    ]
    expect(log.locator("thead th")).to_have_text(header)
    rows = log.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td")).to_have_text(
        [re.compile(r"\S"), "gil", pin_word, group.name, f"#{second.pk} {second.text}", ""]
    )
    expect(rows.nth(1).locator("td")).to_have_text(
        [re.compile(r"\S"), "gil", hide_word, group.name, f"#{first.pk} {first.text}", reason]
    )
    screenshot(log, f"moderation-log-in-{language}")
