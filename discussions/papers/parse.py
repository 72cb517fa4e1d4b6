"""The entry point: parse_paper checks the file, hands it to the reader of its format, and
assembles what the reader found into a ParsedPaper with its warnings."""

from __future__ import annotations

import math

from discussions.papers.file_names import _extension, title_from_filename
from discussions.papers.headings import _unnumbered
from discussions.papers.limits import (
    _MB,
    MAX_BYTES,
    MAX_QUESTIONS,
    MAX_SECTIONS,
    SUPPORTED_EXTENSIONS,
)
from discussions.papers.markdown import _parse_markdown
from discussions.papers.messages import (
    _EMPTY,
    _NO_FRAMING,
    _NO_HEADINGS,
    FRAMING_GUESSED,
    TITLE_FROM_FILE_NAME,
    PaperError,
    gettext_noop,
)
from discussions.papers.parsed import ParsedPaper, ParsedSection, _Document
from discussions.papers.pdf import _pdf_text
from discussions.papers.plain_text import _decode_text, _parse_plain
from discussions.papers.questions import _take_framing_questions, extract_questions
from discussions.papers.word import _parse_docx

# The title of the text before a paper's first heading: the paper's words, not the interface's.
_INTRODUCTION = "Introduction"


def parse_paper(data: bytes, filename: str) -> ParsedPaper:
    """Parse a paper's bytes; raise PaperError for anything that cannot be imported."""
    if len(data) > MAX_BYTES:
        size = math.ceil(len(data) / _MB * 10) / 10  # round up so it never reads as the limit
        raise PaperError(
            gettext_noop("The file is %(size)s MB; the limit is %(limit)s MB."),
            {"size": size, "limit": MAX_BYTES // _MB},
        )
    if not data.strip():
        raise PaperError(_EMPTY)
    extension = _extension(filename)
    if extension not in SUPPORTED_EXTENSIONS:
        raise _unsupported(extension)
    if extension == ".txt":
        document = _parse_plain(_decode_text(data))
    elif extension == ".md":
        document = _parse_markdown(_decode_text(data))
    elif extension == ".pdf":
        document = _parse_plain(_pdf_text(data))
    else:
        document = _parse_docx(data)
    return _assemble(document, title_from_filename(filename))


def _unsupported(extension: str) -> PaperError:
    if not extension or extension == ".":
        return PaperError(
            gettext_noop("The file name has no extension: upload a .txt, .md, .pdf or .docx file.")
        )
    return PaperError(
        gettext_noop(
            "Unsupported file type '%(extension)s': upload a .txt, .md, .pdf or .docx file."
        ),
        {"extension": extension[:20]},
    )


def _assemble(document: _Document, fallback_title: str) -> ParsedPaper:
    sections: list[ParsedSection] = []
    for draft in document.drafts:
        if draft.title is None and not draft.text:
            continue
        title = _INTRODUCTION if draft.title is None else _unnumbered(draft.title)
        questions = tuple(extract_questions(draft.text))
        sections.append(ParsedSection(title, draft.level, draft.text, questions, draft.footnotes))
    if not sections:
        raise PaperError(gettext_noop("The file contains no text to import."))
    _check_counts(sections)
    framing, sections, guessed = _take_framing_questions(document, sections)
    warnings = list(document.warnings)
    if all(draft.title is None for draft in document.drafts):
        warnings.append(_NO_HEADINGS)
    if not document.title:
        warnings.append(TITLE_FROM_FILE_NAME)
    if not framing:
        warnings.append(_NO_FRAMING)
    elif guessed:
        warnings.append(FRAMING_GUESSED)
    return ParsedPaper(
        title=document.title or fallback_title,
        framing_questions=framing,
        sections=tuple(sections),
        warnings=tuple(warnings),
    )


def _check_counts(sections: list[ParsedSection]) -> None:
    if len(sections) > MAX_SECTIONS:
        raise PaperError(
            gettext_noop(
                "The file has %(count)s sections; the limit is %(limit)s: upload only the "
                "part to discuss, or split the file."
            ),
            {"count": len(sections), "limit": MAX_SECTIONS},
        )
    questions = sum(len(section.questions) for section in sections)
    if questions > MAX_QUESTIONS:
        raise PaperError(
            gettext_noop(
                "The file has %(count)s questions; the limit is %(limit)s: upload only the "
                "part to discuss, or split the file."
            ),
            {"count": questions, "limit": MAX_QUESTIONS},
        )
