"""PDF (.pdf): its text layer, read page by page within limits, with two columns put in
reading order and the page furniture (page numbers, running headers and footers) removed.
The text is then read as plain text (plain_text._parse_plain)."""

from __future__ import annotations

import io
import math
import re
from collections import Counter
from collections.abc import Callable

from discussions.papers.cleaning import _collapse
from discussions.papers.limits import MAX_PDF_PAGES
from discussions.papers.messages import PaperError, gettext_noop


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
