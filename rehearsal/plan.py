"""What one rehearsal runs (Plan), and the settings its parts share."""

from __future__ import annotations

from dataclasses import dataclass

SETTLE = 1.0  # seconds between posting positions and the first vote
REQUEST_TIMEOUT = 30.0


class RehearsalError(Exception):
    """The run could not start (no such session, too few groups, server unreachable)."""


@dataclass
class Plan:
    participants: int
    groups: int
    rate: float
    duration: float
    seed: int = 7
    server_pid: int | None = None
    # A facilitator (username, password) and the session's id: while the votes run, the
    # synthesis pages and exports are fetched every PROBE_EVERY seconds and timed.
    facilitator: tuple[str, str] | None = None
    session_id: int | None = None
    # Offer per-message compression on the sockets, as browsers do.
    deflate: bool = True
    # The scenario (scenario.py): a whole session at once, not only votes. Participants
    # arrive over join_window seconds, post_rate positions a second are posted while the
    # votes run, and `facilitators` browsers act in every group throughout.
    scenario: bool = False
    join_window: float = 30.0
    post_rate: float = 1.0
    facilitators: int = 1
    # How votes travel: "socket", as the pages send them, or "http", the form's fallback.
    votes_over: str = "socket"
    # After the run, the same sockets vote at rising rates until the server falls behind
    # (ramp.py): the highest rate it keeps up with.
    ramp: bool = False
