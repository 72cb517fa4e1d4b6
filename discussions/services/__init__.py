"""Every write the app makes, one keyword-only function each.

Each function checks first (raising ServiceError with a message for a person, having written
nothing), then writes inside one transaction. Side effects that must follow a commit (the
live pushes) are deferred with transaction.on_commit.
"""

from discussions.services.errors import ServiceError
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
from discussions.services.room import cast_vote, post_position
from discussions.services.sessions import (
    MAX_GROUPS,
    create_session,
    find_session,
    join_session,
    normalise_code,
    rename_group,
    set_joining_open,
)

__all__ = [
    "MAX_GROUPS",
    "ImportResult",
    "ServiceError",
    "add_question",
    "cast_vote",
    "create_session",
    "edit_question",
    "find_session",
    "import_paper",
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
    "set_joining_open",
    "set_section_level",
]
