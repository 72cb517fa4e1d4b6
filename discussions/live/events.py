"""Server-to-browser pushes: channel-layer group names, publish-after-commit, fragments.

Each event takes the group's next sequence number inside the writing transaction and is
sent after the commit, rendered once for all recipients. A browser that sees a gap in the
numbers (or reconnects) re-fetches what it shows, so a lost message is never a lost update.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Trim
from django.template.loader import render_to_string
from django.utils import translation

from discussions import queries
from discussions.models import BreakoutGroup, Position

log = logging.getLogger(__name__)

# The type of a room's broadcasts (read by discussions.live.fanout, not by a consumer).
ROOM_EVENT = "room.event"


def room_channel_group(group_id: int) -> str:
    return f"room.{group_id}"


def room_message(group_id: int, seq: int, html: str | Mapping[str, str]) -> dict:
    """A broadcast to a room's sockets: its HTML in each language the room's pages speak
    ({language: html}; a plain string speaks to all). It names its group: each server
    process hears every room it has sockets in on one channel (discussions.live.fanout)."""
    in_each = {settings.LANGUAGE_CODE: html} if isinstance(html, str) else dict(html)
    return {"type": ROOM_EVENT, "group": room_channel_group(group_id), "seq": seq, "html": in_each}


class Numbered(NamedTuple):
    """A broadcast's number in its group, the group's session, and the languages the
    group's pages speak (each broadcast is rendered once in each)."""

    seq: int
    session_id: int
    languages: tuple[str, ...]


def in_languages(languages: Iterable[str], render: Callable[[], str]) -> dict[str, str]:
    """The fragment rendered once in each language ({language: html}); in the site's default
    language when no page of the group has said which it speaks yet."""
    rendered = {}
    for language in languages or (settings.LANGUAGE_CODE,):
        with translation.override(language):
            rendered[language] = render()
    return rendered


def note_language(group_id: int, language: str) -> None:
    """A page of the group speaks this language: broadcasts are rendered in it from now on.
    One conditional statement, so that two processes adding two languages keep both; a
    group's languages are never taken away (at most the six)."""
    BreakoutGroup.objects.filter(pk=group_id).exclude(
        languages__regex=rf"(^| ){re.escape(language)}( |$)"
    ).update(languages=Trim(Concat("languages", Value(" " + language))))


def participant_channel_group(participant_id: int) -> str:
    """Every socket of one participant (several tabs), for messages meant for them alone."""
    return f"participant.{participant_id}"


def console_channel_group(session_id: int) -> str:
    """Facilitators' consoles of one session: told which group changed, they re-fetch it."""
    return f"console.{session_id}"


def next_seq(group_id: int) -> Numbered:
    """Take the group's next broadcast number: inside the transaction of the change it
    announces, or on its own for changes already committed (RoomChanges).

    One statement (UPDATE ... RETURNING, PostgreSQL and SQLite 3.35+), which also reads the
    group's session and languages: every broadcast takes a number, so this is on the
    hottest paths.
    """
    table = BreakoutGroup._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET broadcast_seq = broadcast_seq + 1 WHERE id = %s "
            "RETURNING broadcast_seq, session_id, languages",
            [group_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise BreakoutGroup.DoesNotExist(f"No breakout group {group_id}")
    return Numbered(row[0], row[1], tuple(row[2].split()))


def next_seqs(group_ids: Iterable[int]) -> dict[int, Numbered]:
    """next_seq for many groups in one statement: {group: Numbered}.

    The caller has locked the groups already (services.locks.lock_groups): an UPDATE of
    many rows locks them in whatever order it meets them, not in the order of ids.
    """
    ids = sorted(set(group_ids))
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {BreakoutGroup._meta.db_table} SET broadcast_seq = broadcast_seq + 1 "
            f"WHERE id IN ({marks}) RETURNING id, broadcast_seq, session_id, languages",
            ids,
        )
        return {
            group_id: Numbered(seq, session_id, tuple(languages.split()))
            for group_id, seq, session_id, languages in cursor.fetchall()
        }


def publish(group_id: int, event: Event) -> None:
    """Number an event now and send it to the group's sockets once the transaction commits.

    After the commit, the event reads what its template shows (so it shows committed
    state), once; the template is then rendered in each language the group's pages speak.
    The session's facilitator consoles hear that the group changed.
    """
    seq, session_id, languages = next_seq(group_id)

    def send() -> None:
        try:
            context = event.read()
            html = in_languages(languages, lambda: render_event(event.template, seq, context))
            _send(room_channel_group(group_id), room_message(group_id, seq, html))
        except Exception:
            # The write is committed; a browser that misses this event sees the gap in the
            # sequence and re-fetches. Never turn a saved vote into an error page.
            log.exception("Could not publish event %s to group %s", seq, group_id)
        _console(session_id, group_id)

    transaction.on_commit(send)


def publish_status(group_ids: Iterable[int], *, positions_too: bool = False) -> None:
    """The status of these groups changed (phase, prompt, countdown, announcement, a session
    option): number a broadcast for each now, and once the transaction commits render them
    from one read of the groups and send them together; `positions_too`: and every page
    re-fetches its list (a phase or prompt decides what it shows).

    For one group or a hundred: a facilitator's action on every group published each group
    on its own, three queries and two channel-layer round trips a group, seconds in all for
    100 groups under load. The caller has locked the groups (next_seqs).
    """
    numbers = next_seqs(group_ids)
    if not numbers:
        return
    template = (
        "room/events.html#status_and_refresh"
        if positions_too
        else ("room/events.html#status_changed")
    )

    def send() -> None:
        messages = []
        try:
            contexts = _status_contexts(list(numbers))
        except Exception:
            # As in publish: the numbers are taken, so the pages see the gap and re-fetch.
            log.exception("Could not read the status of groups %s", sorted(numbers))
            contexts = {}
        for group_id, (seq, _, languages) in sorted(numbers.items()):
            if group_id in contexts:
                context = contexts[group_id]
                html = in_languages(
                    languages, lambda seq=seq, context=context: render_event(template, seq, context)
                )
                messages.append((room_channel_group(group_id), room_message(group_id, seq, html)))
        sessions: dict[int, set[int]] = {}
        for group_id, (_, session_id, _) in numbers.items():
            sessions.setdefault(session_id, set()).add(group_id)
        for session_id, changed in sorted(sessions.items()):
            messages.append((console_channel_group(session_id), console_message(changed)))
        async_to_sync(_send_each)(messages)

    transaction.on_commit(send)


async def _send_each(messages: list[tuple[str, dict]]) -> None:
    """Send each (channel group, message), in order, in one trip to the event loop; one
    that fails is logged and the rest still go."""
    layer = get_channel_layer()
    for channel_group, message in messages:
        try:
            await layer.group_send(channel_group, message)
        except Exception:
            log.exception("Could not send to %s", channel_group)


def notify_console(group: BreakoutGroup) -> None:
    """Tell the consoles a group changed in a way its participants do not see."""
    transaction.on_commit(lambda: _console(group.session_id, group.pk))


def outcome_changed(session_id: int) -> None:
    """After commit: the session's recommendations (or their publication) changed. Told on
    the consoles' channel with no group named, so consoles skip it and the pages that show
    the whole session (the projector's, the public results page) re-fetch."""
    message = console_message([])
    transaction.on_commit(lambda: _quietly(console_channel_group(session_id), message))


def notify_participant(participant_id: int, html: str) -> None:
    """After commit, send HTML to every socket of one participant (and no one else)."""
    message = {"type": "participant.event", "html": html}
    transaction.on_commit(lambda: _quietly(participant_channel_group(participant_id), message))


def send_participant_away(participant_id: int, url: str) -> None:
    """After commit, send the participant's pages to `url` and close their sockets."""
    message = {"type": "participant.away", "url": url}
    transaction.on_commit(lambda: _quietly(participant_channel_group(participant_id), message))


def _send(channel_group: str, message: dict) -> None:
    async_to_sync(get_channel_layer().group_send)(channel_group, message)


def _quietly(channel_group: str, message: dict) -> None:
    try:
        _send(channel_group, message)
    except Exception:
        log.exception("Could not send to %s", channel_group)


def _console(session_id: int, group_id: int) -> None:
    _quietly(console_channel_group(session_id), console_message([group_id]))


def console_message(group_ids) -> dict:
    """Tell a session's consoles these groups changed (each console re-fetches its own)."""
    return {"type": "console.changed", "group_ids": sorted(group_ids)}


def render_event(template: str, seq: int, context: dict) -> str:
    """A broadcast: the fragments to swap by id, plus the sequence marker the client checks."""
    return render_to_string(template, context | {"seq": seq})


# --- Events: what a room's sockets can receive ------------------------------------------------


class Event(NamedTuple):
    """A room event for publish: its template, and what reads the template's context (once,
    after the commit, however many languages it is then rendered in)."""

    template: str
    read: Callable[[], dict] = dict


def position_added(position_id: int) -> Event:
    return Event(
        "room/events.html#position_added",
        lambda: {
            "position": queries.position_with_tally(position_id),
            "vote_choices": queries.VOTE_BUTTONS,
        },
    )


def position_removed(position_id: int) -> Event:
    return Event("room/events.html#position_removed", lambda: {"position_id": position_id})


def merged(survivor_id: int, absorbed_id: int) -> Event:
    return Event(
        "room/events.html#merged",
        lambda: {"position": queries.position_with_tally(survivor_id), "position_id": absorbed_id},
    )


def pinned(position_id: int) -> Event:
    return Event(
        "room/events.html#pinned",
        lambda: {"position": Position.objects.only("pk", "pinned").get(pk=position_id)},
    )


# The list's order or membership changed in a way best re-fetched by each page.
POSITIONS_REFRESH = Event("room/events.html#refresh")


CHANGES = "room/events.html#changes"


def changes_context(group_id: int, position_ids: list[int], presence: bool) -> dict:
    """What one broadcast of a group's latest changes shows (tallies, the number online),
    read once however many languages it is rendered in."""
    return {
        "positions": list(queries.positions_with_tallies(position_ids)),
        "online": queries.online_count(group_id) if presence else None,
    }


def changes_html(group_id: int, position_ids: list[int], presence: bool, seq: int) -> str:
    """One broadcast for what changed in a group lately: tallies, and the number online."""
    return render_event(CHANGES, seq, changes_context(group_id, position_ids, presence))


def _status_contexts(group_ids: list[int]) -> dict[int, dict]:
    """What each group's status fragment shows, for many groups in two queries."""
    groups = BreakoutGroup.objects.select_related(
        "session", "current_prompt__question__section", "current_prompt__section"
    ).filter(pk__in=group_ids)
    online = queries.online_counts(group_ids)
    return {
        group.pk: {
            "group": group,
            "session": group.session,
            "prompt": group.current_prompt,
            "online": online.get(group.pk, 0),
            "oob": True,
        }
        for group in groups
    }


def review_html(position_id: int) -> str:
    """For the author alone: their position was approved or rejected."""
    position = queries.position_with_tally(position_id)
    return render_to_string("room/events.html#reviewed", {"position": position})
