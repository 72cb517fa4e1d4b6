"""What every service shares: the refusal it raises and the clean-up of people's text."""

import re
import unicodedata

from django.utils.translation import gettext, gettext_lazy, ngettext_lazy


class ServiceError(Exception):
    """A refused write. str(error) is a one-line message fit to show the person."""


# Characters that change how the text around them is shown and show nothing themselves:
# direction marks, embeddings, overrides and isolates (a right-to-left override in a name
# reversed the rest of its line), zero-width spaces and joiners' look-alikes, the byte order
# mark, soft hyphens, tags. Kept: the zero-width joiner and non-joiner, which Arabic and
# Indic scripts and emoji sequences need (they only join or part their neighbours).
INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufeff\uffa0\U000e0000-\U000e007f]"
)
KEPT_JOINERS = "\u200c\u200d"
# Controls but the line breaks a multi-line text keeps (tabs become spaces below).
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def readable(value: str) -> str:
    """The text as it is kept and shown: composed (NFC, so that "é" is one character however
    it was typed), without invisible or direction-changing characters and controls."""
    value = unicodedata.normalize("NFC", value).replace("\t", " ")
    return CONTROLS.sub("", INVISIBLE.sub("", value))


def has_something_to_read(value: str) -> bool:
    """Whether anything but white space and joiners is left to see."""
    return any(not ch.isspace() and ch not in KEPT_JOINERS for ch in value)


# What clean_line refuses, whole sentences for each text it checks (by the `what` its callers
# name): a translation cannot slot an English noun into a sentence of another language, whose
# words agree with it in gender and case. A text not in the list gets the general sentences.
REFUSALS = {
    "title": (
        gettext_lazy("The title cannot be empty."),
        ngettext_lazy(
            "The title is %(count)s character; the limit is %(limit)s.",
            "The title is %(count)s characters; the limit is %(limit)s.",
            "count",
        ),
    ),
    "section title": (
        gettext_lazy("The section title cannot be empty."),
        ngettext_lazy(
            "The section title is %(count)s character; the limit is %(limit)s.",
            "The section title is %(count)s characters; the limit is %(limit)s.",
            "count",
        ),
    ),
    "question": (
        gettext_lazy("The question cannot be empty."),
        ngettext_lazy(
            "The question is %(count)s character; the limit is %(limit)s.",
            "The question is %(count)s characters; the limit is %(limit)s.",
            "count",
        ),
    ),
    "session name": (
        gettext_lazy("The session name cannot be empty."),
        ngettext_lazy(
            "The session name is %(count)s character; the limit is %(limit)s.",
            "The session name is %(count)s characters; the limit is %(limit)s.",
            "count",
        ),
    ),
    "group name": (
        gettext_lazy("The group name cannot be empty."),
        ngettext_lazy(
            "The group name is %(count)s character; the limit is %(limit)s.",
            "The group name is %(count)s characters; the limit is %(limit)s.",
            "count",
        ),
    ),
    "display name": (
        gettext_lazy("The display name cannot be empty."),
        ngettext_lazy(
            "The display name is %(count)s character; the limit is %(limit)s.",
            "The display name is %(count)s characters; the limit is %(limit)s.",
            "count",
        ),
    ),
    "username": (
        gettext_lazy("The username cannot be empty."),
        ngettext_lazy(
            "The username is %(count)s character; the limit is %(limit)s.",
            "The username is %(count)s characters; the limit is %(limit)s.",
            "count",
        ),
    ),
    "reason for hiding": (
        gettext_lazy("The reason for hiding cannot be empty."),
        ngettext_lazy(
            "The reason for hiding is %(count)s character; the limit is %(limit)s.",
            "The reason for hiding is %(count)s characters; the limit is %(limit)s.",
            "count",
        ),
    ),
    "reason for rejecting": (
        gettext_lazy("The reason for rejecting cannot be empty."),
        ngettext_lazy(
            "The reason for rejecting is %(count)s character; the limit is %(limit)s.",
            "The reason for rejecting is %(count)s characters; the limit is %(limit)s.",
            "count",
        ),
    ),
}


def clean_line(value: str, *, what: str, limit: int) -> str:
    """Readable, white space collapsed; refuse an empty or oversize value with a message
    naming it (REFUSALS)."""
    cleaned = " ".join(readable(value).split())
    empty, too_long = REFUSALS.get(what, (None, None))
    if not has_something_to_read(cleaned):
        if empty is None:
            # Translators: %(what)s names the text in English ("reason"): a text the
            # list of refusals does not know yet.
            raise ServiceError(gettext("The %(what)s cannot be empty.") % {"what": what})
        raise ServiceError(str(empty))
    if len(cleaned) > limit:
        if too_long is None:
            # Translators: %(what)s names the text in English ("reason"): a text the
            # list of refusals does not know yet.
            message = gettext("The %(what)s is %(count)s characters; the limit is %(limit)s.")
            raise ServiceError(message % {"what": what, "count": len(cleaned), "limit": limit})
        raise ServiceError(too_long % {"count": len(cleaned), "limit": limit})
    return cleaned
