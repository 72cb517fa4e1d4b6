"""Questions: the question sentences of a text, and the paper's framing questions (those
taken out of the section that poses them to frame the whole discussion)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from discussions.papers.headings import _SECTION_NAMES, _plain_heading
from discussions.papers.parsed import ParsedSection, _Document

_SENTENCE_BREAK = re.compile(r"[.?!][”’\"')\]]*(\s+)")
_OPENERS = "“‘\"'(["
_QUESTION_END = re.compile(r"\?[”’\"']*$")
_INTERROGATIVES = (
    "how|what|why|when|where|who|which|whether|can|could|should|would|will|might|is|are|do|does"
)
_COMPOUND = re.compile(rf";\s+and\s+(?=(?:{_INTERROGATIVES})\b)", re.IGNORECASE)


def extract_questions(text: str) -> list[str]:
    """The question sentences of a cleaned text, with "...; and how ...?" split in two."""
    questions: list[str] = []
    for sentence in _sentences(text):
        if _QUESTION_END.search(sentence):
            questions.extend(_split_compound(sentence))
    return questions


def _sentences(text: str) -> Iterator[str]:
    for paragraph in text.split("\n\n"):
        start = 0
        for match in _SENTENCE_BREAK.finditer(paragraph):
            following = paragraph[match.end() : match.end() + 1]
            if following and (following in _OPENERS or following.isupper()):
                yield paragraph[start : match.start(1)].strip()
                start = match.end()
        if paragraph[start:].strip():
            yield paragraph[start:].strip()


def _split_compound(question: str) -> list[str]:
    parts = [part.strip() for part in _COMPOUND.split(question)]
    return [_as_question(part) for part in parts if part.strip(" ?")]


def _as_question(part: str) -> str:
    part = part[:1].upper() + part[1:]
    return part if _QUESTION_END.search(part) else part.rstrip(" ,;:") + "?"


def _take_framing_questions(
    document: _Document, sections: list[ParsedSection]
) -> tuple[tuple[str, ...], list[ParsedSection], bool]:
    """Move the paper's framing questions out of the section that poses them: (questions,
    sections, whether they were guessed).

    They are the untitled lead's questions; else those of the first section whose title
    mentions "question" ("Questions for discussion"); else, guessed, the questions of the
    first section when it opens the paper under a section's name ("Introduction"); else
    none.
    """
    lead = document.drafts[0] if document.drafts else None
    has_lead = lead is not None and lead.title is None and bool(lead.text)
    guessed = False
    if has_lead and sections[0].questions:
        index = 0
    else:
        asking = (i for i, section in enumerate(sections) if _asks_questions(section))
        index = next(asking, None)
        if index is None and not has_lead and _opens_the_paper(sections[0]):
            index, guessed = 0, True
        if index is None:
            return (), sections, False
    framing = sections[index].questions
    sections[index] = replace(sections[index], questions=())
    return framing, sections, guessed


def _opens_the_paper(section: ParsedSection) -> bool:
    return bool(section.questions) and _plain_heading(section.title).lower() in _SECTION_NAMES


def _asks_questions(section: ParsedSection) -> bool:
    return bool(section.questions) and "question" in section.title.lower()
