"""The title block opening a paper: its title, and the front matter around it (the paper's
kind, venue, date or authors), which is neither a section nor the paper's opening. Plain
text, PDF, Markdown and Word all read it with these rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from discussions.papers.cleaning import _collapse, _strip_footnotes
from discussions.papers.headings import (
    _FUNCTION_WORDS,
    _SECTION_NAMES,
    _is_heading_text,
    _next_line,
    _numbering,
    _plain_heading,
)

_TITLE_BLOCK_LINES = 3  # a title over two lines, and a subtitle or a kind ("Concept Note")
_FRONT_MATTER_BLOCKS = 2  # under the title: its kind or series, then its venue and date


def _take_title_block(lines: list[str], heads: list[int]) -> str | None:
    """The paper's title from the block of short title-like lines opening the text, which
    are blanked with the front matter around it (see _is_front_matter), and the headings
    they made taken off `heads`; None when there is none.

    An ALL-CAPS kind line opening the paper ("CONCEPT NOTE"), alone or atop the title's
    block, is front matter, not the title. Then one line counts only when at least one
    more heading follows and it is neither numbered nor a section's name ("Introduction"):
    otherwise it is simply the first section. Two or three lines count when a heading
    follows; their title is joined as _title_lines says.
    """
    blocks = _line_blocks(lines)
    opening = next(blocks, None)
    if opening is None:
        return None
    taken = [opening]
    title = None
    if _is_kind_block(lines, opening):
        following = next(blocks, None)
        title = following and _title_of(lines, heads, following)
        taken = [opening, following] if title else taken
    title = title or _title_of(lines, heads, opening)
    if not title:
        return None
    for first, end in taken:
        lines[first:end] = [""] * (end - first)
    heads[:] = [head for head in heads if head >= taken[-1][1]]
    _drop_front_matter(lines, heads)
    return title


def _drop_front_matter(lines: list[str], heads: list[int]) -> None:
    """Blank the front matter under a title (see _is_front_matter) that opens `lines`, with
    the headings it made. `heads` may hold len(lines): a heading after the text."""
    blocks = _line_blocks(lines)
    for (first, end), _ in zip(blocks, range(_FRONT_MATTER_BLOCKS), strict=False):
        following = _next_line(lines, end)
        heading_follows = (len(lines) if following is None else following) in heads
        if not _is_front_matter(lines[first:end], heading_follows):
            return
        lines[first:end] = [""] * (end - first)
        heads[:] = [head for head in heads if head >= end]


def _line_blocks(lines: list[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of non-blank lines, in order."""
    index = 0
    while index < len(lines):
        if lines[index].strip():
            end = next((i for i in range(index, len(lines)) if not lines[i].strip()), len(lines))
            yield index, end
            index = end
        index += 1


def _title_of(lines: list[str], heads: list[int], bounds: tuple[int, int]) -> str | None:
    first, end = bounds
    block = [_collapse(line) for line in lines[first:end]]
    # A kind line atop the title's own lines ("CONCEPT NOTE" over the title) is no part of it.
    while len(block) > 1 and _is_kind_line(block[0]) and not block[1].isupper():
        block, first = block[1:], first + 1
    if len(block) > _TITLE_BLOCK_LINES or _numbering(block[0]):
        return None
    if not (_is_title_text(block[0]) and all(map(_is_title_continuation, block[1:]))):
        return None
    if len(block) == 1:
        is_title = any(head > first for head in heads)
        is_title = is_title and _plain_heading(block[0]).lower() not in _SECTION_NAMES
    else:
        is_title = any(head >= end for head in heads)
    return _title_lines(block) if is_title else None


def _is_title_text(line: str) -> bool:
    # A title may ask the paper's question ("Can the G20 Deliver Faster Debt Relief?"),
    # or end in a comma or a colon where it wraps; a heading may not.
    return _is_heading_text(line.removesuffix("?")) or (
        line.endswith((":", ",")) and _is_heading_text(line[:-1])
    )


def _is_title_continuation(line: str) -> bool:
    # A title wrapped by the page may go on with a function word ("on Refugees Five Years On").
    first_word = line.split(" ", 1)[0]
    return _is_title_text(line) or (
        first_word in _FUNCTION_WORDS and _is_title_text(line[:1].upper() + line[1:])
    )


# A title wraps when it is wider than the page, so a line this long may run on into the next.
_WRAPPED_TITLE_CHARS = 35


def _title_lines(block: list[str]) -> str:
    """The title a block of title lines spells. A line ending in a colon, a comma, a dash or
    a function word runs on into the next, and so does a long line (a title wrapped by the
    page's width) over a line that is not front matter (a kind, a date); the first line that
    does not run on closes the title, and what is under it (a subtitle, the paper's kind) is
    left out."""
    title = block[0]
    for previous, line in pairwise(block):
        last_word = previous.rsplit(" ", 1)[-1].lower()
        runs_on = previous.endswith((":", ",", "–", "—")) or last_word in _FUNCTION_WORDS
        wrapped = len(previous) >= _WRAPPED_TITLE_CHARS and not _reads_as_front_matter(line)
        if not (runs_on or wrapped):
            break
        title = f"{title} {line}"
    return title


# What a paper calls itself ("Roundtable Discussion Paper", "Concept Note", "Policy Brief").
_DOCUMENT_KINDS = frozenset({
    "paper", "note", "brief", "briefing", "report", "memo", "memorandum", "proposal",
})  # fmt: skip
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATED = re.compile(rf"\b(?:{_MONTHS})\b.*\b(?:19|20)\d\d\b|\b(?:19|20)\d\d$", re.IGNORECASE)
_LABEL = re.compile(r"^[^\W\d_][\w ]{0,20}:\s")  # "Date: ", "Venue: ", "Organisers: "


def _reads_as_front_matter(line: str) -> bool:
    """Whether a line names a paper's kind, a date or a labelled detail (the venue)."""
    words = re.findall(r"[^\W\d_]+", line.lower())
    return any(word in _DOCUMENT_KINDS for word in words) or bool(
        _DATED.search(line) or _LABEL.match(line)
    )


def _ends_with_kind(line: str) -> bool:
    words = re.findall(r"[^\W\d_]+", line.lower())
    return bool(words) and words[-1] in _DOCUMENT_KINDS


def _is_kind_line(line: str) -> bool:
    """An ALL-CAPS line naming the paper's kind: "CONCEPT NOTE", "ROUNDTABLE DISCUSSION PAPER"."""
    return line.isupper() and len(line.split()) <= 5 and _ends_with_kind(line)


def _is_kind_block(lines: list[str], bounds: tuple[int, int]) -> bool:
    return all(_is_kind_line(_collapse(line)) for line in lines[bounds[0] : bounds[1]])


_FRONT_MATTER_MAX_WORDS = 14


def _is_front_matter(lines: list[str], heading_follows: bool) -> bool:
    """Whether a block under the title is more of the title block: the paper's kind, venue,
    date or authors ("Policy Brief, Nordic Security Conference, Tromsø", "Date: 5 May
    2025"), and so neither a section nor the paper's opening.

    Such lines are short, make no sentence and name a kind, a date or a labelled detail.
    A single heading-shaped line must also show it is no heading: a list of places and
    names (a comma), a kind as its last word, or no text of its own before the next
    heading ("A Note on Methods" over a paragraph is a section). A numbered line or a
    section's name never is front matter.
    """
    block = [_strip_footnotes(_collapse(line))[0] for line in lines]
    if len(block) > _TITLE_BLOCK_LINES or any(_numbering(line) for line in block):
        return False
    if any(
        len(line.split()) > _FRONT_MATTER_MAX_WORDS or line.endswith((".", "?", "!"))
        for line in block
    ):
        return False
    if not any(_reads_as_front_matter(line) for line in block):
        return False
    if len(block) > 1 or not _is_heading_text(block[0]):
        return True
    line = block[0]
    if _plain_heading(line).lower() in _SECTION_NAMES:
        return False
    return "," in line or _ends_with_kind(line) or heading_follows
