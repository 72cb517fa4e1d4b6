"""The PDF report: the Markdown report's content, printable, with tally bars and the opinion
map drawn, and the fonts its text needs (Latin, Greek, Cyrillic, Arabic, and Chinese,
Japanese and Korean when the system has a font for them)."""

import logging
import unicodedata
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fontTools.ttLib import TTFont
from fpdf import FPDF

from discussions import palette
from discussions.exports.markdown import _split
from discussions.exports.wording import _opinion_group, _tally, _title

log = logging.getLogger(__name__)

FONTS = Path(__file__).resolve().parent.parent / "fonts"  # discussions/fonts
PALETTE = [palette.rgb(colour) for colour in palette.OPINION_GROUPS]
GREEN, RED, GREY = (palette.rgb(c) for c in (palette.AGREE, palette.DISAGREE, palette.PASS))

# Latin, Greek, Cyrillic and the rest of DejaVu Sans; Arabic letters in Noto Naskh Arabic
# (both shipped in discussions/fonts); Chinese, Japanese and Korean in Droid Sans Fallback,
# which is too large to ship (4 MB) and comes from Debian's fonts-droid-fallback package
# (dev.py installs it; a deployer installs it as the README says). fpdf2 takes each
# character from the first of these that has it, and shapes the text with HarfBuzz.
FAMILY = "DejaVu"
ARABIC_FAMILY = "NotoNaskhArabic"
CJK_FAMILY = "DroidSansFallback"
TEXT_FONTS = {
    FAMILY: {"": FONTS / "DejaVuSans.ttf", "B": FONTS / "DejaVuSans-Bold.ttf"},
    ARABIC_FAMILY: {
        "": FONTS / "NotoNaskhArabic-Regular.ttf",
        "B": FONTS / "NotoNaskhArabic-Bold.ttf",
    },
}
CJK_PACKAGE = "fonts-droid-fallback"
CJK_FONTS = (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),)
# The Arabic blocks, which DejaVu Sans covers too, more plainly: its Arabic is left out.
ARABIC_BLOCKS = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x0870, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)
CJK_LANGUAGES = ("zh", "ja", "ko")


@cache
def _characters_of(path: Path) -> frozenset[int]:
    """The characters a font file has glyphs for."""
    font = TTFont(path, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def _is_arabic(character: str) -> bool:
    return any(a <= ord(character) <= b for a, b in ARABIC_BLOCKS)


@cache
def _without_arabic(path: Path) -> tuple[int, ...]:
    return tuple(sorted(c for c in _characters_of(path) if not _is_arabic(chr(c))))


def _family(text: str) -> str:
    """A paragraph's main font: Noto Naskh Arabic where it has Arabic letters, DejaVu Sans
    otherwise; the other fonts fill in the characters it lacks. The spaces and digits
    between Arabic words are then in the words' font, so an Arabic phrase is one run of
    text, which is how PDF readers put its words back in reading order."""
    return ARABIC_FAMILY if any(_is_arabic(c) for c in text) else FAMILY


def cjk_font() -> Path | None:
    """The installed font for Chinese, Japanese and Korean text, if any."""
    return next((path for path in CJK_FONTS if path.is_file()), None)


def _strings(value) -> list[str]:
    """Every text in a document (its values, not its keys)."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _needs_cjk(document: dict) -> bool:
    """Whether the report has wide (East Asian) characters: in its own words (a report in
    Chinese) or in what people wrote."""
    if translation.get_language().startswith(CJK_LANGUAGES):
        return True
    latin = _characters_of(TEXT_FONTS[FAMILY][""])
    characters = set("".join(_strings(document)))
    return any(
        ord(c) not in latin and unicodedata.east_asian_width(c) in ("W", "F") for c in characters
    )


def _missing_font_note() -> str:
    """What a PDF says when the font for its Chinese (Japanese, Korean) text is missing: in
    its language, or in English where that language is written in the missing letters."""
    note = _(
        "This server has no font for Chinese, Japanese and Korean text, which is left out "
        "of this PDF (the Markdown, CSV and JSON exports have it). Its administrator can "
        "install the %(package)s package."
    ) % {"package": CJK_PACKAGE}
    if any(unicodedata.east_asian_width(c) in ("W", "F") for c in note):
        with translation.override(settings.LANGUAGE_CODE):
            return _missing_font_note()
    return note


class _Report(FPDF):
    def __init__(self, *, rtl: bool) -> None:
        super().__init__(format="A4")
        self.rtl = rtl
        self.align = "R" if rtl else "L"

    def footer(self) -> None:
        label = _("Page %(number)s") % {"number": self.page_no()}
        self.set_y(-12)
        self.set_font(_family(label), size=8)
        self.set_text_color(*GREY)
        self.cell(0, 6, label, align="C")
        self.set_text_color(0, 0, 0)


def _pdf(document: dict) -> _Report:
    """An empty report in the active language's direction, with the fonts its text needs."""
    pdf = _Report(rtl=translation.get_language_bidi())
    pdf.set_creation_date(datetime(2000, 1, 1, tzinfo=UTC))  # same input, same bytes
    pdf.set_lang(translation.get_language())
    for family, styles in TEXT_FONTS.items():
        for style, path in styles.items():
            # DejaVu's Arabic letters are left to Noto Naskh Arabic (a fallback below).
            letters = _without_arabic(path) if family == FAMILY else None
            pdf.add_font(family, style, path, unicode_range=letters)
    fallbacks = [FAMILY, ARABIC_FAMILY]
    missing = None
    if _needs_cjk(document):
        # Loaded only when needed: reading its 4 MB takes about a second.
        if path := cjk_font():
            pdf.add_font(CJK_FAMILY, "", path)
            fallbacks.append(CJK_FAMILY)
        else:
            log.warning(
                "The PDF export has Chinese, Japanese or Korean text and no font for it: "
                "install Debian's %s package (%s).",
                CJK_PACKAGE,
                CJK_FONTS[0],
            )
            missing = _missing_font_note()
    # Droid Sans Fallback has no bold: bold text takes its regular letters.
    pdf.set_fallback_fonts(fallbacks, exact_match=False)
    # HarfBuzz joins Arabic letters; paragraphs run right to left in a right-to-left
    # language (Arabic), left to right otherwise, with the other direction's runs inside.
    pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if pdf.rtl else "ltr")
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_margins(18, 16, 18)
    pdf.add_page()
    if missing:
        pdf.set_text_color(*RED)
        _paragraph(pdf, missing, size=9)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(2)
    return pdf


def _heading(pdf: _Report, text: str, size: int) -> None:
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(_family(text), "B", size)
    pdf.multi_cell(0, size * 0.55, text, align=pdf.align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(FAMILY, size=10)


def _paragraph(pdf: _Report, text: str, size: int = 10, style: str = "") -> None:
    pdf.set_font(_family(text), style, size=size)
    pdf.multi_cell(0, 5, text, align=pdf.align, new_x="LMARGIN", new_y="NEXT")


def _bar(pdf: _Report, p: dict, width: float = 60) -> None:
    """A tally bar: agree, disagree and pass as proportional coloured segments, with the
    numbers printed beside it (colour is never the only cue). Right to left, the bar
    starts at the right margin and the numbers stand to its left."""
    total = p["agree"] + p["disagree"] + p["pass"]
    y = pdf.get_y() + 1
    start = pdf.w - pdf.r_margin - 4 - width if pdf.rtl else pdf.l_margin + 4
    if total:
        x = start + width if pdf.rtl else start
        for count, colour in ((p["agree"], GREEN), (p["disagree"], RED), (p["pass"], GREY)):
            w = width * count / total
            if w:
                pdf.set_fill_color(*colour)
                pdf.rect(x - w if pdf.rtl else x, y, w, 3, style="F")
                x += -w if pdf.rtl else w
    else:
        pdf.set_draw_color(*GREY)
        pdf.rect(start, y, width, 3)
    tally = _tally(p)
    pdf.set_font(_family(tally), size=8)
    if pdf.rtl:
        pdf.set_xy(pdf.l_margin, y - 1)
        pdf.cell(start - 4 - pdf.l_margin, 5, tally, align="R")
    else:
        pdf.set_xy(start + width + 4, y - 1)
        pdf.cell(0, 5, tally)
    pdf.set_font(FAMILY, size=10)
    pdf.ln(6)


def _position(pdf: _Report, p: dict, source: bool = False) -> None:
    if pdf.get_y() > pdf.h - 30:
        pdf.add_page()
    # Translators: a position and, in brackets, its breakout group.
    text = _("%(text)s  (%(group)s)") % {"text": p["text"], "group": p["group"]}
    # Translators: a position a recommendation was made from.
    _paragraph(pdf, _("From: %(position)s") % {"position": text} if source else text)
    _bar(pdf, p)


def _trail(pdf: _Report, p: dict) -> None:
    """Under a recommendation's source: its id in positions.csv and votes.csv, and every
    group's agreement with it."""
    line = f"#{p['id']}"
    if p["by_group"]:
        line += " · " + _("By group: %(split)s.") % {"split": _split(p, escape=str)}
    _paragraph(pdf, line, size=8)
    pdf.ln(1)


def _opinion_map(pdf: _Report, points: list[dict], size: float = 70) -> None:
    if pdf.get_y() > pdf.h - size - 20:
        pdf.add_page()
    x0 = pdf.w - pdf.r_margin - size if pdf.rtl else pdf.l_margin
    y0 = pdf.get_y()
    pdf.set_draw_color(*GREY)
    pdf.rect(x0, y0, size, size)
    pdf.line(x0, y0 + size / 2, x0 + size, y0 + size / 2)
    pdf.line(x0 + size / 2, y0, x0 + size / 2, y0 + size)
    span = max((max(abs(pt["x"]), abs(pt["y"])) for pt in points), default=1.0) or 1.0
    scale = (size / 2 - 3) / span
    for pt in points:
        colour = PALETTE[pt["group"] % len(PALETTE)] if pt["group"] >= 0 else GREY
        pdf.set_fill_color(*colour)
        cx, cy = x0 + size / 2 + pt["x"] * scale, y0 + size / 2 - pt["y"] * scale
        pdf.circle(cx - 0.8, cy - 0.8, 0.8, style="F")
    pdf.set_y(y0 + size + 2)
    _paragraph(
        pdf,
        _(
            "Opinion map: each dot is a participant; people who vote alike are close. "
            "Colours are the opinion groups below; grey: too few votes."
        ),
        size=8,
    )


def to_pdf(document: dict) -> bytes:
    """The Markdown report's content, printable, with tally bars and the opinion map drawn,
    in the active language (export_file activates the session's)."""
    pdf = _pdf(document)
    session, paper = document["session"], document["paper"]
    by_id = {p["id"]: p for p in document["positions"]}
    synth = document["synthesis"]
    _heading(pdf, _title(paper["title"], session["name"]), 16)
    _paragraph(
        pdf,
        _("Session %(code)s, created %(date)s.")
        % {"code": session["code"], "date": session["created"][:10]},
    )
    _heading(pdf, _("Framing questions"), 13)
    for n, question in enumerate(paper["framing_questions"], start=1):
        _paragraph(pdf, f"{n}. {question}")
    _heading(pdf, _("Recommendations"), 13)
    if not document["recommendations"]:
        _paragraph(pdf, _("No recommendations were curated."))
    for r in document["recommendations"]:
        _paragraph(pdf, f"{r['rank']}. {r['text']}", style="B")
        for source in r["sources"]:
            if source in by_id:
                _position(pdf, by_id[source], source=True)
                _trail(pdf, by_id[source])
        if r["dissent_note"]:
            note = " ".join(r["dissent_note"].splitlines())
            # Translators: the dissent note of a recommendation, written by a facilitator.
            _paragraph(pdf, _("Dissent: %(note)s") % {"note": note}, size=9)
        pdf.ln(1)
    _heading(pdf, _("Where every group agrees"), 13)
    for i in synth["broad_consensus"]:
        if i in by_id:
            _position(pdf, by_id[i])
    if not synth["broad_consensus"]:
        _paragraph(pdf, _("No position has every group's agreement yet."))
    _heading(pdf, _("Where groups split"), 13)
    for i in synth["most_divisive"]:
        if i in by_id:
            _position(pdf, by_id[i])
    if not synth["most_divisive"]:
        _paragraph(pdf, _("No position splits the groups."))
    _heading(pdf, _("Opinion groups"), 13)
    _opinion_map(pdf, synth["opinion_map"])
    for n, group in enumerate(synth["opinion_groups"]):
        _heading(pdf, _opinion_group(n, group["size"]), 11)
        for i in group["representative"]:
            if i in by_id:
                _position(pdf, by_id[i])
    _heading(pdf, _("Participation"), 13)
    for g in document["groups"]:
        # Translators: a breakout group, then its numbers of participants, positions, votes.
        line = _("%(group)s: %(participants)s, %(positions)s, %(votes)s.")
        _paragraph(
            pdf,
            line
            % {
                "group": g["name"],
                "participants": ngettext(
                    "%(count)s participant", "%(count)s participants", g["participant_count"]
                )
                % {"count": g["participant_count"]},
                "positions": ngettext(
                    "%(count)s position", "%(count)s positions", g["position_count"]
                )
                % {"count": g["position_count"]},
                "votes": ngettext("%(count)s vote", "%(count)s votes", g["vote_count"])
                % {"count": g["vote_count"]},
            },
        )
    return bytes(pdf.output())
