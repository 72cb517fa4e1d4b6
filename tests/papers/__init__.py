"""A corpus of discussion papers we wrote ourselves, to measure and pin the importer.

discussions.papers was tuned on one demo paper; this corpus gives it papers of other
layouts. Three tools share this module:

- tests/papers/make_corpus.py writes the papers and their truth (its docstring defines the
  truth's fields) from tests/papers/texts.py, and pins the importer's parses (--pin);
- scripts/paper_accuracy.py measures the importer against the truth;
- tests/test_paper_corpus.py fails when a parse changes from its pinned snapshot.

What they share is here: the corpus' paths, the view of a parse that is compared (title,
section titles, framing questions) and the scoring.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from discussions.papers import ParsedPaper, parse_paper, title_from_filename

CORPUS = Path(__file__).resolve().parent / "corpus"
FORMATS = (".txt", ".md", ".pdf", ".docx")
TRUTH_SUFFIX = ".expected.json"
SNAPSHOT_SUFFIX = ".parsed.json"
PIN_COMMAND = ".venv/bin/python -m tests.papers.make_corpus --pin"


def paper_paths(directory: Path = CORPUS) -> list[Path]:
    return sorted(path for path in directory.iterdir() if path.suffix in FORMATS)


def truth_path(paper: Path) -> Path:
    return paper.with_name(paper.stem + TRUTH_SUFFIX)


def snapshot_path(paper: Path) -> Path:
    return paper.with_name(paper.stem + SNAPSHOT_SUFFIX)


def view(paper: ParsedPaper) -> dict:
    """The part of a parse that the truth describes and the snapshots pin."""
    return {
        "title": paper.title,
        "sections": [section.title for section in paper.sections],
        "framing_questions": list(paper.framing_questions),
    }


def parse_file(path: Path) -> dict:
    return view(parse_paper(path.read_bytes(), path.name))


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def dump_json(value: dict) -> str:
    # One item a line and real characters (not \u escapes), so a diff reads like the paper.
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- scoring


def _collapse(text: str) -> str:
    return " ".join(text.split())


def section_key(title: str) -> str:
    # Case is ignored: an ALL-CAPS heading read back as printed is still the right heading.
    return _collapse(title).casefold()


def question_key(question: str) -> str:
    return _collapse(question)


@dataclass(frozen=True)
class Match:
    """How a list the importer found compares with the truth's, as multisets."""

    found: int
    expected: int
    matched: int
    missing: tuple[str, ...]  # in the truth, not found
    extra: tuple[str, ...]  # found, not in the truth

    @property
    def precision(self) -> float | None:
        return self.matched / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.expected if self.expected else None


def match(found: list[str], expected: list[str], key) -> Match:
    # Multisets, not sets: two "Introduction" sections where the paper has one is an error.
    found_keys, expected_keys = Counter(map(key, found)), Counter(map(key, expected))
    common = found_keys & expected_keys
    return Match(
        found=len(found),
        expected=len(expected),
        matched=sum(common.values()),
        missing=tuple((expected_keys - common).elements()),
        extra=tuple((found_keys - common).elements()),
    )


@dataclass(frozen=True)
class Score:
    title_expected: str
    title_found: str
    sections: Match
    questions: Match

    @property
    def title_ok(self) -> bool:
        return _collapse(self.title_found) == _collapse(self.title_expected)


def expected_title(truth: dict, filename: str) -> str:
    # A paper that prints no title (truth null) is right only with the file-name fallback:
    # any other title is a line of the paper mistaken for one.
    return truth["title"] if truth["title"] is not None else title_from_filename(filename)


def score(parsed: dict, truth: dict, filename: str) -> Score:
    return Score(
        title_expected=expected_title(truth, filename),
        title_found=parsed["title"],
        sections=match(parsed["sections"], truth["sections"], section_key),
        questions=match(parsed["framing_questions"], truth["framing_questions"], question_key),
    )
