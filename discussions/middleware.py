"""Middleware of our own: requests carrying a NUL character, and the database away.

RefuseNulCharacters: no browser form sends NUL, and PostgreSQL can neither store nor look up
text containing it: without this, "/screen/%00/" or a position containing one raised
DataError in whichever query met it first (500), on PostgreSQL only. One check at the door
instead of one in every view and service.

DatabaseUnavailable: a request that finds the database gone answers 503 "nothing was saved".
"""

from __future__ import annotations

import logging

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

log = logging.getLogger(__name__)

NUL = "\x00"


class RefuseNulCharacters:
    # Synchronous only, as is every middleware here: requests run whole in one thread
    # (conference.http), so there is no event loop to stay on.
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self._refusal(request) or self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponseBadRequest | None:
        where = _nul_in(request)
        if where is None:
            return None
        log.warning("Refused a request with a NUL character in its %s: %r", where, request.path)
        return HttpResponseBadRequest(_("The request contains a NUL character."))


def _nul_in(request: HttpRequest) -> str | None:
    if NUL in request.path:
        return "path"
    if any(NUL in name or NUL in value for name, value in request.COOKIES.items()):
        return "cookies"
    if _nul_in_form(request.GET):
        return "query"
    # request.POST parses form bodies only (other content types leave it empty); CSRF
    # checking reads it for every POST anyway, so this costs no extra parse.
    if request.method == "POST" and _nul_in_form(request.POST):
        return "form"
    return None


def _nul_in_form(data) -> bool:
    return any(NUL in key or any(NUL in v for v in values) for key, values in data.lists())


# --- The database away ---------------------------------------------------------------------

# In English, marked for translation: the answer is in the reader's language (the tests and
# the fault drills compare with this English).
DATABASE_AWAY = gettext_noop(
    "The database is not answering just now: nothing was saved. Try again in a moment."
)


class DatabaseUnavailable:
    """A request that finds the database gone (restarted, unreachable, its connection pool
    exhausted while it comes back) answers 503 with a plain sentence, not a 500 page.

    The write it was making is rolled back with its transaction, so "nothing was saved" is
    true; the room's script shows "not saved" on any 5xx. One warning line per request,
    not a traceback: an outage would otherwise fill the log with identical ones. The
    connection pool replaces the broken connections by itself, so the next request after
    the database is back succeeds without restarting the server (tests/faults/
    test_postgres_restart.py).

    `process_exception` sees what the view raised (sessions and participants are read
    there, lazily); an error raised by another middleware is not covered.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not _database_away(exception):
            return None
        log.warning(
            "Database unavailable, answered 503 to %s %s: %s",
            request.method,
            request.path,
            _first_line(exception),
        )
        response = HttpResponse(
            _(DATABASE_AWAY),
            status=503,
            content_type="text/plain; charset=utf-8",
            headers={"Retry-After": "5"},
        )
        # Logged above, with the reason: not again as django.request's "Service Unavailable"
        # error (the flag its log_response sets on a response it has logged).
        response._has_been_logged = True
        return response


def _database_away(exception: BaseException) -> bool:
    # Django wraps the driver's errors (psycopg's, the pool's PoolTimeout, sqlite3's
    # "database is locked") in its own classes; psycopg's are checked too, for code that
    # talks to a raw connection.
    return isinstance(
        exception,
        OperationalError | InterfaceError | psycopg.OperationalError | psycopg.InterfaceError,
    )


def _first_line(exception: BaseException) -> str:
    text = str(exception).strip()
    return text.splitlines()[0] if text else type(exception).__name__
