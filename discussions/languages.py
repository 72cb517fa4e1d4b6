"""The reader's language: which of the six the pages, the live updates and the exports use.

LocaleMiddleware takes the language a person chose (the switcher's cookie), else the first
of their browser's that the site speaks. Where neither names one of the six, a page of a
conference session speaks the session's language, as its organizer set it; exports speak
the session's language whoever downloads them.
"""

from __future__ import annotations

import hashlib
from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation


def supported(code: str | None) -> str | None:
    """The site's language for a code ("fr-CA" -> "fr", "zh-CN" -> "zh-hans"), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.strip())
    except LookupError:
        return None


def asked_for(request: HttpRequest) -> str | None:
    """The language the reader asked for, by their choice or their browser's, if the site
    speaks it; None when they asked for none of the six."""
    return _asked(request.COOKIES, request.headers.get("Accept-Language", ""))


def of_socket(scope: dict) -> str:
    """The language of a WebSocket's page, as LocaleMiddleware chose it for the page: the
    reader's choice (cookie), else their browser's (the handshake's Accept-Language)."""
    headers = dict(scope.get("headers") or ())
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    return _asked(scope.get("cookies") or {}, accept) or settings.LANGUAGE_CODE


def _asked(cookies, accept_language: str) -> str | None:
    chosen = supported(cookies.get(settings.LANGUAGE_COOKIE_NAME))
    if chosen:
        return chosen
    for part in accept_language.split(","):
        code, _, quality = part.partition(";")
        if quality.strip() in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            continue
        if found := supported(code if code.strip() != "*" else None):
            return found
    return None


def use_session_language(request: HttpRequest, language: str) -> None:
    """Speak the session's language to a reader who asked for none the site speaks."""
    if language and asked_for(request) is None:
        translation.activate(language)
        request.LANGUAGE_CODE = language


def remember_session_language(request: HttpRequest, response, language: str) -> None:
    """On joining: a reader who asked for none of the site's languages keeps the session's,
    in the switcher's cookie, so that their room, its live updates and every later page
    speak it too."""
    if language and asked_for(request) is None:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )


@cache
def catalog_version() -> str:
    """Changes when the scripts' translations do: the catalog's address carries it, so that
    browsers keep a catalog for a year and still fetch a new one after an upgrade."""
    digest = hashlib.sha256()
    for path in sorted(settings.LOCALE_PATHS[0].glob("*/LC_MESSAGES/djangojs.mo")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def context(request: HttpRequest) -> dict:
    """What every page's language switcher and script tags need."""
    return {"catalog_version": catalog_version()}
