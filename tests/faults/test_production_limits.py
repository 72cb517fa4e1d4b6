"""The README's production command bounds what one connection can make the server hold.

uvicorn's defaults buffer a WebSocket message of up to 16 MB (the app reads 1 KB: twenty
sockets with one big frame each took 590 MB) and, with httptools, request headers of any
size (20 MB was accepted). The production command, taken from the README itself and
started as written (but host, port and workers), refuses both and goes on serving.
"""

from __future__ import annotations

import re
import shlex
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.faults.helpers import make_session

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(settings.BASE_DIR) / "README.md"
SERVE = Path(settings.BASE_DIR) / "scripts" / "capacity" / "serve.sh"
MESSAGE_TOO_BIG = 1009
# Chosen by the server: host and port by the test, one worker is enough.
OURS = {"--host", "--port", "--workers"}


def production_options() -> list[str]:
    """The options of the README's production uvicorn command, but host, port, workers."""
    readme = README.read_text()
    command = re.search(r"uvicorn conference\.asgi:application (.*?)\n```", readme, re.S)
    words = shlex.split(command.group(1).replace("\\\n", " "))
    options, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in OURS:
            skip = True
        else:
            options.append(word)
    return options


def test_the_rehearsal_serves_with_the_production_options():
    serve = SERVE.read_text().replace("\\\n", " ")
    for option in production_options():
        assert option in serve, f"scripts/capacity/serve.sh lacks {option}"


@pytest.fixture
def server(start_uvicorn):
    return start_uvicorn(workers=1, options=production_options())


def test_a_websocket_message_over_the_limit_closes_that_socket_alone(server):
    session = make_session(groups=1)
    group = session.groups.get()
    port = urlsplit(server.url).port
    url = f"ws://127.0.0.1:{port}/ws/screen/{session.screen_token}/groups/{group.pk}/"
    with connect(url, origin=server.url, open_timeout=30) as big:
        big.send("x" * 20_000)  # five times the limit
        with pytest.raises(ConnectionClosed) as closed:
            big.recv(timeout=30)
    assert closed.value.rcvd.code == MESSAGE_TOO_BIG
    with connect(url, origin=server.url, open_timeout=30) as small:
        small.send('{"type": "ping"}')
        assert "room-latest" in small.recv(timeout=30)  # the heartbeat's answer


def test_request_headers_over_the_limit_are_refused_and_the_server_goes_on(server):
    port = urlsplit(server.url).port
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            connection.sendall(b"X-Padding: " + b"x" * 1_000_000 + b"\r\n\r\n")
            answer = connection.recv(200)
        except (BrokenPipeError, ConnectionResetError):
            # Refused while the rest was still coming: closing on unread bytes resets the
            # connection, and the reset can overtake the 400 on its way.
            answer = b"reset"
    assert answer.startswith(b"HTTP/1.1 400 ") or answer == b"reset", answer
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert connection.recv(200).startswith(b"HTTP/1.1 200"), "the server stopped serving"
