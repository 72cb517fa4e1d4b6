"""A paper is read within limits (discussions.paper_sandbox, discussions.papers): a file made
to exhaust the server is refused in one line on the upload page, nothing is saved, and the
worker waits no longer than the wall clock."""

import io
import random
import zipfile
import zlib
from collections.abc import Iterable

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape
from fpdf import FPDF

from discussions import paper_sandbox, papers, services
from discussions.models import Paper
from tests.conftest import DEMO_PAPER

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def refusal(client, name: str, data: bytes) -> str:
    """Upload a file the server must refuse; the one line the upload page shows."""
    response = client.post(reverse("organizer:upload"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 400
    (message,) = response.context["form"].errors["file"]
    assert "\n" not in message
    assert escape(message) in response.content.decode()
    assert not Paper.objects.exists()
    return message


def word_file(parts: dict[str, Iterable[bytes]]) -> bytes:
    """python-docx's own blank document with some parts replaced, each written in chunks
    (so a test never holds a whole bomb in memory)."""
    template = io.BytesIO()
    docx.Document().save(template)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(template) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            if name not in parts:
                target.writestr(name, source.read(name))
        for name, chunks in parts.items():
            with target.open(name, "w") as part:
                for chunk in chunks:
                    part.write(chunk)
    return out.getvalue()


def zeros(megabytes: int) -> Iterable[bytes]:
    return (bytes(MB) for _ in range(megabytes))


def wordprocessing_xml(paragraphs: Iterable[str]) -> Iterable[bytes]:
    yield (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document '
        b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    for paragraph in paragraphs:
        yield f"<w:p><w:r><w:t>{paragraph}</w:t></w:r></w:p>".encode()
    yield b"</w:body></w:document>"


def pdf_of_pages(count: int) -> bytes:
    """A PDF of `count` pages, each a line of the demo paper's (the same line on every page
    would be taken for a running header and dropped)."""
    text = DEMO_PAPER.read_text().encode("latin-1", "replace").decode("latin-1")
    lines = [line for line in text.splitlines() if 40 < len(line) < 80]
    document = FPDF()
    document.set_font("helvetica", size=12)
    for number in range(count):
        document.add_page()
        document.cell(text=lines[number % len(lines)])
    return bytes(document.output())


def pdf_with_content(content: bytes) -> bytes:
    """A one-page PDF whose page draws `content` (a content stream, compressed)."""
    stream = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


@pytest.fixture(scope="module")
def exhausting_pdf() -> bytes:
    """5 KB that pypdf reads for 4.5 s of CPU and 250 MB of address space (on the machine
    this was written on): 100,000 lines of text on one page, compressed. The issue's 8 KB
    PDF that took 34 s was of this kind."""
    return pdf_with_content(b"BT /F1 12 Tf 72 700 Td " + b"(Why ) Tj 0 -14 Td " * 100_000 + b"ET")


# --------------------------------------------------------------------------- .docx


def test_a_docx_part_that_unpacks_to_200_mb_is_refused_before_it_is_read(organizer_client):
    bomb = word_file({"word/document.xml": zeros(200)})
    assert len(bomb) < 300_000
    message = refusal(organizer_client, "bomb.docx", bomb)
    assert "A part of this .docx unpacks to more than 50 MB" in message


def test_a_docx_compressed_as_only_a_bomb_is_is_refused_though_it_would_parse(
    organizer_client,
):
    # 5 MB of real paragraphs, 150,000 of them: python-docx reads it (slowly, into a
    # paper of 150,000 paragraphs) but no paper compresses 500 to 1.
    paragraphs = ("Why?" for _ in range(150_000))
    bomb = word_file({"word/document.xml": wordprocessing_xml(paragraphs)})
    message = refusal(organizer_client, "bomb.docx", bomb)
    assert "compressed more than 100 to 1" in message


def test_a_docx_of_many_small_parts_adding_up_to_over_100_mb_is_refused(organizer_client):
    bomb = word_file({f"word/media/part{number}.bin": zeros(1) for number in range(101)})
    message = refusal(organizer_client, "bomb.docx", bomb)
    assert "This .docx unpacks to more than 100 MB" in message


def test_a_docx_part_bigger_than_it_declares_is_never_unpacked_beyond_its_declared_size():
    # The size checks trust the zip's directory; the zip reader stops at the declared size.
    bomb = bytearray(word_file({"word/document.xml": zeros(20)}))
    declared = (20 * MB).to_bytes(4, "little")
    assert bomb.count(declared) == 2  # the part's local header and its directory entry
    bomb[:] = bomb.replace(declared, (1000).to_bytes(4, "little"))
    with pytest.raises(papers.PaperError, match="could not be read"):
        paper_sandbox.parse_paper(bytes(bomb), "liar.docx")


def test_a_real_docx_of_a_few_mb_still_imports(organizer_client):
    words = random.Random(7).choices(DEMO_PAPER.read_text().split(), k=200_000)
    document = docx.Document()
    document.add_heading("A long paper", 1)
    for start in range(0, len(words), 100):
        document.add_paragraph(" ".join(words[start : start + 100]))
    data = io.BytesIO()
    document.save(data)
    with zipfile.ZipFile(data) as archive:
        assert archive.getinfo("word/document.xml").file_size > papers.DOCX_RATIO_FROM_BYTES
    response = organizer_client.post(
        reverse("organizer:upload"), {"file": SimpleUploadedFile("long.docx", data.getvalue())}
    )
    assert response.status_code == 302
    assert Paper.objects.get().sections.get(title="A long paper").text.count("\n\n") == 1999


# --------------------------------------------------------------------------- PDF


def test_a_pdf_of_more_pages_than_the_cap_is_refused(organizer_client):
    message = refusal(organizer_client, "long.pdf", pdf_of_pages(papers.MAX_PDF_PAGES + 1))
    assert message.startswith("This PDF has 301 pages; the limit is 300:")


def test_a_pdf_at_the_cap_still_imports():
    data = pdf_of_pages(papers.MAX_PDF_PAGES)
    assert paper_sandbox.parse_paper(data, "long.pdf") == papers.parse_paper(data, "long.pdf")


# --------------------------------------------------------------------------- rows to write


def test_a_paper_of_more_questions_than_the_limit_is_refused(organizer_client):
    text = b"Why? " * (papers.MAX_QUESTIONS + 1)
    message = refusal(organizer_client, "questions.txt", text)
    assert message.startswith("The file has 5001 questions; the limit is 5000:")


def test_a_paper_of_more_sections_than_the_limit_is_refused(organizer_client):
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    names = (a + b + c for a in letters for b in letters for c in letters)
    text = "".join(
        f"Heading {name}\n\nA paragraph.\n\n" for _, name in zip(range(2001), names, strict=False)
    )
    message = refusal(organizer_client, "sections.txt", text.encode())
    assert message.startswith("The file has 2001 sections; the limit is 2000:")


# --------------------------------------------------------------------------- the child's limits


def test_a_parse_that_runs_past_the_wall_clock_is_killed_and_refused(
    organizer_client, monkeypatch, exhausting_pdf
):
    monkeypatch.setattr(paper_sandbox, "WALL_SECONDS", 1)
    message = refusal(organizer_client, "slow.pdf", exhausting_pdf)
    assert message.startswith("Reading this file took too long (the limit is 1 s)")


def test_a_parse_that_uses_more_cpu_than_allowed_is_stopped_and_refused(
    organizer_client, monkeypatch, exhausting_pdf
):
    monkeypatch.setattr(paper_sandbox, "CPU_SECONDS", 1)
    message = refusal(organizer_client, "slow.pdf", exhausting_pdf)
    assert message.startswith("Reading this file took too long (the limit is 1 s of processing)")


def test_a_parse_that_needs_more_memory_than_allowed_is_refused(
    organizer_client, monkeypatch, exhausting_pdf
):
    monkeypatch.setattr(paper_sandbox, "MEMORY_BYTES", 128 * MB)
    message = refusal(organizer_client, "slow.pdf", exhausting_pdf)
    assert message.startswith("Reading this file needed too much memory (the limit is 128 MB)")


def test_a_parse_whose_answer_is_too_large_for_the_worker_is_refused(monkeypatch, demo_bytes):
    monkeypatch.setattr(paper_sandbox, "MAX_ANSWER_BYTES", len(demo_bytes) // 2)
    with pytest.raises(papers.PaperError, match=r"too much text for a paper"):
        services.import_paper(data=demo_bytes, filename=DEMO_PAPER.name)
    assert not Paper.objects.exists()


# --------------------------------------------------------------------------- the same as before


def test_the_demo_paper_reads_the_same_in_the_child_as_in_process(demo_bytes):
    in_child = paper_sandbox.parse_paper(demo_bytes, DEMO_PAPER.name)
    assert in_child == papers.parse_paper(demo_bytes, DEMO_PAPER.name)
    assert len(in_child.sections) == 7


def test_text_the_parser_refuses_is_refused_with_its_own_message():
    with pytest.raises(papers.PaperError, match=r"^The file is empty\.$"):
        paper_sandbox.parse_paper(b"  \n", "empty.txt")


def test_load_paper_reads_through_the_same_limits(tmp_path):
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(word_file({"word/document.xml": zeros(200)}))
    long = tmp_path / "long.pdf"
    long.write_bytes(pdf_of_pages(papers.MAX_PDF_PAGES + 1))
    with pytest.raises(CommandError, match=r"^bomb\.docx: A part of this \.docx unpacks"):
        call_command("load_paper", str(bomb), stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match=r"^long\.pdf: This PDF has 301 pages"):
        call_command(
            "load_paper", str(long), "--dry-run", stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert not Paper.objects.exists()
