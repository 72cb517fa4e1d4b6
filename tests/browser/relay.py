"""The page's room sockets through Playwright's WebSocket routing, for tests that must see
or cause what happens between a vote's click and its answer: every frame passes unchanged
both ways, except those a test holds, and sockets can be dropped or refused."""

from __future__ import annotations

import json
import re
import time

from playwright.sync_api import Page, WebSocketRoute

from tests.deadlines import DEADLINE

ROOM_SOCKET = re.compile(r"/ws/rooms/\d+/$")


def is_vote(frame: str | bytes) -> bool:
    return isinstance(frame, str) and '"type":"vote"' in frame.replace(" ", "")


def is_answer(frame: str | bytes) -> bool:
    return isinstance(frame, str) and "data-ack=" in frame


class Relay:
    """The page's room sockets, through the test. Each is connected to the real server and
    every frame is passed on unchanged, except the page's votes while `hold_votes` is set
    and the server's answers to votes while `hold_answers` is set: those wait in `held`."""

    def __init__(self, page: Page) -> None:
        self.hold_votes = False
        self.hold_answers = False
        self.refuse = False  # new sockets are closed before they open
        self.held: list[tuple[WebSocketRoute, str | bytes]] = []  # (where to, frame)
        self.votes_sent: list[dict] = []  # every vote frame the page sent
        self.sockets: list[WebSocketRoute] = []  # the page's side of each socket
        # Before the page opens its socket: only sockets opened later are routed.
        page.route_web_socket(ROOM_SOCKET, self.connect)

    def connect(self, ws: WebSocketRoute) -> None:
        if self.refuse:
            ws.close()  # closed inside the handler: the page never sees it open
            return
        self.sockets.append(ws)
        server = ws.connect_to_server()

        def from_page(frame: str | bytes) -> None:
            if is_vote(frame):
                self.votes_sent.append(json.loads(frame))
                if self.hold_votes:
                    self.held.append((server, frame))
                    return
            server.send(frame)

        def from_server(frame: str | bytes) -> None:
            if self.hold_answers and is_answer(frame):
                self.held.append((ws, frame))
                return
            ws.send(frame)

        ws.on_message(from_page)
        server.on_message(from_server)

    def wait_for_held(self, page: Page, count: int = 1) -> None:
        """Until `count` frames are held. The handlers run while Playwright waits."""
        deadline = time.monotonic() + DEADLINE
        while len(self.held) < count:
            assert time.monotonic() < deadline, "the frame to hold never came"
            page.wait_for_timeout(50)

    def release(self) -> None:
        self.hold_votes = self.hold_answers = False
        for to, frame in self.held:
            to.send(frame)
        self.held.clear()

    def drop(self, code: int = 1006) -> None:
        """Close the newest socket as a network drop does (1006: no closing handshake).
        The server's side is closed with it; frames held for it are lost, and the next
        socket's pass."""
        self.hold_votes = self.hold_answers = False
        self.sockets[-1].close(code=code)
        self.held.clear()
