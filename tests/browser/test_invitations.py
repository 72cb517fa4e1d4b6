"""Personal invitation links and sock puppets (issue 26), in real browsers against the real
ASGI server.

An organizer uploads the list of invitees through the session's page, prints the sheet of
links and admits only them; an invitee's link is one participant in every browser. A
facilitator removes a participant and takes back their votes: the tallies the others see
drop at once, and the removed person's link admits them nowhere. The synthesis page flags
puppets who joined together and voted alike at a machine's pace.

How long the tallies took to drop is printed, not bounded (tests/deadlines.py).
"""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from discussions import services
from discussions.models import Invitation, Participant, Position, Session, Vote
from tests.browser import accessibility
from tests.browser import test_facilitation_live as facilitation
from tests.browser.pages import settled
from tests.browser.test_room_live import (
    assert_same_document,
    card,
    expect_tally,
    mark_document,
)
from tests.factories import make_demo_session, make_participant, make_position, make_vote

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = facilitation.PASSWORD
FORBIDDEN_LOAD = "Failed to load resource: the server responded with a status of 403"
REMOVED = "A facilitator removed you from this session."


@pytest.fixture
def session(transactional_db) -> Session:
    return make_demo_session("Multilateralism breakouts", group_count=2)


@pytest.fixture
def organizer(django_user_model):
    return django_user_model.objects.create_user(username="olga", password=PASSWORD, is_staff=True)


@pytest.fixture
def new_page(new_page):
    """conftest's new_page, watched: a JavaScript error on any page fails the test. The one
    message let through is Chromium's note that a page answered 403, which these tests
    ask for (a refused join, the removed page) and check by its status."""
    errors: list[str] = []

    def note(page: Page, text: str) -> None:
        if not text.startswith(FORBIDDEN_LOAD):
            errors.append(f"{page.url}: {text}")

    def make(width: int = 1280, height: int = 800) -> Page:
        page = new_page(width, height)
        page.on("console", lambda m: m.type == "error" and note(page, m.text))
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        return page

    yield make
    assert not errors, "JavaScript errors in the pages:\n" + "\n".join(errors)


def log_in(page: Page, base: str, next_path: str) -> Page:
    page.goto(f"{base}{reverse('login')}?next={next_path}")
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}{next_path}")
    return page


def link_of(invitation: Invitation, base: str) -> str:
    return base + invitation.get_absolute_url()


def join_by_link(page: Page, link: str, name: str, group: str) -> Page:
    """Open a personal link for the first time: the name is the invitee's already, the
    group the organizers chose; Join leads into the room."""
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Join "))
    expect(page.get_by_label("Your display name")).to_have_value(name)
    expect(page.locator("form .help", has_text="The organizers placed you in")).to_have_text(
        f"The organizers placed you in {group}."
    )
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page).to_have_url(re.compile(r"/rooms/\d+/$"))
    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.get_by_text(re.compile("you are"))).to_have_text(re.compile(f"you are {name}$"))
    mark_document(page)
    return page


def expect_removed_page(page: Page, session: Session) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"You were removed from “{session.name}”"
    )
    expect(page.get_by_role("alert")).to_contain_text(REMOVED)
    expect(page.locator("#display-name, #connection")).to_have_count(0)  # no form, no room


# --- Invitations, from the upload to the same person in two browsers ---------------------------


def test_an_uploaded_list_makes_links_that_admit_only_their_invitees_each_as_one_person(
    asgi_server, new_page, session, organizer, screenshot, tmp_path
):
    base, code = asgi_server.url, session.code
    first, second = session.groups.order_by("position")
    session_path = reverse("organizer:session", args=[session.pk])

    # The organizer uploads the list through the session's page, as a file.
    invitees = tmp_path / "invitees.csv"
    invitees.write_text(
        "Name,Email,Group\nAna Lima,ana@example.org,Group 1\nBen Okafor,ben@example.org,2\n"
    )
    org = log_in(new_page(1366, 900), base, session_path)
    org.locator("#invitees").set_input_files(str(invitees))
    org.locator("#invitees-upload").click()
    expect(org.locator(".message.success")).to_have_text("Invited 2 people.")
    expect(org.get_by_text("2 invited, 0 joined.")).to_be_visible()
    toggle = org.locator("#invite-only-toggle")
    expect(toggle).to_have_text("Admit only invitation links")
    settled(org)
    toggle.click()
    expect(org.locator("#session-setup .message.success")).to_have_text(
        "Only invitation links admit newcomers now: the code alone admits nobody."
    )
    expect(org.locator("#invite-only-toggle")).to_have_text("Let the code admit too")
    screenshot(org, "invitations-session-page")
    accessibility.assert_accessible(org, "the session's page, invite-only")
    session.refresh_from_db()
    assert session.invite_only
    ana_invitation, ben_invitation = session.invitations.order_by("pk")
    assert (ana_invitation.name, ana_invitation.group) == ("Ana Lima", first)
    assert (ben_invitation.name, ben_invitation.group) == ("Ben Okafor", second)

    # The sheet: each invitee's link and QR code; the CSV has the same links.
    org.get_by_role("link", name="Sheet of links and QR codes").click()
    expect(org).to_have_url(base + reverse("organizer:invitations", args=[session.pk]))
    links = [link_of(ana_invitation, base), link_of(ben_invitation, base)]
    expect(org.locator(".invitation-link a")).to_have_text(links)
    expect(org.locator(".invitation svg title")).to_have_text(
        [f"QR code of {name}'s invitation link" for name in ("Ana Lima", "Ben Okafor")]
    )
    expect(org.locator(".invitation")).to_contain_text(["Not used yet", "Not used yet"])
    screenshot(org, "invitations-sheet")
    accessibility.assert_accessible(org, "the sheet of invitations")
    with org.expect_download() as download:
        org.get_by_role("link", name="all links as CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text("utf-8-sig"))))
    assert [(row["Name"], row["Group"], row["Link"], row["Joined"]) for row in rows] == [
        ("Ana Lima", "Group 1", links[0], "no"),
        ("Ben Okafor", "Group 2", links[1], "no"),
    ]

    # Someone with the code alone is refused, with the reason.
    outsider = new_page()
    response = outsider.goto(f"{base}/join/{code}/")
    assert response.status == 403
    expect(outsider.get_by_role("alert")).to_have_text(services.INVITE_ONLY)
    expect(outsider.get_by_label("Your display name")).to_have_count(0)
    screenshot(outsider, "invitations-code-refused")

    # Ana's link: the join form with her name and her group, then the room.
    ana = new_page()
    ana.goto(links[0])
    expect(ana.get_by_text("You are invited.")).to_be_visible()
    expect(ana.get_by_label("Join code")).to_have_count(0)
    screenshot(ana, "invitations-join-form")
    accessibility.assert_accessible(ana, "the invited join form")
    join_by_link(ana, links[0], "Ana Lima", "Group 1")
    expect(ana).to_have_url(base + first.get_absolute_url())
    text = "Tie alliance commitments to clear, published spending targets."
    position = facilitation.post(ana, text)
    expect(card(ana, position).locator(".position-author")).to_have_text("Ana Lima (you)")

    # The same link in another browser: straight into the room, as the same Ana.
    ana_elsewhere = new_page()
    ana_elsewhere.goto(links[0])
    expect(ana_elsewhere).to_have_url(base + first.get_absolute_url())
    expect(ana_elsewhere.locator("#connection")).to_have_text("Live")
    expect(ana_elsewhere.get_by_text(re.compile("you are"))).to_have_text(
        re.compile("you are Ana Lima$")
    )
    expect(card(ana_elsewhere, position).locator(".position-author")).to_have_text("Ana Lima (you)")
    screenshot(ana_elsewhere, "invitations-room-second-browser")
    ana_invitation.refresh_from_db()
    assert list(session.participants.values_list("pk", "display_name")) == [
        (ana_invitation.participant_id, "Ana Lima")
    ]
    assert position.author_id == ana_invitation.participant_id

    org.reload()
    expect(org.locator(".invitation")).to_contain_text(["Joined as Ana Lima", "Not used yet"])


# --- Removed, with their votes taken back ------------------------------------------------------


def test_a_participant_removed_with_their_votes_drops_from_the_tallies_and_stays_out(
    asgi_server, new_page, session, organizer, screenshot
):
    base = asgi_server.url
    group = session.groups.order_by("position").first()
    services.invite(session=session, data=b"Name,Group\nAna Lima,Group 1\nBen Okafor,Group 1\n")
    ana_invitation, ben_invitation = session.invitations.order_by("pk")
    ana_link = link_of(ana_invitation, base)
    ana = join_by_link(new_page(), ana_link, "Ana Lima", "Group 1")
    ben = join_by_link(new_page(), link_of(ben_invitation, base), "Ben Okafor", "Group 1")
    tied = facilitation.post(ben, "Tie NATO burden-sharing to published targets.")
    funded = facilitation.post(ben, "Keep the WHO funded while it reforms.")
    facilitation.vote(ana, tied, "Agree")
    facilitation.vote(ben, tied, "Agree")
    facilitation.vote(ana, funded, "Disagree")
    expect_tally([ana, ben], tied, agree=2, disagree=0)
    expect_tally([ana, ben], funded, agree=0, disagree=1)
    ana_invitation.refresh_from_db()
    ana_id = ana_invitation.participant_id
    assert Vote.objects.filter(participant_id=ana_id).count() == 2

    fac = log_in(new_page(1366, 900), base, reverse("facilitator:group", args=[group.pk]))
    expect(fac.locator("#connection")).to_have_text("Live")
    row = fac.locator("tr", has=fac.locator(f"#remove-{ana_id}"))
    expect(row.locator("td").nth(0)).to_have_text("Ana Lima")
    expect(row.locator("td").nth(2)).to_have_text("2")  # her votes
    settled(fac)
    row.get_by_label("and take back their votes").check()
    # Ben's page, from now on: when the tallies without Ana's votes show.
    facilitation.watch(ben, "tied", f"#tally-{tied.pk}[aria-label^='1 agree,']", present=True)
    facilitation.watch(
        ben, "funded", f"#tally-{funded.pk}[aria-label*=' 0 disagree']", present=True
    )
    clicked = time.time()
    row.get_by_role("button", name="Remove Ana Lima").click()
    done = fac.locator(".message.success")
    expect(done).to_contain_text(
        "Ana Lima removed; their positions stay and their votes are taken back."
    )
    expect(done.get_by_role("button")).to_have_text("Undo removal: Ana Lima, with their 2 votes")
    dropped = {key: facilitation.seen_at(ben, key) - clicked for key in ("tied", "funded")}
    print(
        "tallies without the removed participant's votes on the other screen after "
        + ", ".join(f"{key} {seconds * 1000:.0f} ms" for key, seconds in dropped.items())
    )

    # Ben sees the tallies without Ana's votes, in place; Ana's page is sent away.
    expect_tally([ben], tied, agree=1, disagree=0)
    expect_tally([ben], funded, agree=0, disagree=0)
    assert_same_document(ben)
    expect(ana).to_have_url(f"{base}/")
    assert not Vote.objects.filter(participant_id=ana_id).exists()
    assert Participant.objects.get(pk=ana_id).removed_at is not None
    expect(fac.locator(f"#remove-{ana_id}")).to_have_count(0)
    screenshot(fac, "invitations-console-after-removal")
    screenshot(ben, "invitations-room-after-removal")

    # Ana's link admits her nowhere: not in the browser she used, not in a new one.
    response = ana.goto(ana_link)
    assert response.status == 403
    expect_removed_page(ana, session)
    elsewhere = new_page()
    response = elsewhere.goto(ana_link)
    assert response.status == 403
    expect_removed_page(elsewhere, session)
    screenshot(elsewhere, "invitations-removed")
    # Nor does the code, in the browser she joined in.
    response = ana.goto(f"{base}/join/{session.code}/")
    assert response.status == 403
    expect_removed_page(ana, session)
    assert Participant.objects.filter(session=session).count() == 2


# --- The synthesis page flags puppets --------------------------------------------------------


def test_the_synthesis_page_flags_puppets_until_enough_of_them_are_removed(
    asgi_server, new_page, session, organizer, screenshot
):
    """Three participants made together who vote alike on five positions at once: what a
    script does. Ben, who joined with them and voted as fast but not quite alike, is not
    flagged."""
    base = asgi_server.url
    group = session.groups.order_by("position").first()
    ben = make_participant(group, "Ben Okafor")
    positions = [make_position(ben, f"Position number {n} about alliances.") for n in range(5)]
    puppets = [make_participant(group, f"Puppet {n}") for n in range(1, 4)]
    for puppet in puppets:
        for position in positions:
            make_vote(puppet, position, Vote.Choice.AGREE)
    for position in positions:
        make_vote(
            ben, position, Vote.Choice.DISAGREE if position == positions[0] else Vote.Choice.AGREE
        )
    assert Position.objects.filter(group=group).count() == 5

    fac = log_in(new_page(1366, 900), base, reverse("facilitator:synthesis", args=[session.pk]))
    notice = fac.locator("#vote-bursts")
    expect(notice.get_by_role("heading")).to_have_text("Check these votes")
    expect(notice.locator("li")).to_have_count(1)
    expect(notice.locator("li p")).to_have_text(
        [
            re.compile(
                r"^3 participants who joined within \d+ seconds? of each other cast identical "
                r"votes on 5 positions, all within \d+ seconds?\.$"
            ),
            "In Group 1: check or remove them: Puppet 1, Puppet 2, Puppet 3",
        ]
    )
    expect(notice).not_to_contain_text("Ben Okafor")
    screenshot(fac, "invitations-synthesis-bursts")
    accessibility.assert_accessible(fac, "the synthesis page with its notice")

    # Its link leads to the group's participants, where one of them is removed with
    # their votes: two alike are no flag.
    notice.get_by_role("link", name=re.compile("^Group 1")).click()
    expect(fac).to_have_url(
        base + reverse("facilitator:group", args=[group.pk]) + "#people-heading"
    )
    expect(fac.locator("#connection")).to_have_text("Live")
    settled(fac)
    puppet = puppets[0]
    fac.locator(f"#remove-{puppet.pk}-votes").check()
    fac.locator(f"#remove-{puppet.pk}").click()
    expect(fac.locator(".message.success")).to_contain_text("Puppet 1 removed;")
    assert not Vote.objects.filter(participant=puppet).exists()

    fac.goto(base + reverse("facilitator:synthesis", args=[session.pk]))
    expect(fac.get_by_role("heading", level=1)).to_be_visible()
    expect(fac.locator("#vote-bursts")).to_have_count(0)
