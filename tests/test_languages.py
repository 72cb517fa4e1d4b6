"""Which language a page speaks: the reader's choice, their browser's, the session's."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from discussions import languages, live, services
from tests.factories import make_position, make_room, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(published_paper):
    session = make_session(published_paper, group_count=2)
    services.set_session_language(session=session, language="fr")
    session.refresh_from_db()
    return session


def html_lang(response) -> str:
    return response.content.decode().split("<html ", 1)[1].split(">", 1)[0]


@pytest.mark.parametrize(
    ("headers", "cookie", "expected"),
    [
        ({}, None, 'lang="fr" dir="ltr"'),  # asked for nothing: the session's
        ({"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}, None, 'lang="fr" dir="ltr"'),
        ({"HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9"}, None, 'lang="es" dir="ltr"'),
        ({"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}, None, 'lang="zh-hans" dir="ltr"'),
        ({"HTTP_ACCEPT_LANGUAGE": "es"}, "ar", 'lang="ar" dir="rtl"'),  # their choice first
    ],
)
def test_the_join_page_speaks_the_readers_language_else_the_sessions(
    session, headers, cookie, expected
):
    browser = Client(**headers)
    if cookie:
        browser.cookies["django_language"] = cookie
    assert html_lang(browser.get(reverse("join", args=[session.code]))) == expected


def test_joining_keeps_the_sessions_language_for_who_asked_for_none_the_site_speaks(session):
    group = session.groups.first()
    data = {"display_name": "Ada", "group": str(group.pk)}
    quiet = Client(HTTP_ACCEPT_LANGUAGE="de")
    answer = quiet.post(reverse("join", args=[session.code]), data)
    assert answer.cookies["django_language"].value == "fr"
    assert html_lang(quiet.get(answer["Location"])) == 'lang="fr" dir="ltr"'  # the room

    russian = Client(HTTP_ACCEPT_LANGUAGE="ru")
    answer = russian.post(reverse("join", args=[session.code]), data | {"display_name": "Ben"})
    assert "django_language" not in answer.cookies  # their browser's language stays theirs
    assert html_lang(russian.get(answer["Location"])) == 'lang="ru" dir="ltr"'


def test_the_switcher_remembers_the_choice_and_comes_back(client, session):
    page = reverse("join", args=[session.code])
    content = client.get(page).content.decode()
    assert 'action="/i18n/setlang/"' in content and '<option value="ar" lang="ar"' in content
    answer = client.post(reverse("set_language"), {"language": "ar", "next": page})
    assert answer.status_code == 302 and answer["Location"] == page
    assert answer.cookies["django_language"].value == "ar"
    assert html_lang(client.get(page)) == 'lang="ar" dir="rtl"'


def test_the_scripts_catalog_is_kept_by_browsers_and_refuses_other_languages(client):
    url = reverse("javascript_catalog", args=["fr", languages.catalog_version()])
    answer = client.get(url)
    assert answer.status_code == 200
    assert "javascript" in answer["Content-Type"]
    assert "max-age=31536000" in answer["Cache-Control"]
    assert "immutable" in answer["Cache-Control"]
    assert client.get(reverse("javascript_catalog", args=["de", "x"])).status_code == 404


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([(b"cookie", b"participant=x; django_language=ru")], "ru"),
        ([(b"accept-language", b"fr-CA,fr;q=0.9")], "fr"),
        ([(b"accept-language", b"de, *;q=0.1")], "en"),
        ([(b"accept-language", b"ar;q=0, es")], "es"),
        ([], "en"),
    ],
)
def test_a_sockets_language_is_chosen_as_its_pages_was(headers, expected):
    scope = {"headers": headers, "cookies": {}}
    for name, value in headers:
        if name == b"cookie":
            scope["cookies"] = dict(part.split("=", 1) for part in value.decode().split("; "))
    assert languages.of_socket(scope) == expected


def test_paper_and_participants_text_keeps_its_own_direction_on_a_right_to_left_page(
    published_paper, organizer, organizer_client
):
    """An English prompt or position on an Arabic console: isolated (<bdi>, dir="auto"), or
    its full stop and question mark land at the wrong end ("?What contributes...")."""
    room = make_room(published_paper)
    first = make_position(room.ada, "Reform the Security Council.")
    second = make_position(room.ben, "Fund peacekeeping in full.")
    services.set_pinned(actor=organizer, position_id=second.pk, pinned=True)
    organizer_client.cookies["django_language"] = "ar"

    console = organizer_client.get(reverse("facilitator:group", args=[room.group.pk]))
    page = console.content.decode()
    assert f"<bdi>{escape(room.group.current_prompt.heading)}</bdi>" in page
    assert f'<option value="{first.pk}" dir="auto">#{first.pk} ' in page
    assert f'<option value="{second.pk}" dir="auto">#{second.pk} ' in page
    log = organizer_client.get(reverse("facilitator:log", args=[room.session.pk]))
    assert f"<bdi>#{second.pk} Fund peacekeeping in full.</bdi>" in log.content.decode()
    synthesis = organizer_client.get(reverse("facilitator:synthesis", args=[room.session.pk]))
    first_prompt = room.session.ordered_prompts()[0].heading
    assert f"1. <bdi>{escape(first_prompt[:49])}" in synthesis.content.decode()


@pytest.mark.parametrize("event", ["post", "pin", "merge"])
def test_a_broadcast_reads_the_database_once_however_many_languages_it_is_rendered_in(
    published_paper, organizer, monkeypatch, django_capture_on_commit_callbacks, event
):
    """Rendered per language, each event's fragment had repeated its reads per language."""
    sent = []  # the room's broadcasts (the consoles' notices have no html)
    monkeypatch.setattr(
        live.events, "_send", lambda group, message: "html" in message and sent.append(message)
    )
    room = make_room(published_paper)
    survivor = make_position(room.ada, "Keep NATO strong.")
    duplicates = [make_position(room.ben, f"NATO must stay strong ({n}).") for n in (1, 2)]
    act = {
        "post": lambda turn: services.post_position(participant=room.ada, text=f"UN {turn}"),
        "pin": lambda turn: services.set_pinned(
            actor=organizer, position_id=survivor.pk, pinned=turn == 0
        ),
        "merge": lambda turn: services.merge_positions(
            actor=organizer, survivor_id=survivor.pk, absorbed_id=duplicates[turn].pk
        ),
    }[event]

    def queries_of_the_broadcast(turn: int, languages: list[str]) -> int:
        type(room.group).objects.filter(pk=room.group.pk).update(languages=" ".join(languages))
        with django_capture_on_commit_callbacks() as callbacks:
            act(turn)
        with CaptureQueriesContext(connection) as read:
            for callback in callbacks:
                callback()
        assert sent[-1]["html"].keys() == set(languages)
        return len(read.captured_queries)

    one = queries_of_the_broadcast(0, ["en"])
    six = queries_of_the_broadcast(1, ["en", "fr", "ar", "ru", "es", "zh-hans"])
    assert six == one
