"""Thin WebSocket consumers: admit a member's socket to its room, whose broadcasts reach it
through the process's RoomSockets (discussions.live.fanout).

A room's socket carries the page's votes too (discussions.live.votes); every other write
goes over HTTP. Membership is checked when the socket opens and again on every message the
browser sends (a vote's with the vote, in its batch), so a participant moved out of a group
cannot keep listening by sending heartbeats, nor vote there.

Every socket kind (room, console, projector, the session's screen, the results page) is
here, longer than most modules: they share one base (LiveConsumer: admission, heartbeat,
the membership check again), and seeing them side by side is how to check that each
admits only whom it should.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

from discussions import identity, languages, ratelimit, services
from discussions.live import changes, events, fanout
from discussions.live.db_threads import in_db_thread
from discussions.live.presence import seen_sockets
from discussions.live.votes import Answer, vote_writer
from discussions.models import BreakoutGroup, Session
from discussions.rules import still_member
from discussions.services import presence as presence_writes

log = logging.getLogger(__name__)

# Close code for "not allowed": before accept() Channels answers the handshake with 403.
FORBIDDEN = 4403
SERVER_ERROR = 1011  # the code a consumer's failure closes its socket with
MAX_FRAME = 1024  # the browser only ever sends small heartbeats and votes
VOTE_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")  # a page's own id for a vote it sends


class LiveConsumer(AsyncWebsocketConsumer):
    """A socket whose database work all goes through in_db_thread.

    Channels' dispatch first hops to the process's one synchronous thread to close stale
    database connections, for every message: each broadcast, to each of a group's sockets.
    Under a conference's votes that was a real share of a server process's time, and every
    socket's messages queued for that one thread (docs/capacity.md, "Broadcasts straight to
    the socket"). in_db_thread (DatabaseSyncToAsync) already closes stale
    connections around each call, in the thread that holds them, so the hop is skipped.
    """

    async def dispatch(self, message: dict) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def hear_the_session(self) -> None:
        """Join, or renew at a heartbeat, the session's news that something changed
        (events.console_channel_group): the console's and the session's screens'."""
        await self.channel_layer.group_add(
            events.console_channel_group(self.session_id), self.channel_name
        )

    async def stop_hearing_the_session(self) -> None:
        await self.channel_layer.group_discard(
            events.console_channel_group(self.session_id), self.channel_name
        )

    async def speak_the_pages_language(self) -> None:
        """Answer in the language the page was drawn in (this consumer's own messages, its
        votes' answers), and have the room's broadcasts rendered in it too."""
        self.language = languages.of_socket(self.scope)
        translation.activate(self.language)  # for this socket's task: its handlers
        await in_db_thread(events.note_language)(self.group_id, self.language)


class RoomConsumer(LiveConsumer):
    group_id: int
    participant_id: int | None = None
    outbox: fanout.Outbox
    latest_seq: int = 0  # the room's broadcast number at the last membership check
    heartbeat: asyncio.Task | None = None  # the page's heartbeat being answered

    async def connect(self) -> None:
        self.group_id = int(self.scope["url_route"]["kwargs"]["group_id"])
        self.address = ratelimit.socket_address(self.scope)  # votes are counted by it too
        self.participant_id = await self.member_id()
        if self.participant_id is None:
            log.warning("Room socket refused: not a member of group %s", self.group_id)
            await self.close(code=FORBIDDEN)
            return
        await self.speak_the_pages_language()
        # Join before accepting, so no broadcast sent after the page's fetch is missed: the
        # room's wait in the outbox until the handshake is done.
        self.outbox = fanout.Outbox(self.base_send, self.language)
        await self.join_groups()
        await self.accept()
        self.outbox.open()
        await self.arrive()

    async def join_groups(self) -> None:
        """Join (or, at a heartbeat, renew) the room and this participant's own group: where
        the layer expires memberships (settings.CHANNEL_GROUP_EXPIRY), a live socket's never
        do. The room's broadcasts come through the process's RoomSockets; what is meant for
        this participant alone, through this consumer's channel."""
        rooms = fanout.room_sockets(self.channel_layer)
        await rooms.join(events.room_channel_group(self.group_id), self.outbox)
        await self.channel_layer.group_add(
            events.participant_channel_group(self.participant_id), self.channel_name
        )

    async def disconnect(self, code: int) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        if self.participant_id is None:
            return
        try:
            rooms = fanout.room_sockets(self.channel_layer)
            await rooms.leave(events.room_channel_group(self.group_id), self.outbox)
            await self.channel_layer.group_discard(
                events.participant_channel_group(self.participant_id), self.channel_name
            )
        except Exception:
            # Redis unreachable: the memberships go with the socket anyway. Still count out.
            log.warning("Could not leave the channel groups of group %s", self.group_id)
        await seen_sockets().forget(self.channel_name)
        await self.leave()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        message = _parse(text_data, bytes_data)
        kind = message.get("type") if message is not None else None
        if kind == "vote" and self.vote(message):
            return
        if kind == "ping":
            self.heartbeat_soon()
            return
        # Anything else is answered only to a member: checked here, as the vote writer
        # checks the votes it takes.
        if await self.member_id() != self.participant_id:
            await self.close(code=FORBIDDEN)
            return
        if kind == "vote":
            log.warning("Unreadable vote message on a room socket of group %s", self.group_id)
            await forward(
                self, _notice(_("The server could not read a vote: nothing was changed."))
            )
            return
        if message is None:
            log.warning("Unreadable message on a room socket of group %s", self.group_id)
            await self.send(
                text_data=_notice(_("The server could not read a message from this page."))
            )
            return
        log.warning("Unknown message on a room socket of group %s", self.group_id)
        await self.send(text_data=_notice(_("Unknown message: nothing was changed.")))

    def heartbeat_soon(self) -> None:
        """Answer the page's heartbeat in a task of its own, one at a time (a page sends one
        every 25 s). A socket reads its messages one after the other, and the heartbeat's
        membership check and renewal of the channel groups wait on the database and Redis:
        in the opening rush, behind everyone's subscriptions, seconds, and the socket's
        votes waited behind the heartbeat (docs/capacity.md, "Heartbeats answered apart
        from votes")."""
        if self.heartbeat is not None and not self.heartbeat.done():
            return
        self.heartbeat = asyncio.get_running_loop().create_task(self.beat())

    async def beat(self) -> None:
        try:
            if await self.member_id() != self.participant_id:
                await close_quietly(self)
                return
            seen_sockets().note(self.channel_name, self.participant_id, self.group_id)
            await self.join_groups()
        except Exception:
            # As when the heartbeat was read in line: the socket closes, and the page
            # reconnects and catches up.
            log.exception("A heartbeat of a room socket of group %s failed", self.group_id)
            await close_quietly(self, code=SERVER_ERROR)
            return
        await forward(self, _latest(self.latest_seq))

    def vote(self, message: dict) -> bool:
        """Queue the page's vote for the process's writer, which checks it (membership
        included) and answers it in order with the room's broadcasts, once it is durable.
        False, and nothing queued, for a vote without the page's id for it."""
        vote_id = message.get("id")
        if not isinstance(vote_id, str) or not VOTE_ID.fullmatch(vote_id):
            return False
        position_id = message.get("position")
        if type(position_id) is not int:
            position_id = 0  # no position: refused as one not in the group
        choice = message.get("choice")
        request = services.VoteRequest(
            self.participant_id, self.group_id, position_id, choice if type(choice) is str else ""
        )
        vote_writer().submit(request, vote_id, self.address, self.answer_vote)
        return True

    def answer_vote(self, answer: Answer) -> None:
        self.outbox.push(answer.html)
        if answer.away:  # removed or moved meanwhile: as a heartbeat would find
            task = asyncio.get_running_loop().create_task(close_quietly(self))
            _closing.add(task)
            task.add_done_callback(_closing.discard)

    async def participant_event(self, event: dict) -> None:
        """Something for this participant alone (their position was reviewed)."""
        await forward(self, event["html"])

    async def participant_away(self, event: dict) -> None:
        """Moved to another group or removed: send the page on, then close this socket
        (unless a heartbeat or a vote's answer found them away first and closed it)."""
        await forward(self, _away(event["url"]))
        await close_quietly(self)

    # --- Database helpers ---------------------------------------------------------------------

    @in_db_thread
    def member_id(self) -> int | None:
        """The participant, if still a member. One query, which also reads the room's latest
        broadcast number for the heartbeat's answer (2,000 sockets send 80 heartbeats a
        second; they are marked seen together, discussions.live.presence)."""
        member = still_member(identity.joined(self.scope.get("cookies") or {}), self.group_id)
        if member is None:
            return None
        participant_id, self.latest_seq = member
        return participant_id

    async def arrive(self) -> None:
        if await self.count_in():
            changes.presence_changed(self.group_id)

    async def leave(self) -> None:
        if await self.count_out():
            changes.presence_changed(self.group_id)

    @in_db_thread
    def count_in(self) -> bool:
        """Count this socket in; True if the number online changed."""
        return presence_writes.count_in(
            channel_name=self.channel_name,
            participant_id=self.participant_id,
            group_id=self.group_id,
        )

    @in_db_thread
    def count_out(self) -> bool:
        return presence_writes.count_out(channel_name=self.channel_name, group_id=self.group_id)


async def forward(consumer: AsyncWebsocketConsumer, html: str) -> None:
    """Send a broadcast on; if the socket closed while it was on its way, drop it.

    uvicorn refuses a send after the client has gone (RuntimeError, or ClientDisconnected,
    an OSError), where daphne ignores it. Raised here, it ended the consumer before it read
    the disconnect, so the socket's Presence row and group memberships stayed behind
    (found by tests/faults/test_storm.py). The disconnect that follows does the cleaning.
    """
    try:
        await consumer.send(text_data=html)
    except (RuntimeError, OSError):
        log.info("A broadcast reached a socket that had just closed")


async def close_quietly(consumer: AsyncWebsocketConsumer, code: int = FORBIDDEN) -> None:
    """Close the socket, if no one has yet: uvicorn refuses a second close (RuntimeError)."""
    try:
        await consumer.close(code=code)
    except (RuntimeError, OSError):
        log.info("A socket being closed was closed already")


_closing: set[asyncio.Task] = set()  # sockets being closed after a vote found them away


def _parse(text_data: str | None, bytes_data: bytes | None) -> dict | None:
    if text_data is None or len(text_data) > MAX_FRAME:
        return None
    try:
        message = json.loads(text_data)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


@in_db_thread
def latest_seq(group_id: int) -> int:
    return BreakoutGroup.objects.values_list("broadcast_seq", flat=True).get(pk=group_id)


def _latest(seq: int) -> str:
    """The answer to a heartbeat: the room's latest broadcast number. A page behind it
    missed a broadcast (Redis restarting drops them; nothing else may follow to reveal the
    gap) and re-fetches: every page catches up within one heartbeat."""
    return format_html('<div id="room-latest" hidden data-latest="{}"></div>', seq)


def _away(url: str) -> str:
    return format_html('<div id="room-away" hx-swap-oob="true" data-href="{}"></div>', url)


def _notice(text: str) -> str:
    return format_html('<div id="live-notice" hx-swap-oob="true" role="status">{}</div>', text)


class ConsoleConsumer(LiveConsumer):
    """A facilitator's console: told which of their groups changed, it re-fetches them.

    The groups the user facilitates are read when the socket opens and again at every
    heartbeat, so an assignment taken away stops the flow within one heartbeat.
    """

    session_id: int
    group_ids: frozenset[int] = frozenset()

    async def connect(self) -> None:
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        self.group_ids = await self.facilitated_groups()
        if not self.group_ids:
            log.warning("Console socket refused: no group of session %s", self.session_id)
            await self.close(code=FORBIDDEN)
            return
        await self.hear_the_session()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group_ids:
            await self.stop_hearing_the_session()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        self.group_ids = await self.facilitated_groups()
        if not self.group_ids:
            await self.close(code=FORBIDDEN)
            return
        message = _parse(text_data, bytes_data)
        if message is None or message.get("type") != "ping":
            log.warning("Unreadable or unknown message on a console socket")
            await self.send(text_data=json.dumps({"type": "error", "message": "Unknown message."}))
            return
        # Renew the membership at each heartbeat (see RoomConsumer.join_groups).
        await self.hear_the_session()

    async def console_changed(self, event: dict) -> None:
        for group_id in event["group_ids"]:
            if group_id in self.group_ids:
                await self.send(text_data=json.dumps({"type": "changed", "group": group_id}))

    @in_db_thread
    def facilitated_groups(self) -> frozenset[int]:
        session = Session.objects.filter(pk=self.session_id).first()
        user = self.scope.get("user")
        if session is None or user is None:
            return frozenset()
        return frozenset(session.groups_facilitated_by(user).values_list("pk", flat=True))


class ScreenConsumer(LiveConsumer):
    """The projector's read-only feed of one group: the room's broadcasts, nothing personal.

    Admitted by the session's screen token, checked on connect and at every heartbeat.
    """

    group_id: int | None = None
    outbox: fanout.Outbox

    async def connect(self) -> None:
        kwargs = self.scope["url_route"]["kwargs"]
        self.token = kwargs["token"]
        if not await self.token_opens(int(kwargs["group_id"])):
            log.warning("Screen socket refused: wrong token for group %s", kwargs["group_id"])
            await self.close(code=FORBIDDEN)
            return
        self.group_id = int(kwargs["group_id"])
        await self.speak_the_pages_language()
        self.outbox = fanout.Outbox(self.base_send, self.language)
        await self.join_room()
        await self.accept()
        self.outbox.open()

    async def join_room(self) -> None:
        # Also at each heartbeat, to renew the membership (see RoomConsumer.join_groups).
        rooms = fanout.room_sockets(self.channel_layer)
        await rooms.join(events.room_channel_group(self.group_id), self.outbox)

    async def disconnect(self, code: int) -> None:
        if self.group_id is not None:
            rooms = fanout.room_sockets(self.channel_layer)
            await rooms.leave(events.room_channel_group(self.group_id), self.outbox)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        if not await self.token_opens(self.group_id):
            await self.close(code=FORBIDDEN)
            return
        await self.join_room()
        message = _parse(text_data, bytes_data)
        if message is not None and message.get("type") == "ping":
            await self.send(text_data=_latest(await latest_seq(self.group_id)))

    @in_db_thread
    def token_opens(self, group_id: int) -> bool:
        if "\x00" in self.token:  # PostgreSQL cannot even compare it: no token has one
            return False
        return BreakoutGroup.objects.filter(pk=group_id, session__screen_token=self.token).exists()


class SessionScreenConsumer(LiveConsumer):
    """The whole-session projector's feed: which groups changed, as the consoles hear it
    (it re-fetches its summary then, instead of polling). Nothing personal, nothing the
    console's answers hold: only the news that something changed.

    Admitted by the session's screen token, checked on connect and at every heartbeat.
    """

    session_id: int | None = None

    async def connect(self) -> None:
        self.token = self.scope["url_route"]["kwargs"]["token"]
        self.session_id = await self.session_opened()
        if self.session_id is None:
            log.warning("Session screen socket refused: wrong token")
            await self.close(code=FORBIDDEN)
            return
        await self.hear_the_session()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.session_id is not None:
            await self.stop_hearing_the_session()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        if await self.session_opened() != self.session_id:
            await self.close(code=FORBIDDEN)
            return
        # Renew the membership at each heartbeat (see RoomConsumer.join_groups).
        await self.hear_the_session()

    async def console_changed(self, event: dict) -> None:
        await self.send(text_data=json.dumps({"type": "changed"}))

    @in_db_thread
    def session_opened(self) -> int | None:
        if "\x00" in self.token:  # PostgreSQL cannot even compare it: no token has one
            return None
        return Session.objects.filter(screen_token=self.token).values_list("pk", flat=True).first()


class ResultsConsumer(SessionScreenConsumer):
    """The public results page's feed (views.results): the session's news that something
    changed, as the projector hears it. Admitted while the outcome is published, by the
    session's results token, checked on connect and at every heartbeat: a publication
    withdrawn closes it."""

    @in_db_thread
    def session_opened(self) -> int | None:
        if "\x00" in self.token:  # PostgreSQL cannot even compare it: no token has one
            return None
        published = Session.objects.filter(
            results_token=self.token, outcome_published_at__isnull=False
        )
        return published.values_list("pk", flat=True).first()

    async def console_changed(self, event: dict) -> None:
        # When, so that the page asks for a list rendered no earlier (views.results).
        await self.send(text_data=json.dumps({"type": "changed", "at": time.time()}))
