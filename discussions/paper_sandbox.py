"""Read an uploaded paper in a short-lived process of its own, within limits.

An uploaded file is anyone's bytes, and the PDF and Word libraries can be made to work for
minutes on a few kilobytes: in the web worker, an 8 KB PDF took 34 s and a 100 KB .docx over
60 s and 1 GB, while that worker served everyone else. Here papers.parse_paper runs in a
child process (`python -m discussions.paper_sandbox`) that caps its own CPU time and
address space before it reads a byte of the file, and the caller kills it at a wall-clock
limit. The caller's thread waits on the child's pipe without the interpreter's lock; the
child answers in JSON, and the caller writes to the database as before.

The child limits itself rather than being limited by a `preexec_fn`: that runs Python
between fork and exec, which can deadlock in a process with threads (the server's). Its code
is ours; only the file is untrusted, and the limits hold before the file is read.

discussions.offload does not fit: its long-lived Django processes are shared by trusted
work, and it runs the work in the caller's thread until a child has started, or again when
one dies.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import resource
import signal
import subprocess
import sys
from pathlib import Path

from discussions import papers
from discussions.papers import gettext_noop

log = logging.getLogger(__name__)

# The longest an upload waits for its file to be read, whatever the file.
WALL_SECONDS = 20.0
# A 300-page text PDF (papers.MAX_PDF_PAGES) takes 1.5 s of CPU, a 10 MB text file 2 s.
# The wall clock above leaves room for a machine so busy the child waits for a core; this
# limit also ends a child whose server process was killed while it waited.
CPU_SECONDS = 15
# Address space, not resident memory: the demo paper needs 17 MB, a 300-page text PDF 70 MB,
# a 10 MB text or Markdown file up to 200 MB. A 5 KB PDF of 100,000 compressed lines needs
# 250 MB, and more the more lines it has.
MEMORY_BYTES = 512 * 1024 * 1024
# The answer is held and decoded in the caller's process: a 10 MB text file, the largest
# upload, reads to about 11 MB of JSON; a .docx or a PDF can unpack to much more text.
MAX_ANSWER_BYTES = 3 * papers.MAX_BYTES

_CHILD_MODULE = "discussions.paper_sandbox"  # this module, also when it runs as __main__
_IMPORT_ROOT = Path(__file__).resolve().parent.parent  # where `discussions` is importable
_MB = 1024 * 1024


def parse_paper(data: bytes, filename: str) -> papers.ParsedPaper:
    """papers.parse_paper(data, filename), in a child process within the limits above.

    Raises papers.PaperError, with one line for the person, for a file the parser refuses
    and for one that exceeds a limit; the child is gone by then. A refusal of the parser's
    comes back as it was raised, its message and values apart, to be translated where it
    is shown (papers.PaperError)."""
    request = json.dumps({"filename": filename}).encode() + b"\n" + data
    limits = (CPU_SECONDS, MEMORY_BYTES, MAX_ANSWER_BYTES)
    command = [sys.executable, "-m", _CHILD_MODULE, *map(str, limits)]
    try:
        # The child gets none of the server's environment: it reads untrusted files and
        # needs no secrets. On timeout, run() kills the child and waits for it.
        child = subprocess.run(
            command,
            input=request,
            capture_output=True,
            timeout=WALL_SECONDS,
            cwd=_IMPORT_ROOT,
            env={},
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise papers.PaperError(
            gettext_noop(
                "Reading this file took too long (the limit is %(limit)s s), so it was "
                "stopped: upload a shorter or simpler file, or the paper as a .txt."
            ),
            {"limit": f"{WALL_SECONDS:g}"},
        ) from None
    if child.returncode == -signal.SIGXCPU:
        raise papers.PaperError(
            gettext_noop(
                "Reading this file took too long (the limit is %(limit)s s of processing), "
                "so it was stopped: upload a shorter or simpler file, or the paper as a .txt."
            ),
            {"limit": CPU_SECONDS},
        )
    if child.returncode != 0 or not child.stdout:
        log.error(
            "The paper reader failed on %r (exit status %s): %s",
            filename[:100],
            child.returncode,
            child.stderr[-2000:].decode(errors="replace"),
        )
        raise papers.PaperError(
            gettext_noop(
                "This file could not be read: upload a shorter or simpler file, or the "
                "paper as a .txt."
            )
        )
    return _from_answer(json.loads(child.stdout.decode("utf-8", "surrogatepass")))


def _from_answer(answer: dict) -> papers.ParsedPaper:
    if "refused" in answer:
        raise papers.PaperError(answer["refused"]["message"], answer["refused"]["params"])
    if answer.get("exceeded") == "memory":
        raise papers.PaperError(
            gettext_noop(
                "Reading this file needed too much memory (the limit is %(limit)s MB), so it "
                "was stopped: upload a shorter or simpler file, or the paper as a .txt."
            ),
            {"limit": MEMORY_BYTES // _MB},
        )
    if answer.get("exceeded") == "answer":
        raise papers.PaperError(
            gettext_noop(
                "This file holds too much text for a paper (the limit is %(limit)s MB): "
                "upload a shorter or simpler file, or the paper as a .txt."
            ),
            {"limit": MAX_ANSWER_BYTES // _MB},
        )
    plain = answer["paper"]
    return papers.ParsedPaper(
        title=plain["title"],
        framing_questions=tuple(plain["framing_questions"]),
        sections=tuple(
            papers.ParsedSection(
                title=section["title"],
                level=section["level"],
                text=section["text"],
                questions=tuple(section["questions"]),
                footnotes=tuple(section["footnotes"]),
            )
            for section in plain["sections"]
        ),
        warnings=tuple(plain["warnings"]),
    )


# --------------------------------------------------------------------------- the child


def _child(cpu_seconds: int, memory_bytes: int, answer_bytes: int) -> None:
    # SIGXCPU at the soft limit ends the process (the caller recognises the signal); the
    # hard limit a second later is for a process that survives it. SIGXCPU also dumps
    # core by default: a core as large as the address space, in the project's directory.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    filename = json.loads(sys.stdin.buffer.readline())["filename"]
    data = sys.stdin.buffer.read()
    try:
        encoded = _encode(_answer(data, filename))
    except MemoryError:
        # Inside this block the error's traceback still holds the parse's memory; the
        # answer is prepared beforehand so that writing it allocates nothing.
        encoded = _OUT_OF_MEMORY
    if len(encoded) > answer_bytes:
        encoded = _encode({"exceeded": "answer"})
    sys.stdout.buffer.write(encoded)


_OUT_OF_MEMORY = b'{"exceeded": "memory"}'


def _answer(data: bytes, filename: str) -> dict:
    try:
        return {"paper": dataclasses.asdict(papers.parse_paper(data, filename))}
    except papers.PaperError as error:
        return {"refused": {"message": error.message, "params": error.params}}


def _encode(answer: dict) -> bytes:
    # Lone surrogates can come out of a PDF's broken font tables; they travel as they are.
    return json.dumps(answer, ensure_ascii=False).encode("utf-8", "surrogatepass")


if __name__ == "__main__":
    _child(*(int(argument) for argument in sys.argv[1:]))
