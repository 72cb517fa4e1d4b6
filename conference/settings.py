"""Settings, all from the environment.

With nothing set, the app runs on the embedded default: a SQLite file and the in-memory
channel layer, so a laptop needs nothing installed. Production and CI set DATABASE_URL
(PostgreSQL through psycopg 3) and REDIS_URL (channels-redis, so several server processes
share one group space). A malformed value stops start-up with ImproperlyConfigured rather
than running with a guess.

One file, as Django expects, longer than most: each setting sits with the reason for its
value, and the reasons are most of it.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envfloat(name: str, default: str, *, most: float = 60) -> float:
    value = os.environ.get(name, default)
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= most:
        raise ImproperlyConfigured(
            f"{name} must be a number of seconds from 0 to {most:g}, not {value!r}"
        )
    return number


def envcount(name: str, default: str) -> int:
    number = envint(name, default)
    if number < 1:
        raise ImproperlyConfigured(f"{name} must be 1 or more, not {number}")
    return number


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "true")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # A fresh key per process is fine for development: it only costs a re-login on restart.
    SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # daphne first: it replaces runserver with an ASGI server that also speaks WebSocket.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "template_partials",
    "axes",
    "discussions",
    "rehearsal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise right after SecurityMiddleware, so static files skip the rest of the stack.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session lookup: PostgreSQL cannot even compare text containing NUL.
    "discussions.middleware.RefuseNulCharacters",
    "discussions.middleware.DatabaseUnavailable",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's language: the one they chose (a cookie), else their browser's.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a login refused by the lockout into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "conference.urls"
ASGI_APPLICATION = "conference.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "discussions.languages.context",
            ],
        },
    },
]

# SQLite file by default; DATABASE_URL (postgres://...) switches to PostgreSQL via psycopg 3,
# and sqlite:///path chooses another SQLite file.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Seconds the pool retries one lost connection before giving up (psycopg's default: five
# minutes, its attempts ever further apart); the next request that needs one has it try
# again at once, so the pool serves as soon as PostgreSQL is back
# (tests/faults/test_pool_recovery.py).
DB_POOL_RECONNECT_TIMEOUT = 2.0

if not DATABASE_URL:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
else:
    try:
        # Connections close after each request by default: under ASGI, database work runs
        # in thread pools, and a kept connection per thread exhausted PostgreSQL's
        # max_connections in the capacity rehearsal (docs/capacity.md, "Database
        # connections").
        DATABASES = {
            "default": dj_database_url.parse(
                DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", "0")
            )
        }
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
    if DATABASES["default"]["ENGINE"] not in (
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    ):
        # Named by its scheme only: the rest of the URL may hold a password.
        scheme = DATABASE_URL.partition(":")[0]
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// or sqlite:///, not {scheme}://"
        )

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent voters on SQLite: wait for the write lock instead of failing at once, and
    # take it at BEGIN so two transactions never deadlock on lock upgrade. Set here, not
    # with PostgreSQL's below: psycopg's options stop SQLite's first connection.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
else:
    # A connection kept across requests must be checked, or a restarted server breaks pages.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Prepared statements: the parameters travel apart from the query (server-side binding),
    # so psycopg can prepare a query a connection has run 5 times, and PostgreSQL parses
    # and plans it once per connection instead of at every execution. With 2,000 people
    # voting, planning was most of PostgreSQL's CPU (docs/capacity.md, "Database
    # connections"). Off for a pooler that cannot keep them (PgBouncer in
    # transaction mode without max_prepared_statements).
    if envbool("DB_PREPARED_STATEMENTS", "true"):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
    # A pool of PostgreSQL connections shared by all threads of the process: a burst of
    # concurrent requests waits for a connection instead of failing with "too many clients".
    DB_POOL_MAX = envint("DB_POOL_MAX", "0")
    if DB_POOL_MAX:
        # Django's backend, with a pool that checks a connection only after a pause.
        DATABASES["default"]["ENGINE"] = "conference.postgresql"
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 2,
            "max_size": DB_POOL_MAX,
            "timeout": envint("DB_POOL_TIMEOUT", "20"),
            "reconnect_timeout": DB_POOL_RECONNECT_TIMEOUT,
        }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# In-memory channel layer by default (one process); REDIS_URL shares groups across processes.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Seconds a socket stays in its channel groups without renewing its membership, where the
# layer keeps memberships that can outlive a socket (the in-memory layer; with Redis, the
# publish/subscribe layer below keeps them in each process, gone with it). Consumers renew
# theirs at every heartbeat (25 s, slower in a background tab), so a live socket is never
# dropped; several heartbeats long, with room for throttled timers in background tabs.
CHANNEL_GROUP_EXPIRY = envint("CHANNEL_GROUP_EXPIRY", "300")
if CHANNEL_GROUP_EXPIRY < 1:
    raise ImproperlyConfigured("CHANNEL_GROUP_EXPIRY must be at least 1 (seconds)")
# Seconds the Redis channel layer waits on a read (tests/faults/test_heartbeat.py holds a
# socket quiet for longer, and checks that it still hears its room).
CHANNEL_LAYER_READ_TIMEOUT = 15

if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL must start with redis://, not {REDIS_URL!r}")
    # Redis publish/subscribe: a broadcast to a room is one message to each server process,
    # which hands it to its own sockets, where the list-based RedisChannelLayer queued one
    # message per socket in Redis, to be popped one round trip at a time. In the capacity
    # rehearsal that layer fell seconds behind and dropped messages (its per-process queue
    # holds 100) at 20 votes/s; see docs/capacity.md, "The publish/subscribe channel
    # layer". Group memberships live in each
    # process, so a killed process leaves nothing behind in Redis. Nothing is stored: a
    # page that misses a message while Redis restarts sees the gap in the numbers and
    # re-fetches (static/js/live.js).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "conference.channel_layer.PubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # Longer than redis-py's 5 s default: a quiet subscription must not
                        # time out (found by tests/faults with the list-based layer).
                        "socket_timeout": CHANNEL_LAYER_READ_TIMEOUT,
                        "socket_connect_timeout": 5,
                    }
                ],
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {
                "group_expiry": CHANNEL_GROUP_EXPIRY,
                # Messages a channel holds unread (100 by default): the process's one channel
                # for every room's broadcasts (discussions.live.fanout) carries all the rooms'.
                "capacity": 1_000,
            },
        }
    }

# The shortest time between two broadcasts of a group's tallies and presence (seconds): a
# change within it of the last one waits and goes out with the group's other changes; 0
# sends one broadcast per change. A vote that waits arrives that much later on the other
# screens: the votes of one batch of the vote writer go out together anyway, so the window
# need only combine what comes in quick succession. See discussions.live.changes.RoomChanges
# and docs/capacity.md, "Tallies coalesced per window".
LIVE_TALLY_WINDOW = envfloat("LIVE_TALLY_WINDOW", "0.05")

# How long a busy process's vote writer gathers votes before writing a batch (seconds): a
# vote that arrives within this of the last batch's end waits that long for company, so a
# busy process writes several per transaction; one in a quiet moment is written at once.
# 0 writes whatever is queued as soon as the last batch is done.
# See discussions.live.votes.VoteWriter.
VOTE_GATHER_WINDOW = envfloat("VOTE_GATHER_WINDOW", "0.01", most=0.1)

# Seconds the synthesis page's results count as current for a session's facilitators; older,
# they are computed again (discussions.views.synthesis_cache.shared_results); 0 computes every
# request. At most 2.5: the page asks once more 2.5 s after the last change it heard of
# (static/js/console.js), and must then be told its results are old.
SYNTHESIS_FRESH = envfloat("SYNTHESIS_FRESH", "2", most=2.5)

# Child processes per server process that build exports and the synthesis's results, so
# that their pure Python does not hold the sockets' interpreter lock (discussions.offload);
# 0 builds them in the request's thread. Seconds a request waits for one at most.
OFFLOAD_PROCESSES = envint("OFFLOAD_PROCESSES", "1")
OFFLOAD_TIMEOUT = envint("OFFLOAD_TIMEOUT", "120")

# Votes and positions a minute from one network address, all its participants together
# (discussions.ratelimit), against a script that joins many participants to flood a room. A
# venue's laptops often share one address behind its NAT: the defaults carry a conference of
# 2,000 voting 200 times a second, and refuse what goes well above that (docs/capacity.md,
# "Rate limits for a venue behind one address").
VOTES_PER_ADDRESS = envcount("VOTES_PER_ADDRESS", "15000")
POSTS_PER_ADDRESS = envcount("POSTS_PER_ADDRESS", "1000")

# Join codes are short enough to type, so guessing is kept slow (discussions.ratelimit; the
# README works out how slow). Wrong codes a minute from one network (an IPv6 /64): past
# them, codes typed there wait for the next minute, right or wrong alike, while join links
# and QR codes still work. Past the site's wrong codes a minute (all networks together),
# networks that sent one wait too. A venue's mistypes stay far below both.
WRONG_CODES_PER_ADDRESS = envcount("WRONG_CODES_PER_ADDRESS", "30")
WRONG_CODES_PER_SITE = envcount("WRONG_CODES_PER_SITE", "600")
# Participants joining one session a minute, wherever from: its whole audience at once.
JOINS_PER_SESSION = envcount("JOINS_PER_SESSION", "2000")
# Wrong passwords a minute from one network, whatever the usernames: past them, logins from
# there wait for the next minute, refused before their password is hashed (a request
# thread's fifth of a second each). Right passwords are not counted.
WRONG_LOGINS_PER_ADDRESS = envcount("WRONG_LOGINS_PER_ADDRESS", "30")

# Threads per server process that run HTTP requests (conference.http). Each may hold a
# database connection, so keep DB_POOL_MAX above it (the sockets' database work and the
# tally broadcasts use a few more). Four, not more: they share one interpreter lock with
# the process's event loop, which carries every socket. In the opening rush eight kept
# the loop from answering handshakes and pings (sockets waited 20 s and more, hundreds
# were closed) and answered no more requests than four (docs/capacity.md, "Requests on
# their own threads").
HTTP_THREADS = envint("HTTP_THREADS", "4")

# The cache holds rate-limit counters: in Redis they are shared by every server process.
# It uses the next Redis database after the channel layer's, so clearing one never touches
# the other (REDIS_CACHE_URL chooses another place).
REDIS_CACHE_URL = os.environ.get("REDIS_CACHE_URL", "")
if REDIS_URL and not REDIS_CACHE_URL:
    base, _, db = REDIS_URL.rpartition("/")
    REDIS_CACHE_URL = f"{base}/{int(db) + 1}" if db.isdigit() else REDIS_URL.rstrip("/") + "/1"
if REDIS_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "conference.redis_cache.SharedPoolRedisCache",
            "LOCATION": REDIS_CACHE_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Staff logins are locked per username and network by django-axes (discussions.views.login):
# 10 wrong passwords for a username from one network (an IPv6 /64) refuse that username from
# there for 15 minutes (which start again at each try), refused before its password is
# hashed. The same username still logs in from anywhere else, so nobody can lock an
# organizer out from elsewhere, and a venue behind one address is never locked out as a
# whole. A login resets its count. Kept in the database, which a login needs anyway (the
# cache handler would make logins fail while Redis restarts); a superuser sees and lifts
# the lockouts in the admin (Axes, Access attempts).
AUTHENTICATION_BACKENDS = [
    # First: it refuses a locked-out login before the next backend hashes its password.
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
# The network the rate limits count (behind the proxy, its X-Forwarded-For).
AXES_CLIENT_IP_CALLABLE = "discussions.ratelimit.network_address"
AXES_LOCKOUT_CALLABLE = "discussions.views.login.locked_out"
# Failed logins are all the lockout needs: no lasting record of every login and its address.
AXES_DISABLE_ACCESS_LOG = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "after_login"  # each role where it works (views.public)
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# The six official languages of the United Nations: the interface is complete in each
# (tests/test_translations.py fails on a string left untranslated).
LANGUAGES = [
    ("ar", "العربية"),
    ("zh-hans", "中文"),
    ("en", "English"),
    ("fr", "Français"),
    ("ru", "Русский"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# A participant has no account: the language they choose is remembered by their browser.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# In development WhiteNoise serves straight from the app and static/ folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Papers are read in memory by the parser; the parser itself refuses anything over 10 MB,
# so allow a little more in the request for the rest of the form.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", str(11 * 1024 * 1024))
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# Content Security Policy: scripts, styles and sockets from this site only. Inline style
# *attributes* are allowed (tally bars are sized with style="width: …"); they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# In the database, read through the cache: conference/sessions.py.
SESSION_ENGINE = "conference.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    # Production is served over HTTPS (a proxy in front may terminate it: then set
    # SECURE_PROXY_SSL_HEADER_FROM_PROXY so Django trusts its X-Forwarded-Proto).
    SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "true")
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "false")
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
    # HSTS for subdomains and the preload list bind the organisation's whole domain, for
    # years: the deployer decides (the variables above), so the checks do not nag.
    SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
    if envbool("SECURE_PROXY_SSL_HEADER_FROM_PROXY", "false"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Refused requests: one line each, a bounded number a second (conference/refusals.py).
    "filters": {"refusals": {"()": "conference.refusals.OneLineRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # fontTools describes every font it subsets for a PDF export, dozens of lines each.
    "loggers": {"fontTools": {"level": "WARNING"}},
}
