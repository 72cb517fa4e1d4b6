"""Closing the loop (issue 29), in real browsers against the real ASGI server.

A participant posts through the room, the facilitators hide, take into the plenary and
promote (service calls from the test, between the browser steps), and the participant chooses
to be credited by name. Once the organizer publishes, every room says so live, and the
participant's page "What became of my positions" tells each position's fate, with links into
the public results page, and the credit choice frozen.

The public results page follows the plenary live: a promotion and a reordering reach a phone
that opened the page without any cookie, by its socket alone (its fallback poll is two
minutes, longer than the deadline), and authors show by pseudonym unless they chose their
name.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from discussions import services
from discussions.exports import pseudonyms
from discussions.models import BreakoutGroup, Participant, Session
from tests.browser import accessibility, test_facilitation_live, test_invitations
from tests.browser.test_facilitation_live import post
from tests.browser.test_invitations import log_in
from tests.browser.test_room_live import (
    assert_same_document,
    join,
    mark_document,
    off_the_browser_thread,
)
from tests.factories import make_participant, make_position

pytestmark = pytest.mark.django_db(transaction=True)

# Pages watched for JavaScript errors, as the facilitation tests watch theirs; the session
# and its organizer (Olga, whom test_invitations.log_in logs in) as the invitation tests'.
new_page = test_facilitation_live.new_page
session = test_invitations.session
organizer = test_invitations.organizer

PUBLISHED_NOTICE = "The outcome is published: see the recommendations."


def groups(session: Session) -> list[BreakoutGroup]:
    return list(session.groups.order_by("position"))


def results_path(session: Session) -> str:
    return reverse("results", args=[session.results_token])


def headings(page: Page):
    return page.locator("#recommendations article.recommendation h2")


# --- The participant's page after publication -------------------------------------------------


def test_a_participant_sees_what_became_of_each_position_once_the_outcome_is_published(
    asgi_server, new_page, session, organizer, screenshot
):
    base, code = asgi_server.url, session.code
    first, second = groups(session)
    ana = join(new_page(), base, code, "Ana Lima", first.name)
    ben = join(new_page(), base, code, "Ben Okafor", second.name)
    ben_participant = Participant.objects.get(display_name="Ben Okafor")

    # Ana posts three positions through her room.
    off_topic = post(ana, "Trade tariffs should be lowered across the board.")
    for_all = post(ana, "Every member should publish its defence spending each year.")
    adopted = post(ana, "Tie alliance commitments to clear, published spending targets.")

    # The facilitators act on them, from the test; Ben, in the other group, votes on the
    # one in front of every group.
    reason = "Off topic: about trade, not alliances"
    off_the_browser_thread(
        services.hide_position, actor=organizer, position_id=off_topic.pk, reason=reason
    )
    off_the_browser_thread(
        services.take_into_plenary, actor=organizer, session=session, position_ids=[for_all.pk]
    )
    off_the_browser_thread(
        services.cast_vote, participant=ben_participant, position_id=for_all.pk, choice="agree"
    )
    first_recommendation = off_the_browser_thread(
        services.promote, actor=organizer, session=session, position_ids=[adopted.pk]
    )
    second_recommendation = off_the_browser_thread(
        services.promote, actor=organizer, session=session, position_ids=[for_all.pk]
    )

    # Her room links to her page; she opens it in another tab, the room staying open.
    link = ana.get_by_role("link", name="What became of my positions")
    mine_path = reverse("my_input", args=[first.pk])
    expect(link).to_have_attribute("href", mine_path)
    mine = ana.context.new_page()
    mine.goto(base + mine_path)
    expect(mine.get_by_role("heading", level=1)).to_have_text("What became of my positions")
    expect(mine.get_by_text("The outcome is not published yet.")).to_be_visible()
    # Not published: no recommendation is told yet.
    expect(mine.locator(f"#mine-{adopted.pk} .fate li")).to_have_text(["Shown to the group."])
    expect(mine.locator("#compare-heading")).to_have_count(0)

    # She chooses to be credited by name.
    credit = mine.locator("#credit")
    expect(credit.get_by_role("radio", name=re.compile("under a pseudonym"))).to_be_checked()
    credit.get_by_role("radio", name=re.compile("under my name, Ana Lima")).check()
    credit.locator("#credit-save").click()
    expect(credit.get_by_role("status")).to_have_text("Saved.")
    # The fragment the Save answers shows the choice as saved, with her name.
    expect(credit.get_by_role("radio", name="under my name, Ana Lima")).to_be_checked()
    expect(credit.get_by_role("radio", name=re.compile("under a pseudonym"))).not_to_be_checked()
    mine.reload()  # and so does the page, read again
    expect(credit.get_by_role("radio", name="under my name, Ana Lima")).to_be_checked()
    assert Participant.objects.get(display_name="Ana Lima").credited

    # The organizer publishes through the session's page: every room says so, live. (Through
    # the server: without Redis, a service called from the test reaches no socket.)
    for room in (ana, ben):
        expect(room.locator("#room-status")).not_to_contain_text("The outcome is published")
    org = log_in(new_page(1366, 900), base, reverse("organizer:session", args=[session.pk]))
    org.locator("#publish-outcome").click()
    expect(org.locator("#publish-outcome")).to_have_text("Withdraw the publication")
    session.refresh_from_db()
    assert session.outcome_published_at is not None
    for room in (ana, ben):
        notice = room.locator("#room-status .announcement", has_text="The outcome is published")
        expect(notice).to_have_text(PUBLISHED_NOTICE)
        expect(notice.get_by_role("link", name="see the recommendations")).to_have_attribute(
            "href", results_path(session)
        )
    assert_same_document(ana, ben)

    # Her page, read again, tells each position's fate.
    mine.reload()
    expect(mine.locator(".card.notice")).to_contain_text("The outcome is published")
    expect(mine.locator("li.position")).to_have_count(3)
    expect(mine.locator(f"#mine-{off_topic.pk} .fate li")).to_have_text(
        [f"Hidden by the facilitators. Their reason: {reason}"]
    )
    expect(mine.locator(f"#mine-{off_topic.pk} .fate q")).to_have_text(reason)
    expect(mine.locator(f"#mine-{for_all.pk} .fate li")).to_have_text(
        [
            "Shown to the group.",
            "Sent to the plenary: every group voted on it.",
            f"Became recommendation 2: {for_all.text}",
        ]
    )
    expect(mine.locator(f"#mine-{for_all.pk} .tally")).to_have_attribute(
        "aria-label", "1 agree, 0 disagree, 0 pass"
    )
    expect(mine.locator(f"#mine-{adopted.pk} .fate li")).to_have_text(
        ["Shown to the group.", f"Became recommendation 1: {first_recommendation.text}"]
    )
    to_first = mine.locator(f"#mine-{adopted.pk}").get_by_role("link", name="recommendation 1")
    expect(to_first).to_have_attribute("href", results_path(session) + "#recommendation-1")

    # The credit choice is final now: said, with no form.
    expect(credit.locator("form, input, button")).to_have_count(0)
    expect(credit).to_contain_text(
        "By your name, Ana Lima. The outcome is published, so this no longer changes."
    )

    # How her group compared: Group 2 voted on the second recommendation, hers did not.
    compare = mine.locator("section", has=mine.locator("#compare-heading"))
    expect(compare.locator("article h3")).to_have_text(
        [f"1. {first_recommendation.text}", f"2. {second_recommendation.text}"]
    )
    support = compare.locator("article").nth(1).locator(".support li")
    expect(support).to_have_text(
        [
            re.compile(rf"^\s*{first.name}\s+your group\s+did not vote on it\s*$"),
            re.compile(rf"^\s*{second.name}\s+100% agree \(1 of 1 vote\)\s*$"),
        ]
    )
    expect(support.nth(0)).to_have_class("mine")
    screenshot(mine, "outcome-my-input-published")
    accessibility.assert_accessible(mine, "the participant's page, published")

    # Its link leads to the recommendation on the public page, where she is named.
    to_first.click()
    expect(mine).to_have_url(base + results_path(session) + "#recommendation-1")
    article = mine.locator("#recommendation-1")
    expect(article).to_be_in_viewport()
    expect(mine.locator("#recommendation-1-text")).to_have_text(f"1. {first_recommendation.text}")
    expect(
        article.locator(f"#recommendation-1-position-{adopted.pk} .position-author")
    ).to_have_text(f"{first.name} · Ana Lima")


# --- The public page, live --------------------------------------------------------------------


def test_the_public_results_page_follows_the_plenary_live_on_a_phone(
    asgi_server, new_page, session, organizer, screenshot
):
    first, second = groups(session)
    ana = make_participant(first, "Ana Lima")
    ben = make_participant(second, "Ben Okafor")
    off_the_browser_thread(services.set_credit, participant=ana, credited=True)
    targets = make_position(ana, "Tie alliance commitments to clear, published spending targets.")
    reform = make_position(ben, "Keep the WHO funded while it reforms its emergency programme.")
    courts = make_position(ana, "Bring trade disputes back to a working appeals body.")

    def promote(position):
        return off_the_browser_thread(
            services.promote, actor=organizer, session=session, position_ids=[position.pk]
        )

    promote(targets)
    promote(reform)
    off_the_browser_thread(services.publish_outcome, session=session)

    # A phone with no cookies opens the link.
    phone = new_page(390, 844)
    response = phone.goto(asgi_server.url + results_path(session))
    assert response.status == 200
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Results: {session.name}")
    expect(headings(phone)).to_have_text([f"1. {targets.text}", f"2. {reform.text}"])
    mark_document(phone)

    # Authors: Ana chose her name; Ben did not, and shows by his pseudonym only.
    ben_pseudonym = pseudonyms(session, names=False)[ben.pk]
    assert re.fullmatch(r"P\d{3}", ben_pseudonym), ben_pseudonym
    expect(phone.locator(f"#recommendation-1-position-{targets.pk} .position-author")).to_have_text(
        f"{first.name} · Ana Lima"
    )
    expect(phone.locator(f"#recommendation-2-position-{reform.pk} .position-author")).to_have_text(
        f"{second.name} · {ben_pseudonym}"
    )
    expect(phone.locator("body")).not_to_contain_text("Ben Okafor")

    # The plenary promotes a third and moves it up, on the synthesis page (through the
    # server: without Redis, a service called from the test reaches no socket). The phone
    # follows, in place.
    synthesis = reverse("facilitator:synthesis", args=[session.pk])
    org = log_in(new_page(1366, 900), asgi_server.url, synthesis)
    row = org.locator(f"#all-positions tr:has(#select-{courts.pk})")
    row.get_by_role("button", name=re.compile("^Promote")).click()
    expect(org.locator(".messages")).to_contain_text("Recommendation added.")
    expect(headings(phone)).to_have_text(
        [f"1. {targets.text}", f"2. {reform.text}", f"3. {courts.text}"]
    )
    org.get_by_role("button", name="Move recommendation 3 up").click()
    wordings = org.locator("#curation ol.recommendations > li textarea[name=text]")
    for index, position in enumerate([targets, courts, reform]):
        expect(wordings.nth(index)).to_have_value(position.text)
    expect(headings(phone)).to_have_text(
        [f"1. {targets.text}", f"2. {courts.text}", f"3. {reform.text}"]
    )
    expect(phone.locator(f"#recommendation-2-position-{courts.pk} .position-author")).to_have_text(
        f"{first.name} · Ana Lima"
    )
    expect(phone.locator(f"#recommendation-3-position-{reform.pk} .position-author")).to_have_text(
        f"{second.name} · {ben_pseudonym}"
    )
    expect(phone.locator("body")).not_to_contain_text("Ben Okafor")
    assert_same_document(phone)

    # Readable on the phone: nothing wider than its screen.
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "outcome-results-phone")
    accessibility.assert_accessible(phone, "the public results page on a phone")
