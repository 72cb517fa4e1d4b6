"""Text in templates that escapes translation: what the catalogues cannot translate.

Every word a person reads must go through a translation tag ({% translate %},
{% blocktranslate %}) or come from a view as an already translated string: text written
straight into a template is shown in English whatever the reader's language. This finds it:
the template's text with every tag and variable taken out, read as HTML, and what is left
of its text and its readable attributes (alt, title, aria-label, placeholder, ...) that holds
a letter. Scripts and styles are left to their own checks.

Used by tests/test_translations.py; `python -m discussions.i18n_check` lists the escapes.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

# Stands for a tag or a variable: what it shows is translated where it comes from.
HOLE = "\x00"
# Attributes a person reads (or hears, with a screen reader).
READ_ATTRIBUTES = {
    "alt", "title", "placeholder", "aria-label", "aria-description", "aria-roledescription",
    "aria-valuetext", "label", "data-confirm",
}  # fmt: skip
# Inputs whose value is the button's text.
BUTTON_INPUTS = {"submit", "button", "reset"}
LETTER = re.compile(r"[^\W\d_]")
# Blocks whose text is not shown as written: translated as a whole, or not at all.
SKIPPED_BLOCKS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans",
                  "comment": "endcomment", "verbatim": "endverbatim"}  # fmt: skip


@dataclass(frozen=True)
class Escape:
    template: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.template}:{self.line}: {self.text!r}"


def holed(source: str) -> tuple[str, list[int]]:
    """The template's text with each tag and variable replaced by HOLE (and the blocks of
    SKIPPED_BLOCKS by one HOLE), and for each character the line it came from."""
    out: list[str] = []
    lines: list[int] = []
    skipping_until = None
    for token in Lexer(source).tokenize():
        if skipping_until is not None:
            if token.token_type == TokenType.BLOCK and token.contents.split()[:1] == [
                skipping_until
            ]:
                skipping_until = None
            continue
        if token.token_type == TokenType.TEXT:
            out.append(token.contents)
            lines.extend(_lines_of(token.contents, token.lineno))
            continue
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            skipping_until = SKIPPED_BLOCKS.get(name)
        if token.token_type != TokenType.COMMENT:
            out.append(HOLE)
            lines.append(token.lineno)
    return "".join(out), lines


def _lines_of(text: str, first: int) -> list[int]:
    numbers, line = [], first
    for character in text:
        numbers.append(line)
        line += character == "\n"
    return numbers


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[tuple[int, int], str]] = []
        self.in_code = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.in_code += 1
        attributes = dict(attrs)
        for name, value in attrs:
            readable = name in READ_ATTRIBUTES or (
                name == "value"
                and tag == "input"
                and (attributes.get("type") or "").lower() in BUTTON_INPUTS
            )
            if readable and value:
                self._check(value)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.in_code -= 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.in_code = max(0, self.in_code - 1)

    def handle_data(self, data):
        if not self.in_code:
            self._check(data)

    def _check(self, text: str) -> None:
        words = " ".join(text.replace(HOLE, " ").split())
        if LETTER.search(words):
            self.found.append((self.getpos(), words))


def escapes(path: Path, root: Path) -> list[Escape]:
    """The text of one template that escapes translation."""
    text, lines = holed(path.read_text(encoding="utf-8"))
    reader = _Reader()
    reader.feed(text)
    reader.close()
    # The parser's positions are in the holed text: back to the template's lines.
    starts = [0] + [i + 1 for i, character in enumerate(text) if character == "\n"]
    name = str(path.relative_to(root))
    return [
        Escape(name, lines[min(starts[line - 1] + column, len(lines) - 1)], words)
        for (line, column), words in reader.found
    ]


def template_dirs() -> list[Path]:
    base = Path(__file__).resolve().parent.parent
    return [base / "templates"]


def all_escapes() -> list[Escape]:
    found = []
    for root in template_dirs():
        for path in sorted(root.rglob("*.html")):
            found.extend(escapes(path, root))
    return found


if __name__ == "__main__":
    import django

    django.setup()
    found = all_escapes()
    print("\n".join(map(str, found)) or "No template text escapes translation.")
    sys.exit(1 if found else 0)
