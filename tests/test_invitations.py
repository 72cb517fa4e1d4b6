"""Personal invitation links (issue 26, sock puppets): a list of invitees in, one link each out,
each admitting one person once; the session can admit only them."""

import csv
import io
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from discussions import identity, services
from discussions.models import Invitation, Participant, Session
from discussions.services.invitations import HEADINGS
from tests.factories import client_for, make_participant, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(published_paper):
    return make_session(published_paper, group_count=3)


def invite(session: Session, text: str, encoding: str = "utf-8") -> tuple[int, int]:
    return services.invite(session=session, data=text.encode(encoding))


def refusal(call, **kwargs) -> str:
    with pytest.raises(services.ServiceError) as caught:
        call(**kwargs)
    return str(caught.value)


def invited(session: Session) -> list[tuple[str, str, str]]:
    return [
        (i.name, i.email, i.group.name if i.group else "")
        for i in session.invitations.select_related("group")
    ]


# --- The list of invitees -----------------------------------------------------------------------


def test_a_list_with_headings_in_any_order_invites_each_person_with_their_group(session):
    text = "Email;Name;Group\nann@example.org;Ann Lee;2\nbo@example.org;  Bo   Chen ;group 3\n"
    assert invite(session, text) == (2, 0)
    assert invited(session) == [
        ("Ann Lee", "ann@example.org", "Group 2"),
        ("Bo Chen", "bo@example.org", "Group 3"),
    ]
    tokens = set(session.invitations.values_list("token", flat=True))
    assert len(tokens) == 2 and all(len(token) >= 20 for token in tokens)


@pytest.mark.parametrize(
    "heading",
    [
        "Nom;Courriel;Groupe",
        "Nombre,Correo electrónico,Grupo",
        "ФИО;Эл. почта;Группа",
        "الاسم,البريد الإلكتروني,المجموعة",
        "姓名,邮箱,小组",
        "Name,E-mail,Group",
    ],
)
def test_a_list_headed_in_any_of_the_six_languages_is_read_by_its_headings(session, heading):
    separator = ";" if ";" in heading else ","
    email, name, group = "ann@example.org", "Ann Lee", "2"
    text = heading + "\n" + separator.join([name, email, group]) + "\n"
    assert invite(session, text) == (1, 0)
    assert invited(session) == [("Ann Lee", "ann@example.org", "Group 2")]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_column_titles_the_site_gives_in_each_language_are_read_back(language):
    """What the upload form tells the organizer to head a column, and the links'
    spreadsheet heads it, is a heading the upload reads."""
    with translation.override(language):
        titles = services.invitation_column_titles()
    for column in ("name", "email", "group"):
        assert services.invitations.folded_heading(titles[column]) in HEADINGS[column]


def test_a_plain_column_of_names_as_excel_saves_it_invites_them(session):
    # An older Excel's "CSV": the Windows code page, CRLF lines, a blank line.
    assert invite(session, "Zoë Martín\r\n\r\nRené Dupont\r\n", "cp1252") == (2, 0)
    assert [name for name, *_ in invited(session)] == ["Zoë Martín", "René Dupont"]
    # UTF-8 with a byte order mark and a heading, UTF-16 with its mark.
    assert invite(session, "\ufeffName\nAmal Haddad\n") == (1, 0)
    assert invite(session, "Name,Email\n李华,li@example.org\n", "utf-16") == (1, 0)
    assert ("李华", "li@example.org", "") in invited(session)


def test_uploading_a_longer_list_again_invites_only_the_new_people(session):
    invite(session, "Name,Email\nAnn,ann@example.org\nBo,\n")
    assert invite(session, "Name,Email\nAnn Lee,ANN@example.org\nbo,\nCy,\n") == (1, 2)
    assert [name for name, *_ in invited(session)] == ["Ann", "Bo", "Cy"]


def test_a_list_with_mistakes_invites_nobody_and_names_each_line(session):
    text = (
        "Name,Email,Group\n"
        "Ann,ann@example.org,1\n"
        "Facilitator Bo,,\n"
        "Cy,not-an-address,\n"
        "Dee,,Group 9\n"
        "\u200b,,\n"
        "Ann,ann@example.org,2\n"
        "Eve,,Group 10\n"
    )
    message = refusal(invite, session=session, text=text)
    assert message.startswith("Nobody was invited: correct the list and upload it again.")
    assert "line 3: “Facilitator Bo” is kept for the session's staff" in message
    assert "line 4: “not-an-address” is not an e-mail address" in message
    assert "line 5: this session has no group “Group 9”" in message
    assert "line 6: The display name cannot be empty" in message
    assert "line 7: Ann is on line 2 too" in message
    assert "line 8" not in message  # five are shown...
    assert message.endswith("and 1 more.")  # ...and the rest counted
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "The list is empty"),
        ("Email\nann@example.org\n", "The list needs a column of names"),
        ("x" * 1_000_001, "at most 1 MB is read"),
    ],
)
def test_an_empty_nameless_or_huge_list_is_refused(session, text, expected):
    assert expected in refusal(invite, session=session, text=text)
    assert not Invitation.objects.exists()


def test_a_name_too_long_to_show_is_refused(session):
    assert "limit is 40" in refusal(invite, session=session, text="x" * 41)


# --- The link -----------------------------------------------------------------------------------


def link_of(session: Session, name: str) -> str:
    return session.invitations.get(name=name).get_absolute_url()


def test_an_invitation_admits_its_person_once_in_the_group_the_organizer_chose(session):
    invite(session, "Name,Group\nAnn Lee,Group 2\n")
    browser = Client()
    page = browser.get(link_of(session, "Ann Lee"))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'value="Ann Lee"' in content and "placed you in" in content
    assert 'name="passphrase"' not in content

    answer = browser.post(link_of(session, "Ann Lee"), {"display_name": "Ann"})
    ann = Participant.objects.get()
    assert answer.status_code == 302 and answer["Location"] == ann.group.get_absolute_url()
    assert (ann.display_name, ann.group.name) == ("Ann", "Group 2")
    assert identity.joined({identity.COOKIE: answer.cookies[identity.COOKIE].value}) == {
        str(session.pk): ann.pk
    }
    assert session.invitations.get().participant == ann


def test_the_link_opened_in_another_browser_is_the_same_participant(session):
    invite(session, "Ann Lee\n")
    link = link_of(session, "Ann Lee")
    Client().post(link, {"display_name": "Ann Lee", "group": str(session.groups.first().pk)})
    ann = Participant.objects.get()

    laptop = Client()
    answer = laptop.get(link)
    assert answer.status_code == 302 and answer["Location"] == ann.group.get_absolute_url()
    assert laptop.get(ann.group.get_absolute_url()).status_code == 200  # in the room as Ann
    laptop.post(link, {"display_name": "Ann again"})
    assert Participant.objects.count() == 1


def test_a_removed_invitee_stays_out_in_every_browser(session, organizer):
    invite(session, "Ann Lee\n")
    link = link_of(session, "Ann Lee")
    Client().post(link, {"display_name": "Ann Lee", "group": str(session.groups.first().pk)})
    ann = Participant.objects.get()
    services.remove_participant(participant_id=ann.pk, actor=organizer)

    for browser in (client_for(ann), Client()):
        answer = browser.get(link)
        assert answer.status_code == 403
        assert "A facilitator removed you" in answer.content.decode()
        assert browser.post(link, {"display_name": "Puppet"}).status_code == 403
    assert Participant.objects.count() == 1


def test_a_withdrawn_or_made_up_link_admits_nobody(client, session):
    invite(session, "Ann Lee\n")
    link = link_of(session, "Ann Lee")
    services.withdraw_invitation(invitation=session.invitations.get())
    for url in (
        link,
        reverse("join_invited", args=["x" * 22]),
        reverse("join_invited", args=["x" * 300]),
    ):
        answer = client.get(url)
        assert answer.status_code == 404
        assert "This invitation link does not exist" in answer.content.decode()
    assert client.post(link, {"display_name": "Ann"}).status_code == 404
    assert not Participant.objects.exists()


def test_an_invitation_in_use_is_not_withdrawn(session):
    invite(session, "Ann Lee\n")
    invitation = session.invitations.get()
    services.join_invited(
        invitation=invitation, display_name="", group_id=session.groups.first().pk
    )
    assert "has joined: remove them" in refusal(services.withdraw_invitation, invitation=invitation)
    assert Invitation.objects.exists()


def test_an_invitation_refuses_a_staff_name_and_keeps_the_form(session):
    invite(session, "Ann Lee\n")
    link = link_of(session, "Ann Lee")
    answer = Client().post(
        link, {"display_name": "Moderator", "group": str(session.groups.first().pk)}
    )
    assert answer.status_code == 400
    assert "“Moderator” is kept for the session&#x27;s staff" in answer.content.decode()
    assert not Participant.objects.exists()


def test_a_closed_session_admits_no_new_invitee_but_lets_one_back(session):
    invite(session, "Ann Lee\nBo Chen\n")
    first = session.groups.first()
    Client().post(link_of(session, "Ann Lee"), {"display_name": "Ann", "group": str(first.pk)})
    services.set_joining_open(session=session, is_open=False)
    assert Client().get(link_of(session, "Ann Lee")).status_code == 302
    answer = Client().post(
        link_of(session, "Bo Chen"), {"display_name": "Bo", "group": str(first.pk)}
    )
    assert (
        answer.status_code == 403 and "Joining this session has closed" in answer.content.decode()
    )
    assert Participant.objects.count() == 1


# --- Admitting only invitations -----------------------------------------------------------------


def test_an_invite_only_session_refuses_the_code_and_the_passphrase(client, session):
    services.set_passphrase(session=session, passphrase="Blue harbour")
    services.set_invite_only(session=session, invite_only=True)
    session.refresh_from_db()
    group = session.groups.first()
    join_url = reverse("join", args=[session.code])
    page = client.get(join_url)
    assert page.status_code == 403
    assert services.INVITE_ONLY in page.content.decode()
    answer = client.post(
        join_url, {"display_name": "Puppet", "group": str(group.pk), "passphrase": "Blue harbour"}
    )
    assert answer.status_code == 403
    message = refusal(
        services.join_session,
        session=session,
        display_name="Puppet",
        group_id=group.pk,
        passphrase="Blue harbour",
    )
    assert message == services.INVITE_ONLY
    assert not Participant.objects.exists()

    # Who joined before keeps their room; an invitee still gets in.
    ada = make_participant(group, "Ada")
    assert client_for(ada).get(join_url)["Location"] == group.get_absolute_url()
    invite(session, "Ann Lee\n")
    answer = Client().post(
        link_of(session, "Ann Lee"), {"display_name": "Ann", "group": str(group.pk)}
    )
    assert answer.status_code == 302
    assert Participant.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_link_opened_in_many_browsers_at_once_makes_one_participant(published_paper, threads):
    """The invitation is locked while its participant is made: on PostgreSQL, eight
    browsers submitting the same link at once."""
    session = make_session(published_paper, group_count=2, assignment="auto", group_capacity=50)
    invite(session, "Ann Lee\n")
    invitation = session.invitations.get()

    def join(n):
        return services.join_invited(invitation=invitation, display_name=f"Ann {n}").pk

    answers = threads.run([lambda n=n: join(n) for n in range(8)])
    assert len(set(answers)) == 1
    assert Participant.objects.count() == 1
    assert Invitation.objects.get().participant_id == answers[0]


# --- The organizer's pages ----------------------------------------------------------------------


def test_the_organizer_uploads_a_list_and_gets_a_sheet_of_links_and_qr_codes(
    organizer_client, session
):
    upload = io.BytesIO(b"Name,Email,Group\nAnn <b>Lee</b>,ann@example.org,1\nBo Chen,,\n")
    upload.name = "invitees.csv"
    answer = organizer_client.post(
        reverse("organizer:upload_invitees", args=[session.pk]), {"invitees": upload}
    )
    assert answer.status_code == 302
    page = organizer_client.get(session.get_absolute_url()).content.decode()
    assert "Invited 2 people." in page
    assert "2 invited, 0 joined." in page

    sheet = organizer_client.get(reverse("organizer:invitations", args=[session.pk]))
    content = sheet.content.decode()
    assert "Ann &lt;b&gt;Lee&lt;/b&gt;" in content and "<b>Lee</b>" not in content
    links = re.findall(r'href="(http://testserver/invite/[^"]+/)"', content)
    assert sorted(set(links)) == sorted(
        f"http://testserver{i.get_absolute_url()}" for i in session.invitations.all()
    )
    assert content.count("<svg") == 2  # a QR code each

    spreadsheet = organizer_client.get(reverse("organizer:invitation_links", args=[session.pk]))
    assert spreadsheet["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(spreadsheet.content.decode("utf-8-sig"))))
    assert [(r["Name"], r["Email"], r["Group"], r["Joined"]) for r in rows] == [
        ("Ann <b>Lee</b>", "ann@example.org", "Group 1", "no"),
        ("Bo Chen", "", "", "no"),
    ]
    assert {r["Link"] for r in rows} == set(links)


def test_the_links_spreadsheet_is_in_the_organizers_language_and_reads_back_in(
    organizer_client, session, published_paper
):
    invite(session, "Name,Email,Group\nAnn Lee,ann@example.org,1\n")
    elsewhere = make_session(published_paper, name="Elsewhere", group_count=1)
    organizer_client.cookies["django_language"] = "fr"
    spreadsheet = organizer_client.get(reverse("organizer:invitation_links", args=[session.pk]))
    rows = list(csv.reader(io.StringIO(spreadsheet.content.decode("utf-8-sig"))))
    assert rows[0] == ["Nom", "E-mail", "Groupe", "Lien", "Inscrit"]
    assert rows[1][:3] + rows[1][4:] == ["Ann Lee", "ann@example.org", "Group 1", "non"]
    # Uploaded again elsewhere, it invites Ann, not a person called "Nom".
    assert services.invite(session=elsewhere, data=spreadsheet.content) == (1, 0)
    assert [name for name, *_ in invited(elsewhere)] == ["Ann Lee"]


def test_the_organizer_turns_invite_only_on_and_off(organizer_client, session):
    url = reverse("organizer:invite_only", args=[session.pk])
    organizer_client.post(url, {"invite_only": "1"})
    session.refresh_from_db()
    assert session.invite_only
    page = organizer_client.get(session.get_absolute_url()).content.decode()
    assert "Only invitation links admit newcomers" in page
    organizer_client.post(url, {"invite_only": "0"})
    session.refresh_from_db()
    assert not session.invite_only


def test_a_bad_list_leaves_a_message_and_invites_nobody(organizer_client, session):
    upload = io.BytesIO(b"Name\nHost\n")
    upload.name = "invitees.csv"
    url = reverse("organizer:upload_invitees", args=[session.pk])
    page = organizer_client.post(url, {"invitees": upload}, follow=True).content.decode()
    assert "line 2: “Host” is kept for the session&#x27;s staff" in page
    assert "Choose the CSV file" in organizer_client.post(url, follow=True).content.decode()
    assert not Invitation.objects.exists()


def test_the_organizer_withdraws_an_unused_invitation_from_the_sheet(organizer_client, session):
    invite(session, "Ann Lee\nBo Chen\n")
    ann = session.invitations.get(name="Ann Lee")
    url = reverse("organizer:withdraw_invitation", args=[session.pk, ann.pk])
    answer = organizer_client.post(url, follow=True)
    assert "Ann Lee&#x27;s invitation is withdrawn" in answer.content.decode()
    assert [i.name for i in session.invitations.all()] == ["Bo Chen"]


def test_invitation_pages_are_for_organizers_only(client, outsider_client, session):
    invite(session, "Ann Lee\n")
    invitation = session.invitations.get()
    urls = [
        ("post", reverse("organizer:upload_invitees", args=[session.pk])),
        ("post", reverse("organizer:invite_only", args=[session.pk])),
        ("get", reverse("organizer:invitations", args=[session.pk])),
        ("get", reverse("organizer:invitation_links", args=[session.pk])),
        ("post", reverse("organizer:withdraw_invitation", args=[session.pk, invitation.pk])),
    ]
    for method, url in urls:
        assert getattr(outsider_client, method)(url, {"invite_only": "1"}).status_code == 403
    client.logout()
    for method, url in urls:
        assert getattr(client, method)(url, {"invite_only": "1"}).status_code == 302
    session.refresh_from_db()
    assert not session.invite_only
    assert Invitation.objects.count() == 1


def test_a_long_list_is_printed_a_page_of_slips_at_a_time(organizer_client, session):
    invite(session, "\n".join(f"Person {n}" for n in range(1, 131)))
    url = reverse("organizer:invitations", args=[session.pk])
    first = organizer_client.get(url).content.decode()
    assert first.count("<svg") == 60 and "Person 1<" in first and "Person 61<" not in first
    assert "Page 1 of 3 (1–60 of 130)" in first
    last = organizer_client.get(url, {"page": "3"}).content.decode()
    assert last.count("<svg") == 10 and "Person 130<" in last
    assert organizer_client.get(url, {"page": "x"}).status_code == 200  # the first page
