"""Pages anyone may open."""

import asyncio
import logging

import redis.asyncio
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

log = logging.getLogger(__name__)
LAYER_TIMEOUT = 2.0


@require_GET
def javascript_catalog(request: HttpRequest, language: str, version: str) -> HttpResponse:
    """The pages' scripts' translations in one language. Its address names the language and
    the catalog's version (discussions.languages), so browsers keep it for a year: the
    opening rush fetches it once per laptop, not with every page."""
    if language not in dict(settings.LANGUAGES):
        raise Http404("No such language.")
    with translation.override(language):
        response = JavaScriptCatalog.as_view()(request)
    patch_cache_control(response, public=True, max_age=365 * 24 * 3600, immutable=True)
    return response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@require_GET
@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    """Where a login without a destination lands: where the user works. Organizers (staff)
    on their sessions, everyone else on the sessions they facilitate (a facilitator is not
    staff, and the organizer's pages would only refuse them)."""
    return redirect("organizer:home" if request.user.is_staff else "facilitator:home")


async def _layer_answers() -> None:
    """With Redis: the layer's Redis server answers a PING (its own short-lived client: a
    probe through the publish/subscribe layer would leave a subscription behind at every
    check). The in-memory layer: a message makes a round trip."""
    if settings.REDIS_URL:
        client = redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_timeout=LAYER_TIMEOUT)
        try:
            await client.ping()
        finally:
            await client.aclose()
        return
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    await layer.send(channel, {"type": "healthz"})
    await layer.receive(channel)


async def _layer_round_trip() -> None:
    await asyncio.wait_for(_layer_answers(), LAYER_TIMEOUT)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and scripts: 200 only when the database and the channel layer
    (Redis, when configured) answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        log.warning("Health check: database: %s", error)
        checks["database"] = "unavailable"
    try:
        async_to_sync(_layer_round_trip)()
        checks["channel_layer"] = "ok"
    except Exception as error:
        log.warning("Health check: channel layer: %s", error)
        checks["channel_layer"] = "unavailable"
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse({"ok": ok, **checks}, status=200 if ok else 503)
