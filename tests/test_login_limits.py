"""Staff logins, on the app's login page and the admin's: wrong passwords lock a username out
from the network they came from, and too many from one network, whatever the usernames, are
refused; both before any password is hashed, so a loop of wrong logins can neither guess a
password nor keep the request threads hashing."""

from datetime import timedelta
from itertools import cycle

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import get_hasher
from django.db.models import F
from django.test import Client
from django.urls import reverse

from discussions import ratelimit
from tests.test_settings import run_python

pytestmark = pytest.mark.django_db

LOGIN_PAGES = [pytest.param("login", id="app"), pytest.param("admin:login", id="admin")]
RIGHT = "a long organizer password"  # the organizer fixture's
WRONG = "not the password"
LIMIT = 10  # wrong passwords for a username from one network (settings.AXES_FAILURE_LIMIT)
HERE, ELSEWHERE = "203.0.113.7", "198.51.100.9"


@pytest.fixture(autouse=True)
def fast_hashes(settings):
    """The tests count hashes rather than time them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def clock(ratelimit_clock) -> list[float]:
    return ratelimit_clock


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """The passwords hashed from now on (checking a password hashes it too)."""
    hasher = type(get_hasher())
    encode = hasher.encode
    hashed = []

    def counted(self, password, *args, **kwargs):
        hashed.append(password)
        return encode(self, password, *args, **kwargs)

    monkeypatch.setattr(hasher, "encode", counted)
    return hashed


def log_in(client: Client, page: str, username: str = "olga", password: str = RIGHT):
    return client.post(reverse(page), {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def access_attempts():
    """django-axes' counts of wrong passwords (imported here: without django-axes set up,
    each test fails on its own rather than the whole module)."""
    from axes.models import AccessAttempt

    return AccessAttempt.objects


def lock_out(client: Client, page: str = "login", username: str = "olga") -> None:
    for _ in range(LIMIT - 1):
        assert log_in(client, page, username, WRONG).status_code == 200
    # The last wrong password of the limit is answered with the lockout already.
    assert log_in(client, page, username, WRONG).status_code == 429


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_wrong_passwords_lock_the_username_out_from_that_network_only(
    page, organizer, django_user_model
):
    django_user_model.objects.create_user(username="fay", password="fay's own password")
    here = Client(REMOTE_ADDR=HERE)
    lock_out(here, page)
    refused = log_in(here, page)
    assert refused.status_code == 429
    assert not logged_in(here)
    # Nobody can lock an organizer out from elsewhere.
    elsewhere = Client(REMOTE_ADDR=ELSEWHERE)
    assert log_in(elsewhere, page).status_code == 302
    assert logged_in(elsewhere)
    # Nor is the venue locked out as a whole: the others there log in.
    colleague = Client(REMOTE_ADDR=HERE)
    assert log_in(colleague, "login", "fay", "fay's own password").status_code == 302


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_a_locked_out_login_is_refused_before_its_password_is_hashed(page, organizer, hashes):
    client = Client(REMOTE_ADDR=HERE)
    assert log_in(client, page, "somebody", WRONG).status_code == 200
    assert hashes == [WRONG]  # what a wrong password costs, whoever the username names
    lock_out(client, page)
    hashes.clear()
    response = log_in(client, page)
    assert hashes == []
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "registration/wait.html" in [t.name for t in response.templates]
    text = response.content.decode()
    assert 'name="password"' not in text
    assert "Too many wrong passwords for olga from this network" in text
    assert "Wait 15 minutes, then try again" in text
    assert f'href="{reverse(page)}"' in text


def test_the_lockout_ends_after_its_cool_off(organizer):
    client = Client(REMOTE_ADDR=HERE)
    lock_out(client)
    access_attempts().update(attempt_time=F("attempt_time") - timedelta(minutes=15, seconds=1))
    assert log_in(client, "login").status_code == 302


def test_a_superuser_lifts_a_lockout_in_the_admin(organizer, admin_client):
    client = Client(REMOTE_ADDR=HERE)
    lock_out(client)
    attempts = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert "olga" in attempts.content.decode()
    assert "Locked Out" in attempts.content.decode()
    attempt = attempts.context["cl"].result_list[0]
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert log_in(client, "login").status_code == 302


def test_a_login_resets_the_count_of_wrong_passwords(organizer):
    client = Client(REMOTE_ADDR=HERE)
    for _ in range(2):
        for _ in range(LIMIT - 1):
            assert log_in(client, "login", password=WRONG).status_code == 200
        assert log_in(client, "login").status_code == 302
        client.logout()
    lock_out(client)
    assert log_in(client, "login").status_code == 429


def test_addresses_of_one_ipv6_64_share_a_lockout(organizer):
    """One machine has a whole /64 to choose its addresses from."""
    for n in range(LIMIT):
        log_in(Client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}"), "login", password=WRONG)
    assert log_in(Client(REMOTE_ADDR="2001:db8:1:2:ffff::1"), "login").status_code == 429
    assert log_in(Client(REMOTE_ADDR="2001:db8:1:3::1"), "login").status_code == 302


@pytest.mark.parametrize(
    "address, kept",
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2::99", "2001:db8:1:2::"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("not an address", None),  # a proxy's garbage: NULL, where PostgreSQL wants an inet
    ],
)
def test_the_lockout_keeps_the_network_the_rate_limits_count(address, kept, organizer):
    assert log_in(Client(REMOTE_ADDR=address), "login", password=WRONG).status_code == 200
    assert list(access_attempts().values_list("ip_address", flat=True)) == [kept]


def test_behind_the_proxy_the_forwarded_address_is_locked_out_not_the_proxy(organizer, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    def through_proxy(address: str) -> Client:
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"10.9.9.9, {address}")

    lock_out(through_proxy(HERE))
    assert log_in(through_proxy(HERE), "login").status_code == 429
    assert log_in(through_proxy(ELSEWHERE), "login").status_code == 302


def test_wrong_logins_from_one_network_are_refused_before_hashing_past_the_limit(
    organizer, hashes, clock, caplog
):
    """Ever-new usernames escape the lockout per username: the network's count holds them,
    on both login pages together."""
    client = Client(REMOTE_ADDR=HERE)
    pages = cycle(["login", "admin:login"])
    for n in range(ratelimit.WRONG_LOGIN.count):
        assert log_in(client, next(pages), f"guess{n}", WRONG).status_code == 200
    assert len(hashes) == ratelimit.WRONG_LOGIN.count
    hashes.clear()
    for page in ["login", "admin:login"]:
        response = log_in(client, page)  # the right password waits too
        assert response.status_code == 429
        assert response["Retry-After"] == "60"
        text = response.content.decode()
        assert "Many wrong passwords came from this network. Wait 60 seconds, then log" in text
    assert hashes == []
    assert not logged_in(client)
    assert "Rate limit 'wrong-login' reached by 203.0.113.7" in caplog.text
    assert client.get(reverse("login")).status_code == 200
    assert log_in(Client(REMOTE_ADDR=ELSEWHERE), "login").status_code == 302
    clock[0] += 60  # the next minute
    assert log_in(client, "login").status_code == 302


def test_right_passwords_from_one_network_are_never_counted(organizer):
    """A venue's staff log in from one address."""
    venue = Client(REMOTE_ADDR=HERE)
    for _ in range(ratelimit.WRONG_LOGIN.count + 5):
        assert log_in(venue, "login").status_code == 302
        venue.logout()


def test_the_wrong_logins_per_network_come_from_the_environment():
    code = (
        "import django; django.setup(); from discussions import ratelimit; "
        "print(ratelimit.WRONG_LOGIN.count)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "conference.settings"}
    result = run_python(code, **env, WRONG_LOGINS_PER_ADDRESS="100")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["100"]
    refused = run_python(code, **env, WRONG_LOGINS_PER_ADDRESS="0")
    assert "ImproperlyConfigured: WRONG_LOGINS_PER_ADDRESS" in refused.stderr
