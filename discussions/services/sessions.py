"""Writes on sessions: create one, open or close joining, set its language, rename groups, join
as a participant."""

from __future__ import annotations

import hmac
import re
import unicodedata
from contextlib import nullcontext

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.formats import number_format
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from discussions.models import (
    JOIN_CODE_ALPHABET,
    BreakoutGroup,
    FacilitatorAssignment,
    Paper,
    Participant,
    Prompt,
    Session,
    SessionPrompt,
    generate_join_code,
)
from discussions.services.errors import ServiceError, clean_line, readable
from discussions.services.locks import lock_group, retry_on_conflict

MAX_GROUPS = 200
MAX_GROUP_CAPACITY = 10_000  # more than any room holds; bounded, as a database column is
MAX_DISPLAY_NAME = 40
MAX_GROUP_NAME = 100
MAX_PASSPHRASE = 100


def create_session(
    *,
    paper: Paper,
    name: str,
    group_count: int,
    user: AbstractBaseUser | None = None,
    prompts: list[Prompt] | None = None,
    assignment: str = Session.Assignment.CHOOSE,
    group_capacity: int | None = None,
    language: str = "",
) -> Session:
    """Create a session over a published paper with numbered breakout groups.

    Prompts default to the paper's framing questions (or, if it has none, its sections).
    Every group starts on the first prompt, collecting positions. The groups are named in
    the session's language, if it has one, else in the organizer's.
    """
    name = clean_line(name, what="session name", limit=200)
    if paper.is_draft:
        raise ServiceError(_("Publish the paper before creating a session from it."))
    if not 1 <= group_count <= MAX_GROUPS:
        raise ServiceError(
            _("A session has between 1 and %(most)s breakout groups.") % {"most": MAX_GROUPS}
        )
    if assignment not in Session.Assignment.values:
        raise ServiceError(_("Choose how participants are placed in groups."))
    if group_capacity is not None and not 1 <= group_capacity <= MAX_GROUP_CAPACITY:
        most = number_format(MAX_GROUP_CAPACITY, force_grouping=True)
        raise ServiceError(
            _("A group's capacity is 1 to %(most)s people (or empty for no limit).")
            % {"most": most}
        )
    language = _valid_language(language)
    if prompts is None:
        prompts = list(paper.prompts.filter(kind=Prompt.Kind.QUESTION)) or list(paper.prompts.all())
    if any(prompt.paper_id != paper.pk for prompt in prompts):
        raise ServiceError(_("Every prompt must come from the session's paper."))
    if not prompts:
        raise ServiceError(_("A session needs at least one prompt."))
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return _create(
                    paper, name, group_count, user, prompts, assignment, group_capacity, language
                )
        except IntegrityError:
            # A join code drawn twice (1 in 244 million): draw again.
            continue
    raise ServiceError(_("Could not draw a free join code; try again."))


def _create(
    paper, name, group_count, user, prompts, assignment, group_capacity, language
) -> Session:
    session = Session.objects.create(
        paper=paper,
        name=name,
        code=generate_join_code(),
        assignment=assignment,
        group_capacity=group_capacity,
        language=language,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    SessionPrompt.objects.bulk_create(
        SessionPrompt(session=session, prompt=prompt, position=index)
        for index, prompt in enumerate(prompts)
    )
    with translation.override(language) if language else nullcontext():
        # Translators: the name a breakout group starts with; the organizer can rename it.
        names = [_("Group %(number)s") % {"number": index + 1} for index in range(group_count)]
    BreakoutGroup.objects.bulk_create(
        BreakoutGroup(session=session, position=index, name=name, current_prompt=prompts[0])
        for index, name in enumerate(names)
    )
    return session


def _valid_language(language: str) -> str:
    """One of the site's languages (settings.LANGUAGES), or empty for none of its own."""
    language = (language or "").strip()
    if language and language not in dict(settings.LANGUAGES):
        raise ServiceError(_("Choose one of the languages in the list."))
    return language


def set_session_language(*, session: Session, language: str) -> None:
    """Speak this language to the session's participants whose browser asks for none of
    the site's, and in its exports (discussions.languages); empty: English."""
    language = _valid_language(language)
    Session.objects.filter(pk=session.pk).update(language=language)


def rename_group(*, group: BreakoutGroup, name: str) -> None:
    name = clean_line(name, what="group name", limit=MAX_GROUP_NAME)
    with transaction.atomic():
        taken = (
            BreakoutGroup.objects.filter(session=group.session_id, name__iexact=name)
            .exclude(pk=group.pk)
            .exists()
        )
        if taken:
            raise ServiceError(
                _("Another group of this session is already called “%(name)s”.") % {"name": name}
            )
        BreakoutGroup.objects.filter(pk=group.pk).update(name=name)


def set_joining_open(*, session: Session, is_open: bool) -> None:
    Session.objects.filter(pk=session.pk).update(joining_open=is_open)


class WrongPassphrase(ServiceError):
    """A join with the session's code but not its passphrase: a guess, counted as one."""


def _tidy(passphrase: str) -> str:
    return " ".join(readable(passphrase).split())


def _spoken(passphrase: str) -> str:
    """A passphrase as it is compared: what people type differently (case, spaces) does
    not count."""
    return _tidy(passphrase).casefold()


def set_passphrase(*, session: Session, passphrase: str) -> None:
    """Ask everyone who joins from now on for this passphrase; empty: the code admits."""
    passphrase = _tidy(passphrase)
    if len(passphrase) > MAX_PASSPHRASE:
        raise ServiceError(
            _("A passphrase is at most %(limit)s characters.") % {"limit": MAX_PASSPHRASE}
        )
    Session.objects.filter(pk=session.pk).update(passphrase=passphrase)


def passphrase_admits(session: Session, typed: str) -> bool:
    if not session.passphrase:
        return True
    return hmac.compare_digest(_spoken(typed).encode(), _spoken(session.passphrase).encode())


_CODE_NOISE = re.compile(r"[\s\-_.]")


def normalise_code(code: str) -> str:
    """What people type: lower case, spaces or dashes in the middle."""
    return _CODE_NOISE.sub("", code).upper()


def find_session(code: str) -> Session:
    """The session a join code opens, or a ServiceError a participant can act on."""
    normalised = normalise_code(code)
    if not normalised:
        raise ServiceError(_("Type the join code shown in your room."))
    if len(normalised) > 12 or not set(normalised) <= set(JOIN_CODE_ALPHABET):
        raise ServiceError(
            _("“%(typed)s” is not a join code: check the code on the screen.")
            % {"typed": code.strip()[:20]}
        )
    session = Session.objects.filter(code=normalised).select_related("paper").first()
    if session is None:
        raise ServiceError(
            _("No session has the code %(code)s: check the code on the screen.")
            % {"code": normalised}
        )
    if not session.accepts_joins():
        raise ServiceError(
            _("Session %(code)s is no longer open for joining.") % {"code": normalised}
        )
    return session


# Names of the roles that speak with authority: a participant so named could pass for one.
STAFF_TITLES = {
    "admin", "administrator", "chair", "facilitator", "host", "moderator", "organiser",
    "organizer", "staff",
}  # fmt: skip


def passes_for_staff(display_name: str) -> bool:
    """Whether the name begins as a staff title ("Facilitator", "the moderator", "Host 2",
    "MODERATOR: Ann"), whatever its case, spacing, punctuation, accents or compatibility
    forms (fullwidth, bold letters)."""
    folded = unicodedata.normalize("NFKD", display_name).casefold()
    words = re.sub(r"[^a-z]+", " ", folded).split()
    if words[:1] == ["the"]:
        words = words[1:]
    return bool(words) and words[0] in STAFF_TITLES


def admissible_name(display_name: str) -> str:
    """A display name as it is kept, or refused: readable, not empty, not too long, and not
    passing for the session's staff."""
    display_name = clean_line(display_name, what="display name", limit=MAX_DISPLAY_NAME)
    if passes_for_staff(display_name):
        raise ServiceError(
            _("“%(name)s” is kept for the session's staff; choose another.")
            % {"name": display_name}
        )
    return display_name


@retry_on_conflict
def join_session(
    *, session: Session, display_name: str, group_id: int | None = None, passphrase: str = ""
) -> Participant:
    """Add a participant to a group of the session, checking code, capacity and choice.

    Placement follows the session: the participant's chosen group, or the least-full one.
    Only a group with a capacity is locked, and only the one being joined, so that two people
    cannot both take its last seat: locking the session serialised every join of a session,
    and in the opening rush the server's request threads all waited on that one row while
    the room's first positions waited for a thread (docs/capacity.md, "Joins and the lock
    order").
    """
    display_name = admissible_name(display_name)
    session = Session.objects.get(pk=session.pk)  # fresh: joining may have closed since
    if not session.accepts_joins():
        raise ServiceError(
            _("Session %(code)s is no longer open for joining.") % {"code": session.code}
        )
    if session.invite_only:
        raise ServiceError(_(INVITE_ONLY))
    if not passphrase_admits(session, passphrase):
        raise WrongPassphrase(
            _("That is not this session's passphrase: ask the organizers for it.")
            if passphrase.strip()
            else _("This session asks for a passphrase: ask the organizers for it.")
        )
    tried: set[int] = set()
    while True:
        with transaction.atomic():
            group = place_participant(session, group_id, tried)
            if group is not None:
                return Participant.objects.create(
                    session=session, group=group, display_name=display_name
                )
        # The least-full group filled up meanwhile: place again, among the others.


# In English, as the tests compare it: gettext(INVITE_ONLY) is the reader's.
INVITE_ONLY = gettext_noop(
    "This session admits by personal invitation: open the link the organizers sent you."
)


def place_participant(
    session: Session, group_id: int | None, tried: set[int]
) -> BreakoutGroup | None:
    """The group to join, locked if it has a capacity to check; None if a group chosen for
    the participant (not by them) filled up meanwhile: the caller places them again, in a
    new transaction, so that one join never holds two groups' locks (services.locks)."""
    capacity = session.group_capacity
    if session.assignment == Session.Assignment.CHOOSE:
        chosen = BreakoutGroup.objects.filter(pk=group_id, session=session).first()
        if chosen is None:
            raise ServiceError(_("Choose one of this session's groups."))
        if capacity is not None and _size(lock_group(chosen.pk)) >= capacity:
            raise ServiceError(
                _("%(group)s is full: choose another group.") % {"group": chosen.name}
            )
        return chosen
    groups = (
        BreakoutGroup.objects.filter(session=session)
        .exclude(pk__in=tried)
        .annotate(size=Count("participants"))
        .order_by("size", "position", "pk")
    )
    candidate = next((g for g in groups if capacity is None or g.size < capacity), None)
    if candidate is None:
        raise ServiceError(_("Every group is full: ask the organizer to make room."))
    if capacity is None:
        return candidate  # least full as read: two joins at once may pick the same group
    if _size(lock_group(candidate.pk)) < capacity:
        return candidate
    tried.add(candidate.pk)
    return None


def _size(group: BreakoutGroup) -> int:
    return Participant.objects.filter(group=group).count()


def assign_facilitator(
    *, session: Session, username: str, group_ids: list[int] | None = None
) -> FacilitatorAssignment:
    """Let a user facilitate the session: every group, or only the groups given.

    Assigning someone again replaces their groups.
    """
    username = username.strip()
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ServiceError(
            _("No active user is called “%(username)s”: create them in the admin.")
            % {"username": username}
        )
    groups = list(BreakoutGroup.objects.filter(session=session, pk__in=group_ids or []))
    if group_ids and len(groups) != len(set(group_ids)):
        raise ServiceError(_("Choose groups of this session."))
    with transaction.atomic():
        assignment, _created = FacilitatorAssignment.objects.get_or_create(
            session=session, user=user
        )
        assignment.groups.set(groups)
    return assignment


def invite_facilitator(
    *, session: Session, username: str, group_ids: list[int] | None = None
) -> tuple[FacilitatorAssignment, str]:
    """A facilitator without an account: the account, with no password yet, assigned to
    the session; and the path of the link that lets them set their password, once (Django's
    password-reset token: it stops working when the password is set, or after
    PASSWORD_RESET_TIMEOUT)."""
    username = clean_line(username, what="username", limit=150)
    User = get_user_model()
    try:
        User.username_validator(username)
    except ValidationError:
        raise ServiceError(
            _("A username is letters, digits and @ . + - _ only, without spaces.")
        ) from None
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ServiceError(
                _("“%(username)s” already has an account: choose them in the list.")
                % {"username": username}
            )
        user = User(username=username)
        user.set_unusable_password()
        user.save()
        assignment = assign_facilitator(session=session, username=username, group_ids=group_ids)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("invite", args=[uid, default_token_generator.make_token(user)])
    return assignment, path


def unassign_facilitator(*, session: Session, user_id: int) -> None:
    FacilitatorAssignment.objects.filter(session=session, user_id=user_id).delete()
