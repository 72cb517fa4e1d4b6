"""HTTP requests through Django's WSGI handler, each whole in one thread of a pool.

Our views and most of our middleware are synchronous. Django's ASGI handler runs the
middleware chain on the event loop and crosses to a thread and back for every synchronous
piece: each MiddlewareMixin's process_request and process_response, WhiteNoise (synchronous
only), the view. A vote crossed threads more than a dozen times, and under load each
crossing waited its turn on a loop busy with thousands of sockets (docs/capacity.md,
"Requests on their own threads").

Here the event loop only reads the request's body and writes the answer; everything in
between (middleware, view, rendering, the after-commit broadcasts) runs in one pool thread,
as under a threaded WSGI server. The sockets stay with Channels on the event loop.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from tempfile import SpooledTemporaryFile

from asgiref.sync import sync_to_async
from asgiref.wsgi import WsgiToAsgiInstance
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

MEMORY_BODY = 64 * 1024  # bodies larger than this wait in a temporary file


class ThreadedWsgiHttp:
    """ASGI application for "http" scopes: Django's WSGI handler in a thread pool.

    Threads: settings.HTTP_THREADS per process. Each may hold a database connection while it
    runs, so the PostgreSQL pool (DB_POOL_MAX) should be larger than this.
    """

    def __init__(self) -> None:
        self.handler = WSGIHandler()
        self.executor = ThreadPoolExecutor(
            max_workers=settings.HTTP_THREADS, thread_name_prefix="http"
        )

    async def __call__(self, scope, receive, send) -> None:
        with SpooledTemporaryFile(max_size=MEMORY_BODY) as body:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client left before sending its whole request
                body.write(message.get("body", b""))
                if not message.get("more_body"):
                    break
            body.seek(0)
            # sync_to_async, not run_in_executor: it tells the thread which loop is the
            # server's, so async_to_sync in a view (a broadcast) runs there, not on a new loop.
            start, chunks = await sync_to_async(
                self._respond, thread_sensitive=False, executor=self.executor
            )(scope, body)
        await send(start | {"type": "http.response.start"})
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    def _respond(self, scope, body) -> tuple[dict, list[bytes]]:
        """Run the request in this thread; the whole answer is returned to the loop.

        Answers are pages, fragments and exports of a few megabytes at most: collected here,
        they are sent without the thread waiting on the loop for each piece.
        """
        request = _Environ(scope)
        environ = request.build_environ(scope, body)
        started: dict = {}

        def start_response(status: str, headers, exc_info=None) -> None:
            started["status"] = int(status.split(" ", 1)[0])
            # Trimmed: Django's WSGI handler gives Set-Cookie values a leading space, which
            # WSGI servers drop and h11 (the production command's parser) refuses to send.
            started["headers"] = [
                (name.lower().encode("latin1"), value.strip().encode("latin1"))
                for name, value in headers
            ]

        response = self.handler(environ, start_response)
        try:
            chunks = [chunk for chunk in response if chunk]
        finally:
            # Django's request_finished: the database connection goes back to the pool.
            if hasattr(response, "close"):
                response.close()
        return started, chunks


class _Environ(WsgiToAsgiInstance):
    """asgiref's translation of an ASGI scope into a WSGI environ, used for that alone."""

    def __init__(self, scope) -> None:
        super().__init__(wsgi_application=None)
        self.scope = scope
