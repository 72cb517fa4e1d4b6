"""Write the corpus of discussion papers into tests/papers/corpus, deterministically.

    .venv/bin/python -m tests.papers.make_corpus          # papers and their truth
    .venv/bin/python -m tests.papers.make_corpus --pin    # and pin the importer's parses

The papers are ours: written in tests/papers/texts.py, each with the layout it exercises,
and rendered here to .txt, .md, .pdf (fpdf2) or .docx (python-docx). Next to each paper
<stem>.expected.json holds the truth, and after --pin <stem>.parsed.json holds what the
importer (discussions.papers.parse_paper) made of it, which tests/test_paper_corpus.py pins.
Edit texts.py and run this; never edit the corpus by hand (a test compares it with a fresh
generation).

The truth is what a careful human reader answers, not what the importer outputs:

title
    The paper's own title, as printed, on one line (a title wrapped over two lines is
    joined with a space). The subtitle, the document type ("Roundtable Discussion Paper",
    "CONCEPT NOTE"), the venue, date and author lines are not part of it. A title that is a
    question is still the title. null when the paper prints no title: the importer is then
    right only if it falls back to the file name (papers.title_from_filename).

sections
    Every heading the author wrote, at any level, in reading order, as printed but without
    its numbering ("1.", "2.1", "II."); the comparison ignores case, so an ALL-CAPS heading
    is listed as printed. Headings of questions, notes or references count ("Questions for
    Discussion", "Notes"). The title block (title, subtitle, document type, date, venue) is
    never a section. Text before the first heading, beyond the title block, is the paper's
    untitled opening: it counts as one section named "Introduction", first, since the app
    gives it that name and it becomes a discussion prompt like any section.

framing_questions
    The questions the paper puts to the whole discussion, in reading order: every question
    of the opening (the untitled opening, or a first section headed Introduction) and every
    question of a section given over to questions ("Questions for Discussion", "Guiding
    Questions", ...). Questions asked in passing in the other sections are not framing
    questions, nor is a title. Each is one string: the question sentence only (a sentence
    of context before it in the same list item is not part of it), its line breaks joined
    by single spaces, without list markers or footnote markers.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import docx
from docx.shared import Pt
from fpdf import FPDF

from tests.papers import (
    CORPUS,
    PIN_COMMAND,
    SNAPSHOT_SUFFIX,
    TRUTH_SUFFIX,
    dump_json,
    parse_file,
    snapshot_path,
)
from tests.papers.texts import PAPERS, Paper

# Fixed dates make the PDF and .docx bytes the same on every run (fpdf2 writes the creation
# date and derives the file's /ID from it; Word files carry dates in docProps/core.xml and
# in every zip entry), so a test can check the corpus on disk is what this script writes.
FIXED_DATE = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)
ZIP_DATE = (2025, 1, 6, 9, 0, 0)
FONTS = Path(__file__).resolve().parents[2] / "discussions" / "fonts"
MIN_WORDS, MAX_WORDS = 300, 1500


# --------------------------------------------------------------------------- .txt and .md


def text_bytes(paper: Paper) -> bytes:
    """The paper's text as its file: optionally hard-wrapped, with trailing spaces, other
    line endings or another encoding, as papers exported by other tools arrive."""
    layout = paper.layout
    lines = paper.text.split("\n")
    if layout.get("wrap"):
        hyphens = layout.get("break_on_hyphens", True)
        lines = [piece for line in lines for piece in _wrap(line, layout["wrap"], hyphens)]
    trailing = layout.get("trailing", "")
    lines = [line + trailing if line else line for line in lines]
    return layout.get("newline", "\n").join(lines).encode(layout.get("encoding", "utf-8"))


_LIST_MARKER = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


def _wrap(line: str, width: int, break_on_hyphens: bool) -> list[str]:
    # Only prose is wrapped, which ends in sentence punctuation: titles, headings and
    # Markdown's markup lines stay whole, as a word processor's export leaves them. List
    # items wrap under their text, which is also what keeps a Markdown item one item.
    if len(line) <= width or not line.rstrip().endswith((".", "?", "!", ":", ";")):
        return [line]
    marker = _LIST_MARKER.match(line)
    indent = " " * len(marker.group(0)) if marker else ""
    return textwrap.wrap(
        line,
        width,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=break_on_hyphens,
    )


# --------------------------------------------------------------------------- markup


@dataclass(frozen=True)
class Block:
    kind: str  # title, sub, h1, h2, bullet, number, note, row, para
    text: str
    number: int = 0  # of a numbered list item


_PREFIXES = {"TITLE: ": "title", "SUB: ": "sub", "H1: ": "h1", "H2: ": "h2", "NOTE: ": "note"}
_NUMBERED = re.compile(r"^(\d{1,2})\. (.*)$")


def blocks(markup: str) -> list[Block]:
    """The elements of a .pdf or .docx paper's markup (texts.py describes it)."""
    result = []
    for line in markup.split("\n"):
        if not line.strip():
            continue
        prefix = next((p for p in _PREFIXES if line.startswith(p)), None)
        numbered = _NUMBERED.match(line)
        if prefix:
            result.append(Block(_PREFIXES[prefix], line[len(prefix) :]))
        elif line.startswith("- "):
            result.append(Block("bullet", line[2:]))
        elif numbered:
            result.append(Block("number", numbered.group(2), int(numbered.group(1))))
        elif line.startswith("|"):
            result.append(Block("row", line))
        else:
            result.append(Block("para", line))
    return result


_INLINE = re.compile(r"\^(\d+)| // ")


def inline(text: str) -> Iterator[tuple[str, str]]:
    """("text", words), ("sup", a footnote number) and ("break", "") pieces of a line."""
    position = 0
    for found in _INLINE.finditer(text):
        if found.start() > position:
            yield "text", text[position : found.start()]
        yield ("sup", found.group(1)) if found.group(1) else ("break", "")
        position = found.end()
    if position < len(text):
        yield "text", text[position:]


def flat(text: str, line_break: str = "\n") -> str:
    """A markup line as extracted text shows it: footnote numbers glued to the words."""
    return "".join(line_break if kind == "break" else value for kind, value in inline(text))


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


# --------------------------------------------------------------------------- .pdf


class _PaperPDF(FPDF):
    """An A4 page with an optional running header and footer on every page."""

    def __init__(self, layout: dict) -> None:
        super().__init__(format="A4")
        self.layout = layout
        self.set_creation_date(FIXED_DATE)
        # Uncompressed, so the bytes do not depend on the zlib build either.
        self.set_compression(False)
        self.set_margins(22, 20, 22)
        self.set_auto_page_break(True, margin=22)
        if layout.get("font", "dejavu") == "dejavu":
            self.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
            self.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
            self.family_name, self.italic = "DejaVu", ""  # no italic face is shipped
        else:
            self.family_name, self.italic = "Helvetica", "I"

    def use(self, style: str, size: float) -> None:
        self.set_font(self.family_name, self.italic if style == "I" else style, size)

    def header(self) -> None:
        if self.layout.get("header"):
            self.use("I", 8)
            self.cell(0, 5, self.layout["header"], align="R", new_x="LMARGIN", new_y="NEXT")
            self.ln(7)

    def footer(self) -> None:
        if self.layout.get("footer"):
            self.set_y(-15)
            self.use("", 8)
            text = self.layout["footer"].format(page=self.page_no(), nb="{nb}")
            self.cell(0, 8, text, align="C")


def pdf_bytes(paper: Paper) -> bytes:
    pdf = _PaperPDF(paper.layout)
    pdf.add_page()
    items = blocks(paper.text)
    front = 0  # the title block spans the page even when the body is in columns
    while front < len(items) and items[front].kind in ("title", "sub"):
        _pdf_front(pdf, items[front])
        front += 1
    pdf.ln(6)
    if paper.layout.get("columns", 1) > 1:
        _pdf_columns(pdf, items[front:], paper.layout["columns"])
    else:
        for block in items[front:]:
            _pdf_block(pdf, block, paper.layout)
    return bytes(pdf.output())


def _pdf_front(pdf: _PaperPDF, block: Block) -> None:
    if block.kind == "title":
        pdf.use("B", 16)
        pdf.multi_cell(0, 8, block.text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    else:
        pdf.use("I", 11)
        pdf.multi_cell(0, 6, block.text, align="L", new_x="LMARGIN", new_y="NEXT")


def _pdf_block(pdf: _PaperPDF, block: Block, layout: dict) -> None:
    line = 5.5
    if block.kind in ("h1", "h2"):
        pdf.ln(3)
        pdf.use("B", 13 if block.kind == "h1" else 11.5)
        pdf.multi_cell(0, 7, block.text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    elif block.kind in ("bullet", "number"):
        pdf.use("", 10.5)
        marker = layout.get("bullet", "•") if block.kind == "bullet" else f"{block.number}."
        pdf.set_x(pdf.l_margin + 4)
        pdf.cell(7, line, marker)
        pdf.multi_cell(0, line, flat(block.text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    elif block.kind == "note":
        pdf.use("", 8.5)
        pdf.multi_cell(0, 4.5, flat(block.text), new_x="LMARGIN", new_y="NEXT")
    elif layout.get("superscript"):
        # write() flows text and honours char_vpos; multi_cell would not raise the digits.
        pdf.use("", 10.5)
        for kind, value in inline(block.text):
            pdf.char_vpos = "SUP" if kind == "sup" else "LINE"
            pdf.write(line, value if kind != "break" else "\n")
        pdf.char_vpos = "LINE"
        pdf.ln(line + 3)
    else:  # justified, fpdf2's default and the usual look of a printed paper
        pdf.use("", 10.5)
        pdf.multi_cell(0, line, flat(block.text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)


def _pdf_columns(pdf: _PaperPDF, items: list[Block], count: int) -> None:
    with pdf.text_columns(ncols=count, gutter=8) as columns:
        for block in items:
            heading = block.kind in ("h1", "h2")
            pdf.use("B" if heading else "", 12 if heading else 10)
            text = flat(block.text)
            if block.kind in ("bullet", "number"):
                text = ("• " if block.kind == "bullet" else f"{block.number}. ") + text
            with columns.paragraph(top_margin=3 if heading else 0, bottom_margin=2) as par:
                par.write(text)


# --------------------------------------------------------------------------- .docx


def docx_bytes(paper: Paper) -> bytes:
    layout = paper.layout
    document = docx.Document()
    items = blocks(paper.text)
    index = 0
    while index < len(items):
        block = items[index]
        if block.kind == "row":  # consecutive rows make one table
            rows = [cells(block.text)]
            while index + 1 < len(items) and items[index + 1].kind == "row":
                index += 1
                rows.append(cells(items[index].text))
            _docx_table(document, rows)
        else:
            _docx_block(document, block, layout)
        index += 1
    core = document.core_properties
    core.author = core.last_modified_by = "Conference Secretariat"
    core.comments = ""
    core.created = core.modified = FIXED_DATE.replace(tzinfo=None)
    core.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_dates(buffer.getvalue())


_DOCX_STYLES = {
    "title": "Title",
    "sub": "Subtitle",
    "h1": "Heading 1",
    "h2": "Heading 2",
    "bullet": "List Bullet",
    "number": "List Number",  # Word numbers the items: the number is not in the text
}


def _docx_block(document, block: Block, layout: dict) -> None:
    kind = block.kind
    bold_title = kind == "title" and layout.get("title") == "bold"
    bold_heading = kind in ("h1", "h2") and layout.get("headings") == "bold"
    if bold_title or bold_heading:
        # A heading made by hand: a Normal paragraph in bold, as many authors write them.
        paragraph = document.add_paragraph()
        run = paragraph.add_run(block.text)
        run.bold = True
        run.font.size = Pt(16 if bold_title else 12)
        return
    # An italic Normal line is how a subtitle is typed when the title is not in Title style.
    italic_sub = kind == "sub" and layout.get("subtitle") == "italic"
    style = None if italic_sub else _DOCX_STYLES.get(kind)
    paragraph = document.add_paragraph(style=style)
    for piece, value in inline(block.text):
        if piece == "break":
            paragraph.add_run().add_break()
        else:
            run = paragraph.add_run(value)
            run.font.superscript = piece == "sup"
            if kind == "note":
                run.font.size = Pt(8)
            if italic_sub:
                run.italic = True


def _docx_table(document, rows: list[list[str]]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value


def _fixed_zip_dates(data: bytes) -> bytes:
    # python-docx stamps every zip entry with the current time; rewrite them with one date.
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


# --------------------------------------------------------------------------- checks


def plain_text(paper: Paper) -> str:
    """The paper's words on one line, to count them and to find the truth in them."""
    if paper.name.endswith((".pdf", ".docx")):
        text = " ".join(flat(block.text, " ") for block in blocks(paper.text))
    else:
        text = re.sub(r"\[\^\w+\]", "", paper.text)  # Markdown footnote markers
        text = text.replace("**", "").replace("*", "")
    return " ".join(text.split())


def check(paper: Paper) -> None:
    """Refuse a paper whose truth is not in its own text (a typo in the truth would count
    as an importer error) or whose length is outside the corpus' range."""
    text = plain_text(paper)
    words = len(text.split())
    problems = []
    if not MIN_WORDS <= words <= MAX_WORDS:
        problems.append(f"{words} words, not {MIN_WORDS}-{MAX_WORDS}")
    if paper.title is not None and paper.title not in text:
        problems.append(f"title not in the text: {paper.title!r}")
    lowered = text.casefold()
    for index, section in enumerate(paper.sections):
        untitled_opening = index == 0 and section == "Introduction"
        if section.casefold() not in lowered and not untitled_opening:
            problems.append(f"section not in the text: {section!r}")
    for question in paper.questions:
        if question not in text or not question.endswith("?"):
            problems.append(f"question not in the text: {question!r}")
    if problems:
        raise ValueError(f"{paper.name}: " + "; ".join(problems))


def check_corpus(papers: list[Paper]) -> None:
    stems = [Path(paper.name).stem for paper in papers]
    if len(set(stems)) != len(stems):
        raise ValueError("two papers share a name (the truth files are named by stem)")
    for paper in papers:
        check(paper)


# --------------------------------------------------------------------------- writing

RENDERERS = {".txt": text_bytes, ".md": text_bytes, ".pdf": pdf_bytes, ".docx": docx_bytes}


def truth(paper: Paper) -> dict:
    return {
        "title": paper.title,
        "sections": paper.sections,
        "framing_questions": paper.questions,
    }


def generate(directory: Path) -> list[Path]:
    """Write every paper and its truth into directory; return the files written."""
    check_corpus(PAPERS)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for paper in PAPERS:
        path = directory / paper.name
        path.write_bytes(RENDERERS[path.suffix](paper))
        truth_file = directory / (path.stem + TRUTH_SUFFIX)
        truth_file.write_text(dump_json(truth(paper)), encoding="utf-8")
        written += [path, truth_file]
    return written


def pin(directory: Path) -> list[Path]:
    """Write each paper's current parse next to it as its snapshot."""
    snapshots = []
    for paper in PAPERS:
        path = directory / paper.name
        snapshot = snapshot_path(path)
        snapshot.write_text(dump_json(parse_file(path)), encoding="utf-8")
        snapshots.append(snapshot)
    return snapshots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pin",
        action="store_true",
        help="also write each paper's current parse as its snapshot (<stem>.parsed.json)",
    )
    args = parser.parse_args(argv)
    keep = set(generate(CORPUS))
    if args.pin:
        keep |= set(pin(CORPUS))
    else:
        keep |= {snapshot_path(CORPUS / paper.name) for paper in PAPERS}
    for stale in sorted(set(CORPUS.iterdir()) - keep):
        stale.unlink()
        print(f"removed {stale.name}")
    unpinned = [p.name for p in PAPERS if not snapshot_path(CORPUS / p.name).exists()]
    print(f"wrote {len(PAPERS)} papers and their truth to {CORPUS}")
    if args.pin:
        print(f"pinned {len(PAPERS)} parses (*{SNAPSHOT_SUFFIX})")
    elif unpinned:
        print(f"not pinned yet: {', '.join(unpinned)}; run {PIN_COMMAND}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
