"""Writes of who is online: each open room socket has a Presence row, made when it opens,
marked seen by its heartbeats (together, discussions.live.presence) and removed when it
closes; queries.online_count reads them."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from discussions import queries
from discussions.models import Presence


def count_in(*, channel_name: str, participant_id: int, group_id: int) -> bool:
    """Count a socket in; True if the number online changed."""
    with transaction.atomic():
        before = queries.online_count(group_id)
        Presence.objects.update_or_create(
            channel_name=channel_name,
            defaults={"participant_id": participant_id, "group_id": group_id},
        )
        # Rows of sockets whose server died never got their disconnect: drop old ones.
        stale = timezone.now() - 4 * queries.PRESENCE_TIMEOUT
        Presence.objects.filter(group=group_id, last_seen__lt=stale).delete()
        return queries.online_count(group_id) != before


def count_out(*, channel_name: str, group_id: int) -> bool:
    """Count a socket out; True if the number online changed."""
    with transaction.atomic():
        before = queries.online_count(group_id)
        Presence.objects.filter(channel_name=channel_name).delete()
        return queries.online_count(group_id) != before


def mark_seen(*, noted: dict[str, tuple[int, int]]) -> None:
    """Mark the sockets seen now, {channel name: (participant, group)}: one UPDATE for them
    all; rows gone meanwhile are made again.

    A row goes while its socket is open only when the socket was silent for four presence
    timeouts (a laptop asleep; count_in drops old rows): its next heartbeat counts it
    again, as a new socket's arrival would.
    """
    with transaction.atomic():
        names = list(noted)
        updated = Presence.objects.filter(channel_name__in=names).update(last_seen=timezone.now())
        if updated == len(names):
            return
        kept = set(
            Presence.objects.filter(channel_name__in=names).values_list("channel_name", flat=True)
        )
        Presence.objects.bulk_create(
            Presence(channel_name=name, participant_id=participant_id, group_id=group_id)
            for name, (participant_id, group_id) in noted.items()
            if name not in kept
        )
