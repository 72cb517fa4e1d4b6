"""A browser's network side, on asyncio streams: HTTP/1.1 with keep-alive and a cookie jar,
and a receive-mostly WebSocket client (RFC 6455) that offers per-message compression
(RFC 7692) as browsers do; and the same socket blocking (BlockingWebSocket), for tests that
drive a server from threads. Standard library only.

Small on purpose: it talks to exactly one origin (the URL under test, or the ceiling server on
127.0.0.1), follows no redirects by itself, and every read has a timeout. Over 400 lines
all the same: the two sockets share the handshake and the frames' writing (the functions at
the end), which keeps them in one module, and the HTTP side is what their cookies come from.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import socket
import struct
import urllib.parse
import zlib
from dataclasses import dataclass, field

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# What Chromium offers: a server that accepts compresses every message to this socket, which
# costs it CPU and memory per socket that a client without the offer never shows.
DEFLATE_OFFER = "permessage-deflate; client_max_window_bits"
DEFLATE_TAIL = b"\x00\x00\xff\xff"  # RFC 7692 7.2.2: removed by the sender, put back here
MAX_BODY = 8 * 1024 * 1024


class HttpError(Exception):
    """The exchange failed below HTTP (connection refused, reset, timeout, garbage)."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str
    set_cookies: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Origin:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"Only http:// URLs are supported, not {url!r}")
        return cls("http", parts.hostname, parts.port or 80)

    @property
    def netloc(self) -> str:
        return self.host if self.port == 80 else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.netloc}"


class Browser:
    """One participant's browser: a cookie jar and a few keep-alive connections to one origin."""

    MAX_CONNECTIONS = 4  # browsers open up to six per host; a few is plenty here

    def __init__(self, origin: Origin, *, timeout: float = 30.0) -> None:
        self.origin = origin
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(self.MAX_CONNECTIONS)

    async def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        *,
        htmx: bool = False,
        referer: str = "/",
    ) -> Response:
        headers = {"Host": self.origin.netloc, "Accept": "text/html"}
        body = b""
        if method != "GET":
            # What htmx sends: the CSRF token from the cookie, and the page's origin.
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            headers["Origin"] = self.origin.url
            headers["Referer"] = self.origin.url + referer
            body = urllib.parse.urlencode(form or {}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Content-Length"] = str(len(body))
        if htmx:
            headers["HX-Request"] = "true"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head = f"{method} {path} HTTP/1.1\r\n{lines}"
        data = head.encode() + b"\r\n" + body
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for returns the result instead
        # of raising when it is cancelled just as its request completes, and the facilitator
        # probe, cancelled so, went on fetching pages for ever.
        async with self._slots, asyncio.timeout(self.timeout):
            response = await self._exchange(data, method)
        for cookie in response.set_cookies:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in rest.lower():
                self.cookies[name.strip()] = value.strip().strip('"')
        return response

    async def _exchange(self, data: bytes, method: str) -> Response:
        # A kept-alive connection the server closed meanwhile fails at once: retry once on a
        # fresh one (only then: a request that may have reached the server is not resent).
        # A new connection, not the next idle one: the server closes idle connections after
        # the same timeout, so the others are as likely closed.
        for attempt in range(2):
            reused = attempt == 0 and bool(self._idle)
            if reused:
                reader, writer = self._idle.pop()
            else:
                try:
                    reader, writer = await asyncio.open_connection(
                        self.origin.host, self.origin.port
                    )
                except OSError as error:
                    raise HttpError(f"connect: {error}") from error
            try:
                writer.write(data)
                await writer.drain()
                response, keep = await _read_response(reader, method)
            except (OSError, asyncio.IncompleteReadError, HttpError) as error:
                writer.close()
                if reused and attempt == 0 and _nothing_read(error):
                    continue
                raise HttpError(str(error) or type(error).__name__) from error
            except BaseException:
                writer.close()
                raise
            if keep:
                self._idle.append((reader, writer))
            else:
                writer.close()
            return response
        raise HttpError("unreachable")

    async def close(self) -> None:
        while self._idle:
            _, writer = self._idle.pop()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def _nothing_read(error: BaseException) -> bool:
    if isinstance(error, asyncio.IncompleteReadError):
        return not error.partial
    return isinstance(error, ConnectionError | HttpError)


async def _read_response(reader: asyncio.StreamReader, method: str) -> tuple[Response, bool]:
    status_line = await reader.readuntil(b"\r\n")
    parts = status_line.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise HttpError(f"bad status line {status_line[:80]!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    cookies: list[str] = []
    while True:
        line = (await reader.readuntil(b"\r\n")).decode("latin-1")
        if line == "\r\n":
            break
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie":
            cookies.append(value)
        headers[name] = value
    keep = headers.get("connection", "").lower() != "close" and parts[0] == "HTTP/1.1"
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        body = b""
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(chunks)
    elif "content-length" in headers:
        length = int(headers["content-length"])
        if length > MAX_BODY:
            raise HttpError(f"response of {length} bytes")
        body = await reader.readexactly(length)
    else:
        body = await reader.read(MAX_BODY)
        keep = False
    return Response(status, headers, body.decode("utf-8", "replace"), cookies), keep


class WebSocketClosed(Exception):
    pass


class WebSocket:
    """A client socket that mostly listens: text frames in, pings answered, small frames out."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        deflate: str | None = None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.closed = False
        self.close_code: int | None = None
        # The server's answer to the compression offer (None: it declined, or none was made).
        # This client sends uncompressed, which the extension allows message by message. One
        # inflater for the socket's life: messages that reuse the context need its window,
        # and those that don't (server_no_context_takeover) don't mind it.
        self.deflate = deflate
        self._inflater = zlib.decompressobj(-zlib.MAX_WBITS) if deflate is not None else None
        self.wire_bytes = 0  # payload bytes received, as sent (compressed or not)
        self.message_bytes = 0  # the same messages' bytes after decompression

    @classmethod
    async def connect(
        cls,
        origin: Origin,
        path: str,
        *,
        cookies: dict[str, str],
        timeout: float = 30.0,
        deflate: bool = True,
    ) -> WebSocket:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(origin.host, origin.port), timeout
        )
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(_handshake(origin, path, cookies, key, deflate=deflate))
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        except BaseException:
            writer.close()
            raise
        status, headers = _handshake_answer(head)
        if " 101 " not in status or headers.get("sec-websocket-accept") != _accept(key):
            writer.close()
            raise WebSocketClosed(f"handshake refused: {status}")
        accepted = headers.get("sec-websocket-extensions") or None
        if accepted is not None and (not deflate or not accepted.startswith("permessage-deflate")):
            writer.close()
            raise WebSocketClosed(f"extension not offered: {accepted}")
        return cls(reader, writer, deflate=accepted)

    async def receive(self) -> str:
        """The next text message; WebSocketClosed when the socket ends."""
        message = b""
        compressed = False
        try:
            while True:
                first, second = await self.reader.readexactly(2)
                opcode, length = first & 0x0F, second & 0x7F
                if length == 126:
                    length = struct.unpack("!H", await self.reader.readexactly(2))[0]
                elif length == 127:
                    length = struct.unpack("!Q", await self.reader.readexactly(8))[0]
                if length > MAX_BODY:
                    raise WebSocketClosed(f"frame of {length} bytes")
                if second & 0x80:  # servers do not mask, but accept it
                    mask = await self.reader.readexactly(4)
                    raw = await self.reader.readexactly(length)
                    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(raw))
                else:
                    payload = await self.reader.readexactly(length)
                if opcode == 0x8:
                    self.close_code = (
                        struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    )
                    raise WebSocketClosed(f"closed by the server (code {self.close_code})")
                if opcode == 0x9:
                    self._send(0xA, payload)
                    continue
                if opcode in (0x1, 0x2):
                    compressed = bool(first & 0x40)  # RSV1, set on a message's first frame
                if opcode in (0x0, 0x1, 0x2):
                    message += payload
                    if first & 0x80:
                        self.wire_bytes += len(message)
                        if compressed:
                            message = self._inflate(message)
                        self.message_bytes += len(message)
                        return message.decode("utf-8", "replace")
        except (asyncio.IncompleteReadError, OSError) as error:
            self.closed = True
            raise WebSocketClosed(str(error) or type(error).__name__) from error
        except WebSocketClosed:
            self.closed = True
            raise

    def _inflate(self, data: bytes) -> bytes:
        if self._inflater is None:
            raise WebSocketClosed("a compressed message on a socket without compression")
        try:
            message = self._inflater.decompress(data + DEFLATE_TAIL, MAX_BODY)
        except zlib.error as error:
            raise WebSocketClosed(f"bad compressed message: {error}") from error
        if self._inflater.unconsumed_tail:
            raise WebSocketClosed(f"a message of more than {MAX_BODY} bytes")
        return message

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.writer.is_closing():
            return
        self.writer.write(_client_frame(opcode, payload))

    def send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    async def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(Exception):
                self._send(0x8, struct.pack("!H", 1000))
        self.closed = True
        self.writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer.wait_closed(), 2)


class BlockingWebSocket:
    """The same client socket, blocking, for tests that keep room sockets in threads (the
    fault drills, through tests/test_two_processes.py's Participant): text frames in, pings
    answered, text frames out, no compression offered. `sock` and `buffer` are public, so
    that a caller can select() on the socket and see whether bytes are already read.

    Errors are the socket module's: ConnectionError when the server closes the socket or
    refuses the handshake, TimeoutError when no message comes in time."""

    def __init__(self, sock: socket.socket, buffer: bytes = b"") -> None:
        self.sock = sock
        self.buffer = buffer

    @classmethod
    def connect(
        cls, origin: Origin, path: str, *, cookies: dict[str, str], timeout: float = 30.0
    ) -> BlockingWebSocket:
        sock = socket.create_connection((origin.host, origin.port), timeout=timeout)
        try:
            key = base64.b64encode(os.urandom(16)).decode()
            sock.sendall(_handshake(origin, path, cookies, key, deflate=False))
            buffer = b""
            while b"\r\n\r\n" not in buffer:
                chunk = sock.recv(4096)
                if not chunk:
                    raise ConnectionError(f"the server closed the handshake: {buffer!r}")
                buffer += chunk
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            status, headers = _handshake_answer(head + b"\r\n\r\n")
            if " 101 " not in status or headers.get("sec-websocket-accept") != _accept(key):
                raise ConnectionRefusedError(f"handshake refused: {head.decode('latin-1')}")
        except BaseException:
            sock.close()
            raise
        return cls(sock, buffer)

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the socket")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def receive(self, timeout: float) -> str:
        """The next text message; TimeoutError if none comes in time (each read waits up
        to `timeout`)."""
        self.sock.settimeout(timeout)
        message = b""
        while True:
            first, second = self._read(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8))[0]
            if second & 0x80:  # servers do not mask, but accept it
                mask = self._read(4)
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read(length)))
            else:
                payload = self._read(length)
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise ConnectionError(f"the server closed the socket (code {code})")
            if opcode == 0x9:
                self.sock.sendall(_client_frame(0xA, payload))
                continue
            if opcode in (0x0, 0x1):
                message += payload
                if first & 0x80:
                    return message.decode()

    def send_text(self, text: str) -> None:
        self.sock.sendall(_client_frame(0x1, text.encode()))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(_client_frame(0x8, struct.pack("!H", 1000)))
        self.sock.close()


def _handshake(
    origin: Origin, path: str, cookies: dict[str, str], key: str, *, deflate: bool
) -> bytes:
    """The opening handshake's request, as a page's socket sends it (RFC 6455 4.1)."""
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    offer = f"Sec-WebSocket-Extensions: {DEFLATE_OFFER}\r\n" if deflate else ""
    return (
        f"GET {path} HTTP/1.1\r\nHost: {origin.netloc}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{offer}"
        f"Origin: {origin.url}\r\nCookie: {cookie}\r\n\r\n"
    ).encode()


def _handshake_answer(head: bytes) -> tuple[str, dict[str, str]]:
    """The server's answer to the handshake: its status line, and its headers by lowercase
    name."""
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def _accept(key: str) -> str:
    """The Sec-WebSocket-Accept a server must answer `key` with."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def _client_frame(opcode: int, payload: bytes) -> bytes:
    """One final frame, masked as a client's must be."""
    mask = os.urandom(4)
    length = len(payload)
    header = bytes([0x80 | opcode])
    if length < 126:
        header += bytes([0x80 | length])
    elif length < 1 << 16:
        header += bytes([0x80 | 126]) + struct.pack("!H", length)
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", length)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + masked
