"""Exports in the session's language: the reports and the CSV headers speak it, the JSON keys
never change, and the PDF writes Arabic (joined, right to left) and Chinese in real fonts
whose text layer reads back as written."""

import csv
import io
import json
import logging
import re
import struct
import zipfile
from array import array
from pathlib import Path

import pypdf
import pytest
import uharfbuzz
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from fontTools.ttLib import TTFont
from pypdf.generic import ContentStream

from discussions import exports, services
from discussions.models import Session
from tests.factories import AGREE, DISAGREE, make_participant, make_position, make_room, make_vote

pytestmark = pytest.mark.django_db


# What people wrote, without the punctuation whose place a text extractor's guess at
# direction may move: each must come back from the PDF's text layer exactly, in the order
# it was written (logical order), not in the order the glyphs stand on the page.
ARABIC = [
    "ينبغي لكل دولة عضو أن تنشر أهداف إنفاقها الدفاعي",
    "العودة إلى هيئة الاستئناف في منظمة التجارة العالمية",
    "تمويل المدن المتضررة من التجارة قبل أي اتفاق جديد",
]
CHINESE = [
    "各成员国应公布其国防开支目标。",
    "重新加入世界贸易组织的上诉机构。",
    "在签订新的贸易协定之前，先资助受贸易冲击的城镇。",
]


@pytest.fixture
def organizer(django_user_model):
    return django_user_model.objects.create_user(username="olga", is_staff=True)


def session_in(paper, organizer, language: str, texts: list[str]) -> Session:
    """A session in this language whose three positions, in it, are each a recommendation
    (so the PDF prints each, as the recommendation and as its source)."""
    room = make_room(paper)
    Session.objects.filter(pk=room.session.pk).update(language=language)
    positions = [
        make_position(author, text)
        for author, text in zip((room.ada, room.ben, room.cleo), texts, strict=True)
    ]
    dan = make_participant(room.other_group, "Dan")
    for person in (room.ada, room.ben, room.cleo, dan):
        for n, position in enumerate(positions):
            make_vote(person, position, DISAGREE if (n, person) == (1, dan) else AGREE)
    for position in positions:
        services.promote(actor=organizer, session=room.session, position_ids=[position.pk])
    room.session.refresh_from_db()
    return room.session


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def pdf_fonts(data: bytes) -> set[str]:
    """The names of the fonts embedded in the PDF, without their subset prefix."""
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def embedded_glyphs(data: bytes, font_name: str) -> list[str]:
    """The names of the glyphs of an embedded (subset) font."""
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if str(font["/BaseFont"]).endswith("+" + font_name):
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                file = descriptor["/FontFile2"].get_object().get_data()
                return TTFont(io.BytesIO(file)).getGlyphOrder()
    raise AssertionError(f"{font_name} is not embedded")


def widths(font) -> dict[int, float]:
    """A CID font's glyph widths (thousandths of its size), by code, from its /W array."""
    found: dict[int, float] = {}
    w = list(font["/DescendantFonts"][0].get_object().get("/W", []))
    while w:
        first = int(w.pop(0))
        if isinstance(w[0], list | pypdf.generic.ArrayObject):
            found.update((first + n, float(width)) for n, width in enumerate(w.pop(0)))
        else:
            last, width = int(w.pop(0)), float(w.pop(0))
            found.update((code, width) for code in range(first, last + 1))
    return found


def glyphs_drawn(data: bytes) -> list[tuple[str, float, float]]:
    """Each glyph the PDF draws, read from its content stream: its text (through its
    font's ToUnicode map, so a ligature is the letters it joins) and where it stands
    (x, y, in points), in the order drawn."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    drawn = []
    for page in reader.pages:
        fonts = {}
        for name, font in page["/Resources"]["/Font"].items():
            font = font.get_object()
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            to_text = {
                int(code, 16): bytes.fromhex(text).decode("utf-16-be")
                for code, text in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]+)>", cmap)
            }
            fonts[name] = (to_text, widths(font))
        font, size, x, y = None, 0.0, 0.0, 0.0
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                font, size = fonts[operands[0]], float(operands[1])
            elif operator == b"Td":  # fpdf2: just after BT, from the page's origin
                x, y = float(operands[0]), float(operands[1])
            elif operator == b"Tm":
                x, y = float(operands[4]), float(operands[5])
            elif operator == b"Tj":
                raw = operands[0]
                raw = raw.original_bytes if hasattr(raw, "original_bytes") else bytes(raw)
                to_text, advance = font
                for code in struct.unpack(f">{len(raw) // 2}H", raw):
                    drawn.append((to_text.get(code, "\ufffd"), x, y))
                    x += advance.get(code, 0) * size / 1000
    return drawn


def read_right_to_left(data: bytes) -> dict[str, float]:
    """Each line of the PDF read from its right end to its left, character by character
    (as text extractors read right-to-left text: fpdf2 maps a ligature of two letters to
    them in the order they stand on the page), with where its rightmost glyph stands."""
    lines: dict[float, list[tuple[float, str]]] = {}
    for text, x, y in glyphs_drawn(data):
        lines.setdefault(y, []).append((x, text))
    return {
        "".join(text for x, text in sorted(line, key=lambda glyph: glyph[0]))[::-1]: max(line)[0]
        for line in lines.values()
    }


@pytest.fixture
def shaped(monkeypatch):
    """The texts that went through HarfBuzz's shaping."""
    texts = []
    shape = uharfbuzz.shape

    def spy(font, buffer, features=None, *args, **kwargs):
        texts.append("".join(chr(info.codepoint) for info in buffer.glyph_infos))
        return shape(font, buffer, features, *args, **kwargs)

    monkeypatch.setattr(uharfbuzz, "shape", spy)
    return texts


# --- A catalog of a few translations, as makemessages and compilemessages will make them ------


def write_catalog(directory: Path, language: str, messages: dict[str, str]) -> None:
    """A compiled gettext catalog (.mo) of these messages, for this language, under
    directory: the format Python's gettext reads (its Tools/i18n/msgfmt.py, condensed).
    A key "context\\x04message" is a pgettext message."""
    messages = {"": "Content-Type: text/plain; charset=UTF-8\n", **messages}
    keys = sorted(messages)
    ids = strs = b""
    offsets = []
    for key in keys:
        key_bytes, value_bytes = key.encode(), messages[key].encode()
        offsets.append((len(ids), len(key_bytes), len(strs), len(value_bytes)))
        ids += key_bytes + b"\0"
        strs += value_bytes + b"\0"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    key_offsets, value_offsets = [], []
    for id_offset, id_length, str_offset, str_length in offsets:
        key_offsets += [id_length, id_offset + key_start]
        value_offsets += [str_length, str_offset + value_start]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    folder = directory / translation.to_locale(language) / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "django.mo").write_bytes(
        header + array("i", key_offsets).tobytes() + array("i", value_offsets).tobytes()
        + ids + strs
    )  # fmt: skip


MISSING_FONT = (
    "This server has no font for Chinese, Japanese and Korean text, which is left out of this "
    "PDF (the Markdown, CSV and JSON exports have it). Its administrator can install the "
    "%(package)s package."
)
FRENCH = {
    "Recommendations": "Recommandations",
    "Positions by question": "Positions par question",
    "Participation": "Participation",
    "CSV column header\x04text": "texte",
    "CSV column header\x04group": "groupe",
    "CSV column header\x04agree": "d’accord",
    "CSV column header\x04participant": "participant·e",
    "CSV column header\x04vote_count": "nombre de votes",
    "CSV column header\x04dissent_note": "note de désaccord",
    MISSING_FONT: "Ce serveur n’a pas de police pour le chinois (paquet %(package)s).",
}
ARABIC_WORDS = {"Recommendations": "التوصيات"}
CHINESE_WORDS = {
    "Recommendations": "建议",
    MISSING_FONT: "此服务器没有中文、日文和韩文字体。管理员可以安装 %(package)s 软件包。",
}


@pytest.fixture
def catalogs(tmp_path):
    """A few of the exports' words in French, Arabic and Chinese, found before the
    project's own catalogs (which are not written yet)."""
    directory = tmp_path / "locale"
    write_catalog(directory, "fr", FRENCH)
    write_catalog(directory, "ar", ARABIC_WORDS)
    write_catalog(directory, "zh-hans", CHINESE_WORDS)
    with override_settings(LOCALE_PATHS=[directory, *settings.LOCALE_PATHS]):
        yield


# --- The PDF: Arabic and Chinese ---------------------------------------------------------------


def test_arabic_pdf_text_layer_reads_back_as_written(published_paper, organizer, shaped):
    session = session_in(published_paper, organizer, "ar", ARABIC)
    data = exports.export_file(session.pk, None, False, False, "pdf")
    text = pdf_text(data)
    for position in ARABIC:
        assert text.count(position) >= 2, (position, text)  # the recommendation, its source
    assert "NotoNaskhArabic" in pdf_fonts(data)
    assert "NotoNaskhArabicBold" in pdf_fonts(data)  # the recommendations are in bold
    # Shaped by HarfBuzz: the letters are drawn in their joined forms (initial, medial,
    # final: the glyphs named after Arabic Presentation Forms-B), not only their own.
    assert any(ARABIC[0].split()[0] in run for run in shaped)
    joined = [name for name in embedded_glyphs(data, "NotoNaskhArabic") if name[3:5] == "FE"]
    assert len(joined) > 20, joined


def test_arabic_pdf_runs_right_to_left_from_the_right_margin(published_paper, organizer):
    """Each glyph drawn where a right-to-left line puts it: read from the right, the
    recommendation's line is its number, then its words in the order they were written,
    and the line starts at the right margin."""
    written = [ARABIC[0], f"{ARABIC[1]}.", f"{ARABIC[2]} (WTO)؟"]
    session = session_in(published_paper, organizer, "ar", written)
    data = exports.export_file(session.pk, None, False, False, "pdf")
    lines = read_right_to_left(data)
    line = f"1. {ARABIC[0]}"
    assert line in lines, list(lines)
    assert f"2. {ARABIC[1]}." in lines  # the full stop at the left end, where it belongs
    assert f"3. {ARABIC[2]} (OTW)؟" in lines  # Latin letters inside run left to right
    right_margin = 595.28 - 18 * 72 / 25.4  # A4, 18 mm, in points
    assert right_margin - 10 < lines[line] < right_margin  # the "1", at the right


def test_an_english_line_reads_left_to_right(published_paper, organizer):
    """The same reading of an English report: its lines come out backwards."""
    session = session_in(published_paper, organizer, "", ["One.", "Two.", "Three."])
    lines = read_right_to_left(exports.export_file(session.pk, None, False, False, "pdf"))
    assert ".enO .1" in lines, list(lines)
    assert lines[".enO .1"] < 150  # ends far from the right margin


def test_arabic_pdf_labels_in_arabic_and_latin_names_inside(published_paper, organizer, catalogs):
    session = session_in(published_paper, organizer, "ar", ARABIC)
    data = exports.export_file(session.pk, None, False, False, "pdf")
    text = pdf_text(data)
    assert "التوصيات" in text  # the heading, from the catalog
    assert "Group 1" in text and "Group 2" in text  # names in Latin letters, in DejaVu
    assert "DejaVuSans" in " ".join(pdf_fonts(data))


def test_chinese_pdf_text_layer_reads_back_as_written(published_paper, organizer, catalogs):
    session = session_in(published_paper, organizer, "zh-hans", CHINESE)
    data = exports.export_file(session.pk, None, False, False, "pdf")
    text = pdf_text(data)
    for position in CHINESE:
        assert text.count(position) >= 2, (position, text)
    assert "建议" in text  # the heading, from the catalog
    # The real font, installed by dev.py: the tests never fall back.
    assert exports.cjk_font() is not None, "python3 dev.py test installs fonts-droid-fallback"
    assert "DroidSansFallback" in " ".join(pdf_fonts(data))


def test_chinese_positions_in_a_french_report_and_arabic_ones_in_an_english_report(
    published_paper, organizer
):
    mixed = [CHINESE[0], ARABIC[1], "Rejoindre l’organe d’appel de l’OMC."]
    session = session_in(published_paper, organizer, "fr", mixed)
    text = pdf_text(exports.export_file(session.pk, None, False, False, "pdf"))
    for position in mixed:
        assert position in text, (position, text)


def test_a_pdf_without_wide_characters_does_not_load_the_chinese_font(published_paper, organizer):
    session = session_in(published_paper, organizer, "fr", ["Un.", "Deux.", "Trois."])
    data = exports.export_file(session.pk, None, False, False, "pdf")
    assert not any("Droid" in name for name in pdf_fonts(data))


def test_without_the_chinese_font_the_pdf_says_so_instead_of_failing(
    published_paper, organizer, monkeypatch, caplog, catalogs
):
    monkeypatch.setattr(exports.pdf, "CJK_FONTS", (Path("/nonexistent/DroidSansFallbackFull.ttf"),))
    session = session_in(published_paper, organizer, "fr", ["Un.", CHINESE[1], "Trois."])
    with caplog.at_level(logging.WARNING, logger="discussions.exports"):
        data = exports.export_file(session.pk, None, False, False, "pdf")
    assert data.startswith(b"%PDF")
    text = " ".join(pdf_text(data).split())
    assert "Recommandations" in text and "Trois." in text  # the rest is there
    assert "Ce serveur n’a pas de police pour le chinois (paquet fonts-droid-fallback)." in text
    assert "fonts-droid-fallback" in caplog.text


def test_a_chinese_report_without_its_font_says_so_in_english(
    published_paper, organizer, monkeypatch, catalogs
):
    """Its own language would need the missing font to be read."""
    monkeypatch.setattr(exports.pdf, "CJK_FONTS", (Path("/nonexistent/DroidSansFallbackFull.ttf"),))
    session = session_in(published_paper, organizer, "zh-hans", CHINESE)
    text = " ".join(pdf_text(exports.export_file(session.pk, None, False, False, "pdf")).split())
    assert MISSING_FONT % {"package": "fonts-droid-fallback"} in text


# --- The session's language, whoever downloads ------------------------------------------------


def test_csv_headers_are_in_the_sessions_language_and_json_keys_are_not(
    published_paper, organizer, catalogs
):
    session = session_in(published_paper, organizer, "fr", ["Un.", "Deux.", "Trois."])
    with translation.override("ru"):  # the downloader's language does not count
        archive = zipfile.ZipFile(
            io.BytesIO(exports.export_file(session.pk, None, False, False, "csv"))
        )
        document = json.loads(exports.export_file(session.pk, None, False, False, "json"))

    def header(name: str) -> list[str]:
        return next(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))

    positions = header("positions.csv")
    assert len(positions) == len(exports.POSITION_COLUMNS)
    assert (positions[1], positions[5], positions[8]) == ("groupe", "texte", "d’accord")
    assert header("votes.csv")[1] == "participant·e"
    assert header("groups.csv")[-1] == "nombre de votes"
    assert header("recommendations.csv")[-1] == "note de désaccord"
    # The cells keep their codes, as the JSON does.
    rows = list(csv.DictReader(io.StringIO(archive.read("votes.csv").decode("utf-8-sig"))))
    assert {row["vote"] for row in rows} == {"agree", "disagree"}
    assert list(document) == [
        "schema_version", "generated", "scope", "session", "paper", "groups", "positions",
        "votes", "recommendations", "synthesis",
    ]  # fmt: skip
    assert set(document["positions"][0]) >= set(exports.POSITION_COLUMNS)
    assert set(document["votes"][0]) == set(exports.VOTE_COLUMNS)


def test_json_is_the_same_in_every_language(published_paper, organizer, catalogs):
    session = session_in(published_paper, organizer, "", ["Un.", "Deux.", "Trois."])
    english = json.loads(exports.export_file(session.pk, None, False, False, "json"))
    Session.objects.filter(pk=session.pk).update(language="fr")
    french = json.loads(exports.export_file(session.pk, None, False, False, "json"))
    english.pop("generated"), french.pop("generated")
    assert french == english


def test_markdown_headings_in_the_sessions_language(published_paper, organizer, catalogs):
    session = session_in(published_paper, organizer, "fr", ["Un.", "Deux.", "Trois."])
    with translation.override("en"):
        report = exports.export_file(session.pk, None, False, False, "md")
    assert "\n## Recommandations\n" in report
    assert "\n## Positions par question\n" in report
    assert "\n## Recommendations\n" not in report
    assert translation.get_language() == "en"  # the caller's language is back


def test_markdown_numbers_in_the_sessions_language_without_any_catalog(published_paper, organizer):
    """Django's own formats, which need no catalog of ours: French writes 0,45."""
    session = session_in(published_paper, organizer, "fr", ["Un.", "Deux.", "Trois."])
    french = exports.export_file(session.pk, None, False, False, "md")
    Session.objects.filter(pk=session.pk).update(language="")
    english = exports.export_file(session.pk, None, False, False, "md")
    decimal_point, decimal_comma = re.compile(r"\b0\.\d\d\b"), re.compile(r"\b0,\d\d\b")
    assert decimal_point.search(english) and not decimal_comma.search(english)
    assert decimal_comma.search(french) and not decimal_point.search(french)


def test_export_speaks_the_sessions_language_in_every_format(
    published_paper, organizer, monkeypatch
):
    """What is active while each renderer runs (export_file may run in a child process,
    which has none of the request's language)."""
    session = session_in(published_paper, organizer, "zh-hans", CHINESE)
    seen = {}
    for format in exports.FORMATS:
        renderer = {
            "md": "to_markdown", "pdf": "to_pdf", "csv": "to_csv_zip", "json": "to_json"
        }[format]  # fmt: skip
        original = getattr(exports, renderer)

        def spy(document, original=original, format=format):
            seen[format] = translation.get_language()
            return original(document)

        monkeypatch.setattr(exports.download, renderer, spy)
        with translation.override("es"):
            exports.export_file(session.pk, None, False, False, format)
    assert seen == dict.fromkeys(exports.FORMATS, "zh-hans")
    Session.objects.filter(pk=session.pk).update(language="")
    with translation.override("es"):
        exports.export_file(session.pk, None, False, False, "md")
    assert seen["md"] == "en"  # no language chosen: English, not the downloader's


def test_the_download_speaks_the_sessions_language_not_the_organizers(
    client, published_paper, organizer, catalogs
):
    session = session_in(published_paper, organizer, "fr", ["Un.", "Deux.", "Trois."])
    client.force_login(organizer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    url = reverse("organizer:export", args=[session.pk])
    report = client.get(url, {"format": "md"}, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "\n## Recommandations\n" in report
