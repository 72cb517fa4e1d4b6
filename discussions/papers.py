"""Import a discussion paper (.txt, .md, .pdf, .docx) into plain dataclasses.

Each framing question and each section of a paper becomes a discussion prompt. This module
is pure: bytes and a file name in, a ``ParsedPaper`` out, or a ``PaperError`` whose message
can be shown to the person who uploaded the file. It never imports Django so it can be
tested and reused without settings (and it runs in a process without them:
discussions.paper_sandbox).

Its messages are in English, marked for the catalogues with gettext_noop below, and
translated where they are shown: a PaperError keeps its English message and the values it
names apart (PaperError.render), and the warnings of a ParsedPaper are stored in English with
the paper and translated by the page that shows them (views.organizer.warning_text).

Most real papers arrive as text extracted from a PDF, so the plain-text path carries the
heuristics: headings are recognised by shape and isolation, footnote numbers glued to
sentence ends are removed, and words hyphenated across lines are rejoined.
"""

from __future__ import annotations

import codecs
import io
import math
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import pairwise


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogues (makemessages knows the name) and
    leaves it in English: it is translated where it is shown."""
    return message


MAX_BYTES = 10 * 1024 * 1024
SUPPORTED_EXTENSIONS = (".txt", ".md", ".pdf", ".docx")
# A 300-page PDF of plain text reads in about 1.5 s; a discussion paper is far shorter, and
# a hostile PDF spends the time and memory per page.
MAX_PDF_PAGES = 300
# A .docx is a zip, and a 100 KB one unpacked to a 1 GB worker. Its parts' declared sizes
# bound what the zip reader unpacks, so they are checked before anything is read. A real
# paper's XML is a few MB compressed 3 to 40 times; images hardly compress at all.
MAX_DOCX_PART_BYTES = 50 * 1024 * 1024
MAX_DOCX_TOTAL_BYTES = 100 * 1024 * 1024
MAX_DOCX_RATIO = 100
DOCX_RATIO_FROM_BYTES = 1024 * 1024  # small parts (styles) may compress better, harmlessly
# Each section and question is a row the import writes in the web worker, and a form in the
# preview. At these limits the import and publish take under a second; a 10 MB text file of
# "Why? " made two million questions, and their import took a minute.
MAX_SECTIONS = 2000
MAX_QUESTIONS = 5000

_MB = 1024 * 1024
# The title of the text before a paper's first heading: the paper's words, not the interface's.
_INTRODUCTION = "Introduction"
_NO_HEADINGS = gettext_noop(
    "No headings found: the whole text is one section; split it in the preview."
)
_NO_FRAMING = gettext_noop("No framing questions found: pick them in the preview.")
# Where the importer guessed, the preview says so (the warnings are shown there).
TITLE_FROM_FILE_NAME = gettext_noop(
    "No title line found: the title comes from the file name; check it in the preview."
)
FRAMING_GUESSED = gettext_noop(
    "The framing questions are the opening section's questions: check them in the preview."
)
# Translated by views.organizer.warning_text, which recognises it by this shape.
TABLES_NOT_IMPORTED = "The document's {count} table(s) were not imported; copy them if needed."
_NOT_TEXT = gettext_noop("The file does not look like text (it contains binary data).")
_EMPTY = gettext_noop("The file is empty.")


def _same(value):
    return value


class PaperError(ValueError):
    """Raised for any input the importer refuses.

    str(err) is one clear line for a person, in English, e.g. "The file is empty.".
    The message is kept apart from the values it names (``message``, a %-format of named
    placeholders marked with gettext_noop, and ``params``), so that the page showing it
    can translate it: ``error.render(gettext, localize)``.
    """

    def __init__(self, message: str, params: Mapping[str, object] | None = None) -> None:
        self.message = str(message)
        self.params = dict(params or {})
        super().__init__(self.render())

    def render(
        self,
        translate: Callable[[str], str] = _same,
        number: Callable[[int | float], str] = _same,
    ) -> str:
        """The message in one line, translated by `translate` with its numbers written by
        `number`. It is shown as-is in a form error, so it must stay on one line even when
        it quotes part of a hostile file name."""
        text = translate(self.message)
        if self.params:
            text %= {
                key: number(value)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else value
                for key, value in self.params.items()
            }
        return " ".join(str(text).split())


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


# --------------------------------------------------------------------------- entry points


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


# --------------------------------------------------------------------------- decoding


def _decode_text(data: bytes) -> str:
    # Notepad's "Unicode" encoding is UTF-16 with a BOM; its NUL bytes are not binary.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode_or_refuse(data, "utf-16")
    elif b"\x00" in data:
        raise PaperError(_NOT_TEXT)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode_or_refuse(data, "cp1252")
            # cp1252 decodes almost any byte soup, so accept it only when it reads as text.
            if _CONTROL.search(text):
                raise PaperError(_NOT_TEXT) from None
    if len(_CONTROL_OR_REPLACEMENT.findall(text)) > 0.02 * len(text):
        raise PaperError(_NOT_TEXT)
    if not text.strip():
        raise PaperError(_EMPTY)
    return text


def _decode_or_refuse(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise PaperError(_NOT_TEXT) from exc


# Control characters (Unicode category Cc) other than the line and page breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_CONTROL_OR_REPLACEMENT = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufffd]")


def _pdf_text(data: bytes) -> str:
    # Imported lazily: parsing text and Markdown should not pay for the PDF library.
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _decrypt(reader):
            raise PaperError(
                gettext_noop(
                    "This PDF is password-protected: remove the password and upload it again."
                )
            )
        if len(reader.pages) > MAX_PDF_PAGES:
            raise PaperError(
                gettext_noop(
                    "This PDF has %(pages)s pages; the limit is %(limit)s: upload only the "
                    "part to discuss, or a .docx or .txt."
                ),
                {"pages": len(reader.pages), "limit": MAX_PDF_PAGES},
            )
        pages = [_page_text(page) for page in reader.pages]
    except (PaperError, MemoryError):  # running out of memory is no sign of damage
        raise
    except Exception as exc:  # pypdf raises many unrelated types on damaged files
        raise PaperError(
            gettext_noop(
                "The PDF could not be read (it may be damaged): export it again, "
                "or upload a .docx or .txt."
            )
        ) from exc
    if not any(page.strip() for page in pages):
        raise PaperError(
            gettext_noop(
                "This PDF has no text layer (is it a scan?): export it with text, "
                "or upload a .docx or .txt."
            )
        )
    return "\n".join(_drop_page_furniture([_in_reading_order(page) for page in pages]))


# A gutter between two columns: a wide run of spaces that many lines share at one place.
_GAP = re.compile(r"(?<=\S) {5,}(?=\S)")
_GUTTER_MIN_LINES = 6
_GUTTER_MIN_SHARE = 0.4


def _in_reading_order(page: str) -> str:
    """A page's layout text with two columns put one after the other.

    Layout mode prints a two-column page line by line across both columns, which mixes
    their sentences. A column boundary is a position that a wide gap covers in at least 6
    lines and 40% of the lines between the first and the last such line (justified text
    has narrower gaps, at shifting places). The stretch goes on below that line while no
    word crosses the boundary (the longer column's end). Lines above and below it (a title,
    a footer) stay where they are; within it, a line is cut there when no word crosses it.
    """
    lines = page.split("\n")
    gutter = _gutter(lines)
    if gutter is None:
        return page
    column, first, last = gutter
    left, right = [], []
    while last + 1 < len(lines) and not _crosses(lines[last + 1], column):
        last += 1
    while not lines[last].strip():
        last -= 1
    for line in lines[first : last + 1]:
        if _crosses(line, column):
            left.append(line)
            right.append("")
        else:
            left.append(line[:column].rstrip())
            right.append(line[column:].strip())
    # The right column goes on from the left one, as the next page goes on from a page.
    left = _drop_leading_blanks(left[::-1])[::-1]
    return "\n".join([*lines[:first], *left, *right, *lines[last + 1 :]])


def _crosses(line: str, column: int) -> bool:
    return bool(line[column - 1 : column + 1].strip())


def _gutter(lines: list[str]) -> tuple[int, int, int] | None:
    """(column, first line, last line) of a two-column stretch, or None."""
    covering: Counter[int] = Counter()
    gaps: list[tuple[int, range]] = []
    for index, line in enumerate(lines):
        for gap in _GAP.finditer(line):
            span = range(gap.start() + 1, gap.end())  # a space stays on the left of the cut
            gaps.append((index, span))
            covering.update(span)
    if not covering:
        return None
    column, count = max(covering.items(), key=lambda item: (item[1], -item[0]))
    rows = [index for index, span in gaps if column in span]
    if count < _GUTTER_MIN_LINES:
        return None
    first, last = rows[0], rows[-1]
    content = sum(1 for line in lines[first : last + 1] if line.strip())
    return (column, first, last) if count >= _GUTTER_MIN_SHARE * content else None


def _decrypt(reader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except MemoryError:
        raise
    except Exception:  # missing crypto backend or a real password: both are refusals
        return False


def _page_text(page) -> str:
    # Layout mode keeps vertical gaps as blank lines, which is what tells a heading from
    # a wrapped line; the plain mode drops them. Fall back when layout mode chokes.
    try:
        text = page.extract_text(extraction_mode="layout") or ""
    except MemoryError:
        raise
    except Exception:
        text = ""
    return text if text.strip() else page.extract_text() or ""


_FURNITURE_MAX_WORDS = 12
# "12", "Page 3 of 9", "3/9", or a number set between dashes ("- 3 -", "– 3 –").
_PAGE_NUMBER = re.compile(
    r"(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?|[-–—]\s*\d{1,4}\s*[-–—]", re.IGNORECASE
)


def _drop_page_furniture(pages: list[str]) -> list[str]:
    """Remove page numbers and running headers/footers from the edges of each page.

    Left in, a running header is a title-shaped isolated line: it would become a heading
    on every page. An edge line is furniture when it is a page number, or when (digits
    aside) it is a short edge line of at least half the pages, and of two pages at least.
    """
    split = [page.split("\n") for page in pages]
    seen = Counter(key for lines in split for key in {_edge_key(line) for line in _edges(lines)})
    needed = max(2, math.ceil(len(pages) / 2))
    repeated = {key for key, count in seen.items() if count >= needed}

    def is_furniture(line: str) -> bool:
        stripped = _collapse(line)
        if _PAGE_NUMBER.fullmatch(stripped):
            return True
        return len(stripped.split()) <= _FURNITURE_MAX_WORDS and _edge_key(line) in repeated

    return ["\n".join(_trim_edges(lines, is_furniture)) for lines in split]


def _edges(lines: list[str]) -> list[str]:
    content = [line for line in lines if line.strip()]
    return content[:2] + content[-2:]


def _edge_key(line: str) -> str:
    return re.sub(r"\d+", "#", _collapse(line).lower())


def _trim_edges(lines: list[str], is_furniture: Callable[[str], bool]) -> list[str]:
    # Headers and footers are at most two lines each (a title and a page number), and a
    # vertical gap (a blank line) always separates them from the body they frame.
    for step in (1, -1):
        lines = lines[::step]
        for _ in range(2):
            lines = _drop_leading_blanks(lines)
            gap_follows = len(lines) < 2 or not lines[1].strip()
            if lines and gap_follows and is_furniture(lines[0]):
                lines = lines[1:]
        lines = _drop_leading_blanks(lines)[::step]
    return lines


def _drop_leading_blanks(lines: list[str]) -> list[str]:
    start = next((index for index, line in enumerate(lines) if line.strip()), len(lines))
    return lines[start:]


# --------------------------------------------------------------------------- cleaning

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


# --------------------------------------------------------------------------- questions

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


# --------------------------------------------------------------------------- plain text

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


def _parse_plain(text: str) -> _Document:
    lines = _normalise(text).split("\n")
    heads = [index for index in range(len(lines)) if _is_heading(lines, index)]
    if len(heads) < 2:
        heads = sorted({*heads, *_sentence_case_heads(lines)})
    title = _take_title_block(lines, heads)
    bounds = [*heads, len(lines)]
    lead = clean_text("\n".join(lines[: bounds[0]]))
    drafts = [_Draft(None, 1, *lead)]
    titles = [_collapse(lines[index]) for index in heads]
    bodies = [clean_text("\n".join(lines[a + 1 : b])) for a, b in pairwise(bounds)]
    levels = _plain_levels(titles, [body for body, _ in bodies])
    if any(_numbering(title) for title in titles):
        # The numbers gave the levels; the preview and the prompts want the words only.
        titles = [_plain_heading(title) for title in titles]
    for heading, level, (body, notes) in zip(titles, levels, bodies, strict=True):
        drafts.append(_Draft(heading, level, body, notes))
    return _Document(title, tuple(drafts))


# Section names that open papers: a first line reading so is the first section, not a title.
_SECTION_NAMES = frozenset({
    "introduction", "background", "overview", "summary", "executive summary", "context",
    "purpose", "objectives", "objective", "aim", "aims", "scope", "abstract", "preface",
    "foreword", "contents", "table of contents", "key messages", "key points",
})  # fmt: skip
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


def _next_line(lines: list[str], index: int) -> int | None:
    return next((i for i in range(index, len(lines)) if lines[i].strip()), None)


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


# --------------------------------------------------------------------------- markdown

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


# --------------------------------------------------------------------------- docx


def _parse_docx(data: bytes) -> _Document:
    paragraphs, core_title, tables = _docx_paragraphs(data)
    warnings = ()
    if tables:
        warnings = (TABLES_NOT_IMPORTED.format(count=tables),)
    if not any(_docx_heading_depth(style) for style, raw in paragraphs if raw.strip()):
        # Typed without heading styles (bold or larger "Normal" text): the headings can only
        # be told by their shape, as in plain text, where each paragraph is a block.
        document = _parse_plain("\n\n".join(raw for _, raw in paragraphs))
        return replace(
            document, title=document.title or _collapse(core_title) or None, warnings=warnings
        )
    # The subtitle (the paper's kind, venue or date) is part of the title block, no text.
    paragraphs = [(style, raw) for style, raw in paragraphs if style != "subtitle"]
    title, top = _docx_title_heading(paragraphs)
    if title or any(style == "title" for style, raw in paragraphs if raw.strip()):
        _drop_docx_front_matter(paragraphs)
    drafts: list[_Draft] = []
    heading: str | None = None
    level = 1
    body: list[str] = []
    for style, raw in paragraphs:
        text = _collapse(raw)
        if style == "title" and title is None and text:
            title = text
            continue
        depth = _docx_heading_depth(style)
        if depth and text:
            drafts.append(_docx_draft(heading, level, body))
            heading, level, body = text, 1 if depth <= top else 2, []
        else:
            body.append(raw)
    drafts.append(_docx_draft(heading, level, body))
    return _Document(title or _collapse(core_title) or None, tuple(drafts), warnings)


def _docx_paragraphs(data: bytes) -> tuple[list[tuple[str, str]], str, int]:
    # Imported lazily: parsing text and Markdown should not pay for the Word library.
    import docx

    _check_docx_sizes(data)
    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs = [(_style_name(p), p.text or "") for p in document.paragraphs]
        return paragraphs, document.core_properties.title or "", len(document.tables)
    except MemoryError:
        raise
    except Exception as exc:  # a bad zip, missing parts, broken XML: all mean "damaged"
        raise PaperError(_DOCX_DAMAGED) from exc


_DOCX_DAMAGED = gettext_noop(
    "The .docx could not be read (it may be damaged or not a Word document): "
    "save it again from Word, or upload a .txt."
)


def _check_docx_sizes(data: bytes) -> None:
    """Refuse a .docx whose parts would unpack to too much, from the sizes its zip declares.

    Only the zip's directory is read here; the zip reader never unpacks more than a part's
    declared size, so the limits hold for what python-docx reads afterwards.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except Exception as exc:  # not a zip, or a zip broken beyond its directory
        raise PaperError(_DOCX_DAMAGED) from exc
    total = 0
    for part in parts:
        if part.file_size > MAX_DOCX_PART_BYTES:
            raise PaperError(
                gettext_noop(
                    "A part of this .docx unpacks to more than %(limit)s MB, too much for a "
                    "paper: save it again from Word, or upload a .txt."
                ),
                {"limit": MAX_DOCX_PART_BYTES // _MB},
            )
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > DOCX_RATIO_FROM_BYTES and ratio > MAX_DOCX_RATIO:
            raise PaperError(
                gettext_noop(
                    "A part of this .docx is compressed more than %(ratio)s to 1, which a "
                    "paper never is: save it again from Word, or upload a .txt."
                ),
                {"ratio": MAX_DOCX_RATIO},
            )
        total += part.file_size
    if total > MAX_DOCX_TOTAL_BYTES:
        raise PaperError(
            gettext_noop(
                "This .docx unpacks to more than %(limit)s MB, too much for a paper: "
                "save it again from Word, or upload a .txt."
            ),
            {"limit": MAX_DOCX_TOTAL_BYTES // _MB},
        )


def _style_name(paragraph) -> str:
    style = paragraph.style
    return (style.name or "").strip().lower() if style is not None else ""


def _docx_heading_depth(style: str) -> int:
    """1 for "Heading 1", 2 for "Heading 2" and so on; 0 for body text.

    A second "Title" paragraph is treated as a top-level heading.
    """
    if style == "title":
        return 1
    match = re.fullmatch(r"heading\s*(\d+)", style)
    return int(match.group(1)) if match else 0


def _drop_docx_front_matter(paragraphs: list[tuple[str, str]]) -> None:
    """Empty the venue or date paragraphs typed under the title (see _is_front_matter)."""
    texts = [(style, index) for index, (style, raw) in enumerate(paragraphs) if raw.strip()]
    texts = [(style, index) for style, index in texts if style != "title"]
    for position, (style, index) in enumerate(texts[:_FRONT_MATTER_BLOCKS]):
        following = texts[position + 1][0] if position + 1 < len(texts) else ""
        lines = paragraphs[index][1].split("\n")
        if _docx_heading_depth(style) or not _is_front_matter(
            lines, heading_follows=bool(_docx_heading_depth(following))
        ):
            return
        paragraphs[index] = (style, "")


def _docx_title_heading(paragraphs: list[tuple[str, str]]) -> tuple[str | None, int]:
    """(title, depth of the top-level sections). Without a Title paragraph, an unnumbered
    "Heading 1" opening a document whose other headings are all deeper is its title (as in
    Markdown), and "Heading 2" is then the top level; the title's paragraph is emptied."""
    texts = [(index, style, _collapse(raw)) for index, (style, raw) in enumerate(paragraphs)]
    texts = [(index, style, text) for index, style, text in texts if text]
    depths = [_docx_heading_depth(style) for _, style, _ in texts]
    if not texts or "title" in (style for _, style, _ in texts):
        return None, 1
    index, style, text = texts[0]
    # A numbered heading ("1. Scope") is the first section, whatever follows it.
    if depths[0] != 1 or 1 in depths[1:] or not any(depths[1:]) or _numbering(text):
        return None, 1
    paragraphs[index] = (style, "")
    return text, 2


def _docx_draft(heading: str | None, level: int, body: list[str]) -> _Draft:
    # Word paragraphs are already paragraphs: clean each alone so none merge.
    cleaned = [clean_text(paragraph) for paragraph in body]
    text = "\n\n".join(paragraph for paragraph, _ in cleaned if paragraph)
    footnotes = tuple(number for _, numbers in cleaned for number in numbers)
    return _Draft(heading, level, text, footnotes)


# --------------------------------------------------------------------------- assembly


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
