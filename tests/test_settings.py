"""Configuration comes from the environment and fails loudly when a value is malformed."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from conference.settings import envbool, envint


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """`code` in a new interpreter, with this environment but for the database and Redis
    settings, and with `env`: settings are read once, at start-up."""
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean | env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )


def import_settings(**env: str) -> subprocess.CompletedProcess:
    code = "import conference.settings as s; print(s.DATABASES['default']['ENGINE']); "
    code += "print(s.CHANNEL_LAYERS['default']['BACKEND'])"
    return run_python(code, **env)


def test_envbool_accepts_the_usual_spellings_and_refuses_others(monkeypatch):
    monkeypatch.setenv("FLAG", "Yes")
    assert envbool("FLAG", "false") is True
    monkeypatch.setenv("FLAG", "0")
    assert envbool("FLAG", "true") is False
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        envbool("FLAG", "false")


def test_envint_refuses_a_value_that_is_not_a_number(monkeypatch):
    monkeypatch.setenv("SIZE", "12")
    assert envint("SIZE", "1") == 12
    monkeypatch.setenv("SIZE", "12MB")
    with pytest.raises(ImproperlyConfigured, match="SIZE"):
        envint("SIZE", "1")


def test_embedded_default_is_sqlite_and_the_in_memory_layer():
    result = import_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
    ]


def test_database_url_and_redis_url_switch_to_postgresql_and_redis():
    result = import_settings(
        DATABASE_URL="postgres://u@127.0.0.1:5432/db", REDIS_URL="redis://127.0.0.1:6379/0"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "conference.channel_layer.PubSubChannelLayer",
    ]


@pytest.mark.parametrize(
    "env",
    [
        {"DEBUG": "sometimes"},
        {"DATABASE_URL": "not-a-url"},
        {"REDIS_URL": "localhost:6379"},
        {"DEBUG": "false", "SECRET_KEY": ""},
        {"SYNTHESIS_FRESH": "10"},  # the synthesis page would miss the last change
        {"LIVE_TALLY_WINDOW": "soon"},
        {"VOTES_PER_ADDRESS": "0"},  # every vote of the venue refused
        {"POSTS_PER_ADDRESS": "many"},
        {"WRONG_CODES_PER_ADDRESS": "0"},  # every typed code of the venue refused
        {"WRONG_CODES_PER_SITE": "-5"},
        {"JOINS_PER_SESSION": "lots"},
    ],
)
def test_malformed_configuration_stops_start_up_with_a_clear_error(env):
    result = import_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_db_pool_max_turns_on_a_psycopg_pool_for_postgresql():
    code = (
        "import conference.settings as s; d = s.DATABASES['default']; "
        "p = d['OPTIONS']['pool']; "
        "print(p['max_size'], p['reconnect_timeout'], d['CONN_MAX_AGE'], d['ENGINE'])"
    )
    result = run_python(code, DATABASE_URL="postgres://u@127.0.0.1:5432/db", DB_POOL_MAX="12")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["12", "2.0", "0", "conference.postgresql"]


def _database_options(**env: str) -> dict:
    code = "import conference.settings as s; print(repr(s.DATABASES['default'].get('OPTIONS')))"
    result = run_python(code, **{"DATABASE_URL": "postgres://u@127.0.0.1:5432/db"} | env)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout) or {}  # the repr of a dict of literals, printed just above


def test_postgresql_prepares_its_repeated_queries_unless_told_not_to():
    assert _database_options() == {"server_side_binding": True, "prepare_threshold": 5}
    assert _database_options(DB_PREPARED_STATEMENTS="false") == {}


def test_the_limits_per_address_come_from_the_environment():
    """A venue larger than the defaults were sized for raises them without a code change."""
    code = (
        "import django; django.setup(); from discussions import ratelimit; "
        "print(ratelimit.VOTE_ADDRESS.count, ratelimit.POST_ADDRESS.count, "
        "ratelimit.JOIN.count, ratelimit.JOIN_SITE.count, ratelimit.SESSION_JOIN.count)"
    )
    result = run_python(
        code,
        DJANGO_SETTINGS_MODULE="conference.settings",
        VOTES_PER_ADDRESS="30000",
        POSTS_PER_ADDRESS="2000",
        WRONG_CODES_PER_ADDRESS="60",
        WRONG_CODES_PER_SITE="1200",
        JOINS_PER_SESSION="5000",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["30000", "2000", "60", "1200", "5000"]


def test_a_sqlite_database_url_opens_that_file_with_the_embedded_defaults_options(tmp_path):
    """sqlite:///path is a database URL like any other: it used to get PostgreSQL's options
    and stop at the first query with a TypeError."""
    path = tmp_path / "chosen.sqlite3"
    code = (
        "import django; django.setup(); from django.db import connection; "
        "connection.cursor().execute('CREATE TABLE t (x int)'); "
        "print(connection.vendor, connection.settings_dict['NAME'], "
        "sorted(connection.settings_dict['OPTIONS'].items()))"
    )
    result = run_python(
        code, DJANGO_SETTINGS_MODULE="conference.settings", DATABASE_URL=f"sqlite:///{path}"
    )
    assert result.returncode == 0, result.stderr
    vendor, name, options = result.stdout.split(" ", 2)
    assert (vendor, name) == ("sqlite", str(path))
    assert options.strip() == "[('timeout', 20), ('transaction_mode', 'IMMEDIATE')]"
    assert path.exists()


def test_a_database_url_for_a_database_we_do_not_support_names_the_variable():
    result = import_settings(DATABASE_URL="mysql://u@127.0.0.1:3306/db")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL" in result.stderr
