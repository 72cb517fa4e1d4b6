"""Cleaning extracted text into paragraphs: line breaks and control characters, list items,
words hyphenated across lines, and footnote numbers glued to sentence ends."""

from __future__ import annotations

import re
from collections.abc import Iterator

# Control characters (Unicode category Cc) other than the line and page breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_CONTROL_OR_REPLACEMENT = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufffd]")


_LINE_BREAKS = re.compile(r"\r\n?|[\f\v\x85\u2028\u2029]")
_HYPHEN_AT_END = re.compile(r"[^\W_]-$")
_BULLETS = "•▪◦●‣"
# Typed list markers: a hyphen or asterisk, or an item number ("1.", "2)").
_TYPED_MARKER = re.compile(r"(?:[-*]|\d{1,2}[.)])\s+(?=\S)")
_ITEM_MAY_FOLLOW = (".", "?", "!", ":", ";", "”", '"', ")")
_FOOTNOTE = re.compile(
    # after sentence punctuation (not a decimal point), optionally behind a closing quote
    r"(?<=[^\d\s][.?!;:,])[”’\"]{0,2}(?P<glued>\d{1,3})(?=\s|$)"
    # right after a closing quote that follows a word: `order”20`
    r"|(?<=[^\W\d_][”’\"])(?P<quoted>\d{1,3})(?=\s|$)"
    # one space after punctuation and a closing quote: `losing;” 12 however`
    r"|(?<=[^\d\s][.?!;:,][”’\"]) (?P<spaced>\d{1,3})(?=\s|$)"
    # after a year ending a sentence, when a new sentence follows: `by 2030.1  Who`
    r"|(?<=\b(?:19|20)\d\d\.)(?P<year>\d{1,3})(?=\s+[A-Z“\"‘])"
)


def clean_text(raw: str) -> tuple[str, tuple[int, ...]]:
    """Clean extracted plain text; return it and the footnote numbers removed, in order.

    Paragraphs (separated by blank lines) become single lines joined by "\\n\\n"; a line
    ending in "letter-" joins the next without a space, keeping the hyphen.
    """
    paragraphs: list[str] = []
    footnotes: list[int] = []
    for block in _blocks(_normalise(raw)):
        paragraph, numbers = _strip_footnotes(_join_lines(block))
        if paragraph:
            paragraphs.append(paragraph)
            footnotes.extend(numbers)
    return "\n\n".join(paragraphs), tuple(footnotes)


def _normalise(raw: str) -> str:
    return _CONTROL.sub("", _LINE_BREAKS.sub("\n", raw))


def _blocks(text: str) -> Iterator[list[str]]:
    block: list[str] = []
    in_list = False
    for line in text.split("\n"):
        stripped = line.strip()
        item = _list_item(stripped, block[-1] if block else None, in_list) if stripped else None
        if item is not None:
            # A list item starts its own paragraph so a list of questions stays a list.
            if block:
                yield block
            block, in_list = [item], True
        elif stripped:
            in_list = in_list and bool(block)  # a paragraph after a blank line ends a list
            block.append(stripped)
        elif block:
            yield block
            block = []
    if block:
        yield block


def _list_item(line: str, previous: str | None, in_list: bool) -> str | None:
    """The text of the list item that `line` starts, without its marker; None when it
    starts none.

    A bullet always starts one. A typed marker ("- ", "2. ") may also be a wrapped line of
    a sentence ("grew by" over "2. The rest"), so it starts an item only after a line that
    ends a sentence or clause (or a blank line), and only when the item is capitalised or
    a list is already under way ("Aims:" over "- to take stock;").
    """
    if line[:1] in _BULLETS:
        return line[1:]
    marker = _TYPED_MARKER.match(line)
    if not marker:
        return None
    if previous is not None and not previous.endswith(_ITEM_MAY_FOLLOW):
        return None
    item = line[marker.end() :]
    opens_list = in_list or (previous is not None and previous.endswith(":"))
    return item if item[:1].isupper() or opens_list else None


def _join_lines(lines: list[str]) -> str:
    pieces: list[str] = []
    for line in lines:
        previous = pieces[-1] if pieces else ""
        if _HYPHEN_AT_END.search(previous[-2:]):
            # PDF extraction only breaks lines after a real hyphen ("member-" + "state").
            pieces.append(line)
        elif previous.endswith("\u00ad"):
            pieces[-1] = previous[:-1]
            pieces.append(line)
        else:
            pieces.extend([" ", line] if pieces else [line])
    return _collapse("".join(pieces))


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _strip_footnotes(text: str) -> tuple[str, list[int]]:
    numbers: list[int] = []

    def remove(match: re.Match[str]) -> str:
        name = match.lastgroup or "glued"
        numbers.append(int(match.group(name)))
        return match.group(0)[: match.start(name) - match.start(0)].rstrip(" ")

    return _collapse(_FOOTNOTE.sub(remove, text)), numbers
