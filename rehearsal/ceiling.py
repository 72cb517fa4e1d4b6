"""The ceiling: a bare asyncio WebSocket broadcast server, no Django and no database.

It answers the handful of URLs the rehearsal uses with the same shapes as the app (join form
and redirect with cookies, room page with its sequence marker, post, vote over HTTP or on
the room socket), so the very same client code measures both. A vote bumps an in-memory
tally and the room's sequence number, answers the voter and sends one rendered fragment to
every socket of the room, as the app does.

Run as its own process, on 127.0.0.1 only: `python ceiling.py --port P --groups G`.
Standard library only; it stops on SIGTERM or when its parent closes its stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import re
import signal
import struct
import sys
import urllib.parse

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CODE = "CEILING"
MAX_REQUEST = 64 * 1024
CHOICES = ("agree", "disagree", "pass")


class Room:
    def __init__(self) -> None:
        self.seq = 0
        self.sockets: set[asyncio.StreamWriter] = set()

    def broadcast(self, html: str) -> None:
        """Number the event and write it to every socket now: one frame, built once."""
        self.seq += 1
        data = f'<div id="room-seq" hx-swap-oob="true" hidden data-seq="{self.seq}"></div>\n'
        frame = _frame(0x1, (data + html).encode())
        for writer in list(self.sockets):
            if writer.is_closing():
                self.sockets.discard(writer)
            else:
                writer.write(frame)


class Ceiling:
    def __init__(self, groups: int) -> None:
        self.rooms = {g: Room() for g in range(1, groups + 1)}
        self.members: dict[str, int] = {}  # participant cookie -> room
        self.positions: dict[int, tuple[int, dict[str, str]]] = {}  # pid -> (room, votes)
        self.versions: dict[int, int] = {}  # pid -> votes written, as Position.tally_version
        self.ids = itertools.count(1)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length > MAX_REQUEST:
                    return
                body = (await reader.readexactly(length)).decode() if length else ""
                cookies = dict(
                    part.strip().split("=", 1)
                    for part in headers.get("cookie", "").split(";")
                    if "=" in part
                )
                path = urllib.parse.urlsplit(target).path
                if headers.get("upgrade", "").lower() == "websocket":
                    await self.websocket(reader, writer, path, headers, cookies)
                    return
                form = dict(urllib.parse.parse_qsl(body))
                writer.write(self.http(method, path, form, cookies))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def http(self, method: str, path: str, form: dict, cookies: dict) -> bytes:
        if path == "/healthz":
            return _response(200, "ok")
        if path == f"/join/{CODE}/" and method == "GET":
            radios = "".join(
                f'<input type="radio" name="group" id="group-{g}" value="{g}" required>'
                for g in self.rooms
            )
            return _response(200, radios, cookies=["csrftoken=ceiling"])
        if path == f"/join/{CODE}/" and method == "POST":
            room = int(form.get("group") or 0)
            if room not in self.rooms or not form.get("display_name"):
                return _response(400, "bad join")
            session = f"s{next(self.ids)}"
            self.members[session] = room
            return _response(
                302, "", headers={"Location": f"/rooms/{room}/"}, cookies=[f"participant={session}"]
            )
        match = re.fullmatch(r"/rooms/(\d+)/(post|positions/(\d+)/vote)?", path)
        room = int(match.group(1)) if match else None
        if room is None or self.members.get(cookies.get("participant", "")) != room:
            return _response(403, "not a member")
        if match.group(2) is None and method == "GET":
            seq = self.rooms[room].seq
            return _response(200, f'<div id="room-seq" hidden data-seq="{seq}"></div>')
        if method != "POST" or cookies.get("csrftoken") != "ceiling":
            return _response(403, "csrf")
        if match.group(2) == "post":
            pid = next(self.ids)
            self.positions[pid] = (room, {})
            card = f'<li id="position-{pid}">{_escape(form.get("text", ""))}</li>'
            self.rooms[room].broadcast(card)
            return _response(200, card)
        pid = int(match.group(3))
        version = self.vote(room, cookies["participant"], pid, form.get("choice"))
        if version is None:
            return _response(422, "bad vote")
        return _response(200, f'<form id="vote-{pid}" data-tally-version="{version}">')

    def vote(self, room: int, participant: str, pid: int, choice) -> int | None:
        """Count the vote and broadcast the tally: the tally's version, or None if refused."""
        if self.positions.get(pid, (None,))[0] != room or choice not in CHOICES:
            return None
        votes = self.positions[pid][1]
        votes[participant] = choice
        version = self.versions[pid] = self.versions.get(pid, 0) + 1
        counts = [sum(1 for c in votes.values() if c == choice) for choice in CHOICES]
        self.rooms[room].broadcast(
            f'<div id="tally-{pid}" class="tally" data-version="{version}" hx-swap-oob="true">'
            f"✓ {counts[0]} agree ✗ {counts[1]} disagree – {counts[2]} pass</div>"
        )
        return version

    async def websocket(self, reader, writer, path, headers, cookies) -> None:
        match = re.fullmatch(r"/ws/rooms/(\d+)/", path)
        room = int(match.group(1)) if match else None
        if room is None or self.members.get(cookies.get("participant", "")) != room:
            writer.write(_response(403, "not a member"))
            return
        accept = base64.b64encode(
            hashlib.sha1((headers.get("sec-websocket-key", "") + GUID).encode()).digest()
        ).decode()
        writer.write(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        sockets = self.rooms[room].sockets
        sockets.add(writer)
        self.rooms[room].broadcast(f'<span id="presence">{len(sockets)} online</span>')
        participant = cookies["participant"]
        try:
            while True:  # read the client's frames (heartbeats, votes, close) until it goes
                first, second = await reader.readexactly(2)
                length = second & 0x7F
                if length == 126:
                    length = struct.unpack("!H", await reader.readexactly(2))[0]
                elif length == 127:
                    length = struct.unpack("!Q", await reader.readexactly(8))[0]
                if length > MAX_REQUEST:
                    return
                mask = await reader.readexactly(4) if second & 0x80 else bytes(4)
                payload = await reader.readexactly(length)
                if first & 0x0F == 0x8:
                    writer.write(_frame(0x8, struct.pack("!H", 1000)))
                    return
                if first & 0x0F == 0x1:
                    text = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)).decode()
                    self.socket_vote(room, participant, writer, text)
        except (asyncio.IncompleteReadError, OSError):
            return
        finally:
            sockets.discard(writer)
            if not writer.is_closing():
                self.rooms[room].broadcast(f'<span id="presence">{len(sockets)} online</span>')

    def socket_vote(self, room: int, participant: str, writer, text: str) -> None:
        """A vote sent on the socket, answered on it with its id, as the app's writer does."""
        try:
            message = json.loads(text)
        except ValueError:
            return
        if not isinstance(message, dict) or message.get("type") != "vote":
            return
        pid, vote_id = message.get("position"), str(message.get("id", ""))[:40]
        version = self.vote(room, participant, pid, message.get("choice"))
        status = "refused" if version is None else "saved"
        answer = (
            f'<form id="vote-{pid}" data-tally-version="{version or 0}" '
            f'data-ack="{_escape(vote_id)}" data-status="{status}">'
        )
        writer.write(_frame(0x1, answer.encode()))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _frame(opcode: int, payload: bytes) -> bytes:
    length = len(payload)
    if length < 126:
        return bytes([0x80 | opcode, length]) + payload
    if length < 1 << 16:
        return bytes([0x80 | opcode, 126]) + struct.pack("!H", length) + payload
    return bytes([0x80 | opcode, 127]) + struct.pack("!Q", length) + payload


def _response(status: int, body: str, *, headers=None, cookies=()) -> bytes:
    reason = {200: "OK", 302: "Found", 400: "Bad Request", 403: "Forbidden"}.get(status, "X")
    data = body.encode()
    lines = [f"HTTP/1.1 {status} {reason}", "Content-Type: text/html; charset=utf-8"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines += [f"Set-Cookie: {c}; Path=/" for c in cookies]
    lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def serve(port: int, groups: int) -> None:
    ceiling = Ceiling(groups)
    server = await asyncio.start_server(ceiling.handle, "127.0.0.1", port, backlog=4096)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # The parent holds our stdin: when it goes (even killed), stdin closes and we stop.
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.buffer.read1(1) or stop.set())
    print(f"ceiling listening on 127.0.0.1:{port}", flush=True)  # the parent reads this line
    async with server:
        await stop.wait()
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--groups", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.groups))


if __name__ == "__main__":
    main()
