"""Markdown (.md): ATX and setext headings, YAML front matter, footnotes, fenced code, lists
and inline markup, read into sections; a title block typed as text is read as in plain text."""

from __future__ import annotations

import re

from discussions.papers.cleaning import _collapse, _normalise, clean_text
from discussions.papers.parsed import _Document, _Draft
from discussions.papers.title_block import _drop_front_matter, _is_front_matter, _take_title_block

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-{2,})[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(.*)$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_BLOCKQUOTE = re.compile(r"^\s*(?:>\s?)+")
# Spans are bounded so a paragraph full of unclosed markers cannot take quadratic time.
_INLINE = (
    (re.compile(r"!?\[([^\]]{0,500})\]\([^)]{0,500}\)"), r"\1"),  # links keep their text
    (re.compile(r"`([^`]{0,500})`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.{1,500}?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.{1,500}?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<!\w)_(?=\S)(.{1,500}?)(?<=\S)_(?!\w)"), r"\1"),
)


def _parse_markdown(text: str) -> _Document:
    lines = _without_footnote_definitions(_normalise(text).split("\n"))
    yaml_title = _take_yaml_title(lines)
    headings = _markdown_headings(lines)  # (line index, lines used, depth, title)
    first_line = next((i for i, line in enumerate(lines) if line.strip()), None)
    depths = [depth for _, _, depth, _ in headings]
    title = None
    start = 0
    # "# Title" opening a document whose other headings are all deeper is its title.
    if headings and headings[0][0] == first_line and depths[0] == 1 and 1 not in depths[1:]:
        index, used, _, title = headings.pop(0)
        start = index + used
    title = _take_markdown_title_block(lines, start, headings, title or yaml_title)
    # The shallowest heading left is a section, deeper ones subsections.
    top = min((depth for _, _, depth, _ in headings), default=1)
    levels = [1 if depth <= top else 2 for _, _, depth, _ in headings]
    bounds = [index for index, _, _, _ in headings] + [len(lines)]
    drafts = [_Draft(None, 1, *_markdown_body(lines[start : bounds[0]]))]
    for (index, used, _, heading), level, end in zip(headings, levels, bounds[1:], strict=True):
        drafts.append(_Draft(heading, level, *_markdown_body(lines[index + used : end])))
    return _Document(title, tuple(drafts))


_YAML_FENCE = re.compile(r"^(?:---|\.\.\.)\s*$")
_YAML_TITLE = re.compile(r"^title:\s*(.*?)\s*$")
_YAML_MAX_LINES = 50


def _take_yaml_title(lines: list[str]) -> str | None:
    """The title of a YAML front matter block ("---" ... "---") opening a Markdown file, which
    is blanked: its fields (title, date, authors) describe the paper and are no text."""
    if not lines or lines[0].strip() != "---":
        return None
    end = next(
        (i for i in range(1, min(len(lines), _YAML_MAX_LINES)) if _YAML_FENCE.match(lines[i])),
        None,
    )
    if end is None:
        return None
    titles = [_YAML_TITLE.match(line) for line in lines[1:end]]
    title = next((_collapse(match.group(1).strip("\"'")) for match in titles if match), "")
    lines[: end + 1] = [""] * (end + 1)
    return title or None


def _take_markdown_title_block(
    lines: list[str], start: int, headings: list[tuple[int, int, int, str]], title: str | None
) -> str | None:
    """The title, from a title block typed as text above the first heading when no heading
    gave one (read as in plain text); the front matter of the title block is blanked, and a
    first heading that is only front matter ("## Roundtable Discussion Paper") dropped."""
    end = headings[0][0] if headings else len(lines)
    lead = [_inline_markdown(_FOOTNOTE_MARKER.sub("", line)) for line in lines[start:end]]
    heads = [len(lead)] if headings else []  # the first heading stands just after the lead
    if title is None:
        title = _take_title_block(lead, heads)
    else:
        _drop_front_matter(lead, heads)
    for offset, line in enumerate(lead):
        if not line:
            lines[start + offset] = ""
    if title and headings and not any(lead) and len(headings) > 1:
        index, used, _, heading = headings[0]
        empty = not any(line.strip() for line in lines[index + used : headings[1][0]])
        if empty and _is_front_matter([heading], heading_follows=True):
            headings.pop(0)
    return title


_FOOTNOTE_DEFINITION = re.compile(r"^ {0,3}\[\^[^\]\s]{1,50}\]:")
_FOOTNOTE_MARKER = re.compile(r"\[\^([^\]\s]{1,50})\]")


def _without_footnote_definitions(lines: list[str]) -> list[str]:
    """The lines with footnotes' definitions ("[^1]: Source.", and their indented
    continuation lines) blanked: notes are not part of the discussion."""
    kept, in_note = [], False
    for line in lines:
        if _FOOTNOTE_DEFINITION.match(line):
            in_note = True
        elif in_note and not line[:1].isspace():
            in_note = False
        kept.append("" if in_note else line)
    return kept


def _without_footnote_markers(text: str) -> tuple[str, list[int]]:
    """The text without its footnote markers ("grew.[^2]"), and their numbers in order."""
    numbers = [int(label) for label in _FOOTNOTE_MARKER.findall(text) if label.isdigit()]
    return _FOOTNOTE_MARKER.sub("", text), numbers


def _is_setext_at(lines: list[str], index: int) -> bool:
    return index + 1 < len(lines) and bool(_SETEXT.match(lines[index + 1]))


def _markdown_headings(lines: list[str]) -> list[tuple[int, int, int, str]]:
    headings: list[tuple[int, int, int, str]] = []
    in_fence = False
    skip_next = False
    for index, line in enumerate(lines):
        if skip_next:
            skip_next = False
            continue
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _markdown_heading(lines, index)
        if heading:
            depth, title, used = heading
            headings.append((index, used, depth, title))
            skip_next = used == 2
    return headings


def _markdown_heading(lines: list[str], index: int) -> tuple[int, str, int] | None:
    """(depth, title, lines used) when lines[index] opens an ATX or setext heading."""
    line = lines[index]
    atx = _ATX.match(line)
    if atx:
        title = _inline_markdown(atx.group(2) or "")
        return (len(atx.group(1)), title, 1) if title else None
    starts_block = index == 0 or not lines[index - 1].strip()
    if not (starts_block and line.strip() and _is_setext_at(lines, index)):
        return None
    if _LIST_ITEM.match(line) or _RULE.match(line) or _BLOCKQUOTE.match(line):
        return None
    title = _inline_markdown(line)
    depth = 1 if lines[index + 1].strip().startswith("=") else 2
    return (depth, title, 2) if title else None


def _markdown_body(lines: list[str]) -> tuple[str, tuple[int, ...]]:
    plain: list[str] = []
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
            plain.append("")
        elif in_fence:
            plain.append(line)
        else:
            plain.extend(_markdown_line(line))
    unmarked, marked = _without_footnote_markers("\n".join(plain))
    text, footnotes = clean_text(unmarked)
    paragraphs = (_inline_markdown(paragraph) for paragraph in text.split("\n\n"))
    body = "\n\n".join(paragraph for paragraph in paragraphs if paragraph)
    return body, (*marked, *footnotes)


def _markdown_line(line: str) -> list[str]:
    # Real headings never reach the body, so an ATX line here is an empty heading ("#").
    if _ATX.match(line):
        return [""]
    line = _BLOCKQUOTE.sub("", line)
    if _RULE.match(line):
        return [""]
    item = _LIST_ITEM.match(line)
    # Each list item becomes its own paragraph so a list of questions stays separate.
    return ["", item.group(1)] if item else [line]


def _inline_markdown(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return _collapse(text)
