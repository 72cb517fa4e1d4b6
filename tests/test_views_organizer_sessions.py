import re

import pytest
from django.urls import reverse

from discussions import services
from discussions.models import BreakoutGroup, FacilitatorAssignment, Prompt, Session

pytestmark = pytest.mark.django_db


def session_urls(session: Session) -> list[tuple[str, str]]:
    group = session.groups.first()
    return [
        ("post", reverse("organizer:create_session", args=[session.paper_id])),
        ("get", reverse("organizer:session", args=[session.pk])),
        ("post", reverse("organizer:set_joining", args=[session.pk])),
        ("post", reverse("organizer:set_passphrase", args=[session.pk])),
        ("post", reverse("organizer:rename_group", args=[session.pk, group.pk])),
        ("post", reverse("organizer:invite_facilitator", args=[session.pk])),
    ]


@pytest.fixture
def session(published_paper):
    return services.create_session(paper=published_paper, name="Morning", group_count=3)


def test_session_pages_refuse_non_organizers_and_change_nothing(client, outsider_client, session):
    for method, url in session_urls(session):
        response = getattr(outsider_client, method)(url, {"name": "Hijacked", "open": "0"})
        assert response.status_code == 403, url
    client.logout()
    for method, url in session_urls(session):
        response = getattr(client, method)(url, {"name": "Hijacked", "open": "0"})
        assert response.status_code == 302, url
    assert Session.objects.count() == 1
    assert not BreakoutGroup.objects.filter(name="Hijacked").exists()
    assert not FacilitatorAssignment.objects.exists()
    session.refresh_from_db()
    assert session.joining_open


def test_published_paper_page_offers_a_session_form_with_framing_prompts_checked(
    organizer_client, published_paper
):
    page = organizer_client.get(published_paper.get_absolute_url()).content.decode()
    assert "Create a session" in page
    framing = published_paper.prompts.filter(kind=Prompt.Kind.QUESTION)
    for prompt in framing:
        assert f'value="{prompt.pk}"' in page
    assert page.count("checked") >= framing.count()


def test_create_session_from_the_form_uses_the_chosen_prompts_in_paper_order(
    organizer_client, published_paper
):
    prompts = list(published_paper.prompts.all())
    chosen = [prompts[5], prompts[1]]
    response = organizer_client.post(
        reverse("organizer:create_session", args=[published_paper.pk]),
        {
            "name": "Afternoon",
            "prompts": [p.pk for p in chosen],
            "group_count": 5,
            "assignment": "auto",
            "group_capacity": 8,
        },
    )
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == session.get_absolute_url()
    assert list(session.ordered_prompts()) == [prompts[1], prompts[5]]
    assert session.groups.count() == 5
    assert session.assignment == "auto"
    assert session.group_capacity == 8
    assert all(g.current_prompt == prompts[1] for g in session.groups.all())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "X", "group_count": 2, "assignment": "choose"}, "Choose at least one prompt"),
        ({"name": "X", "group_count": 0, "assignment": "choose"}, "greater than or equal to 1"),
        ({"name": "", "group_count": 2, "assignment": "choose"}, "required"),
    ],
)
def test_create_session_with_bad_input_says_why_and_writes_nothing(
    organizer_client, published_paper, data, message
):
    if "Choose" not in message:
        data = data | {"prompts": [published_paper.prompts.first().pk]}
    response = organizer_client.post(
        reverse("organizer:create_session", args=[published_paper.pk]), data
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Session.objects.exists()


def test_create_session_refuses_a_prompt_of_another_paper(
    organizer_client, published_paper, demo_bytes
):
    other = services.import_paper(data=demo_bytes + b"\n", filename="o.txt", publish=True).paper
    response = organizer_client.post(
        reverse("organizer:create_session", args=[published_paper.pk]),
        {
            "name": "X",
            "group_count": 2,
            "assignment": "choose",
            "prompts": [other.prompts.first().pk],
        },
    )
    assert response.status_code == 400
    assert not Session.objects.exists()


def test_session_page_shows_code_join_link_and_qr(organizer_client, session):
    page = organizer_client.get(session.get_absolute_url()).content.decode()
    assert session.code in page
    assert f"http://testserver/join/{session.code}/" in page
    assert reverse("join_qr", args=[session.code]) in page
    qr = organizer_client.get(reverse("join_qr", args=[session.code]))
    assert qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content


def test_rename_group_with_htmx_answers_with_the_setup_fragment(organizer_client, session):
    group = session.groups.first()
    response = organizer_client.post(
        reverse("organizer:rename_group", args=[session.pk, group.pk]),
        {"name": "  Trade & <Tariffs> "},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="session-setup"')
    assert "Trade &amp; &lt;Tariffs&gt;" in body
    group.refresh_from_db()
    assert group.name == "Trade & <Tariffs>"


def test_rename_group_to_a_taken_name_is_refused(organizer_client, session):
    first, second = session.groups.all()[:2]
    response = organizer_client.post(
        reverse("organizer:rename_group", args=[session.pk, second.pk]),
        {"name": first.name.upper()},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "already called" in response.content.decode()
    second.refresh_from_db()
    assert second.name == "Group 2"


def test_rename_group_of_another_session_is_not_found(organizer_client, session, published_paper):
    other = services.create_session(paper=published_paper, name="Other", group_count=1)
    foreign = other.groups.get()
    response = organizer_client.post(
        reverse("organizer:rename_group", args=[session.pk, foreign.pk]), {"name": "Mine"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "Group 1"


def test_closing_joining_stops_the_code_admitting_anyone(organizer_client, client, session):
    organizer_client.post(reverse("organizer:set_joining", args=[session.pk]), {"open": "0"})
    session.refresh_from_db()
    assert not session.joining_open
    with pytest.raises(services.ServiceError, match="no longer open"):
        services.find_session(session.code)
    organizer_client.post(reverse("organizer:set_joining", args=[session.pk]), {"open": "1"})
    assert services.find_session(session.code) == session


def test_an_organizer_sets_and_clears_the_passphrase_joining_asks_for(organizer_client, session):
    url = reverse("organizer:set_passphrase", args=[session.pk])
    organizer_client.post(url, {"passphrase": "Blue harbour"})
    session.refresh_from_db()
    assert session.passphrase == "Blue harbour"
    page = organizer_client.get(reverse("organizer:session", args=[session.pk])).content.decode()
    assert 'value="Blue harbour"' in page
    organizer_client.post(url, {"passphrase": "  "})
    session.refresh_from_db()
    assert session.passphrase == ""


def test_facilitators_are_chosen_from_the_people_with_an_account(
    organizer_client, django_user_model, session
):
    """Not typed as an exact username: a list of those who can be assigned."""
    django_user_model.objects.create_user(username="fay", password="x" * 12)
    django_user_model.objects.create_user(username="gone", password="x" * 12, is_active=False)
    assigned = django_user_model.objects.create_user(username="gil", password="x" * 12)
    services.assign_facilitator(session=session, username=assigned.username)
    page = organizer_client.get(reverse("organizer:session", args=[session.pk])).content.decode()
    picker = page.split('<select id="facilitator-username"')[1].split("</select>")[0]
    assert '<option value="fay">fay</option>' in picker
    assert "gone" not in picker and "gil" not in picker  # inactive; already assigned
    assert "olga" not in picker  # organizers facilitate every session already


def test_an_invited_facilitator_sets_a_password_once_and_lands_on_their_console(
    organizer_client, client, django_user_model, session
):
    group = session.groups.first()
    response = organizer_client.post(
        reverse("organizer:invite_facilitator", args=[session.pk]),
        {"username": "nadia", "groups": [str(group.pk)]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    link = re.search(r"http://testserver(/accounts/invite/[^/]+/[^/]+/)", response.content.decode())
    assert link, response.content.decode()
    nadia = django_user_model.objects.get(username="nadia")
    assert not nadia.has_usable_password()
    assert list(FacilitatorAssignment.objects.get(user=nadia).groups.all()) == [group]

    client.logout()
    form = client.get(link[1], follow=True)
    assert "Set your password" in form.content.decode()
    set_password = form.redirect_chain[-1][0]
    done = client.post(
        set_password,
        {"new_password1": "a long new password", "new_password2": "a long new password"},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("facilitator:home")
    assert session.name in done.content.decode()
    client.logout()
    again = client.get(link[1], follow=True)
    assert "no longer works" in again.content.decode()


def test_an_invitation_for_a_taken_username_is_refused_and_changes_nothing(
    organizer_client, django_user_model, session
):
    django_user_model.objects.create_user(username="Fay", password="x" * 12)
    response = organizer_client.post(
        reverse("organizer:invite_facilitator", args=[session.pk]),
        {"username": "fay"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "already has an account" in response.content.decode()
    assert django_user_model.objects.count() == 2  # Fay and the organizer
    assert not FacilitatorAssignment.objects.exists()


def test_the_session_form_sets_the_language_of_the_session(organizer_client, published_paper):
    page = organizer_client.get(published_paper.get_absolute_url()).content.decode()
    assert "Language of the session" in page
    assert "Spoken to participants whose browser asks for none of the six languages" in page
    create = reverse("organizer:create_session", args=[published_paper.pk])
    data = {
        "name": "Morning",
        "prompts": [published_paper.prompts.first().pk],
        "group_count": 2,
        "assignment": "choose",
    }
    response = organizer_client.post(create, data | {"language": "klingon"})
    assert response.status_code == 400
    assert "klingon is not one of the available choices" in response.content.decode()
    assert not Session.objects.exists()
    response = organizer_client.post(create, data | {"language": "ar"})
    assert response.status_code == 302
    assert Session.objects.get().language == "ar"
    organizer_client.post(create, data)  # none chosen: none of its own
    assert Session.objects.latest("pk").language == ""


def test_an_organizer_sets_and_clears_the_language_of_a_session_on_its_page(
    organizer_client, session
):
    page = organizer_client.get(session.get_absolute_url()).content.decode()
    picker = page.split('<select id="session-language"')[1].split("</select>")[0]
    assert "selected" not in picker  # the session has no language of its own yet
    assert '<option value="fr" lang="fr">Français</option>' in picker
    url = reverse("organizer:session_language", args=[session.pk])
    response = organizer_client.post(url, {"language": "fr"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="session-setup"')
    assert "The session&#x27;s language is now Français." in body
    assert '<option value="fr" lang="fr" selected>Français</option>' in body
    session.refresh_from_db()
    assert session.language == "fr"

    response = organizer_client.post(url, {"language": "xx"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "Choose one of the languages in the list." in response.content.decode()
    session.refresh_from_db()
    assert session.language == "fr"

    response = organizer_client.post(url, {"language": ""})  # without htmx: back to the page
    assert response.status_code == 302
    assert response["Location"] == session.get_absolute_url()
    session.refresh_from_db()
    assert session.language == ""


def test_only_organizers_set_the_language_of_a_session(client, outsider_client, session):
    url = reverse("organizer:session_language", args=[session.pk])
    assert outsider_client.post(url, {"language": "fr"}).status_code == 403
    client.logout()
    assert client.post(url, {"language": "fr"}).status_code == 302  # to the login page
    session.refresh_from_db()
    assert session.language == ""
