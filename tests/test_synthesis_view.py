"""The synthesis page, curation and the plenary round, over the database."""

import math
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discussions import matrix, queries, services, synthesis
from discussions.models import FacilitatorAssignment, Participant, Position, Recommendation, Vote
from discussions.views import synthesis as synthesis_views
from discussions.views import synthesis_cache, synthesis_rows
from tests.deadlines import DEADLINE
from tests.factories import (
    AGREE,
    DISAGREE,
    PASS,
    client_for,
    make_participant,
    make_position,
    make_vote,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizer(django_user_model):
    return django_user_model.objects.create_user(username="olga", is_staff=True)


def test_session_matrix_places_each_vote_and_leaves_unseen_as_nan(room):
    p1 = make_position(room.ada, "One")
    p2 = make_position(room.cleo, "Two")
    hidden = make_position(room.ben, "Hidden", status="hidden")
    make_vote(room.ada, p1, AGREE)
    make_vote(room.ben, p1, DISAGREE)
    make_vote(room.cleo, p2, PASS)
    make_vote(room.ada, hidden, AGREE)
    m = matrix.session_matrix(room.session)
    assert [p.text for p in m.positions] == ["One", "Two"]
    assert m.participant_ids.tolist() == [room.ada.pk, room.ben.pk, room.cleo.pk]
    expected = np.array([[1, np.nan], [-1, np.nan], [np.nan, 0]])
    assert np.array_equal(m.V, expected, equal_nan=True)
    assert m.breakout.tolist() == [0, 0, 1]


def test_session_matrix_costs_five_queries_whatever_the_size(room, django_assert_num_queries):
    people = [make_participant(room.group, f"P{i}") for i in range(15)]
    for n in range(12):
        position = make_position(people[n], f"Position {n}")
        for person in people:
            make_vote(person, position, AGREE if (n + person.pk) % 3 else DISAGREE)
    # groups, positions, their prompts (with question and section), participants, votes
    with django_assert_num_queries(5):
        m = matrix.session_matrix(room.session)
        shown = [(p.group.name, p.prompt.heading, p.prompt.context_section) for p in m.positions]
    assert m.V.shape == (18, 12)
    assert int(np.count_nonzero(~np.isnan(m.V))) == 15 * 12
    assert {name for name, _heading, _section in shown} == {room.group.name}


def test_synthesis_page_for_facilitators_only(client, room, django_user_model, published_paper):
    url = reverse("facilitator:synthesis", args=[room.session.pk])
    assert client.get(url).status_code == 302  # log in first
    assert client_for(room.ada).get(url).status_code == 403  # a participant
    stranger = django_user_model.objects.create_user(username="sam")
    client.force_login(stranger)
    assert client.get(url).status_code == 403
    FacilitatorAssignment.objects.create(session=room.session, user=stranger)
    assert client.get(url).status_code == 200


def test_an_empty_synthesis_says_what_will_appear_and_when(client, room, organizer):
    """Not numbered "1. None." items, nor an empty square of a map."""
    make_position(room.ada, "Nobody has voted on this yet.")
    client.force_login(organizer)
    page = client.get(reverse("facilitator:synthesis", args=[room.session.pk])).content.decode()
    for heading in ("broad-heading", "divisive-heading", "backed-heading"):
        section = page.split(f'id="{heading}"')[1].split("</section>")[0]
        assert "<ol>" not in section and '<p class="empty-note">' in section, heading
    assert "None." not in page
    assert "Opinion map" not in page
    assert "appears once participants have each voted" in page


def test_synthesis_page_shows_consensus_and_links_to_the_question(client, room, organizer):
    shared = make_position(room.ada, "Everyone agrees on this.")
    Position.objects.filter(pk=shared.pk).update(plenary=True)
    people = [
        make_participant(g, f"{g.name} {i}")
        for g in (room.group, room.other_group)
        for i in range(3)
    ]
    for person in people:
        make_vote(person, shared, AGREE)
    client.force_login(organizer)
    page = client.get(reverse("facilitator:synthesis", args=[room.session.pk])).content.decode()
    broad = page.split('id="broad-heading"')[1].split("</section>")[0]
    assert "Everyone agrees on this." in broad
    assert "What contributes to current trends?" in broad  # the framing question it answers
    assert "<svg" in page and "Opinion map" in page


def test_the_by_group_column_lists_the_groups_that_voted(client, room, organizer):
    """A breakout's position is voted in its own group: with 100 groups, a cell for each
    group made the page megabytes of dashes (docs/capacity.md, "The synthesis computed
    once, rendered once")."""
    own = make_position(room.ada, "Voted in its own group")
    make_vote(room.ben, own, AGREE)
    make_vote(room.ada, own, DISAGREE)
    make_position(room.ada, "Not voted yet")
    client.force_login(organizer)
    page = client.get(reverse("facilitator:synthesis", args=[room.session.pk])).content.decode()
    rows = page.split('class="synthesis-table"')[1].split("</table>")[0].split("<tr>")
    (voted,) = [row for row in rows if "Voted in its own group" in row]
    cells = voted.split('class="by-group">')[1].split("</td>")[0]
    assert f'title="{room.group.name}: 2 votes">{room.group.name} 50%</span>' in cells
    assert room.other_group.name not in cells
    (unvoted,) = [row for row in rows if "Not voted yet" in row]
    assert "no votes yet" in unvoted.split('class="by-group">')[1].split("</td>")[0]


def test_a_table_row_shows_every_figure_of_its_position(client, room, organizer):
    """The rows' values are worked out in the view, not looked up in the template
    (docs/capacity.md, "The synthesis computed once, rendered once"): each must still say
    what the votes say, escaped."""
    text = "<b>Trade</b> rules should be written by all who trade, not by the largest few."
    position = make_position(room.ada, text)
    Position.objects.filter(pk=position.pk).update(plenary=True)
    dan = make_participant(room.group, "Dan")
    eve = make_participant(room.other_group, "Eve")
    for person, choice in [
        (room.ada, AGREE),
        (room.ben, AGREE),
        (dan, PASS),
        (room.cleo, DISAGREE),
    ]:
        make_vote(person, position, choice)
    make_vote(eve, make_position(eve, "Another"), AGREE)
    client.force_login(organizer)
    page = client.get(reverse("facilitator:synthesis", args=[room.session.pk])).content.decode()
    rows = page.split('class="synthesis-table"')[1].split("</table>")[0].split("<tr>")
    (row,) = [row for row in rows if f'value="{position.pk}"' in row]
    assert "<b>Trade" not in row and "&lt;b&gt;Trade&lt;/b&gt; rules" in row
    # Truncated for the screen reader's labels: 60 characters, and 40.
    assert (
        'aria-label="Select: &lt;b&gt;Trade&lt;/b&gt; rules should be written '
        'by all who trade, not …"' in row
    )
    assert "> position: &lt;b&gt;Trade&lt;/b&gt; rules should be written by…</span>" in row
    heading = "What contributes to current trends?"
    assert f"<bdi>{room.group.name}</bdi> · <bdi>{heading}</bdi> · § " in row
    assert "<strong>in plenary</strong>" in row and "Leave plenary" in row
    assert 'aria-label="2 agree, 1 disagree, 1 pass"' in row
    assert 'style="width: 40%"' in row  # 2 agree of 4 votes, drawn on a bar of at least 5
    assert "<td>67%</td>" in row  # support: 2 of the 3 who took a side
    assert "<td>80%</td>" in row  # participation: 4 of the 5 who voted at all
    assert re.search(r"<td>\d{1,3}%</td>\s*<td class=\"by-group\">", row)  # consensus, as a share
    assert f'title="{room.group.name}: 3 votes">{room.group.name[:9]}' in row
    assert f'title="{room.other_group.name}: 1 vote">' in row


def test_each_theme_lists_its_most_agreed_positions_and_counts_the_rest(client, room, organizer):
    shown = synthesis_rows.THEME_SHOWN
    texts = [f"Publish the alliance spending targets, proposal {i}." for i in range(shown + 3)]
    positions = [make_position(room.ada, text) for text in texts]
    make_vote(room.ben, positions[-1], AGREE)  # the most agreed: listed first
    client.force_login(organizer)
    page = client.get(reverse("facilitator:synthesis", args=[room.session.pk])).content.decode()
    themes = page.split('id="themes-heading"')[1].split("</section>")[0]
    assert themes.count("<li>") == shown
    assert themes.index(texts[-1]) < themes.index(texts[0])
    assert f"({len(texts)} positions)" in themes
    assert "and 3 more, in" in themes and 'href="#all-positions"' in themes


def test_synthesis_page_query_count_is_fixed(
    client, room, organizer, django_assert_max_num_queries
):
    people = [make_participant(room.group, f"P{i}") for i in range(10)]
    for n in range(8):
        position = make_position(people[n], f"Statement number {n} about trade")
        for person in people:
            make_vote(person, position, AGREE if (n * person.pk) % 2 else DISAGREE)
    client.force_login(organizer)
    url = reverse("facilitator:synthesis", args=[room.session.pk])
    client.get(url)  # warm the session and the user
    # session (+paper), prompts for the menu, the matrix's five, recommendations (+ prompt,
    # + their sources), auth session and user, and the voting bursts' three (the votes'
    # choices, the suspects' votes with their times, the flagged participants: these ten,
    # created together and voting alike at once, are flagged): fixed, whatever the data.
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200


def lead_of(response) -> str:
    return response.content.decode().split('<p class="lead">')[1].split("</p>")[0]


def test_facilitators_share_the_synthesis_for_a_moment_but_curation_shows_at_once(
    client, room, organizer, settings
):
    settings.SYNTHESIS_FRESH = 60
    position = make_position(room.ada, "Share the burden.")
    make_vote(room.ben, position, AGREE)
    client.force_login(organizer)
    url = reverse("facilitator:synthesis_results", args=[room.session.pk])
    assert "1 vote " in lead_of(client.get(url))

    # A new vote waits for the next computation: the page says when its figures are from.
    make_vote(room.cleo, position, DISAGREE)
    with CaptureQueriesContext(connection) as captured:
        shared = client.get(url)
    assert "1 vote " in lead_of(shared) and " as of " in lead_of(shared)
    assert not [q for q in captured.captured_queries if "discussions_vote" in q["sql"]]

    # Sending it to the plenary changes the list of positions: computed again, both shown.
    Position.objects.filter(pk=position.pk).update(plenary=True)
    again = client.get(url)
    assert "2 votes " in lead_of(again)
    assert "Leave plenary" in again.content.decode()

    settings.SYNTHESIS_FRESH = 0  # the exports and the tests' default: every request
    make_vote(room.ada, position, PASS)
    assert "3 votes " in lead_of(client.get(url))


def test_shared_results_carry_each_facilitators_own_csrf_token(
    room, organizer, django_user_model, settings
):
    """The results are rendered once for everyone; the curation form in them still posts
    with the caller's own token (and only with it)."""
    settings.SYNTHESIS_FRESH = 60
    position = make_position(room.ada, "Promote me")
    other = django_user_model.objects.create_user(username="otto", is_staff=True)
    browsers = {}
    for user in (organizer, other):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(user)
        page = browser.get(reverse("facilitator:synthesis", args=[room.session.pk]))
        html = page.content.decode()
        assert synthesis_views.CSRF_PLACEHOLDER not in html
        results = html.split('id="results"')[1].split('id="curation"')[0]
        (token,) = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', results)
        browsers[user.username] = (browser, token)
    curate = reverse("facilitator:curate", args=[room.session.pk])
    olga, otto = browsers["olga"], browsers["otto"]
    # Another facilitator's token is refused; one's own works.
    refused = olga[0].post(
        curate, {"action": f"promote:{position.pk}", "csrfmiddlewaretoken": otto[1]}
    )
    assert refused.status_code == 403
    taken = olga[0].post(
        curate, {"action": f"promote:{position.pk}", "csrfmiddlewaretoken": olga[1]}
    )
    assert taken.status_code == 302
    assert Recommendation.objects.get().text == "Promote me"


def test_results_being_computed_again_ask_the_page_to_fetch_them_again(
    client, room, organizer, monkeypatch
):
    """The answer in hand is older than SYNTHESIS_FRESH: the page fetches again in a moment,
    so the last vote before a quiet spell is not left out."""
    make_vote(room.ben, make_position(room.ada, "Share the burden."), AGREE)
    client.force_login(organizer)
    url = reverse("facilitator:synthesis_results", args=[room.session.pk])
    trigger = 'hx-trigger="console:any from:body, console:resync from:body'
    assert f'{trigger}"' in client.get(url).content.decode()

    shared = synthesis_cache.shared_results
    monkeypatch.setattr(
        synthesis_cache,
        "shared_results",
        lambda *args: shared(*args)._replace(current=False),
    )
    assert f'{trigger}, load delay:1s"' in client.get(url).content.decode()
    page = client.get(reverse("facilitator:synthesis", args=[room.session.pk]))
    assert f'{trigger}, load delay:1s"' in page.content.decode()


def test_one_request_computes_a_shared_synthesis_while_the_others_wait():
    shared = synthesis_cache.SharedResults()
    computed = []

    def compute():
        computed.append(1)
        time.sleep(0.3)  # long enough for every request to arrive meanwhile
        return "numbers"

    def fetch(version):
        return shared.get(("session", None), version, 60, compute).result

    with ThreadPoolExecutor(max_workers=4) as threads:
        assert list(threads.map(fetch, [("listed",)] * 4)) == ["numbers"] * 4
    assert computed == [1]
    fetch(("listed", "one more"))  # another list of positions: computed again
    assert computed == [1, 1]
    assert shared.get(("session", None), ("listed", "one more"), 60, compute).current
    assert computed == [1, 1]


def test_results_once_old_are_answered_at_once_and_computed_again_in_the_background():
    shared = synthesis_cache.SharedResults()
    computed = []
    release = threading.Event()  # the computation in the background waits for it

    def compute():
        computed.append(1)
        if len(computed) > 1:
            assert release.wait(DEADLINE)
        return f"numbers {len(computed)}"

    def fetch(fresh: float = 0.5):
        return shared.get(("session", None), ("listed",), fresh, compute)

    assert fetch() == ("numbers 1", True)
    time.sleep(0.5)  # older than fresh now: their age counts from the computation's start
    # Answered with what is at hand while the computation waits: a request that waited for
    # it would not return before the release (no bound on how fast, on a loaded machine).
    for _ in range(3):
        assert fetch() == ("numbers 1", False)
    release.set()
    deadline = time.monotonic() + DEADLINE
    while fetch(fresh=60).result != "numbers 2":  # once computed, taken as current
        assert time.monotonic() < deadline, "the results were never computed again"
        time.sleep(0.01)
    assert computed == [1, 1]  # one computation in the background, not one per request


def test_a_process_takes_the_results_another_computed_a_moment_ago():
    """Two server processes share results through the cache (Redis when configured): the
    second takes the first's while they are fresh, computes its own once they are old or
    the list of positions changed."""
    first, second = synthesis_cache.SharedResults(), synthesis_cache.SharedResults()
    computed = []

    def compute(name):
        def run():
            computed.append(name)
            return f"numbers by {name}"

        return run

    subject = (41, None)
    assert first.get(subject, ("listed",), 60, compute("first")).result == "numbers by first"
    assert second.get(subject, ("listed",), 60, compute("second")) == ("numbers by first", True)
    assert second.get((41, 7), ("listed",), 60, compute("second")).result == "numbers by second"
    assert second.get(subject, ("more",), 60, compute("second")).result == "numbers by second"
    assert computed == ["first", "second", "second"]

    # Old results are not taken: a third process computes its own.
    time.sleep(0.2)
    third = synthesis_cache.SharedResults()
    assert third.get(subject, ("more",), 0.1, compute("third")).result == "numbers by third"


def test_results_are_computed_when_the_shared_store_fails():
    class Down:
        def get(self, key):
            raise ConnectionError("Redis is restarting")

        set = get

    shared = synthesis_cache.SharedResults(store=Down())
    assert shared.get((1, None), ("listed",), 60, lambda: "numbers") == ("numbers", True)


def test_every_process_writes_the_same_placeholders_in_shared_results(settings):
    """Results computed by one process are sent by another, which puts its caller's CSRF
    token in place of the placeholder: a placeholder of its own would match nothing."""
    code = (
        "import django; django.setup(); from discussions.views import synthesis as s; "
        "print(s.CSRF_PLACEHOLDER, s.REFETCH_PLACEHOLDER)"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "conference.settings",
        "SECRET_KEY": settings.SECRET_KEY,  # as every process of one server has
    }
    other = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    placeholders = [synthesis_views.CSRF_PLACEHOLDER, synthesis_views.REFETCH_PLACEHOLDER]
    assert other.stdout.split() == placeholders
    assert len(set(placeholders)) == 2 and all(len(p) > 32 for p in placeholders)
    assert synthesis_cache._shared.namespace not in placeholders


def test_promote_quotes_the_most_agreed_dissenting_position(room, organizer):
    source = make_position(room.ada, "Raise defence spending to 3%.")
    counter = make_position(room.ben, "Spend it on diplomacy instead.")
    other = make_position(room.ben, "Something else.")
    dan, eve = make_participant(room.group, "Dan"), make_participant(room.group, "Eve")
    for person in (dan, eve):
        make_vote(person, source, DISAGREE)
        make_vote(person, counter, AGREE)
    make_vote(dan, other, AGREE)
    make_vote(room.ada, source, AGREE)

    recommendation = services.promote(
        actor=organizer, session=room.session, position_ids=[source.pk]
    )
    assert recommendation.text == source.text
    assert list(recommendation.sources.all()) == [source]
    lines = recommendation.dissent_note.splitlines()
    assert lines[0] == "2 participants voted against."
    assert lines[1] == "“Spend it on diplomacy instead.” (agreed by 2 of 2 who disagreed)"
    assert lines[2] == "“Something else.” (agreed by 1 of 2 who disagreed)"


def test_recommendations_can_be_reworded_reordered_and_removed(room, organizer):
    a = make_position(room.ada, "A")
    b = make_position(room.ben, "B")
    first = services.promote(actor=organizer, session=room.session, position_ids=[a.pk])
    second = services.promote(actor=organizer, session=room.session, position_ids=[b.pk])
    assert first.dissent_note == "Nobody voted against this recommendation's source positions."
    services.edit_recommendation(
        actor=organizer, recommendation_id=second.pk, text=" Better wording ", dissent_note="x"
    )
    services.move_recommendation(actor=organizer, recommendation_id=second.pk, offset=-1)
    assert [r.text for r in room.session.recommendations.all()] == ["Better wording", "A"]
    with pytest.raises(services.ServiceError, match="top"):
        services.move_recommendation(actor=organizer, recommendation_id=second.pk, offset=-1)
    with pytest.raises(services.ServiceError, match="wording"):
        services.edit_recommendation(
            actor=organizer, recommendation_id=second.pk, text=" ", dissent_note=""
        )
    services.delete_recommendation(actor=organizer, recommendation_id=first.pk)
    assert list(Recommendation.objects.values_list("text", flat=True)) == ["Better wording"]
    # The source positions and their votes stay.
    assert Position.objects.filter(pk=a.pk).exists()


def test_curation_refuses_outsiders_and_hidden_positions(room, organizer, django_user_model):
    hidden = make_position(room.ada, "Hidden", status="hidden")
    stranger = django_user_model.objects.create_user(username="sam")
    visible = make_position(room.ada, "Visible")
    with pytest.raises(services.NotAllowed):
        services.promote(actor=stranger, session=room.session, position_ids=[visible.pk])
    with pytest.raises(services.ServiceError, match="visible"):
        services.promote(actor=organizer, session=room.session, position_ids=[hidden.pk])
    with pytest.raises(services.NotAllowed):
        services.take_into_plenary(actor=stranger, session=room.session, position_ids=[visible.pk])
    assert not Recommendation.objects.exists()
    assert not Position.objects.filter(plenary=True).exists()


def test_plenary_positions_reach_every_group_which_can_vote_on_them(room, organizer):
    position = make_position(room.ada, "For everyone")
    assert not queries.plenary_positions(room.other_group, room.cleo)
    with pytest.raises(services.ServiceError):
        services.cast_vote(participant=room.cleo, position_id=position.pk, choice="agree")

    services.take_into_plenary(actor=organizer, session=room.session, position_ids=[position.pk])
    assert [p.pk for p in queries.plenary_positions(room.other_group, room.cleo)] == [position.pk]
    # It leaves its own group's list for the plenary section.
    assert position not in queries.room_positions(room.group, room.ada)
    services.cast_vote(participant=room.cleo, position_id=position.pk, choice="agree")
    assert Vote.objects.get(position=position).participant == room.cleo


def test_plenary_votes_are_published_to_every_group(
    room, organizer, django_capture_on_commit_callbacks
):
    position = make_position(room.ada, "For everyone")
    services.take_into_plenary(actor=organizer, session=room.session, position_ids=[position.pk])
    before = {g.pk: g.broadcast_seq for g in room.session.groups.all()}
    # Tallies are numbered when they go out, after the commit (live.tally_changed).
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.cast_vote(participant=room.cleo, position_id=position.pk, choice="agree")
    after = {g.pk: g.broadcast_seq for g in room.session.groups.all()}
    assert all(after[pk] == before[pk] + 1 for pk in before)
    assert len(callbacks) == len(before)


def test_take_top_into_plenary_picks_each_groups_most_agreed(room, organizer):
    liked = make_position(room.ada, "Liked")
    disliked = make_position(room.ben, "Disliked")
    elsewhere = make_position(room.cleo, "Elsewhere liked")
    for person in (room.ada, room.ben):
        make_vote(person, liked, AGREE)
        make_vote(person, disliked, DISAGREE)
    make_vote(room.cleo, elsewhere, AGREE)
    count = services.take_top_into_plenary(actor=organizer, session=room.session, per_group=1)
    assert count == 2
    assert set(Position.objects.filter(plenary=True).values_list("text", flat=True)) == {
        "Liked",
        "Elsewhere liked",
    }


def test_setup_demo_activity_plants_opinion_groups_the_synthesis_finds():
    out = StringIO()
    call_command("setup_demo", "--password", "x" * 12, "--activity", "90", stdout=out)
    assert "Added 90 participants" in out.getvalue()
    assert Participant.objects.count() == 90
    assert Position.objects.filter(plenary=True).exists()
    session = Participant.objects.first().session
    m = matrix.session_matrix(session)
    result = synthesis.synthesize(m.V, m.breakout, m.n_groups, m.texts, seed=0)
    assert result.opinion.k == 3
    assert result.broad_consensus  # the statements every planted group agrees with
    assert not math.isnan(float(result.positions.support[result.broad_consensus[0]]))


def test_curate_view_promotes_one_position_from_its_button(client, room, organizer):
    position = make_position(room.ada, "Promote me")
    client.force_login(organizer)
    response = client.post(
        reverse("facilitator:curate", args=[room.session.pk]),
        {"action": f"promote:{position.pk}"},
        follow=True,
    )
    assert "Recommendation added." in response.content.decode()
    assert Recommendation.objects.get().text == "Promote me"


def test_curate_view_refuses_a_stranger_and_unknown_actions(
    client, room, organizer, django_user_model
):
    position = make_position(room.ada, "Promote me")
    url = reverse("facilitator:curate", args=[room.session.pk])
    client.force_login(django_user_model.objects.create_user(username="sam"))
    assert client.post(url, {"action": f"promote:{position.pk}"}).status_code == 403
    client.force_login(organizer)
    response = client.post(url, {"action": "explode"}, follow=True)
    assert "does not exist" in response.content.decode()
    assert not Recommendation.objects.exists()


def test_dissent_does_not_quote_what_everyone_agrees_with(room, organizer):
    source = make_position(room.ada, "Leave the WTO.")
    consensus = make_position(room.ben, "Climate needs shared institutions.")
    minority = make_position(room.ben, "Reform the WTO instead.")
    dan, eve = make_participant(room.group, "Dan"), make_participant(room.group, "Eve")
    for person in (room.ada, room.ben, dan, eve):
        make_vote(person, consensus, AGREE)
    for person in (dan, eve):
        make_vote(person, source, DISAGREE)
        make_vote(person, minority, AGREE)
    make_vote(room.ada, minority, DISAGREE)
    note = services.default_dissent([source])
    assert "Reform the WTO instead." in note
    assert "Climate" not in note


def test_dissent_quotes_a_sentence_raised_in_two_groups_once(room, organizer):
    source = make_position(room.ada, "Leave the WTO.")
    twice = [make_position(room.ben, "Reform it."), make_position(room.cleo, "Reform it.")]
    dan = make_participant(room.group, "Dan")
    make_vote(dan, source, DISAGREE)
    for position in twice:
        make_vote(dan, position, AGREE)
    assert services.default_dissent([source]).count("Reform it.") == 1


def test_each_computation_starts_from_the_last_ones_opinion_groups(room, monkeypatch):
    """So that a live session's groups keep their numbers and colours between refreshes."""
    position = make_position(room.ada, "One")
    make_vote(room.ben, position, AGREE)
    given = []
    real = synthesis.synthesize

    def synthesize(*args, previous, **kwargs):
        given.append(previous.copy())
        result = real(*args, previous=previous, **kwargs)
        result.opinion.labels[:] = [1, 0, 1]  # as a computation may number them
        return result

    monkeypatch.setattr(synthesis, "synthesize", synthesize)
    synthesis_rows._numbers(room.session, None)
    synthesis_rows._numbers(room.session, None)
    assert given[0].tolist() == [-1, -1, -1]  # nothing remembered yet
    assert given[1].tolist() == [1, 0, 1]
