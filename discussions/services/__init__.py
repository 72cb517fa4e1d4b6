"""Every write the app makes, one keyword-only function each.

Each function checks first (raising ServiceError with a message for a person, having written
nothing), then writes inside one transaction. Side effects that must follow a commit (the
live pushes) are deferred with transaction.on_commit.

Row locks: one order
--------------------
A write that locks more than one row locks them in this order, and only the rows it needs:

    session -> breakout groups (by id) -> participant -> positions (by id) -> recommendations
        -> moderation entries

A write that takes a later kind never waits, holding it, for an earlier one, so no two
writes can wait on each other in a cycle. UPDATE statements lock the rows they change, so
they count: a broadcast number (live.publish) locks its group, and is taken only after the
write's own group lock, or after the commit (a vote's tallies). Examples: a join locks the
group it joins when the group has a capacity to check (nothing otherwise); a post, a phase
or a countdown locks its group; hiding, pinning or merging locks the positions' group, then
the positions; moving a participant locks both groups, then the
participant; the plenary round locks every group of the session, then updates positions;
a vote locks only its position; an undo marks its log entry last (services.undo).

Every lock is FOR NO KEY UPDATE of the row itself (services.locks.locked): never the rows
of tables joined in with select_related, which plain select_for_update() also locked (a
group read with its session locked the session, and deadlocked with joins), and in the
mode that lets others insert rows referring to a locked one: the foreign-key checks of an
INSERT take KEY SHARE, which only FOR UPDATE blocks. No write changes a row's key.

Should PostgreSQL still abort a transaction for a conflict (a deadlock this order missed, a
serialization failure), the write runs again, a few times, before it answers 503
(services.locks.retry_on_conflict). tests/faults/test_opening_rush.py holds the mix to it:
joins, posts, votes and facilitator actions at once, on PostgreSQL, with no deadlock.
"""

from discussions.services.curation import (
    default_dissent,
    delete_recommendation,
    edit_recommendation,
    leave_plenary,
    move_recommendation,
    promote,
    take_into_plenary,
    take_top_into_plenary,
)
from discussions.services.errors import ServiceError
from discussions.services.facilitation import NotAllowed
from discussions.services.invitations import (
    RemovedInvitee,
    find_invitation,
    invitation_column_titles,
    invite,
    join_invited,
    returning_invitee,
    set_invite_only,
    withdraw_invitation,
)
from discussions.services.moderation import (
    approve_position,
    hide_position,
    merge_positions,
    move_participant,
    reject_position,
    remove_participant,
    restore_position,
    set_pinned,
)
from discussions.services.outcome import publish_outcome, set_credit, withdraw_outcome
from discussions.services.pacing import (
    advance_prompt,
    announce,
    apply_due_timer,
    extend_timer,
    pause_timer,
    resume_timer,
    set_phase,
    set_session_option,
    start_timer,
    stop_timer,
)
from discussions.services.paper_import import (
    ImportResult,
    add_question,
    edit_question,
    import_paper,
    merge_section_into_previous,
    move_question,
    publish_paper,
    remove_question,
    rename_paper,
    rename_section,
    set_framing,
    set_section_level,
)
from discussions.services.polis_interop import (
    export_polis_conversation,
    import_polis_conversation,
)
from discussions.services.room import post_position
from discussions.services.sessions import (
    INVITE_ONLY,
    MAX_GROUP_CAPACITY,
    MAX_GROUPS,
    WrongPassphrase,
    assign_facilitator,
    create_session,
    find_session,
    invite_facilitator,
    join_session,
    normalise_code,
    rename_group,
    set_joining_open,
    set_passphrase,
    set_session_language,
    unassign_facilitator,
)
from discussions.services.undo import undo_action
from discussions.services.votes import Ballot, VoteRequest, cast_vote, cast_votes

__all__ = [
    "default_dissent",
    "delete_recommendation",
    "edit_recommendation",
    "leave_plenary",
    "move_recommendation",
    "promote",
    "take_into_plenary",
    "take_top_into_plenary",
    "publish_outcome",
    "set_credit",
    "withdraw_outcome",
    "INVITE_ONLY",
    "MAX_GROUP_CAPACITY",
    "MAX_GROUPS",
    "NotAllowed",
    "advance_prompt",
    "assign_facilitator",
    "announce",
    "apply_due_timer",
    "approve_position",
    "extend_timer",
    "hide_position",
    "merge_positions",
    "move_participant",
    "pause_timer",
    "reject_position",
    "remove_participant",
    "restore_position",
    "resume_timer",
    "set_phase",
    "set_pinned",
    "set_session_option",
    "start_timer",
    "stop_timer",
    "unassign_facilitator",
    "undo_action",
    "ImportResult",
    "ServiceError",
    "add_question",
    "Ballot",
    "VoteRequest",
    "cast_vote",
    "cast_votes",
    "create_session",
    "edit_question",
    "export_polis_conversation",
    "find_session",
    "invite_facilitator",
    "import_paper",
    "import_polis_conversation",
    "join_session",
    "merge_section_into_previous",
    "move_question",
    "normalise_code",
    "post_position",
    "publish_paper",
    "remove_question",
    "rename_group",
    "rename_paper",
    "rename_section",
    "set_framing",
    "WrongPassphrase",
    "RemovedInvitee",
    "find_invitation",
    "invitation_column_titles",
    "invite",
    "join_invited",
    "returning_invitee",
    "set_invite_only",
    "withdraw_invitation",
    "set_joining_open",
    "set_passphrase",
    "set_session_language",
    "set_section_level",
]
