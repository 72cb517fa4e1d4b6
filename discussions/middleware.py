"""Refuse requests carrying a NUL character, which no browser form sends.

PostgreSQL can neither store nor look up text containing NUL: without this, "/screen/%00/"
or a position containing one raised DataError in whichever query met it first (500), on
PostgreSQL only. One check at the door instead of one in every view and service.
"""

from __future__ import annotations

import logging

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBadRequest

log = logging.getLogger(__name__)

NUL = "\x00"


class RefuseNulCharacters:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        # Both sync and async, so the ASGI server does not hop threads for this check.
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if self.is_async:
            return self._acall(request)
        return self._refusal(request) or self.get_response(request)

    async def _acall(self, request: HttpRequest):
        return self._refusal(request) or await self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponseBadRequest | None:
        where = _nul_in(request)
        if where is None:
            return None
        log.warning("Refused a request with a NUL character in its %s: %r", where, request.path)
        return HttpResponseBadRequest("The request contains a NUL character.")


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
