"""Plain text (.txt): the bytes decoded, and the text's structure read from its shape.

_parse_plain also reads the text extracted from a PDF, and a Word document typed without
heading styles: most real papers arrive as text extracted from a PDF, so this path carries
the heuristics (headings.py, title_block.py, cleaning.py)."""

from __future__ import annotations

import codecs
from itertools import pairwise

from discussions.papers.cleaning import (
    _CONTROL,
    _CONTROL_OR_REPLACEMENT,
    _collapse,
    _normalise,
    clean_text,
)
from discussions.papers.headings import (
    _is_heading,
    _numbering,
    _plain_heading,
    _plain_levels,
    _sentence_case_heads,
)
from discussions.papers.messages import _EMPTY, _NOT_TEXT, PaperError
from discussions.papers.parsed import _Document, _Draft
from discussions.papers.title_block import _take_title_block


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
