"""conference.http: HTTP requests through Django's WSGI handler in a thread pool.

Driven as the ASGI server drives it (scope, receive, send), without a server process; the
browser and fault tests drive it through daphne and uvicorn.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

import pytest
from django.core.signals import request_finished

from conference.http import ThreadedWsgiHttp

pytestmark = pytest.mark.django_db(transaction=True)


def scope(method: str, path: str, headers: list[tuple[bytes, bytes]] = ()) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def serve(app: ThreadedWsgiHttp, request_scope: dict, bodies: list[dict]) -> list[dict]:
    """Run one request; `bodies` are the http.request (or http.disconnect) messages."""
    sent: list[dict] = []
    incoming = list(bodies)

    async def receive() -> dict:
        return incoming.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(request_scope, receive, send))
    return sent


def test_a_page_is_answered_from_a_pool_thread_with_its_headers_and_body():
    app = ThreadedWsgiHttp()
    threads = []
    request_finished.connect(record := lambda **kw: threads.append(threading.current_thread()))
    try:
        sent = serve(app, scope("GET", "/join/"), [{"type": "http.request", "body": b""}])
    finally:
        request_finished.disconnect(record)
    start, *bodies = sent
    assert start["type"] == "http.response.start" and start["status"] == 200
    headers = dict(start["headers"])
    assert headers[b"content-type"].startswith(b"text/html")
    assert b"content-security-policy" in headers
    body = b"".join(message["body"] for message in bodies)
    assert b"<form" in body
    assert bodies[-1] == {"type": "http.response.body", "body": b""}
    # The request finished (its database connection handed back) in a pool thread.
    assert [t.name.startswith("http") for t in threads] == [True]


def test_header_values_have_no_surrounding_space_as_strict_servers_require():
    """Django's WSGI handler gives each Set-Cookie value a leading space (WSGI servers trim
    it); h11, the production command's HTTP parser, refuses to send such a header, and the
    page that set a cookie failed."""
    app = ThreadedWsgiHttp()
    start, *_ = serve(app, scope("GET", "/join/"), [{"type": "http.request", "body": b""}])
    cookies = [value for name, value in start["headers"] if name == b"set-cookie"]
    assert cookies, "the join page sets its CSRF cookie"
    assert all(value == value.strip() for _, value in start["headers"])


def test_a_body_in_several_messages_reaches_the_application_whole():
    app = ThreadedWsgiHttp()

    def echo(environ, start_response):  # a WSGI application in place of Django's
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Length", str(len(body)))])
        return [body[:5], body[-5:]]

    app.handler = echo
    form = b"start" + b"a" * 100_000 + b"end!!"  # over the in-memory spool size
    half = len(form) // 2
    sent = serve(
        app,
        scope("POST", "/anything/", [(b"content-length", str(len(form)).encode())]),
        [
            {"type": "http.request", "body": form[:half], "more_body": True},
            {"type": "http.request", "body": form[half:], "more_body": False},
        ],
    )
    assert sent[0]["status"] == 200
    assert (b"x-length", str(len(form)).encode()) in sent[0]["headers"]
    assert [m["body"] for m in sent[1:]] == [b"start", b"end!!", b""]


def test_a_client_that_leaves_before_its_body_is_complete_gets_nothing():
    app = ThreadedWsgiHttp()
    sent = serve(
        app,
        scope("POST", "/join/", [(b"content-length", b"10")]),
        [{"type": "http.request", "body": b"code", "more_body": True}, {"type": "http.disconnect"}],
    )
    assert sent == []


def test_the_server_process_starts_with_its_urls_loaded_and_its_startup_objects_set_aside():
    """What importing conference.asgi does in a fresh server process (docs/capacity.md,
    "The worker's start and its collector"): no
    request waits for the URLconf's imports, and collections skip what lives as long as
    the process."""
    check = (
        "import gc, sys; import conference.asgi; from conference import collector; "
        "print('conference.urls' in sys.modules, 'sklearn' in sys.modules, "
        "gc.get_freeze_count() > 0, gc.get_threshold() == collector.THRESHOLDS)"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["True"] * 4, done.stderr
