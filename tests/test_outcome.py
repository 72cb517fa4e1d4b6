"""Closing the loop: publishing the outcome, a participant's own page, the public results
page, and the trail from every recommendation back to positions and votes."""

import io
import re
import time

import pypdf
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discussions import exports, outcome, services
from discussions.models import FacilitatorAssignment, Participant, Session
from tests.factories import (
    AGREE,
    DISAGREE,
    PASS,
    client_for,
    make_participant,
    make_position,
    make_room,
    make_vote,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def curated(room, organizer):
    """Two recommendations over both groups' positions, with votes from both groups, a
    plenary position, a hidden and a merged one."""
    funded = make_position(room.ada, "Fund the UN budget on time.")
    reform = make_position(room.cleo, "Reform the Security Council.")
    dani = make_participant(room.other_group, "Dani")
    for who, choice in [(room.ben, AGREE), (room.cleo, DISAGREE), (dani, PASS)]:
        make_vote(who, funded, choice)
    for who, choice in [(dani, AGREE), (room.ada, AGREE), (room.ben, DISAGREE)]:
        make_vote(who, reform, choice)
    services.take_into_plenary(actor=organizer, session=room.session, position_ids=[funded.pk])
    first = services.promote(actor=organizer, session=room.session, position_ids=[funded.pk])
    second = services.promote(
        actor=organizer, session=room.session, position_ids=[reform.pk], text="Reform it."
    )
    return funded, reform, first, second


def publish(session: Session) -> None:
    services.publish_outcome(session=session)
    session.refresh_from_db()


# --- Publishing ------------------------------------------------------------------------------


def test_publishing_twice_or_withdrawing_what_is_not_published_is_refused(room):
    with pytest.raises(services.ServiceError, match="not published"):
        services.withdraw_outcome(session=room.session)
    publish(room.session)
    published_at = room.session.outcome_published_at
    with pytest.raises(services.ServiceError, match="already published"):
        services.publish_outcome(session=room.session)
    room.session.refresh_from_db()
    assert room.session.outcome_published_at == published_at


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_only_organizers_publish(room, organizer, django_user_model):
    """Not a visitor, not a facilitator of the whole session, not a participant."""
    url = reverse("organizer:publish_outcome", args=[room.session.pk])
    fay = django_user_model.objects.create_user(username="fay", password="x" * 12)
    FacilitatorAssignment.objects.create(session=room.session, user=fay)
    for caller in [Client(), logged_in(fay), client_for(room.ada)]:
        response = caller.post(url, {"publish": "1"})
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response.url.startswith(reverse("login"))
        room.session.refresh_from_db()
        assert room.session.outcome_published_at is None
    organizer_client = logged_in(organizer)
    response = organizer_client.post(url, {"publish": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Public results page" in response.content.decode()
    room.session.refresh_from_db()
    assert room.session.outcome_published_at is not None
    organizer_client.post(url, {"publish": "0"})
    room.session.refresh_from_db()
    assert room.session.outcome_published_at is None


# --- Credit ------------------------------------------------------------------------------------


def test_a_participant_chooses_credit_until_publication_and_not_after(room):
    ada = client_for(room.ada)
    url = reverse("set_credit", args=[room.group.pk])
    assert ada.post(url, {"credited": "1"}).status_code == 302
    room.ada.refresh_from_db()
    assert room.ada.credited
    answer = ada.post(url, {"credited": "0"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    room.ada.refresh_from_db()
    assert not room.ada.credited
    # The form sent back shows the choice just saved, with the name it would credit.
    answer = ada.post(url, {"credited": "1"}, headers={"HX-Request": "true"}).content.decode()
    assert 'value="1" checked' in answer and "<bdi>Ada</bdi>" in answer
    ada.post(url, {"credited": "0"})

    publish(room.session)
    response = ada.post(url, {"credited": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "no longer change" in response.content.decode()
    assert 'name="credited"' not in response.content.decode()  # the choice stands, frozen
    room.ada.refresh_from_db()
    assert not room.ada.credited

    services.withdraw_outcome(session=room.session)
    ada.post(url, {"credited": "1"})
    room.ada.refresh_from_db()
    assert room.ada.credited


def test_credit_is_a_members_own(room):
    """Another group's member, or a browser that never joined, changes nobody's credit."""
    url = reverse("set_credit", args=[room.group.pk])
    assert client_for(room.cleo).post(url, {"credited": "1"}).status_code == 403
    assert Client().post(url, {"credited": "1"}).status_code == 403
    assert not Participant.objects.filter(credited=True).exists()


# --- The public results page -------------------------------------------------------------------


def test_the_results_page_answers_only_while_published(room, curated, organizer):
    url = reverse("results", args=[room.session.results_token])
    assert Client().get(url).status_code == 404
    assert client_for(room.ada).get(url).status_code == 404
    # Organizers preview it, told that nobody else can.
    preview = logged_in(organizer).get(url)
    assert preview.status_code == 200 and "A preview for the organizers" in preview.content.decode()
    publish(room.session)
    assert Client().get(url).status_code == 200
    assert Client().get(reverse("results", args=["not-the-token"])).status_code == 404
    assert Client().get(reverse("results", args=[room.session.screen_token])).status_code == 404
    services.withdraw_outcome(session=room.session)
    assert Client().get(url).status_code == 404


def test_the_results_page_names_only_those_who_chose_to_be_credited(room, curated):
    services.set_credit(participant=room.cleo, credited=True)
    publish(room.session)
    page = Client().get(reverse("results", args=[room.session.results_token])).content.decode()
    labels = exports.pseudonyms(room.session, names=False)
    assert "Cleo" in page
    assert "Ada" not in page and labels[room.ada.pk] in page
    # In the plenary's order, each with its dissent note.
    assert page.index("Fund the UN budget on time.") < page.index("Reform it.")
    assert "participant voted against" in page


def test_the_results_page_escapes_what_people_wrote(room, organizer):
    position = make_position(room.ada, "<script>alert(1)</script> & <b>bold</b>")
    services.promote(actor=organizer, session=room.session, position_ids=[position.pk])
    publish(room.session)
    page = Client().get(reverse("results", args=[room.session.results_token])).content.decode()
    assert "<script>alert(1)" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page


def test_the_results_list_follows_the_plenary(room, curated, organizer):
    _funded, _reform, _first, second = curated
    publish(room.session)
    services.move_recommendation(actor=organizer, recommendation_id=second.pk, offset=-1)
    url = reverse("results_list", args=[room.session.results_token])
    fragment = Client().get(url).content.decode()
    assert fragment.index("Reform it.") < fragment.index("Fund the UN budget on time.")


def test_readers_share_one_render_until_a_change_asks_for_a_later_one(room, curated, organizer):
    """The page's re-fetches name the moment of the change they follow: a render made since
    serves every reader; one made before it is never passed off as current."""
    _funded, _reform, _first, second = curated
    publish(room.session)
    url = reverse("results_list", args=[room.session.results_token])
    first = Client().get(url, {"since": "1"}).content
    with CaptureQueriesContext(connection) as queries:
        again = Client().get(url, {"since": "1"}).content
    assert again == first
    assert len(queries) == 1  # the token's session, not the outcome again
    services.move_recommendation(actor=organizer, recommendation_id=second.pk, offset=-1)
    moved = Client().get(url, {"since": str(time.time())}).content.decode()
    assert moved.index("Reform it.") < moved.index("Fund the UN budget on time.")
    for nonsense in ["nan", "inf", "-1", "x" * 100, ""]:
        assert Client().get(url, {"since": nonsense}).status_code == 200


# --- My input ------------------------------------------------------------------------------------


def test_my_input_tells_each_positions_fate(room, organizer, curated):
    funded, _reform, _first, _second = curated
    hidden = make_position(room.ada, "Leave the WHO.")
    services.hide_position(actor=organizer, position_id=hidden.pk, reason="Off topic here")
    duplicate = make_position(room.ada, "Pay the UN on time.")
    services.merge_positions(actor=organizer, survivor_id=funded.pk, absorbed_id=duplicate.pk)
    make_position(room.ben, "Not Ada's own.")
    url = reverse("my_input", args=[room.group.pk])

    page = client_for(room.ada).get(url).content.decode()
    assert "Hidden by the facilitators." in page and "Off topic here" in page
    assert "Merged into" in page and page.count("Fund the UN budget on time.") >= 2
    assert "Sent to the plenary" in page
    assert "Not Ada&#x27;s own." not in page and "Not Ada's own." not in page
    # Before publication, not a word of the recommendations.
    assert "Became" not in page and "How your group compared" not in page

    publish(room.session)
    page = client_for(room.ada).get(url).content.decode()
    results = reverse("results", args=[room.session.results_token])
    assert f'href="{results}#recommendation-1"' in page
    assert "How your group compared" in page and "your group" in page


def test_my_input_is_for_members_only(room):
    url = reverse("my_input", args=[room.group.pk])
    assert client_for(room.cleo).get(url).status_code == 403
    assert Client().get(url).status_code == 403


def test_my_input_keeps_tallies_hidden_while_the_session_hides_them(room, curated):
    Session.objects.filter(pk=room.session.pk).update(hide_tallies=True)
    page = client_for(room.ada).get(reverse("my_input", args=[room.group.pk])).content.decode()
    assert "Results are hidden until voting closes" in page
    assert "1 agree, 1 disagree, 1 pass" not in page


def test_the_room_says_when_the_outcome_is_published(room):
    url = reverse("room", args=[room.group.pk])
    assert "The outcome is published" not in client_for(room.ada).get(url).content.decode()
    publish(room.session)
    page = client_for(room.ada).get(url).content.decode()
    assert "The outcome is published" in page
    assert reverse("results", args=[room.session.results_token]) in page


# --- The trail equals the exports ------------------------------------------------------------


def test_every_recommendations_trail_equals_the_exports(room, curated, organizer):
    """From each recommendation back to its positions, their tallies, every group's votes,
    and the votes themselves: what the results page reads is what the exports say."""
    publish(room.session)
    document = exports.build(room.session)
    positions = {p["id"]: p for p in document["positions"]}
    votes_of: dict[int, list[str]] = {}
    for row in document["votes"]:
        votes_of.setdefault(row["position"], []).append(row["vote"])

    trails = outcome.of_session(room.session).recommendations
    assert [t.text for t in trails] == [r["text"] for r in document["recommendations"]]
    for trail, exported in zip(trails, document["recommendations"], strict=True):
        assert [s.id for s in trail.sources] == exported["sources"]
        for source in trail.sources:
            row = positions[source.id]
            assert (source.tally.agree, source.tally.disagree, source.tally.passed) == (
                row["agree"],
                row["disagree"],
                row["pass"],
            )
            assert sorted(votes_of[source.id]) == sorted(
                ["agree"] * row["agree"] + ["disagree"] * row["disagree"] + ["pass"] * row["pass"]
            )
            assert {
                s.group: {"votes": s.tally.votes, "agree_rate": round(s.rate, 4)}
                for s in source.by_group
            } == row["by_group"]
            assert source.author == row["author"]
    # The reports carry the same trail: each source linked to its entry, with its tally.
    markdown = exports.render(document, "md")
    for trail in trails:
        for source in trail.sources:
            assert f"[#{source.id}](#position-{source.id})" in markdown
            assert f'<a id="position-{source.id}"></a>' in markdown


def test_the_pdf_report_names_each_sources_id_and_groups(room, curated):
    document = exports.build(room.session)
    reader = pypdf.PdfReader(io.BytesIO(exports.render(document, "pdf")))
    text = " ".join(page.extract_text() for page in reader.pages)
    for recommendation in document["recommendations"]:
        for source in recommendation["sources"]:
            assert re.search(rf"#{source}\b", text)
    assert "By group:" in text


# --- At once, on PostgreSQL in CI ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_publishing_while_people_post_vote_and_choose_their_credit(published_paper, threads):
    """Publication locks the session and then every room; credits lock the session; posts
    lock their room; votes their position. All at once: nothing deadlocks, and each credit
    is either saved before publication or refused after it, never half."""
    room = make_room(published_paper)
    people = [
        make_participant(room.group if i % 2 else room.other_group, f"P {i}") for i in range(8)
    ]
    target = make_position(room.cleo, "Vote on me")
    outcomes: dict[int, str] = {}

    def credit(person):
        try:
            services.set_credit(participant=person, credited=True)
            outcomes[person.pk] = "saved"
        except services.ServiceError:
            outcomes[person.pk] = "refused"

    calls = [lambda: services.publish_outcome(session=room.session)]
    calls += [lambda person=person: credit(person) for person in people]
    calls += [
        lambda person=person: services.post_position(participant=person, text=f"{person} says")
        for person in people[:4]
    ]
    calls += [
        lambda person=person: services.cast_vote(
            participant=person, position_id=target.pk, choice="agree"
        )
        for person in people
        if person.group_id == target.group_id
    ]
    threads.run(calls)

    room.session.refresh_from_db()
    assert room.session.outcome_published_at is not None
    credited = set(Participant.objects.filter(credited=True).values_list("pk", flat=True))
    assert credited == {pk for pk, result in outcomes.items() if result == "saved"}
    assert len(outcomes) == len(people)
