"""What a paper's file name tells: its extension, and a title when the paper has no title
line."""

from __future__ import annotations

import re

from discussions.papers.headings import _FUNCTION_WORDS


def title_from_filename(filename: str) -> str:
    """A title from a file name: us-multilateralism_paper.txt -> US Multilateralism Paper."""
    name = _basename(filename)
    stem = name.rpartition(".")[0] if "." in name else name
    words = [word for word in re.split(r"[\s_\-]+", stem) if word]
    title = " ".join(_title_word(word, first=index == 0) for index, word in enumerate(words))
    return title if any(char.isalnum() for char in title) else "Untitled paper"


# Acronyms a file name writes in lower case ("us-multilateralism.txt"): the institutions and
# groupings policy papers name most. Not "who": the pronoun is the likelier word in a name.
_ACRONYMS = frozenset({
    "us", "usa", "uk", "un", "eu", "au", "wto", "nato", "imf", "oecd", "asean", "brics", "unga",
    "unsc", "undp", "unep", "unhcr", "unicef", "unesco", "iaea", "icc", "icj", "ilo", "fao",
    "wfp", "ai", "sdg", "sdgs", "ngo", "ngos", "osce", "opec", "mercosur", "ecowas",
})  # fmt: skip


def _title_word(word: str, *, first: bool) -> str:
    lower = word.lower()
    # Letters with digits are a name's code ("g20", "cop28"); the rest keep what capitals
    # they have ("NATO", "McKinsey"), only their first letter raised.
    if lower in _ACRONYMS or (re.search(r"[^\W\d_]", word) and re.search(r"\d", word)):
        return word.upper()
    if not first and lower in _FUNCTION_WORDS and word == lower:
        return lower
    return word[:1].upper() + word[1:]


def _basename(filename: str) -> str:
    # Some browsers send the client's full Windows path as the upload name.
    return re.split(r"[\\/]", filename.strip())[-1].strip()


def _extension(filename: str) -> str:
    name = _basename(filename)
    return "." + name.rpartition(".")[2].lower() if "." in name else ""
