"""Headings, whatever the format: which lines are headings (by shape and isolation, since
plain and PDF text have no markup), their numbers, and their levels (from the numbers, or
from a section that announces its subsections)."""

from __future__ import annotations

import re

from discussions.papers.cleaning import _collapse, _strip_footnotes
from discussions.papers.limits import MAX_SECTIONS

# fmt: off
_FUNCTION_WORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "to", "for", "from",
    "by", "with", "within", "without", "into", "over", "under", "is", "are", "was", "were",
    "be", "as", "vs", "via", "per", "than", "about", "after", "before", "between", "against",
    "through", "up", "down", "its", "their", "our",
})
# fmt: on
# A heading's number: arabic, with a part per level ("2", "2.", "2.1"), or a roman numeral
# with its point ("IV."), which numbers a paper's top-level parts.
_SECTION_NUMBER = re.compile(
    r"^(?:(?P<arabic>\d{1,2}(?:\.\d{1,2})*)\.?|(?P<roman>(?=[IVX])X{0,3}(?:IX|IV|V?I{0,3}))\.)"
    r"\s+(?=\S)"
)
_SENTENCE_CLOSERS = (".", "?", "!", "”", '"')
_HEADING_BAD_ENDINGS = (".", ",", ";", "!", "?", "…", "-")
_QUOTES = "“”‘’\"'«»„"
_SIGNPOST_MAX_WORDS = 150


# Section names that open papers: a first line reading so is the first section, not a title.
_SECTION_NAMES = frozenset({
    "introduction", "background", "overview", "summary", "executive summary", "context",
    "purpose", "objectives", "objective", "aim", "aims", "scope", "abstract", "preface",
    "foreword", "contents", "table of contents", "key messages", "key points",
})  # fmt: skip


def _next_line(lines: list[str], index: int) -> int | None:
    return next((i for i in range(index, len(lines)) if lines[i].strip()), None)


def _plain_heading(line: str) -> str:
    """A heading's words without its number ("2.1 Background" -> "Background")."""
    number = _SECTION_NUMBER.match(line)
    return line[number.end() :] if number else line


def _unnumbered(title: str) -> str:
    """A Markdown or Word heading's words without a number that has a point ("3.", "2.1",
    "IV."): the level came from the heading's style. A bare leading number may be part of
    the words ("10 Years After Paris"), so it stays."""
    number = _SECTION_NUMBER.match(title)
    return title[number.end() :] if number and "." in number.group(0) else title


def _is_heading(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if not _is_heading_text(line):
        return False
    next_is_blank = index + 1 >= len(lines) or not lines[index + 1].strip()
    return next_is_blank and (index == 0 or _ends_paragraph(lines[index - 1]))


_SENTENCE_CASE_HEADING_WORDS = 10


def _sentence_case_heads(lines: list[str]) -> list[int]:
    """Headings written in sentence case ("Why the agreement matters"), for a paper with
    no title-case headings: short capitalised lines standing alone between blank lines,
    with no closing punctuation, each over a paragraph that ends a sentence. Two at least,
    so that one short line of a letter ("Thanks to all of you") stays text, and no more
    than a paper may have sections: past that the lines are not headings (a list, a poem),
    and the search stops there rather than spend a hostile file's time."""
    heads: list[int] = []
    for index in range(len(lines)):
        if _is_sentence_case_heading(lines, index):
            heads.append(index)
            if len(heads) > MAX_SECTIONS:
                return []
    return heads if len(heads) >= 2 else []


def _is_sentence_case_heading(lines: list[str], index: int) -> bool:
    if index > 0 and lines[index - 1].strip():
        return False
    if index + 1 < len(lines) and lines[index + 1].strip():
        return False
    line = _collapse(lines[index])
    if not line or len(line.split()) > _SENTENCE_CASE_HEADING_WORDS or not line[0].isupper():
        return False
    if line.endswith((*_HEADING_BAD_ENDINGS, ":")) or line[0] in _QUOTES:
        return False
    start = _next_line(lines, index + 1)
    if start is None:
        return False
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return _ends_paragraph(lines[end - 1])


def _ends_paragraph(line: str) -> bool:
    # A heading glued under a paragraph's last line (a PDF page break) still counts.
    stripped, _ = _strip_footnotes(line.strip())
    return not stripped or stripped.endswith(_SENTENCE_CLOSERS)


def _is_heading_text(line: str) -> bool:
    words = line.split()
    if not 2 <= len(line) <= 120 or len(words) > 14:
        return False
    if line.endswith(_HEADING_BAD_ENDINGS) or line[0] in _QUOTES:
        return False
    number = _SECTION_NUMBER.match(line)
    rest = line[number.end() :] if number else line
    return rest[:1].isupper() and all(_is_title_word(word) for word in rest.split())


def _is_title_word(word: str) -> bool:
    core = word.lstrip("([{" + _QUOTES).rstrip(")]},;:." + _QUOTES)
    if not any(char.isalnum() for char in core) or core.lower() in _FUNCTION_WORDS:
        return True
    # A name may begin with a lowercase particle: "el-Sheikh", "al-Aqsa".
    last = core.rsplit("-", 1)[-1]
    return core[0].isupper() or core[0].isdigit() or core[0] == "&" or last[:1].isupper()


def _numbering(line: str) -> int:
    """0 for an unnumbered heading, else how many parts its number has ("2.1" -> 2)."""
    match = _SECTION_NUMBER.match(line.strip())
    if not match:
        return 0
    return len(match.group("arabic").split(".")) if match.group("arabic") else 1


def _plain_levels(titles: list[str], bodies: list[str]) -> list[int]:
    if any(_numbering(title) for title in titles):
        return [2 if _numbering(title) >= 2 else 1 for title in titles]
    return _signposted_levels(titles, bodies)


def _signposted_levels(titles: list[str], bodies: list[str]) -> list[int]:
    # Plain text has no heading levels, but papers often open a section with one short
    # paragraph announcing what follows ("eroding from within as it is targeted from
    # without"). When a level-1 section's body is a single paragraph of at most 150 words,
    # the headings right after it are its subsections (level 2) for as long as each title
    # is mostly announced in that paragraph: at least half of the title's content words
    # share a prefix of min(5, shorter length) letters with a word of the paragraph, the
    # shorter word having 4+ letters. The first title that is not announced is level 1
    # again and may itself be a signposting section. The untitled lead is never one.
    levels: list[int] = []
    announcer: str | None = None
    for title, body in zip(titles, bodies, strict=True):
        if announcer is not None and _is_announced(title, announcer):
            levels.append(2)
            continue
        levels.append(1)
        is_signpost = body and "\n\n" not in body and len(body.split()) <= _SIGNPOST_MAX_WORDS
        announcer = body if is_signpost else None
    return levels


def _is_announced(title: str, paragraph: str) -> bool:
    content = _content_words(title)
    words = set(re.findall(r"[^\W\d_]+", paragraph.lower()))
    matched = sum(1 for word in content if any(_words_match(word, other) for other in words))
    return bool(content) and 2 * matched >= len(content)


def _content_words(title: str) -> list[str]:
    tokens = re.split(r"[\s\-:/]+", title.lower())
    words = [re.sub(r"[^\w]|\d|_", "", token) for token in tokens]
    return [word for word in words if word and word not in _FUNCTION_WORDS]


def _words_match(first: str, second: str) -> bool:
    shorter = min(len(first), len(second))
    if shorter < 4:
        return False
    need = min(5, shorter)
    return first[:need] == second[:need]
