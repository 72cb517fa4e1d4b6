"""Thin WebSocket consumers: subscribe a member's socket to its room, forward broadcasts.

The socket only pushes server to browser; writes go over HTTP. Membership is checked when
the socket opens and again on every message the browser sends, so a participant moved out
of a group cannot keep listening by sending heartbeats.
"""

from __future__ import annotations

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html

from discussions import live, queries
from discussions.models import BreakoutGroup, Presence
from discussions.views.participant import participant_for

log = logging.getLogger(__name__)

# Close code for "not allowed": before accept() Channels answers the handshake with 403.
FORBIDDEN = 4403
MAX_FRAME = 1024  # the browser only ever sends small heartbeats


class RoomConsumer(AsyncWebsocketConsumer):
    group_id: int
    participant_id: int | None = None

    async def connect(self) -> None:
        self.group_id = int(self.scope["url_route"]["kwargs"]["group_id"])
        self.participant_id = await self.member_id()
        if self.participant_id is None:
            await self.close(code=FORBIDDEN)
            return
        # Join the groups before accepting, so no event sent after the page's fetch is missed.
        await self.channel_layer.group_add(
            live.room_channel_group(self.group_id), self.channel_name
        )
        await self.channel_layer.group_add(
            live.participant_channel_group(self.participant_id), self.channel_name
        )
        await self.accept()
        await self.arrive()

    async def disconnect(self, code: int) -> None:
        if self.participant_id is None:
            return
        await self.channel_layer.group_discard(
            live.room_channel_group(self.group_id), self.channel_name
        )
        await self.channel_layer.group_discard(
            live.participant_channel_group(self.participant_id), self.channel_name
        )
        await self.leave()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        message = _parse(text_data, bytes_data)
        if await self.member_id() != self.participant_id:
            await self.close(code=FORBIDDEN)
            return
        if message is None:
            await self.send(
                text_data=_notice("The server could not read a message from this page.")
            )
            return
        if message.get("type") == "ping":
            await self.touch()
            return
        await self.send(text_data=_notice("Unknown message: nothing was changed."))

    async def room_event(self, event: dict) -> None:
        """A broadcast to the room: already rendered, once, by the publisher."""
        await self.send(text_data=event["html"])

    # --- Database helpers ---------------------------------------------------------------------

    @database_sync_to_async
    def member_id(self) -> int | None:
        group = BreakoutGroup.objects.filter(pk=self.group_id).only("session_id").first()
        if group is None:
            return None
        participant = participant_for(self.scope.get("session") or {}, group.session_id)
        if participant is None or participant.group_id != self.group_id:
            return None
        return participant.pk

    @database_sync_to_async
    def arrive(self) -> None:
        with transaction.atomic():
            before = queries.online_count(self.group_id)
            Presence.objects.update_or_create(
                channel_name=self.channel_name,
                defaults={"participant_id": self.participant_id, "group_id": self.group_id},
            )
            # Rows of sockets whose server died never got their disconnect: drop old ones.
            stale = timezone.now() - 4 * queries.PRESENCE_TIMEOUT
            Presence.objects.filter(group=self.group_id, last_seen__lt=stale).delete()
            if queries.online_count(self.group_id) != before:
                live.publish(self.group_id, lambda seq: live.presence_html(self.group_id, seq))

    @database_sync_to_async
    def leave(self) -> None:
        with transaction.atomic():
            before = queries.online_count(self.group_id)
            Presence.objects.filter(channel_name=self.channel_name).delete()
            if queries.online_count(self.group_id) != before:
                live.publish(self.group_id, lambda seq: live.presence_html(self.group_id, seq))

    @database_sync_to_async
    def touch(self) -> None:
        updated = Presence.objects.filter(channel_name=self.channel_name).update(
            last_seen=timezone.now()
        )
        if not updated:
            # Expired while the browser was asleep: count it again.
            Presence.objects.create(
                channel_name=self.channel_name,
                participant_id=self.participant_id,
                group_id=self.group_id,
            )


def _parse(text_data: str | None, bytes_data: bytes | None) -> dict | None:
    if text_data is None or len(text_data) > MAX_FRAME:
        return None
    try:
        message = json.loads(text_data)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _notice(text: str) -> str:
    return format_html('<div id="live-notice" hx-swap-oob="true" role="status">{}</div>', text)
