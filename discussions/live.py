"""Server-to-browser pushes: channel-layer group names, publish-after-commit, fragments.

Writes happen over HTTP; this module only tells the browsers in a breakout group what
changed. Each event takes the group's next sequence number inside the writing transaction
and is sent after the commit, rendered once for all recipients. A browser that sees a gap in
the numbers (or reconnects) re-fetches what it shows, so a lost message is never a lost
update.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string

from discussions import queries
from discussions.models import BreakoutGroup

log = logging.getLogger(__name__)

# Event type for consumers: Channels maps "room.event" to the handler method room_event.
ROOM_EVENT = "room.event"


def room_channel_group(group_id: int) -> str:
    return f"room.{group_id}"


def participant_channel_group(participant_id: int) -> str:
    """Every socket of one participant (several tabs), for messages meant for them alone."""
    return f"participant.{participant_id}"


def next_seq(group_id: int) -> int:
    """Take the group's next broadcast number. Call inside the writing transaction."""
    BreakoutGroup.objects.filter(pk=group_id).update(broadcast_seq=F("broadcast_seq") + 1)
    return BreakoutGroup.objects.values_list("broadcast_seq", flat=True).get(pk=group_id)


def publish(group_id: int, render: Callable[[int], str]) -> None:
    """Number an event now and send it to the group's sockets once the transaction commits.

    `render(seq)` builds the HTML after the commit, once, so it shows committed state.
    """
    seq = next_seq(group_id)

    def send() -> None:
        try:
            html = render(seq)
            async_to_sync(get_channel_layer().group_send)(
                room_channel_group(group_id), {"type": ROOM_EVENT, "seq": seq, "html": html}
            )
        except Exception:
            # The write is committed; a browser that misses this event sees the gap in the
            # sequence and re-fetches. Never turn a saved vote into an error page.
            log.exception("Could not publish event %s to group %s", seq, group_id)

    transaction.on_commit(send)


def render_event(template: str, seq: int, context: dict) -> str:
    """A broadcast: the fragments to swap by id, plus the sequence marker the client checks."""
    return render_to_string(template, context | {"seq": seq})


# --- Events: what a room's sockets can receive ------------------------------------------------


def position_added_html(position_id: int, seq: int) -> str:
    position = queries.position_with_tally(position_id)
    return render_event(
        "room/events.html#position_added",
        seq,
        {"position": position, "vote_choices": queries.VOTE_BUTTONS},
    )


def tally_html(position_id: int, seq: int) -> str:
    position = queries.position_with_tally(position_id)
    return render_event("room/events.html#tally_changed", seq, {"position": position})


def presence_html(group_id: int, seq: int) -> str:
    online = queries.online_count(group_id)
    return render_event("room/events.html#presence_changed", seq, {"online": online})
