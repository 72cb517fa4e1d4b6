"""Which participants a browser joined as: a signed cookie, read without a store.

A participant is anonymous: joining gives the browser a cookie naming the Participant it
became in that conference session, so a second tab or a laptop that sleeps keeps the same
identity. Every room request, every vote and every socket reads it. Kept in the Django
session, that was a read from Redis on every vote (and from the database once a minute per
browser), a measurable share of the server's time with a conference voting
(docs/capacity.md, "Identity in a signed cookie").

The cookie holds {conference session id: participant id}, signed with SECRET_KEY and
timestamped by Django's signing: a browser can send it back but cannot forge or change it.
It says only who the browser joined as; membership (removed, moved to another group) is
checked in the database on every request, as before. Organizers and facilitators keep
Django's session.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping

from django.conf import settings
from django.core import signing
from django.http import HttpResponse

log = logging.getLogger(__name__)

COOKIE = "participant"
_SALT = "discussions.identity"
MAX_ENTRIES = 50  # conference sessions one browser may have joined; the oldest go first


def joined(cookies: Mapping[str, str]) -> dict[str, int]:
    """{conference session id (text): participant id} from a request's or socket's cookies;
    empty when there is no cookie or it is not one we signed (logged)."""
    value = cookies.get(COOKIE)
    if not value:
        return {}
    return dict(_read(value, int(time.time() // RECHECK_SECONDS)))


RECHECK_SECONDS = 3600  # a cookie's age is checked again each hour: it expires within one


@functools.lru_cache(maxsize=4096)
def _read(value: str, hour: int) -> tuple[tuple[str, int], ...]:
    # Cached by the cookie's exact text: each browser sends the same one with every vote
    # and heartbeat, and a changed cookie is a new text. A tuple, so callers cannot alter it.
    try:
        data = signing.loads(value, salt=_SALT, max_age=settings.SESSION_COOKIE_AGE)
    except (signing.BadSignature, ValueError):
        log.warning("Ignored a participant cookie that is not ours or has expired")
        return ()
    if not isinstance(data, dict):
        return ()
    return tuple((k, v) for k, v in data.items() if isinstance(k, str) and type(v) is int)


def remember(
    cookies: Mapping[str, str], response: HttpResponse, session_id: int, participant_id: int
) -> None:
    """Add a participant to the browser's cookie, on the response that answers the join."""
    entries = joined(cookies)
    entries.pop(str(session_id), None)
    entries[str(session_id)] = participant_id  # newest last
    while len(entries) > MAX_ENTRIES:
        del entries[next(iter(entries))]
    response.set_cookie(
        COOKIE,
        signed(entries),
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def signed(entries: Mapping[str, int]) -> str:
    """The cookie's value for these entries: their JSON in URL-safe base64, a timestamp and
    a signature (Django's signing.dumps), all characters a cookie takes unquoted."""
    return signing.dumps(dict(entries), salt=_SALT)
