"""The synthesis page in a real browser, over a demo session with realistic votes (issue 5).

`demo.fill` plants three opinion groups among 90 participants in four breakout groups. The
facilitator logs in through the login page; the page must show the opinion map, the ranked
lists and the curation, and follow new votes live (its results re-fetch at most every 5 s
when the console socket says a group changed). How soon a vote shows is printed, not bounded
(tests/deadlines.py): the re-fetches' throttle and the time a synthesis takes under load
make it several seconds by design.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from django.conf import settings
from django.db.models import Count
from playwright.sync_api import Page, expect

from discussions import demo, services
from discussions.models import Participant, Position, Recommendation, Session, Vote
from tests.browser import test_facilitation_live as facilitation
from tests.browser.asgi_server import AsgiServer
from tests.browser.test_room_live import join, off_the_browser_thread
from tests.conftest import DEMO_PAPER
from tests.deadlines import DEADLINE
from tests.factories import make_participant, make_position
from tests.test_two_processes import Participant as HttpParticipant

pytestmark = pytest.mark.django_db(transaction=True)

# conftest's new_page, with JavaScript errors on any page failing the test.
new_page = facilitation.new_page
vote = facilitation.vote

PASSWORD = "a long organizer password"
PARTICIPANTS = 90
PLANTED_OPINION_GROUPS = 3
THROTTLE = 5.0  # seconds between two re-fetches of the results, at least (static/js/console.js)
ARTIFACTS = settings.BASE_DIR / "test-artifacts"
LEAD = re.compile(
    r"(?P<positions>\d+) positions · (?P<votes>\d+) votes · "
    r"(?P<participants>\d+) participants in (?P<groups>\d+) groups"
)


@pytest.fixture
def demo_session(transactional_db) -> Session:
    paper = services.import_paper(
        data=DEMO_PAPER.read_bytes(), filename=DEMO_PAPER.name, publish=True
    ).paper
    session = services.create_session(paper=paper, name="Demo breakouts", group_count=4)
    started = time.monotonic()
    activity = demo.fill(session, PARTICIPANTS, seed=0)
    print(
        f"demo.fill: {activity.participants} participants, {activity.positions} positions, "
        f"{activity.votes} votes in {time.monotonic() - started:.2f} s"
    )
    return session


@pytest.fixture
def organizer(django_user_model):
    return django_user_model.objects.create_user(username="olga", password=PASSWORD, is_staff=True)


def lead_numbers(page: Page) -> dict[str, int]:
    text = page.locator("#results p.lead").text_content()
    match = LEAD.search(text)
    assert match, text
    return {key: int(value) for key, value in match.groupdict().items()}


def wait_for_votes(page: Page, votes: int) -> None:
    """Until the results say `votes` votes (the context's deadline: only "never" fails)."""
    page.wait_for_function(
        """n => {
          const lead = document.querySelector("#results p.lead").textContent;
          const shown = / (\\d+) votes? /.exec(lead);
          return shown !== null && shown[1] === n;
        }""",
        arg=str(votes),
    )


def section(page: Page, heading_id: str):
    return page.locator(f"section[aria-labelledby={heading_id}]")


def shoot(locator, name: str) -> None:
    """A screenshot of one part of the page, for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    locator.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_synthesis(page: Page, base: str, session: Session, organizer) -> str:
    """Log in through the login page, land on the session's synthesis, its socket live."""
    path = f"/facilitate/sessions/{session.pk}/synthesis"
    page.goto(f"{base}/accounts/login/?next={path}")
    page.get_by_label("Username").fill(organizer.username)
    page.get_by_label("Password").fill(PASSWORD)
    started = time.monotonic()
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}{path}")
    print(f"synthesis page loaded after {(time.monotonic() - started) * 1000:.0f} ms")
    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.locator("h1")).to_have_text("Synthesis")
    return path


def test_synthesis_of_a_demo_session(asgi_server, new_page, demo_session, organizer, screenshot):
    base, session = asgi_server.url, demo_session
    page = new_page(1366, 900)
    path = open_synthesis(page, base, session, organizer)

    numbers = lead_numbers(page)
    print(f"lead: {numbers}")
    assert numbers["participants"] == PARTICIPANTS
    assert numbers["groups"] == 4
    assert numbers["votes"] == Vote.objects.count()
    assert numbers["positions"] == Position.objects.filter(status="visible").count()

    # The opinion map: one dot per participant; three opinion groups, as planted.
    opinion = section(page, "opinion-heading")
    expect(opinion.locator("svg.opinion-map use")).to_have_count(PARTICIPANTS)
    listed = opinion.locator(".opinion-groups h3").filter(
        has_text=re.compile(r"^\s*Group [A-E] \(\w+\) ·")
    )
    expect(listed).to_have_count(PLANTED_OPINION_GROUPS)
    sizes = [
        int(re.search(r"· (\d+) participants?", text).group(1))
        for text in listed.all_text_contents()
    ]
    print(f"opinion groups: {sizes}")
    assert sum(sizes) <= PARTICIPANTS and min(sizes) >= 10
    expect(opinion.locator("desc")).to_contain_text(f"{PLANTED_OPINION_GROUPS} opinion groups")
    markers = opinion.locator("svg.opinion-map use").evaluate_all(
        # Each marker's colour is its layer's (one <g> per colour), its shape its own.
        "dots => [...new Set(dots.map("
        "d => d.parentNode.getAttribute('fill') + d.getAttribute('href')))]"
    )
    # Each group its own colour and its own marker shape (colour is never the only cue).
    assert len([m for m in markers if "#8c959f" not in m]) == PLANTED_OPINION_GROUPS, markers

    # The ranked lists: broad consensus is not empty, nor is the split.
    broad = section(page, "broad-heading").locator("ol > li")
    divisive = section(page, "divisive-heading").locator("ol > li")
    backed = section(page, "backed-heading").locator("ol > li")
    assert broad.count() > 0 and not broad.first.locator(".muted").filter(has_text="yet").count()
    expect(broad.first.locator(".item-text")).not_to_be_empty()
    assert divisive.count() > 0
    expect(divisive.first.locator(".item-text")).not_to_be_empty()
    print(
        f"lists: {broad.count()} broad consensus, {divisive.count()} divisive, "
        f"{backed.count()} backed by one group; top of broad consensus: "
        f"{broad.first.locator('.item-text').text_content()!r}"
    )
    expect(section(page, "themes-heading").locator("h3").first).to_be_visible()

    screenshot(page, "synthesis-full")
    shoot(page.locator(".synthesis-lists"), "synthesis-ranked-lists")
    opinion.scroll_into_view_if_needed()
    shoot(opinion, "synthesis-opinion-map")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the synthesis page overflows: {width}"

    # Live: a participant joins and votes twice, a moment apart. The page follows, and the
    # second vote is not lost in the throttle.
    before = numbers["votes"]
    page.evaluate("window.__sameDocument = true")
    trace = """() => {
      window.__leads = [];
      const record = () => {
        const lead = document.querySelector('#results p.lead');
        const text = lead ? lead.textContent : '';
        const last = window.__leads[window.__leads.length - 1];
        if (!last || last[1] !== text) window.__leads.push([Date.now(), text]);
      };
      record();
      new MutationObserver(record).observe(document.body, {subtree: true, childList: true});
      window.__fetches = [];
      document.body.addEventListener("htmx:beforeRequest", (event) => {
        if (event.detail.requestConfig.path.includes("/synthesis/results")) {
          // htmx's "load delay" trigger hands over no event: that is the fetch again.
          const cause = event.detail.requestConfig.triggeringEvent;
          window.__fetches.push([Date.now(), cause ? cause.type : "again"]);
        }
      });
    }"""
    page.evaluate(trace)
    group = session.groups.order_by("position").first()
    zoe = join(new_page(), base, session.code, "Zoe Live", group.name)
    cards = zoe.locator("#positions-list > li.position")
    first_id, second_id = (
        int(cards.nth(i).get_attribute("id").removeprefix("position-")) for i in (0, 1)
    )
    first, second = Position.objects.get(pk=first_id), Position.objects.get(pk=second_id)
    vote(zoe, first, "Agree")
    first_at = time.time()
    time.sleep(1.0)
    if os.environ.get("REDIS_URL"):
        # The test process shares the server's channel layer: a service call reaches the page.
        how = "through services"
        off_the_browser_thread(
            services.cast_vote,
            participant=Participant.objects.get(display_name="Zoe Live"),
            position_id=second.pk,
            choice="disagree",
        )
    else:
        how = "in the browser"
        vote(zoe, second, "Disagree")
    second_at = time.time()
    expected = before + 2
    wait_for_votes(page, expected)
    leads = [
        (ms / 1000, int(LEAD.search(text).group("votes")))
        for ms, text in page.evaluate("window.__leads")
        if LEAD.search(text)
    ]
    shown_first = next(at for at, votes in leads if votes >= before + 1)
    shown_second = next(at for at, votes in leads if votes >= expected)
    print(
        f"synthesis lead: first vote shown after {shown_first - first_at:.2f} s, second vote "
        f"({how}) after {shown_second - second_at:.2f} s; counts seen: "
        + " → ".join(str(votes) for _at, votes in leads)
    )
    # The console's changes re-fetch the results never more often than the throttle. An
    # answer whose results were being computed again is followed by one more fetch a second
    # later ("again"), which the server answers from the results it shares.
    time.sleep(THROTTLE)  # and nothing left pending after the last change
    fetches = [(ms / 1000, cause) for ms, cause in page.evaluate("window.__fetches")]
    print(
        f"results re-fetched {len(fetches)} times, at "
        + ", ".join(f"{at - first_at:+.2f} s ({cause})" for at, cause in fetches)
        + " from the first vote"
    )
    changes = [at for at, cause in fetches if cause != "again"]
    gaps = [later - earlier for earlier, later in zip(changes, changes[1:], strict=False)]
    assert all(gap > THROTTLE - 0.2 for gap in gaps), gaps
    after = [
        later - earlier
        for (earlier, _), (later, cause) in zip(fetches, fetches[1:], strict=False)
        if cause == "again"
    ]
    assert all(gap > 0.9 for gap in after), after
    assert page.evaluate("window.__sameDocument === true"), "the synthesis page reloaded"
    assert lead_numbers(page)["votes"] == Vote.objects.count() == expected

    # Curation: promote a divisive position; the recommendation comes with a dissent note.
    divided = (
        Position.objects.filter(status="visible", votes__choice=Vote.Choice.DISAGREE)
        .annotate(against=Count("votes"))
        .order_by("-against", "pk")
        .first()
    )
    row = page.locator(f"#all-positions tr:has(#select-{divided.pk})")
    row.get_by_role("button", name=re.compile("^Promote")).click()
    expect(page).to_have_url(re.compile(rf"{path}#curation$"))
    expect(page.locator(".messages")).to_contain_text("Recommendation added.")
    recommendation = Recommendation.objects.get()
    assert list(recommendation.sources.all()) == [divided]
    items = page.locator("#curation ol.recommendations > li")
    expect(items).to_have_count(1)
    expect(items.get_by_label(re.compile("^Recommendation 1"))).to_have_value(divided.text)
    dissent = items.get_by_label("Dissent")
    expect(dissent).to_have_value(services.default_dissent([divided]))
    note = dissent.input_value()
    print(f"dissent note of the promoted position:\n{note}")
    assert re.match(r"\d+ participants voted against\.\n“.+” \(agreed by \d+ of \d+", note), note
    quotes = [line.split("” (")[0] for line in note.splitlines()[1:]]
    assert len(quotes) == len(set(quotes)), f"the same sentence is quoted twice: {quotes}"
    expect(items.locator("p.small")).to_contain_text(divided.group.name)
    page.locator("#curation").scroll_into_view_if_needed()
    shoot(page.locator("#curation"), "synthesis-recommendation")


SMALL_PAPER = b"""# A small paper

What should allies pay for?

## Alliances

Alliances are multilateral organizations.
"""


def test_a_vote_during_a_slow_answer_still_shows(start_asgi_server, new_page, organizer):
    """The page asks for the results again while its last request is still unanswered (a
    loaded server): that ask must not be lost. htmx queues a request its element asks for
    while one is on its way, on that element; the answer replaces the element, and the
    queued request went with it, so the vote cast meanwhile never showed."""
    # Computed for every request: an answer shows the votes cast when it was asked, and
    # never asks again by itself ("load delay"), so only the console's asks re-fetch.
    server: AsgiServer = start_asgi_server(SYNTHESIS_FRESH="0")
    paper = services.import_paper(data=SMALL_PAPER, filename="small.md", publish=True).paper
    session = services.create_session(paper=paper, name="Small breakouts", group_count=1)
    group = session.groups.get()
    author = make_participant(group, "Author")
    first, second = (make_position(author, text) for text in ("Pay more.", "Pay less."))
    voter = HttpParticipant(server)
    voter.join(session.code, "Vic", group.pk)

    page = new_page(1366, 900)
    open_synthesis(page, server.url, session, organizer)
    before = Vote.objects.filter(position__group=group).count()
    wait_for_votes(page, before)
    page.evaluate(
        f"""() => {{
          window.__heard = 0;
          document.body.addEventListener("console:group-{group.pk}", () => window.__heard++);
        }}"""
    )
    held = []

    def hold_the_first(route):
        """The first re-fetch is answered by the server at once, and reaches the page only
        when the test lets it: a slow answer."""
        if held:
            route.continue_()
        else:
            held.append((route, route.fetch()))

    page.route("**/synthesis/results*", hold_the_first)

    def cast(position, choice):
        voter.request(
            f"/rooms/{group.pk}/positions/{position.pk}/vote", {"choice": choice}, htmx=True
        )

    cast(first, "agree")
    deadline = time.monotonic() + DEADLINE
    while not held:  # the page asked, and the server answered with the first vote in
        assert time.monotonic() < deadline, "the page never asked for the results"
        page.wait_for_timeout(50)
    cast(second, "disagree")
    # The page hears of the second vote, and its next ask comes within the throttle after
    # the first: hold the answer a while longer, so that the ask comes while it is held.
    page.wait_for_function("() => window.__heard >= 2")
    page.wait_for_timeout((THROTTLE + 2) * 1000)
    route, response = held[0]
    route.fulfill(response=response)
    wait_for_votes(page, before + 1)
    wait_for_votes(page, before + 2)
    assert Vote.objects.filter(position__group=group).count() == before + 2
