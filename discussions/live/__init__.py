"""The live path: what reaches the other screens when someone acts, and how fast.

The path of a vote, from the click to the other screens::

    the page (static/js/live.js)
      │  {"type": "vote", "id": …, "position": …, "choice": …} on the room's WebSocket
      │  (no socket open, or no JavaScript: the vote form's HTTP POST, views.participant.vote)
      ▼
    consumers.RoomConsumer.receive ──► votes.VoteWriter (one per server process)
                                        takes every vote queued meanwhile and writes them in
                                        one transaction: the rules (discussions.rules:
                                        member, votable), upserts, tally numbers
                                        (services.votes.cast_votes); after the commit:
      ◄── the vote's buttons, answered    │
          with its id (durable)           ▼
                                       changes.RoomChanges: each changed room's tallies,
                                       numbered and rendered once per LIVE_TALLY_WINDOW
                                          │ channel layer (Redis between processes)
                                          ▼
                                       fanout.RoomSockets: one channel per process, written
                                       to each of its sockets of the room (fanout.Outbox)
                                          ▼
                                       every page of the group (live.js swaps by id;
                                       news of a card not on the page is dropped)

Other writes (posts, moderation, phases) go over HTTP to a service that numbers its event
inside its transaction and publishes it after the commit (events.publish). Every broadcast
carries the room's next number; a page that sees a gap, or reconnects, re-fetches what it
shows, so a dropped message is never a lost update. Heartbeats mark sockets seen
(presence), a few seconds late and together.

Modules: events (names, numbering, publishing, fragments), changes (the coalescer),
fanout (one channel per process to its sockets), presence (heartbeats), votes (the vote
writer), consumers (the sockets), db_threads (where their database work runs).

The services write through this package's names below.
"""

from discussions.live.changes import presence_changed, room_changes, tally_changed
from discussions.live.events import (
    POSITIONS_REFRESH,
    changes_html,
    console_channel_group,
    merged,
    next_seq,
    next_seqs,
    notify_console,
    notify_participant,
    outcome_changed,
    participant_channel_group,
    pinned,
    position_added,
    position_removed,
    publish,
    publish_status,
    review_html,
    room_channel_group,
    room_message,
    send_participant_away,
)

__all__ = [
    "POSITIONS_REFRESH",
    "changes_html",
    "console_channel_group",
    "merged",
    "next_seq",
    "next_seqs",
    "notify_console",
    "notify_participant",
    "outcome_changed",
    "participant_channel_group",
    "pinned",
    "position_added",
    "position_removed",
    "presence_changed",
    "publish",
    "publish_status",
    "review_html",
    "room_changes",
    "room_channel_group",
    "room_message",
    "send_participant_away",
    "tally_changed",
]
