"""Abuse and bad input over HTTP: each is refused, logged, and changes nothing.

Rate limits per participant and per network address, oversized and malformed requests,
HTML and script in the text fields, forged CSRF, a participant's session cookie replayed
for another group.
"""

import logging

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from discussions import ratelimit
from discussions.models import FacilitatorAssignment, Participant, Position, Vote
from tests.factories import client_for, make_position, make_room

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def one_window(monkeypatch):
    """Rate-limit counts are per fixed window: keep each test inside one."""
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)


@pytest.fixture
def fay(room, django_user_model):
    """Facilitator of Ada and Ben's group."""
    user = django_user_model.objects.create_user(username="fay", password="x" * 12)
    FacilitatorAssignment.objects.create(session=room.session, user=user).groups.set([room.group])
    return user


def snapshot() -> dict[str, list[dict]]:
    """Every row the app keeps (its own tables and the users), to compare before and after."""
    models = list(apps.get_app_config("discussions").get_models())
    models.append(apps.get_model("auth", "User"))
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in models}


def logged(caplog, text: str, level=logging.WARNING) -> bool:
    return any(text in r.getMessage() and r.levelno >= level for r in caplog.records)


# --- Rate limits per network address ------------------------------------------------------------


def test_posts_from_one_address_are_limited_across_participants(room, monkeypatch, caplog):
    """A script that joins many participants cannot flood the room: the address is counted."""
    monkeypatch.setattr(ratelimit, "POST_ADDRESS", ratelimit.Limit("post-address", 3, 60, "Slow"))
    url = reverse("post_position", args=[room.group.pk])
    ada, ben = client_for(room.ada), client_for(room.ben)
    for n, client in enumerate([ada, ada, ben]):
        assert client.post(url, {"text": f"Position {n}"}, headers=HTMX).status_code == 200
    response = ben.post(url, {"text": "One too many from here"}, headers=HTMX)
    assert response.status_code == 429
    assert "Slow" in response.content.decode()
    assert Position.objects.count() == 3
    assert logged(caplog, "Rate limit 'post-address' reached by 127.0.0.1")
    # Someone at another address is not affected.
    elsewhere = client_for(room.cleo, REMOTE_ADDR="10.1.2.3")
    other_url = reverse("post_position", args=[room.other_group.pk])
    assert elsewhere.post(other_url, {"text": "Mine"}, headers=HTMX).status_code == 200


def test_votes_from_one_address_are_limited_across_participants(room, monkeypatch, caplog):
    monkeypatch.setattr(ratelimit, "VOTE_ADDRESS", ratelimit.Limit("vote-address", 3, 60, "Slow"))
    bens, adas = make_position(room.ben, "Ben's"), make_position(room.ada, "Ada's")
    ada, ben = client_for(room.ada), client_for(room.ben)
    on_bens = reverse("vote", args=[room.group.pk, bens.pk])
    on_adas = reverse("vote", args=[room.group.pk, adas.pk])
    assert ada.post(on_bens, {"choice": "agree"}, headers=HTMX).status_code == 200
    assert ada.post(on_bens, {"choice": "disagree"}, headers=HTMX).status_code == 200
    assert ben.post(on_adas, {"choice": "agree"}, headers=HTMX).status_code == 200
    before = snapshot()
    response = ben.post(on_adas, {"choice": "disagree"}, headers=HTMX)
    assert response.status_code == 429
    assert "Slow" in response.content.decode()
    assert snapshot() == before
    assert logged(caplog, "Rate limit 'vote-address' reached by 127.0.0.1")
    # The count was the address's, not Ben's (his own limit is far off): elsewhere he votes.
    ben_elsewhere = client_for(room.ben, REMOTE_ADDR="10.1.2.3")
    assert ben_elsewhere.post(on_adas, {"choice": "disagree"}, headers=HTMX).status_code == 200
    assert Vote.objects.get(participant=room.ben).choice == Vote.Choice.DISAGREE


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(room, monkeypatch, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    monkeypatch.setattr(ratelimit, "POST_ADDRESS", ratelimit.Limit("post-address", 1, 60, "Slow"))
    url = reverse("post_position", args=[room.group.pk])
    ada = client_for(room.ada)
    ben = client_for(room.ben)
    first = {"X-Forwarded-For": "198.51.100.7", **HTMX}
    second = {"X-Forwarded-For": "198.51.100.8", **HTMX}
    assert ada.post(url, {"text": "From one laptop"}, headers=first).status_code == 200
    assert ben.post(url, {"text": "From another"}, headers=second).status_code == 200
    assert ben.post(url, {"text": "Again"}, headers=second).status_code == 429


def test_address_limits_leave_room_for_a_whole_venue_behind_one_address():
    """A venue shares one address: the per-address limits must let a full conference
    (2,000 participants, 200 votes/s: docs/capacity.md, "Rate limits for a venue behind
    one address") through, or they lock it out."""
    assert ratelimit.VOTE_ADDRESS.count / ratelimit.VOTE_ADDRESS.seconds >= 200
    assert ratelimit.POST_ADDRESS.count >= 10 * ratelimit.POST.count
    assert (
        len(
            {
                ratelimit.POST.name,
                ratelimit.POST_ADDRESS.name,
                ratelimit.VOTE.name,
                ratelimit.VOTE_ADDRESS.name,
                ratelimit.JOIN.name,
                ratelimit.JOIN_SITE.name,
                ratelimit.SESSION_JOIN.name,
            }
        )
        == 7
    )  # separate counts
    # A session's whole audience may join in its first minute, all behind one address.
    assert ratelimit.SESSION_JOIN.count >= 2_000


def test_per_participant_refusals_are_logged_once_per_window(room, caplog):
    url = reverse("post_position", args=[room.group.pk])
    ada = client_for(room.ada)
    for n in range(ratelimit.POST.count):
        ada.post(url, {"text": f"Position {n}"}, headers=HTMX)
    for _ in range(3):
        assert ada.post(url, {"text": "More"}, headers=HTMX).status_code == 429
    ours = [r for r in caplog.records if r.name == "discussions.ratelimit"]
    assert [r.getMessage() for r in ours] == [
        f"Rate limit 'post' reached by participant-{room.ada.pk}"
    ]


DIGITS = str.maketrans("0123456789", "ACDEFGHJKM")  # well-formed codes, none a session's


def test_guessing_join_codes_is_logged(client, room, caplog, ratelimit_clock):
    for n in range(ratelimit.JOIN.count + 1):  # the limit, and the turn that follows it
        client.get(reverse("join_start"), {"code": f"WXY{n:03d}".translate(DIGITS)})
    assert not logged(caplog, "Rate limit 'join'")
    assert client.get(reverse("join_start"), {"code": "WXYAAA"}).status_code == 429
    assert logged(caplog, "Rate limit 'join' reached by 127.0.0.1")


def test_wrong_screen_links_are_counted_with_the_wrong_join_codes(
    client, room, caplog, ratelimit_clock
):
    """A screen link is a 32-character secret, far beyond guessing; wrong ones count all
    the same, so that nothing at all answers guesses without limit. The right one is always
    answered: the projector shares the venue's network."""
    for n in range(ratelimit.JOIN.count + 1):  # the limit, and the turn that follows it
        token = f"not-a-screen-token-{n}"
        assert client.get(reverse("screen_session", args=[token])).status_code == 404
    refused = [
        client.get(reverse("screen_session", args=["one-more"])),
        client.get(reverse("screen_group", args=["one-more", room.group.pk])),
        client.get(reverse("join_start"), {"code": "WXYAAA"}),
    ]
    for response in refused:
        assert response.status_code == 429
        assert response["Retry-After"] == "2"
    assert "Too many wrong screen links from this network" in refused[0].content.decode()
    token = room.session.screen_token
    assert client.get(reverse("screen_session", args=[token])).status_code == 200
    status = reverse("screen_group_status", args=[token, room.group.pk])
    assert client.get(status).status_code == 200
    assert logged(caplog, "Rate limit 'join' reached by 127.0.0.1")


def test_a_room_address_does_not_tell_a_stranger_its_join_code(client, room):
    """Group numbers are sequential: a room's address that led to its session's join page
    gave away every session's code, one request each."""
    for group in (room.group, room.other_group):
        response = client.get(reverse("room", args=[group.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("join_start")
        assert room.session.code not in response["Location"]


# --- Oversized and malformed requests ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * (Position.MAX_LENGTH + 1), f"the limit is {Position.MAX_LENGTH}"),
        ("x" * 200_000, f"the limit is {Position.MAX_LENGTH}"),
        ("   \n\t ", "Write your position"),
    ],
    ids=["just-over", "200k", "blank"],
)
def test_a_bad_position_is_refused_with_a_message_and_logged(room, caplog, text, message):
    before = snapshot()
    response = client_for(room.ada).post(
        reverse("post_position", args=[room.group.pk]), {"text": text}, headers=HTMX
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert snapshot() == before
    assert logged(caplog, f"/rooms/{room.group.pk}/post")


def test_a_body_over_the_upload_limit_is_refused_and_logged(room, settings, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = snapshot()
    response = client_for(room.ada).post(
        reverse("post_position", args=[room.group.pk]), {"text": "x" * 20_000}, headers=HTMX
    )
    assert response.status_code == 400
    assert snapshot() == before
    assert any(r.name == "django.security.RequestDataTooBig" for r in caplog.records)


def test_too_many_fields_are_refused_and_logged(room, caplog):
    before = snapshot()
    fields = {f"f{n}": "1" for n in range(1100)} | {"text": "Hello"}
    response = client_for(room.ada).post(
        reverse("post_position", args=[room.group.pk]), fields, headers=HTMX
    )
    assert response.status_code == 400
    assert snapshot() == before
    assert any(r.name == "django.security.TooManyFieldsSent" for r in caplog.records)


@pytest.mark.parametrize(
    "choice", ["", "maybe", "AGREE ", "1", "-1", "agree;pass", "x" * 10_000, "²"]
)
def test_a_malformed_vote_is_refused_and_logged(room, caplog, choice):
    position = make_position(room.ben)
    before = snapshot()
    response = client_for(room.ada).post(
        reverse("vote", args=[room.group.pk, position.pk]), {"choice": choice}, headers=HTMX
    )
    assert response.status_code == 422
    assert snapshot() == before
    assert logged(caplog, f"/positions/{position.pk}/vote")


@pytest.mark.parametrize("position_id", [0, 10**6, 2**63, 10**30])
def test_a_vote_on_a_position_that_does_not_exist_is_refused(room, caplog, position_id):
    before = snapshot()
    response = client_for(room.ada).post(
        f"/rooms/{room.group.pk}/positions/{position_id}/vote", {"choice": "agree"}, headers=HTMX
    )
    assert response.status_code in (404, 422)
    assert snapshot() == before
    assert logged(caplog, "/vote")


@pytest.mark.parametrize("group_id", [2**63, 10**30])
def test_a_room_number_no_database_can_hold_is_no_such_room(room, caplog, group_id):
    before = snapshot()
    browser = client_for(room.ada)
    assert browser.get(f"/rooms/{group_id}/").status_code == 404
    response = browser.post(f"/rooms/{group_id}/positions/1/vote", {"choice": "agree"})
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("", ""),
        ("x" * 41, ""),
        ("Ada", "²"),
        ("Ada", "-1"),
        ("Ada", "9" * 30),
        ("Ada", "0x10"),
        ("Ada", "1 OR 1=1"),
    ],
)
def test_a_malformed_join_changes_nothing(client, room, caplog, name, group):
    before = snapshot()
    response = client.post(
        reverse("join", args=[room.session.code]), {"display_name": name, "group": group}
    )
    # Either refused with the form again, or (for a group it cannot read) placed by the app.
    if response.status_code == 302:
        joined = Participant.objects.exclude(
            pk__in=[p["id"] for p in before["discussions.Participant"]]
        )
        (participant,) = joined
        assert participant.display_name == "Ada"
        assert participant.group.session_id == room.session.pk
        return
    assert response.status_code == 400
    assert snapshot() == before
    assert logged(caplog, f"/join/{room.session.code}/")


@pytest.mark.parametrize(
    "path",
    [
        "/join/?code=" + "A" * 5000,
        "/screen/" + "t" * 3000 + "/",
        "/join/%ff%fe/",
        "/join/?code=%ff",
    ],
)
def test_malformed_urls_get_a_4xx_not_a_server_error(client, room, caplog, path):
    before = snapshot()
    response = client.get(path)
    assert 400 <= response.status_code < 500
    assert snapshot() == before
    assert logged(caplog, "")  # every refusal leaves a log line


def nul_requests(room, fay):
    """(client, method, path, data) for each place a NUL character can come in."""
    ada = client_for(room.ada)
    facilitator = Client()
    facilitator.force_login(fay)
    post = reverse("post_position", args=[room.group.pk])
    join = reverse("join", args=[room.session.code])
    control = reverse("facilitator:control", args=[room.session.pk])
    return {
        "position text": (ada, "post", post, {"text": "Nul\x00byte"}),
        "field name": (ada, "post", post, {"text": "Fine", "x\x00": "1"}),
        "display name": (Client(), "post", join, {"display_name": "Nul\x00name"}),
        "vote choice": (ada, "post", reverse("vote", args=[room.group.pk, 1]), {"choice": "\x00"}),
        "join code query": (Client(), "get", "/join/?code=AB%00CD", {}),
        "join code path": (Client(), "get", "/join/AB%00CD/", {}),
        "qr code path": (Client(), "get", "/join/AB%00/qr.svg", {}),
        "screen token": (Client(), "get", "/screen/%00/", {}),
        "screen group": (Client(), "get", "/screen/%00/groups/1/", {}),
        "announcement": (
            facilitator,
            "post",
            control,
            {"action": "announce", "group": "all", "text": "Hello\x00"},
        ),
        "facilitator username": (
            facilitator,
            "post",
            reverse("organizer:assign_facilitator", args=[room.session.pk]),
            {"username": "fay\x00"},
        ),
    }


NUL_CASES = [
    "position text",
    "field name",
    "display name",
    "vote choice",
    "join code query",
    "join code path",
    "qr code path",
    "screen token",
    "screen group",
    "announcement",
    "facilitator username",
]


@pytest.mark.parametrize("case", NUL_CASES)
def test_a_nul_character_anywhere_is_refused_and_logged(room, fay, caplog, case):
    """PostgreSQL cannot store or even look up text with NUL: it used to raise a 500 there."""
    client, method, path, data = nul_requests(room, fay)[case]
    before = snapshot()
    response = getattr(client, method)(path, data)
    assert response.status_code == 400
    assert snapshot() == before
    assert any(
        r.name == "discussions.middleware" and "NUL character" in r.getMessage()
        for r in caplog.records
    )


def test_a_nul_character_in_a_cookie_is_refused_before_the_session_lookup(room, caplog):
    client = Client()
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    assert client.get(reverse("room", args=[room.group.pk])).status_code == 400
    assert logged(caplog, "NUL character in its cookies")


def test_the_nul_check_does_not_refuse_ordinary_input(room):
    ada = client_for(room.ada)
    url = reverse("post_position", args=[room.group.pk])
    text = "Café ✓ — 0 % \\x00 is just text; \u0001 too"
    assert ada.post(url, {"text": text}, headers=HTMX).status_code == 200
    # Saved, but the control character, which shows nothing (services.errors.readable).
    assert Position.objects.get().text == text.replace("\u0001", "")


# --- HTML and script in the text fields ---------------------------------------------------------

SHORT = "<script>alert(1)</script>"  # fits a display name (40 characters)


def assert_shown_as_text(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html


def test_html_and_script_in_every_text_field_are_shown_as_text(room, fay, organizer):
    """Each text a person types, on every page that shows it: escaped, never markup."""
    browser = Client()
    response = browser.post(
        reverse("join", args=[room.session.code]),
        {"display_name": SHORT, "group": str(room.group.pk)},
    )
    assert response.status_code == 302
    intruder = Participant.objects.get(display_name=SHORT)
    room_url = reverse("room", args=[room.group.pk])
    posted = browser.post(
        reverse("post_position", args=[room.group.pk]), {"text": PAYLOAD}, headers=HTMX
    )
    assert posted.status_code == 200
    assert_shown_as_text(posted.content.decode())

    organizer_client = Client()
    organizer_client.force_login(organizer)
    renamed = organizer_client.post(
        reverse("organizer:rename_group", args=[room.session.pk, room.group.pk]), {"name": SHORT}
    )
    assert renamed.status_code == 302
    facilitator = Client()
    facilitator.force_login(fay)
    control = reverse("facilitator:control", args=[room.session.pk])
    announce = {"action": "announce", "group": str(room.group.pk), "text": PAYLOAD}
    assert facilitator.post(control, announce).status_code == 302
    hidden = make_position(room.ben, "To be hidden")
    hide = {"action": "hide", "reason": PAYLOAD}
    assert facilitator.post(reverse("facilitator:position", args=[hidden.pk]), hide).status_code
    hidden.refresh_from_db()
    assert hidden.moderation_reason == PAYLOAD
    room.session.__class__.objects.filter(pk=room.session.pk).update(name=PAYLOAD)

    pages = {
        "intruder's room": browser.get(room_url),
        "Ben's room": client_for(room.ben).get(room_url),
        "room positions": client_for(room.ben).get(reverse("room_positions", args=[room.group.pk])),
        "room status": client_for(room.ben).get(reverse("room_status", args=[room.group.pk])),
        "console group": facilitator.get(reverse("facilitator:group", args=[room.group.pk])),
        "console overview": facilitator.get(
            reverse("facilitator:overview", args=[room.session.pk])
        ),
        "moderation log": facilitator.get(reverse("facilitator:log", args=[room.session.pk])),
        "organizer session": organizer_client.get(
            reverse("organizer:session", args=[room.session.pk])
        ),
        "screen": Client().get(
            reverse("screen_group", args=[room.session.screen_token, room.group.pk])
        ),
        "screen session": Client().get(reverse("screen_session", args=[room.session.screen_token])),
    }
    shown = {name: response.content.decode() for name, response in pages.items()}
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert_shown_as_text(shown[name])
    # The texts are there, as text: the escaped form shows where each one is rendered.
    escaped_short = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert escaped_short in shown["Ben's room"]  # the intruder's name, and the group name
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown["Ben's room"]  # position text
    assert "onerror=alert(1)&gt;" in shown["room status"]  # the announcement
    assert "onerror=alert(1)&gt;" in shown["console group"]  # the reason for hiding
    assert escaped_short in shown["organizer session"]
    assert intruder.display_name == SHORT  # stored as typed: escaping is the page's job


# --- Forged CSRF ---------------------------------------------------------------------------------


def csrf_cases(room, fay, organizer):
    position = make_position(room.ben)
    facilitator = Client(enforce_csrf_checks=True)
    facilitator.force_login(fay)
    organizer_client = Client(enforce_csrf_checks=True)
    organizer_client.force_login(organizer)
    return {
        "post": (
            client_for(room.ada, enforce_csrf_checks=True),
            reverse("post_position", args=[room.group.pk]),
            {"text": "Forged"},
        ),
        "vote": (
            client_for(room.ada, enforce_csrf_checks=True),
            reverse("vote", args=[room.group.pk, position.pk]),
            {"choice": "agree"},
        ),
        "join": (
            Client(enforce_csrf_checks=True),
            reverse("join", args=[room.session.code]),
            {"display_name": "Forged"},
        ),
        "announce": (
            facilitator,
            reverse("facilitator:control", args=[room.session.pk]),
            {"action": "announce", "group": "all", "text": "Forged"},
        ),
        "rename group": (
            organizer_client,
            reverse("organizer:rename_group", args=[room.session.pk, room.group.pk]),
            {"name": "Forged"},
        ),
    }


@pytest.mark.parametrize("case", ["post", "vote", "join", "announce", "rename group"])
@pytest.mark.parametrize("forgery", ["no token", "wrong token"])
def test_a_forged_csrf_request_is_refused_and_logged(room, fay, organizer, caplog, case, forgery):
    client, url, data = csrf_cases(room, fay, organizer)[case]
    headers = {}
    if forgery == "wrong token":
        client.cookies["csrftoken"] = "a" * 32
        headers["X-CSRFToken"] = "b" * 32
    before = snapshot()
    response = client.post(url, data, headers=headers)
    assert response.status_code == 403
    assert snapshot() == before
    assert any(r.name == "django.security.csrf" for r in caplog.records)


def test_the_same_request_with_the_real_token_goes_through(room):
    """The control for the forgeries above: the refusal is the token's, nothing else's."""
    ada = client_for(room.ada, enforce_csrf_checks=True)
    assert ada.get(reverse("room", args=[room.group.pk])).status_code == 200
    token = ada.cookies["csrftoken"].value
    response = ada.post(
        reverse("post_position", args=[room.group.pk]),
        {"text": "Genuine"},
        headers={"X-CSRFToken": token, **HTMX},
    )
    assert response.status_code == 200
    assert Position.objects.get().text == "Genuine"


# --- A participant's session cookie replayed for another group -----------------------------------


def test_a_participant_cookie_replayed_for_another_group_is_refused_and_logged(room, caplog):
    """Ada's browser session is only good for her own group: not Cleo's, in the same session."""
    cleos = make_position(room.cleo, "Cleo's group only")
    ada = client_for(room.ada)
    other = room.other_group.pk
    before = snapshot()
    attempts = {
        "room page": ada.get(reverse("room", args=[other])),
        "positions": ada.get(reverse("room_positions", args=[other])),
        "status": ada.get(reverse("room_status", args=[other])),
        "post": ada.post(reverse("post_position", args=[other]), {"text": "Hi"}, headers=HTMX),
        "vote": ada.post(reverse("vote", args=[other, cleos.pk]), {"choice": "agree"}),
    }
    for name, response in attempts.items():
        assert response.status_code == 403, name
    # Through her own group's URL, a position of the other group is not hers to vote on.
    sideways = ada.post(
        reverse("vote", args=[room.group.pk, cleos.pk]), {"choice": "agree"}, headers=HTMX
    )
    assert sideways.status_code == 422
    assert "not in your group" in sideways.content.decode()
    assert snapshot() == before
    forbidden = [r for r in caplog.records if r.getMessage().startswith("Forbidden")]
    assert len(forbidden) == len(attempts)
    assert logged(caplog, f"/rooms/{room.group.pk}/positions/{cleos.pk}/vote")


def test_a_cookie_of_one_conference_session_does_not_open_another(room, published_paper):
    other_session_room = make_room(published_paper)
    ada = client_for(room.ada)
    response = ada.get(reverse("room", args=[other_session_room.group.pk]))
    assert response.status_code == 302  # to the page that asks for a code: not a member
    assert response["Location"] == reverse("join_start")
    url = reverse("post_position", args=[other_session_room.group.pk])
    before = snapshot()
    assert ada.post(url, {"text": "Hi"}, headers=HTMX).status_code == 403
    assert snapshot() == before


# A superscript and an Arabic-Indic digit pass str.isdigit(); int() refuses the first.
NOT_IDS = ["²", "٣", "9" * 5000, "-1", " 1"]


@pytest.mark.parametrize("not_an_id", NOT_IDS)
def test_ids_that_are_not_ids_never_give_a_server_error(room, organizer, not_an_id):
    staff = Client()
    staff.force_login(organizer)
    session, paper = room.session, room.session.paper
    before = snapshot()
    answers = [
        staff.get(reverse("organizer:export", args=[session.pk]), {"group": not_an_id}),
        staff.get(reverse("facilitator:synthesis", args=[session.pk]), {"prompt": not_an_id}),
        staff.post(
            reverse("organizer:assign_facilitator", args=[session.pk]),
            {"username": "nobody", "groups": [not_an_id]},
        ),
        staff.post(
            reverse("facilitator:curate", args=[session.pk]),
            {"action": f"promote:{not_an_id}", "prompt": not_an_id},
        ),
    ]
    join = Client().post(
        reverse("join", args=[session.code]), {"display_name": "Zed", "group": not_an_id}
    )
    assert [a.status_code < 500 for a in [*answers, join]] == [True] * 5
    assert join.status_code == 400  # no such group: a message, nobody joined
    after = snapshot()
    assert after == before
    staff.post(
        reverse("organizer:add_question", args=[paper.pk]), {"section": not_an_id, "text": "Q?"}
    )  # a published paper cannot be corrected: refused, whatever the section
    assert snapshot() == before
