"""The console under a facilitator's hands (issue 24): live redraws never take what they are
doing. A participant votes while the facilitator is between choosing and pressing; the
console redraws the group with the vote, and the facilitator's choice, text and focus are
where they left them, so the key they press next does what they meant.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from discussions import services
from discussions.models import BreakoutGroup, Participant, Position, Session, Vote
from tests.browser.accessibility import assert_accessible
from tests.browser.pages import settled
from tests.browser.test_facilitation_live import PASSWORD, log_in
from tests.browser.test_room_live import card, expect_my_vote, join, vote
from tests.factories import make_demo_session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session(transactional_db) -> Session:
    return make_demo_session("Hands on the console", group_count=1)


@pytest.fixture
def room(asgi_server, new_page, session, django_user_model):
    """Ana in the group's room with three positions of hers on screen, and a facilitator
    (not staff) on the group's console page."""
    group = session.groups.get()
    django_user_model.objects.create_user(username="gil", password=PASSWORD)
    services.assign_facilitator(session=session, username="gil", group_ids=[group.pk])
    ana_page = join(new_page(), asgi_server.url, session.code, "Ana", group.name)
    ana = Participant.objects.get(display_name="Ana")
    # Written directly: a service called from this process would push to no socket of the
    # server's, and Ana's page is loaded again below anyway.
    first, second, third = (
        Position.objects.create(group=group, prompt=group.current_prompt, author=ana, text=text)
        for text in (
            "The US should stay in NATO and lead it.",
            "Fund the UN's peacekeeping in full.",
            "America must remain in NATO, and lead.",
        )
    )
    ana_page.reload()
    expect(ana_page.locator("#connection")).to_have_text("Live")
    facilitator = log_in(
        new_page(1366, 900), asgi_server.url, "gil", f"/facilitate/groups/{group.pk}/"
    )
    return group, ana_page, facilitator, (first, second, third)


def redrawn_with_a_vote(ana_page: Page, facilitator: Page, position: Position) -> None:
    """Ana agrees with the position; wait until the console has redrawn the group with it."""
    vote(ana_page, position, "Agree")
    expect(facilitator.locator(f"#mod-position-{position.pk} .agree-text")).to_have_text(
        "✓ 1 agree"
    )
    settled(facilitator)


def focused_id(page: Page) -> str:
    return page.evaluate("() => document.activeElement.id")


def test_a_merge_choice_and_focus_survive_a_live_redraw(room):
    group, ana_page, facilitator, (first, second, third) = room
    # The newest first: the duplicate's "Merge into" offers the second position first.
    row = facilitator.locator(f"#mod-position-{third.pk}")
    merge_into = row.get_by_label("Merge into")
    expect(merge_into).to_have_value(str(second.pk))
    merge_into.select_option(str(first.pk))
    merge_into.focus()
    facilitator.keyboard.press("Tab")
    assert focused_id(facilitator) == f"merge-{third.pk}"

    redrawn_with_a_vote(ana_page, facilitator, second)

    expect(merge_into).to_have_value(str(first.pk))
    assert focused_id(facilitator) == f"merge-{third.pk}"
    facilitator.keyboard.press("Enter")
    expect(facilitator.locator(f"#mod-position-{third.pk}")).to_have_count(0)
    third.refresh_from_db()
    assert third.status == Position.Status.MERGED and third.merged_into_id == first.pk


def test_a_reason_typed_for_hiding_survives_a_live_redraw(room):
    group, ana_page, facilitator, (first, second, third) = room
    facilitator.locator(f"#reason-{first.pk}").fill("Off topic for this prompt")
    facilitator.keyboard.press("Tab")
    assert focused_id(facilitator) == f"hide-{first.pk}"

    redrawn_with_a_vote(ana_page, facilitator, second)

    expect(facilitator.locator(f"#reason-{first.pk}")).to_have_value("Off topic for this prompt")
    facilitator.keyboard.press("Enter")
    expect(facilitator.locator("#hidden-heading")).to_have_text("Hidden and rejected (1)")
    first.refresh_from_db()
    assert first.status == Position.Status.HIDDEN
    assert first.moderation_reason == "Off topic for this prompt"


def test_a_form_the_facilitator_sent_shows_the_server_again(room):
    """Kept values are the user's until they act: the minutes of an extension go back to
    the form's default once it is done, while a half-typed reason elsewhere stays. The
    console shows what is set: the running countdown, the announcement."""
    group, ana_page, facilitator, (first, second, third) = room
    facilitator.locator(f"#reason-{second.pk}").fill("Duplicate")
    facilitator.get_by_role("button", name="Start countdown for Group 1").click()
    expect(facilitator.locator(".timer-state")).to_contain_text("then voting only")
    minutes = facilitator.get_by_label("Minutes", exact=True)
    expect(minutes).to_have_value("1")
    minutes.fill("3")
    facilitator.get_by_role("button", name="Extend countdown for Group 1 by the minutes").click()
    expect(facilitator.get_by_text("Countdown extended.")).to_be_visible()
    expect(minutes).to_have_value("1")
    expect(facilitator.locator(f"#reason-{second.pk}")).to_have_value("Duplicate")

    facilitator.get_by_label("Announcement").fill("Five minutes left")
    facilitator.get_by_role("button", name="Send announcement").click()
    expect(facilitator.get_by_text("Announcement sent.")).to_be_visible()
    expect(facilitator.get_by_label("Announcement")).to_have_value("Five minutes left")
    assert BreakoutGroup.objects.get(pk=group.pk).announcement == "Five minutes left"
    expect(ana_page.get_by_role("note")).to_have_text(
        "Announcement from the facilitators: Five minutes left"
    )


def test_a_merge_is_undone_from_its_notice_and_each_vote_comes_back(room, screenshot):
    group, ana_page, facilitator, (first, second, third) = room
    vote(ana_page, first, "Disagree")
    vote(ana_page, third, "Agree")  # on both: the merge keeps her vote on the survivor only
    expect_my_vote(ana_page, third, "Agree")
    expect(facilitator.locator(f"#mod-position-{third.pk} .agree-text")).to_have_text("✓ 1 agree")
    settled(facilitator)
    row = facilitator.locator(f"#mod-position-{third.pk}")
    row.get_by_label("Merge into").select_option(str(first.pk))
    # The merge's own broadcast redraws the console a moment after its answer: the notice,
    # with its Undo, stays through it.
    with facilitator.expect_response(re.compile(r"/panel$")):
        row.get_by_role("button", name="Merge this duplicate").click()
    settled(facilitator)
    expect(facilitator.locator(".feedback")).to_contain_text("Positions merged.")
    expect(card(ana_page, third)).to_have_count(0)
    assert not Vote.objects.filter(position=third).exists()
    screenshot(facilitator, "console-merged-with-undo")
    assert_accessible(facilitator, "the console with a notice and its Undo")

    facilitator.locator(".feedback").get_by_role("button", name=re.compile("^Undo merge")).click()

    expect(facilitator.locator(".feedback")).to_contain_text("Merge undone")
    expect(facilitator.locator(f"#mod-position-{third.pk}")).to_have_count(1)
    expect(card(ana_page, third)).to_have_count(1)
    expect_my_vote(ana_page, third, "Agree")
    expect_my_vote(ana_page, first, "Disagree")
    third.refresh_from_db()
    assert (third.status, third.merged_into_id) == (Position.Status.VISIBLE, None)


def test_a_facilitator_who_logs_in_from_the_home_page_lands_on_their_sessions(
    asgi_server, new_page, session, django_user_model
):
    """They landed on the organizer's pages, on a bare 403, with no link to their console."""
    group = session.groups.get()
    django_user_model.objects.create_user(username="gil", password=PASSWORD)
    services.assign_facilitator(session=session, username="gil", group_ids=[group.pk])
    page = new_page(1366, 768)
    page.goto(asgi_server.url + "/")
    page.get_by_role("link", name="log in", exact=True).click()  # the page's, not the header's
    page.get_by_label("Username").fill("gil")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(asgi_server.url + "/facilitate/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sessions you facilitate")
    page.get_by_role("link", name=session.name).click()
    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.get_by_role("navigation", name="Account").get_by_role("link")).to_have_text(
        ["Facilitate"]
    )

    # A page they may not open says why, and where to go instead.
    page.goto(asgi_server.url + "/organizer/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
    expect(page.get_by_role("link", name="The sessions you facilitate")).to_be_visible()
