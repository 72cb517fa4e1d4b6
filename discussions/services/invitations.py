"""Personal invitation links: the organizer's list of invitees in, one link each out.

With the join code, anyone can be anyone, as many times as they like (sock puppets, issue 26).
An invitation admits one named person, once: opened again, in any browser, it is the same
participant, so nobody multiplies through it, and a removed participant stays out. With the
session set to admit only invitations, the code alone admits nobody new.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from discussions.models import BreakoutGroup, Invitation, Participant, Session
from discussions.services.errors import ServiceError
from discussions.services.locks import locked, retry_on_conflict
from discussions.services.sessions import admissible_name, place_participant

MAX_INVITEES_FILE = 1_000_000  # bytes: ten thousand lines of names and addresses
MAX_INVITATIONS = 5_000  # per session: more than any conference's breakouts seat
MAX_ERRORS_SHOWN = 5

# What a spreadsheet's first row may call each column, in each of the site's languages,
# compared without case or spaces (folded_heading). Each language's own title of the column
# (invitation_column_titles) is among them: tests/test_invitations.py holds them to it.
HEADINGS = {
    "name": {
        "name", "displayname", "fullname", "participant", "invitee", "person",
        "الاسم", "اسم", "الاسمالكامل", "المشارك", "المدعو",
        "姓名", "名字", "名称", "参与者", "受邀者",
        "nom", "nomcomplet", "prénometnom", "invité", "invitée",
        "имя", "фио", "имяифамилия", "участник", "приглашённый",
        "nombre", "nombrecompleto", "invitado", "invitada",
    },
    "email": {
        "email", "e-mail", "mail", "emailaddress", "e-mailaddress",
        "البريدالإلكتروني", "البريدالالكتروني", "البريد", "بريدإلكتروني",
        "电子邮件", "电子邮箱", "邮箱", "邮件", "电邮",
        "courriel", "adressee-mail", "adresseemail", "mél",
        "эл.почта", "электроннаяпочта", "почта", "адресэлектроннойпочты",
        "correo", "correoelectrónico", "correoelectronico",
    },
    "group": {
        "group", "breakoutgroup", "breakout", "room",
        "المجموعة", "مجموعة", "الفريق",
        "小组", "分组", "组", "组别",
        "groupe", "atelier", "salle",
        "группа", "комната",
        "grupo", "sala",
    },
}  # fmt: skip
# Without a heading row: the name, then the e-mail address, then the group.
ORDER = ("name", "email", "group")


class RemovedInvitee(ServiceError):
    """The invitation's participant was removed by a facilitator: the link admits nobody."""


@dataclass(frozen=True)
class Invitee:
    line: int
    name: str
    email: str
    group: BreakoutGroup | None

    @property
    def key(self) -> str:
        return _key(self.email, self.name)


def invite(*, session: Session, data: bytes) -> tuple[int, int]:
    """Add an invitation for each invitee of a CSV file: (added, already invited).

    Anyone already invited (the same e-mail address, or the same name where there is none)
    is left as they are, so an organizer can upload their list again as it grows. A file
    with any line in error adds nobody, and the message names the lines."""
    invitees = read_invitees(session=session, data=data)
    with transaction.atomic():
        locked(Session.objects).get(pk=session.pk)  # two uploads at once: one after the other
        invited = session.invitations.values_list("email", "name")
        known = {_key(email, name) for email, name in invited}
        new = [invitee for invitee in invitees if invitee.key not in known]
        if len(known) + len(new) > MAX_INVITATIONS:
            raise ServiceError(
                _("A session has at most %(most)s invitations; this list would make %(count)s.")
                % {
                    "most": number_format(MAX_INVITATIONS, force_grouping=True),
                    "count": number_format(len(known) + len(new), force_grouping=True),
                }
            )
        Invitation.objects.bulk_create(
            Invitation(session=session, name=i.name, email=i.email, group=i.group) for i in new
        )
    return len(new), len(invitees) - len(new)


def _key(email: str, name: str) -> str:
    """Who an invitee is, to find them again in a list uploaded twice."""
    return email.casefold() if email else name.casefold()


def read_invitees(*, session: Session, data: bytes) -> list[Invitee]:
    """The invitees of a CSV file (comma, semicolon or tab separated, as spreadsheets save
    it), checked as a join checks a display name; a ServiceError naming the lines in error."""
    if len(data) > MAX_INVITEES_FILE:
        raise ServiceError(
            _("The list is %(size)s MB; at most %(limit)s MB is read.")
            % {
                "size": number_format(round(len(data) / 1_000_000, 1), 1),
                "limit": MAX_INVITEES_FILE // 1_000_000,
            }
        )
    rows = [
        (number, [cell.strip() for cell in row])
        for number, row in enumerate(csv.reader(io.StringIO(_decoded(data)), _dialect(data)), 1)
        if any(cell.strip() for cell in row)
    ]
    if not rows:
        raise ServiceError(_("The list is empty: one invitee a line, their name first."))
    columns = _columns(rows[0][1])
    if columns is None:
        columns = dict(zip(ORDER, range(3), strict=True))
    else:
        rows = rows[1:]
        if "name" not in columns:
            raise ServiceError(
                _("The list needs a column of names, headed “%(name)s”.")
                % {"name": invitation_column_titles()["name"]}
            )
    groups = _groups_by_name(session)
    invitees, errors, first_line = [], [], {}
    for number, cells in rows:
        try:
            invitee = _invitee(number, cells, columns, groups)
        except ServiceError as error:
            errors.append(_line_error(number, str(error)))
            continue
        if invitee.key in first_line:
            twice = _(
                "%(name)s is on line %(first)s too; add their e-mail addresses to tell two "
                "people apart"
            ) % {"name": invitee.name, "first": first_line[invitee.key]}
            errors.append(_line_error(number, twice))
            continue
        first_line[invitee.key] = number
        invitees.append(invitee)
    if errors:
        raise ServiceError(_nobody_invited(errors))
    return invitees


def _line_error(number: int, problem: str) -> str:
    # Translators: one problem of a list of invitees, in a list of them; %(problem)s is
    # what is wrong with the line (a sentence of its own, or a clause such as “x” is
    # not an e-mail address).
    return _("line %(number)s: %(problem)s") % {"number": number, "problem": problem}


def _nobody_invited(errors: list[str]) -> str:
    """The refusal of a list with lines in error, naming the first few."""
    # Translators: what separates the problems of a list of invitees, one from the next.
    shown = pgettext("between problems of a list", "; ").join(errors[:MAX_ERRORS_SHOWN])
    more = len(errors) - MAX_ERRORS_SHOWN
    if more > 0:
        # Translators: %(problems)s is a list of problems ("line 2: ...; line 5: ..."),
        # %(more)s how many more there are.
        return ngettext(
            "Nobody was invited: correct the list and upload it again. %(problems)s; "
            "and %(more)s more.",
            "Nobody was invited: correct the list and upload it again. %(problems)s; "
            "and %(more)s more.",
            more,
        ) % {"problems": shown, "more": more}
    # Translators: %(problems)s is a list of problems ("line 2: ...; line 5: ...").
    return _("Nobody was invited: correct the list and upload it again. %(problems)s.") % {
        "problems": shown
    }


def _decoded(data: bytes) -> str:
    """Text as spreadsheets save it: UTF-8 (with or without its mark), UTF-16 with its mark,
    or the Windows code page of an older Excel's "CSV"."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _dialect(data: bytes) -> type[csv.Dialect] | csv.Dialect:
    sample = _decoded(data[:4096]).split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:  # one column: no separator to find
        return csv.excel


def invitation_column_titles() -> dict[str, str]:
    """The columns' titles in the active language: the links' spreadsheet heads its
    columns so, and the upload form tells the organizer to."""
    return {
        "name": pgettext("a column of the list of invitees", "Name"),
        "email": pgettext("a column of the list of invitees", "Email"),
        "group": pgettext("a column of the list of invitees", "Group"),
        "link": pgettext("a column of the list of invitees", "Link"),
        "joined": pgettext("a column of the list of invitees", "Joined"),
    }


def folded_heading(cell: str) -> str:
    """A heading as HEADINGS holds it: without case or spaces."""
    return "".join(cell.casefold().split())


def _columns(first: list[str]) -> dict[str, int] | None:
    """The columns a heading row names, or None when the first row is an invitee."""
    found = {}
    for index, cell in enumerate(first):
        folded = folded_heading(cell)
        for column, names in HEADINGS.items():
            if folded in names and column not in found:
                found[column] = index
    return found or None


def _groups_by_name(session: Session) -> dict[str, BreakoutGroup]:
    """A session's groups by what a list may call them: their name or their number."""
    groups = {}
    for number, group in enumerate(session.groups.order_by("position", "pk"), 1):
        groups[str(number)] = group
        groups[" ".join(group.name.casefold().split())] = group
    return groups


def _invitee(
    number: int, cells: list[str], columns: dict[str, int], groups: dict[str, BreakoutGroup]
) -> Invitee:
    def cell(column: str) -> str:
        index = columns.get(column)
        return cells[index] if index is not None and index < len(cells) else ""

    name = admissible_name(cell("name"))
    email = cell("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceError(
                # Translators: a problem of a line of a list of invitees, after “line 3:”.
                _("“%(email)s” is not an e-mail address") % {"email": email[:60]}
            ) from None
    group = None
    if wanted := " ".join(cell("group").casefold().split()):
        group = groups.get(wanted)
        if group is None:
            raise ServiceError(
                # Translators: a problem of a line of a list of invitees, after “line 3:”.
                _("this session has no group “%(group)s”") % {"group": cell("group")[:60]}
            )
    return Invitee(number, name, email, group)


def set_invite_only(*, session: Session, invite_only: bool) -> None:
    Session.objects.filter(pk=session.pk).update(invite_only=invite_only)


def withdraw_invitation(*, invitation: Invitation) -> None:
    """Take back an invitation nobody has used yet; one in use is ended by removing its
    participant, on their group's page."""
    with transaction.atomic():
        invitation = locked(Invitation.objects).get(pk=invitation.pk)
        if invitation.participant_id is not None:
            raise ServiceError(
                _("%(name)s has joined: remove them from their group's page instead.")
                % {"name": invitation.name}
            )
        invitation.delete()


@retry_on_conflict
def join_invited(
    *, invitation: Invitation, display_name: str, group_id: int | None = None
) -> Participant:
    """The participant an invitation admits: made at its first use, the same one after.

    The invitation is locked while its participant is made, so that the link opened in two
    browsers at once makes one participant. Neither the passphrase nor invite-only applies:
    the personal link is the stronger proof. The organizer's placement in the list wins
    over the group's capacity, as they chose it.
    """
    display_name = admissible_name(display_name or invitation.name)
    tried: set[int] = set()
    while True:
        with transaction.atomic():
            invitation = locked(Invitation.objects).get(pk=invitation.pk)
            if invitation.participant_id is not None:
                return _returning(invitation.participant)
            session = Session.objects.get(pk=invitation.session_id)
            if not session.accepts_joins():
                raise ServiceError(
                    _("Session %(code)s is no longer open for joining.") % {"code": session.code}
                )
            group = invitation.group or place_participant(session, group_id, tried)
            if group is not None:
                participant = Participant.objects.create(
                    session=session, group=group, display_name=display_name
                )
                invitation.participant = participant
                invitation.save(update_fields=["participant"])
                return participant


def returning_invitee(invitation: Invitation) -> Participant | None:
    """The participant an invitation made, if it was used; refused if they were removed."""
    if invitation.participant_id is None:
        return None
    return _returning(invitation.participant)


def _returning(participant: Participant) -> Participant:
    if participant.removed_at is not None:
        raise RemovedInvitee(_("A facilitator removed you from this session."))
    return participant


def find_invitation(token: str) -> Invitation:
    invitation = (
        Invitation.objects.filter(token=token)
        .select_related("session", "group", "participant__group")
        .first()
        if len(token) <= 32
        else None
    )
    if invitation is None:
        raise ServiceError(
            _(
                "This invitation link does not exist: it may have been withdrawn, or "
                "mistyped. Ask the organizers for yours."
            )
        )
    return invitation
