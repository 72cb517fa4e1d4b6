"""Import a discussion paper (.txt, .md, .pdf, .docx) into plain dataclasses.

Each framing question and each section of a paper becomes a discussion prompt. This package
is pure: bytes and a file name in, a ``ParsedPaper`` out, or a ``PaperError`` whose message
can be shown to the person who uploaded the file. It never imports Django so it can be
tested and reused without settings (and it runs in a process without them:
discussions.paper_sandbox).

Its messages are in English, marked for the catalogues with gettext_noop, and translated
where they are shown: a PaperError keeps its English message and the values it names apart
(PaperError.render), and the warnings of a ParsedPaper are stored in English with the paper
and translated by the page that shows them (views.organizer_papers.warning_text).

Most real papers arrive as text extracted from a PDF, so the plain-text path carries the
heuristics: headings are recognised by shape and isolation, footnote numbers glued to
sentence ends are removed, and words hyphenated across lines are rejoined.

This module is the public API; the modules hold, in the order a file goes through them:

- parse: parse_paper, which checks the file, picks the reader of its format and assembles
  the result (sections, framing questions, warnings); file_names: the extension, and the
  title a file name gives when the paper has none;
- one reader per format: plain_text (.txt, and the text of the others), pdf, markdown,
  word (.docx);
- the rules every format shares: headings (which lines are headings, their numbers and
  levels), title_block (the title and the front matter around it), cleaning (paragraphs,
  lists, hyphenation, footnote numbers), questions (question sentences, framing questions);
- what they share: parsed (the dataclasses), messages (PaperError, gettext_noop, the
  warnings), limits (file types, sizes and counts).

Names with a leading underscore are private to the package; the modules import them from
one another. The dependencies run one way: the readers and rules never import parse.
"""

from discussions.papers.cleaning import clean_text
from discussions.papers.file_names import title_from_filename
from discussions.papers.limits import (
    DOCX_RATIO_FROM_BYTES,
    MAX_BYTES,
    MAX_DOCX_PART_BYTES,
    MAX_DOCX_RATIO,
    MAX_DOCX_TOTAL_BYTES,
    MAX_PDF_PAGES,
    MAX_QUESTIONS,
    MAX_SECTIONS,
    SUPPORTED_EXTENSIONS,
)
from discussions.papers.messages import (
    FRAMING_GUESSED,
    TABLES_NOT_IMPORTED,
    TITLE_FROM_FILE_NAME,
    PaperError,
    gettext_noop,
)
from discussions.papers.parse import parse_paper
from discussions.papers.parsed import ParsedPaper, ParsedSection
from discussions.papers.questions import extract_questions

__all__ = [
    "DOCX_RATIO_FROM_BYTES",
    "FRAMING_GUESSED",
    "MAX_BYTES",
    "MAX_DOCX_PART_BYTES",
    "MAX_DOCX_RATIO",
    "MAX_DOCX_TOTAL_BYTES",
    "MAX_PDF_PAGES",
    "MAX_QUESTIONS",
    "MAX_SECTIONS",
    "SUPPORTED_EXTENSIONS",
    "TABLES_NOT_IMPORTED",
    "TITLE_FROM_FILE_NAME",
    "PaperError",
    "ParsedPaper",
    "ParsedSection",
    "clean_text",
    "extract_questions",
    "gettext_noop",
    "parse_paper",
    "title_from_filename",
]
