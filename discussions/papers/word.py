"""Word (.docx): its paragraphs and their styles ("Title", "Heading 1"...), read within
limits checked on the zip before anything is unpacked. A document typed without heading
styles is read as plain text (plain_text._parse_plain)."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace

from discussions.papers.cleaning import _collapse, clean_text
from discussions.papers.headings import _numbering
from discussions.papers.limits import (
    _MB,
    DOCX_RATIO_FROM_BYTES,
    MAX_DOCX_PART_BYTES,
    MAX_DOCX_RATIO,
    MAX_DOCX_TOTAL_BYTES,
)
from discussions.papers.messages import TABLES_NOT_IMPORTED, PaperError, gettext_noop
from discussions.papers.parsed import _Document, _Draft
from discussions.papers.plain_text import _parse_plain
from discussions.papers.title_block import _FRONT_MATTER_BLOCKS, _is_front_matter


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
