"""What a parse produces (ParsedPaper, ParsedSection), and what the format readers hand to the
assembly in between (_Draft, _Document)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParsedSection:
    title: str
    level: int  # 1 = section, 2 = subsection
    text: str  # paragraphs separated by "\n\n", each paragraph one line
    questions: tuple[str, ...]  # questions this section poses (not the framing ones)
    footnotes: tuple[int, ...]  # footnote numbers removed from its text, in order


@dataclass(frozen=True)
class ParsedPaper:
    title: str
    framing_questions: tuple[str, ...]
    sections: tuple[ParsedSection, ...]
    warnings: tuple[str, ...]  # one-line notes for the person

    def as_dict(self) -> dict:
        """The JSON shape the preview edits; footnotes and warnings are not part of it."""
        return {
            "title": self.title,
            "framing_questions": list(self.framing_questions),
            "sections": [
                {
                    "title": section.title,
                    "level": section.level,
                    "text": section.text,
                    "questions": list(section.questions),
                }
                for section in self.sections
            ],
        }


@dataclass(frozen=True)
class _Draft:
    """A section as a format parser sees it; title None is the untitled lead text."""

    title: str | None
    level: int
    text: str
    footnotes: tuple[int, ...]


@dataclass(frozen=True)
class _Document:
    title: str | None
    drafts: tuple[_Draft, ...]
    warnings: tuple[str, ...] = ()
