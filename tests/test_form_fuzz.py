"""No input answers 5xx: every form and action of the app, and every URL, fuzzed (hypothesis).

- Every form: each role (nobody, a participant, a facilitator of one group, an organizer)
  follows the app's links from its pages, and every form found is sent through each of its
  buttons with its fields filled with what the page offers or with text, numbers that are
  not ("nan", "inf", "1e309", 30 digits, "²") and markup.
- Every URL the app routes (but Django's admin and its password views), with GET and POST,
  as each role, with any of the fields the app's forms have.

Whatever the answer says, it is not a server error: a test client re-raises the view's
exception, so a 500 fails with its traceback. Each request runs in a transaction rolled
back after it, so every example meets the same session (a deletion does not leave the rest
of the run a 404).
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discussions import services
from discussions.models import FacilitatorAssignment
from tests.factories import client_for, make_position, make_room, make_vote

pytestmark = pytest.mark.django_db

# Django's own views, not ours to fuzz: the admin, and the invitation's password form.
NOT_OURS = ("admin:", "invite")

# Every field a form of the app sends or a view reads.
FIELDS = [
    "action", "choice", "code", "dissent_note", "display_name", "file", "format", "full",
    "group", "groups", "into", "key", "level", "minutes", "name", "names", "next", "on",
    "open", "panel", "password", "phase", "positions", "prompt", "question", "reason",
    "recommendation", "seconds", "section", "sort", "text", "then", "title", "username",
]  # fmt: skip

NASTY = [
    "", "0", "1", "-1", "2", "1.5", "nan", "NaN", "inf", "-inf", "1e309", "-1e309", "1e308",
    "9" * 30, "²", " 7 ", "0x10", "all", "agree", "disagree", "pass", "on", "true",
    "hide", "restore", "pin", "merge", "move", "remove", "start", "extend", "pause",
    "voting", "collecting", "md", "csv", "json", "pdf", "newest", "agreed", "divisive",
    "<script>alert(1)</script>", "\u202eevil", "\u200b", "Facilitator", "x" * 5000,
]  # fmt: skip

# Typed, pasted or scripted into any one field.
MISTAKES = ["", "nan", "inf", "-inf", "1e309", "-1", "9" * 30, "²", "x" * 5000, "<b>", "\u202e"]

values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers().map(str),
    st.floats().map(str),
)
forms = st.dictionaries(st.sampled_from(FIELDS), st.lists(values, min_size=1, max_size=3))
FUZZ = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def routes(resolver: URLResolver | None = None, prefix: str = "") -> dict[str, list[str]]:
    """Every named route the app has, as "namespace:name", with its path's parameters."""
    found = {}
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            found |= routes(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found[f"{prefix}{pattern.name}"] = list(pattern.pattern.converters)
    return {name: keys for name, keys in found.items() if not name.startswith(NOT_OURS)}


ROUTES = routes()


class Undo(Exception):
    """Rolls the request's writes back."""


def send(client: Client, method: str, path: str, data: dict, htmx: bool):
    """The answer to one request, whose writes are undone, and the browser's cookies with
    them (a login form that logged in, a log-out, would leave the rest of the run a
    stranger)."""
    headers = {"HX-Request": "true"} if htmx else {}
    cookies = copy.deepcopy(client.cookies)
    try:
        with transaction.atomic():
            response = getattr(client, method)(path, data, headers=headers)
            raise Undo
    except Undo:
        return response
    finally:
        client.cookies = cookies


# --- Forms, as the pages offer them ----------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name: values offered
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value)

    def variants(self) -> list[tuple[str, str] | None]:
        """Each way of sending it: through each named button, or plainly."""
        return [button for button in self.buttons if button[0]] or [None]


class PageReader(HTMLParser):
    """The forms and the app's own links of one page."""

    def __init__(self, path: str):
        super().__init__()
        self.path, self.forms, self.links = path, [], []
        self.form: Form | None = None
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(urlsplit(a["href"]).path)
        elif tag == "form":
            method = a.get("method", "get").lower()
            self.form = Form(urljoin(self.path, a.get("action") or self.path), method)
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "option" and self.select:
            self.form.fields[self.select].append(a.get("value", ""))
        elif (
            tag == "button"
            and a.get("type", "submit") == "submit"
            or (tag == "input" and a.get("type") == "submit")
        ):
            self.form.buttons.append((a.get("name", ""), a.get("value", "")))
        elif tag in ("input", "textarea") and a.get("name"):
            self.form.fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select" and a.get("name"):
            self.select = a["name"]
            self.form.fields.setdefault(self.select, [])

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None


# Links not followed: leaving, and downloads (each export is built, one PDF a second).
NOT_FOLLOWED = ("/accounts/logout/", "/admin/", "/static/")


def forms_of(client: Client, start: list[str], pages: int = 40) -> list[Form]:
    """The forms on the pages this browser reaches from `start` by the app's links."""
    seen, queue, forms = set(start), deque(start), {}
    while queue and len(seen) <= pages:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        reader = PageReader(path)
        reader.feed(response.content.decode())
        for form in reader.forms:
            key = (form.action, form.method, tuple(sorted(form.fields)), tuple(form.buttons))
            forms.setdefault(key, form)
        for link in reader.links:
            if link not in seen and not link.startswith(NOT_FOLLOWED) and "export" not in link:
                seen.add(link)
                queue.append(link)
    return list(forms.values())


def filled(form: Form):
    """The form's fields, each with a value the page offers or any other."""
    return st.fixed_dictionaries(
        {
            name: st.one_of(st.sampled_from(offered or [""]), values)
            for name, offered in form.fields.items()
            if name != "csrfmiddlewaretoken"
        }
    )


@pytest.fixture
def world(published_paper, django_user_model):
    """A session of two groups with positions, votes, a moderation entry; its people."""
    room = make_room(published_paper)
    ours, theirs = make_position(room.ada, "Ours"), make_position(room.cleo, "Theirs")
    make_vote(room.ben, ours, 1)
    organizer = django_user_model.objects.create_user(
        username="olga", password="a long organizer password", is_staff=True
    )
    fay = django_user_model.objects.create_user(username="fay", password="x" * 12)
    FacilitatorAssignment.objects.create(session=room.session, user=fay).groups.set([room.group])
    services.hide_position(actor=organizer, position_id=theirs.pk, reason="Off topic")
    services.invite(session=room.session, data=b"Name\nAnn Lee\nBo Chen\n")
    invitation = room.session.invitations.first()
    paper = room.session.paper
    ids = {
        "code": room.session.code,
        "token": room.session.screen_token,
        "session_id": room.session.pk,
        "group_id": room.group.pk,
        "paper_id": paper.pk,
        "question_id": paper.questions.first().pk,
        "section_id": paper.sections.first().pk,
        "position_id": ours.pk,
        "participant_id": room.ben.pk,
        "entry_id": room.session.moderation_log.latest("pk").pk,
        "user_id": fay.pk,
        "invitation_id": invitation.pk,
        "invitation_token": invitation.token,
        "language": "fr",
        "version": "1",
    }
    starts = {
        "nobody": [
            "/",
            "/join/",
            f"/join/{ids['code']}/",
            f"/screen/{ids['token']}/",
            invitation.get_absolute_url(),
        ],
        "ada": [f"/rooms/{room.group.pk}/"],
        "fay": ["/facilitate/"],
        "olga": ["/organizer/", "/facilitate/"],
    }
    facilitator, staff = Client(), Client()
    facilitator.force_login(fay)
    staff.force_login(organizer)
    people = {"nobody": Client(), "ada": client_for(room.ada), "fay": facilitator}
    return ids, people | {"olga": staff}, starts


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_no_input_to_any_page_or_action_answers_a_server_error(route, world):
    ids, people, _ = world
    path = reverse(route, kwargs={key: ids[key] for key in ROUTES[route]})

    @FUZZ
    @given(
        who=st.sampled_from(sorted(people)),
        method=st.sampled_from(["get", "post"]),
        htmx=st.booleans(),
        form=forms,
    )
    def request(who, method, htmx, form):
        response = send(people[who], method, path, form, htmx)
        assert response.status_code < 500, (who, method, form, response.content[:500])

    request()


def each_field_mistaken(client: Client, form: Form, button: tuple[str, str] | None) -> None:
    """Each field in turn set to each mistake, the others as the page offers them: what a
    person mistypes or a script tries (a countdown of "nan" minutes)."""
    offered = {name: values[0] if values else "" for name, values in form.fields.items()}
    if button:
        offered[button[0]] = button[1]
    for name in form.fields:
        for value in MISTAKES:
            data = offered | {name: value}
            response = send(client, form.method, form.action, data, htmx=True)
            assert response.status_code < 500, (form.action, data)


def any_mix(client: Client, form: Form, button: tuple[str, str] | None) -> None:
    @FUZZ
    @given(data=filled(form), htmx=st.booleans())
    def submit(data, htmx):
        if button:
            data[button[0]] = button[1]
        response = send(client, form.method, form.action, data, htmx)
        assert response.status_code < 500, (form.action, data, response.content[:500])

    submit()


@pytest.mark.parametrize("who", ["nobody", "ada", "fay", "olga"])
def test_no_input_to_any_form_answers_a_server_error(who, world):
    _, people, starts = world
    forms = forms_of(people[who], starts[who])
    assert forms, f"{who} found no form"
    for form in forms:
        for button in form.variants():
            each_field_mistaken(people[who], form, button)
            any_mix(people[who], form, button)
