"""What every service shares: the refusal it raises and the clean-up of people's text."""

import re
import unicodedata


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


def clean_line(value: str, *, what: str, limit: int) -> str:
    """Readable, white space collapsed; refuse an empty or oversize value with a message
    naming it."""
    cleaned = " ".join(readable(value).split())
    if not has_something_to_read(cleaned):
        raise ServiceError(f"The {what} cannot be empty.")
    if len(cleaned) > limit:
        raise ServiceError(f"The {what} is {len(cleaned)} characters; the limit is {limit}.")
    return cleaned
