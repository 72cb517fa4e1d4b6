"""The rehearsal's WebSocket client against a real server of the `websockets` library: it
offers per-message compression as browsers do, reads what a compressing server sends, and
counts the bytes on the wire apart from the messages'."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
import threading

import pytest
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.sync.server import serve as serve_blocking

from rehearsal.client import GUID, BlockingWebSocket, Browser, Origin, WebSocket, WebSocketClosed

# Alike messages, as a room's tally fragments are: compression with the context kept from one
# message to the next makes the later ones a few bytes each.
MESSAGES = [
    f'<div id="tally-{n}" data-version="{n}" hx-swap-oob="true">agree 3 · disagree 1</div>' * 5
    for n in range(20)
]


async def _send_messages(connection) -> None:
    for message in MESSAGES:
        await connection.send(message)
    await connection.wait_closed()


async def _receive_all(port: int, *, deflate: bool) -> WebSocket:
    socket = await WebSocket.connect(
        Origin.parse(f"http://127.0.0.1:{port}"), "/ws/", cookies={}, deflate=deflate
    )
    received = [await socket.receive() for _ in MESSAGES]
    await socket.close()
    assert received == MESSAGES
    return socket


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "extension, reused_context",
    [
        (ServerPerMessageDeflateFactory(), True),
        # Each message compressed on its own: the client's one inflater reads these too.
        (ServerPerMessageDeflateFactory(server_no_context_takeover=True), False),
    ],
)
async def test_a_compressing_server_is_read_and_its_wire_bytes_counted(extension, reused_context):
    async with serve(_send_messages, "127.0.0.1", 0, extensions=[extension]) as server:
        port = server.sockets[0].getsockname()[1]
        socket = await _receive_all(port, deflate=True)
    assert socket.deflate.startswith("permessage-deflate")
    assert socket.message_bytes == sum(len(m.encode()) for m in MESSAGES)
    assert socket.wire_bytes < socket.message_bytes / (4 if reused_context else 2)


@pytest.mark.asyncio
async def test_without_the_offer_the_server_sends_plain_messages():
    async with serve(_send_messages, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        socket = await _receive_all(port, deflate=False)
    assert socket.deflate is None
    assert socket.wire_bytes == socket.message_bytes == sum(len(m.encode()) for m in MESSAGES)


@pytest.mark.asyncio
async def test_a_server_that_declines_compression_is_read_plain():
    async with serve(_send_messages, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        socket = await _receive_all(port, deflate=True)
    assert socket.deflate is None
    assert socket.wire_bytes == socket.message_bytes


@pytest.mark.asyncio
async def test_a_corrupt_compressed_message_closes_the_socket():
    async def send_garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        key = re.search(r"Sec-WebSocket-Key: (\S+)", request).group(1)
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest())
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n"
            b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
            # A text frame with RSV1 (compressed) whose payload is not deflate data.
             + bytes([0xC1, 4]) + b"\xff\xff\xff\xff"
        )
        await writer.drain()
        await reader.read()  # until the client goes

    server = await asyncio.start_server(send_garbage, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        socket = await WebSocket.connect(
            Origin.parse(f"http://127.0.0.1:{port}"), "/ws/", cookies={}
        )
        with pytest.raises(WebSocketClosed, match="bad compressed message"):
            await socket.receive()
        assert socket.closed
        await socket.close()


@pytest.mark.asyncio
async def test_a_request_after_the_server_closed_every_idle_connection_goes_on_a_new_one():
    """A server closes kept-alive connections after a while idle (uvicorn's keep-alive
    timeout); a browser that had two open, both closed now, still gets its answer."""
    answered = 0

    async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal answered
        await reader.readuntil(b"\r\n\r\n")
        answered += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()  # the idle timeout, without a "Connection: close" warning

    server = await asyncio.start_server(answer_once, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        browser = Browser(Origin.parse(f"http://127.0.0.1:{port}"), timeout=5)
        # Two at once: two connections, both kept for later, both then closed by the server.
        await asyncio.gather(browser.request("GET", "/a"), browser.request("GET", "/b"))
        await asyncio.sleep(0.1)
        assert len(browser._idle) == 2
        answer = await browser.request("GET", "/c")
        await browser.close()
    assert (answer.status, answer.body) == (200, "ok")
    assert answered == 3


def test_the_blocking_socket_reads_answers_the_servers_pings_and_sends():
    """The same client, blocking, as tests keep room sockets in threads
    (tests/test_two_processes.py's Participant.socket, the fault drills): no compression
    offered, a ping answered while it reads, text both ways, a close the server sees."""
    pongs, offers, closes = [], [], []

    def handler(connection) -> None:
        offers.append(connection.request.headers.get("Sec-WebSocket-Extensions"))
        connection.send("hello")
        pongs.append(connection.ping().wait(5))  # answered within the client's next read
        connection.send(connection.recv(timeout=5) * 2)
        with contextlib.suppress(ConnectionClosed):
            connection.recv(timeout=5)
        closes.append(connection.close_code)

    with serve_blocking(handler, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        port = server.socket.getsockname()[1]
        origin = Origin.parse(f"http://127.0.0.1:{port}")
        socket = BlockingWebSocket.connect(origin, "/ws/", cookies={"participant": "x"}, timeout=5)
        assert socket.receive(timeout=5) == "hello"
        socket.send_text("ab")
        assert socket.receive(timeout=5) == "abab"
        socket.close()
        server.shutdown()
        thread.join(5)
    assert (offers, pongs, closes) == ([None], [True], [1000])
