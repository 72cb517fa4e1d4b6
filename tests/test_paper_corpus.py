"""The importer's parse of each corpus paper is pinned (tests/papers).

Each paper of tests/papers/corpus has a snapshot of what discussions.papers made of it
(<stem>.parsed.json: title, section titles, framing questions). A change to the importer
that changes a parse fails here with the diff: if the change is intended, re-pin and check
the accuracy did not fall (scripts/paper_accuracy.py compares the parses with the truth).

The corpus itself is generated (tests/papers/make_corpus.py from tests/papers/texts.py),
and a test checks the files on disk are what the generator writes, so nobody edits them.

Pure tests: no database.
"""

import difflib
import io
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from tests.papers import (
    CORPUS,
    FORMATS,
    PIN_COMMAND,
    SNAPSHOT_SUFFIX,
    dump_json,
    make_corpus,
    paper_paths,
    parse_file,
    snapshot_path,
)
from tests.papers.texts import PAPERS

REGENERATE = ".venv/bin/python -m tests.papers.make_corpus"
MIN_PAPERS = 22
MIN_PER_FORMAT = 4


@pytest.mark.parametrize("name", [paper.name for paper in PAPERS])
def test_parse_is_the_pinned_one(name):
    path = CORPUS / name
    snapshot = snapshot_path(path)
    assert snapshot.exists(), f"{name} has no snapshot: run {PIN_COMMAND}"
    pinned = snapshot.read_text(encoding="utf-8")
    now = dump_json(parse_file(path))
    if now != pinned:
        diff = "".join(
            difflib.unified_diff(
                pinned.splitlines(keepends=True),
                now.splitlines(keepends=True),
                fromfile=f"pinned {snapshot.name}",
                tofile="parsed now",
            )
        )
        pytest.fail(
            f"The importer's parse of {name} changed from its snapshot:\n\n{diff}\n"
            f"If the change is intended, re-pin with `{PIN_COMMAND}`, check the figures "
            "with `.venv/bin/python scripts/paper_accuracy.py`, and commit the changed "
            "*.parsed.json with the importer change.",
            pytrace=False,
        )


def test_corpus_is_big_and_varied():
    formats = Counter(Path(paper.name).suffix for paper in PAPERS)
    assert len(PAPERS) >= MIN_PAPERS
    assert {extension: formats[extension] for extension in FORMATS} == {
        extension: max(formats[extension], MIN_PER_FORMAT) for extension in FORMATS
    }, f"each format needs {MIN_PER_FORMAT} papers at least: {dict(formats)}"
    # Both kinds of paper the truth has to be right about: with and without framing
    # questions, with and without a printed title.
    assert any(not paper.questions for paper in PAPERS)
    assert any(paper.title is None for paper in PAPERS)
    assert len({paper.exercises for paper in PAPERS}) == len(PAPERS)


def test_corpus_on_disk_is_what_make_corpus_writes(tmp_path):
    make_corpus.generate(tmp_path)
    generated = {path.name for path in tmp_path.iterdir()}
    on_disk = {p.name for p in CORPUS.iterdir() if not p.name.endswith(SNAPSHOT_SUFFIX)}
    fix = f"edit tests/papers/texts.py, never the corpus, then run {REGENERATE}"
    assert on_disk == generated, f"the corpus' files differ from the generated ones: {fix}"
    changed = [name for name in sorted(generated) if not same_file(CORPUS / name, tmp_path / name)]
    assert not changed, f"{', '.join(changed)} differ from what make_corpus writes: {fix}"
    snapshots = {p.name for p in CORPUS.iterdir() if p.name.endswith(SNAPSHOT_SUFFIX)}
    papers = {snapshot_path(path).name for path in paper_paths(CORPUS)}
    assert snapshots == papers, f"snapshots without their paper, or the reverse: {PIN_COMMAND}"


def same_file(first: Path, second: Path) -> bool:
    if first.read_bytes() == second.read_bytes():
        return True
    # A .docx is a zip whose deflated bytes depend on the zlib build; what matters is its
    # parts. (The PDFs are written uncompressed, so their bytes are comparable as they are.)
    if first.suffix == ".docx":
        return zip_parts(first) == zip_parts(second)
    return False


def zip_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
