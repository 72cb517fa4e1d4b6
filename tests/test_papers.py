"""Specification of the discussion-paper importer (discussions.papers).

Pure tests: no database and no Django settings. The Markdown, PDF and DOCX papers are
generated here so no binary fixture is committed.
"""

import codecs
import re
from functools import cache
from io import BytesIO
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from hypothesis import given, settings
from hypothesis import strategies as st

from discussions.papers import (
    FRAMING_GUESSED,
    MAX_BYTES,
    SUPPORTED_EXTENSIONS,
    TITLE_FROM_FILE_NAME,
    PaperError,
    ParsedPaper,
    clean_text,
    extract_questions,
    parse_paper,
    title_from_filename,
)

DEMO = Path(__file__).resolve().parent.parent / "seeds" / "us-multilateralism-discussion-paper.txt"
ALLIANCES = "Alliances are Multilateral Organizations & Why States Sign-up"
POST_WAR = "The Post-WWII Liberal Order: Will, Means, and a Common Enemy"
EROSION = "Erosion from Within: Globalization, Nationalism, and Norm-busting"
TARGETED = "Targeted from Without: China and Russia"


@cache
def demo() -> ParsedPaper:
    return parse_paper(DEMO.read_bytes(), DEMO.name)


def demo_section(title: str):
    return next(section for section in demo().sections if section.title == title)


def demo_text() -> str:
    return "\n\n".join(section.text for section in demo().sections)


# --------------------------------------------------------------------------- demo paper


def test_demo_title_comes_from_the_filename_with_its_acronym():
    assert demo().title == "US Multilateralism Discussion Paper"


def test_demo_framing_questions_are_the_introductions_questions_split():
    assert demo().framing_questions == (
        "What contributes to current trends?",
        "What does the future hold for the United States and multilateralism?",
        "How might policy-makers frame an approach for the 21st century?",
    )


def test_demo_sections_have_exact_titles_and_levels():
    assert [(section.title, section.level) for section in demo().sections] == [
        ("Introduction", 1),
        (ALLIANCES, 1),
        (POST_WAR, 1),
        ("Current Challenges", 1),
        (EROSION, 2),
        (TARGETED, 2),
        ("Conclusion", 1),
    ]


def test_demo_section_questions_stay_with_their_section():
    questions = {section.title: section.questions for section in demo().sections}
    assert questions == {
        "Introduction": (),
        ALLIANCES: (
            "Why, in theory, would self-interested states in an environment of intense "
            "competition for survival opt to constrain themselves?",
        ),
        POST_WAR: (),
        "Current Challenges": (),
        EROSION: (),
        TARGETED: (),
        "Conclusion": (
            "Is the order still fit for purpose?",
            "What changes are required to restore confidence in international cooperation?",
            "How might policy-makers address domestic grievances and partisan division while "
            "championing the value of multilateralism?",
        ),
    }


def test_demo_warns_only_that_its_title_is_the_file_names():
    assert demo().warnings == (TITLE_FROM_FILE_NAME,)


def test_demo_leaves_no_footnote_digit_glued_to_a_word():
    # In this paper no legitimate token has digits right after a letter, punctuation or a
    # quote ("21st" and "1980s" start with digits; "mid-2020s" has them after a hyphen),
    # so any hit would be a footnote marker left behind.
    assert re.findall(r"[A-Za-z.;:,”’\"]\d{1,3}\b", demo_text()) == []
    assert re.findall(r"[”’\"] \d{1,3}\b", demo_text()) == []


def test_demo_keeps_exactly_the_numbers_the_authors_wrote():
    tokens = {token.rstrip(".,;") for token in demo_text().split() if re.search(r"\d", token)}
    assert tokens == {
        "70",
        "21st",
        "1980s",
        "1944",
        "1951",
        "1919",
        "1945",
        "1941",
        "60%",
        "1960s",
        "1991",
        "2000",
        "2016",
        "1%",
        "mid-2020s",
        "2014",
    }


@pytest.mark.parametrize(
    "phrase",
    [
        "increased 60% during",
        "its fall in 1991.",
        "the past 70 years.",
        "by the mid-2020s.",
        "for the 21st century?",
        "the top 1% of U.S. earners",
        "with China in 2000, led",
        "between 1944 and 1951, American",
    ],
)
def test_demo_keeps_real_numbers(phrase):
    all_text = demo_text() + " ".join(demo().framing_questions)
    assert phrase in all_text


@pytest.mark.parametrize(
    "compound",
    ["member-state", "post-World War II", "norm-busting", "self-interested", "heads-of-state"],
)
def test_demo_keeps_compounds_broken_after_their_hyphen(compound):
    assert compound in demo_text()


def test_demo_has_no_compound_split_or_squashed():
    for broken in ("member- state", "memberstate", "norm- busting", "self- interested"):
        assert broken not in demo_text()


def test_demo_collapses_runs_of_spaces_and_keeps_paragraphs_on_one_line():
    for section in demo().sections:
        assert "  " not in section.title + section.text
        for paragraph in section.text.split("\n\n"):
            assert paragraph == paragraph.strip()
            assert paragraph
            assert "\n" not in paragraph


def test_demo_records_footnotes_per_section_in_order():
    assert demo_section(ALLIANCES).footnotes == (1, 2, 3, 4, 5)
    assert demo_section(POST_WAR).footnotes == (6, 7, 8, 9)
    every_note = [number for section in demo().sections for number in section.footnotes]
    assert every_note == list(range(1, 25))


def test_demo_removes_a_footnote_separated_from_a_closing_quote_by_a_space():
    assert "were losing;” however, large sectors" in demo_text()
    assert "” 12" not in demo_text()


def test_demo_epigraphs_are_body_text_not_headings():
    assert demo_section(POST_WAR).text.startswith(
        "“Indeed, between 1944 and 1951, American leaders engaged in the most intensive "
        "institution building the world had ever seen.”\n\nFollowing WWII"
    )
    assert demo_section(TARGETED).text.startswith("“Adversaries’ use of gray zone tactics")


def test_demo_keeps_dashes_and_curly_quotes_as_written():
    assert "the chief architect – and has been the chief defender – of" in demo_text()
    assert "a “twin project” to that of containment" in demo_text()


def test_as_dict_has_exactly_the_documented_keys():
    data = demo().as_dict()
    assert set(data) == {"title", "framing_questions", "sections"}
    assert data["framing_questions"] == list(demo().framing_questions)
    for section in data["sections"]:
        assert set(section) == {"title", "level", "text", "questions"}
        assert isinstance(section["questions"], list)
    assert data["sections"][-1]["questions"][0] == "Is the order still fit for purpose?"


# --------------------------------------------------------------------------- clean_text


def test_clean_text_joins_the_lines_of_a_paragraph_with_one_space():
    assert clean_text("one line\nand the next\n") == ("one line and the next", ())


def test_clean_text_separates_paragraphs_at_blank_or_whitespace_only_lines():
    assert clean_text("first\n  \t \nsecond\n\n\nthird") == ("first\n\nsecond\n\nthird", ())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a member-\nstate", "a member-state"),
        ("the post-  \nWorld War II order", "the post-World War II order"),
        ("norm-\nbusting", "norm-busting"),
        ("top-\n 10 lists", "top-10 lists"),
    ],
)
def test_clean_text_joins_a_line_ending_in_a_hyphen_without_a_space_keeping_it(raw, expected):
    assert clean_text(raw) == (expected, ())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("much to gain \n– gains from trade", "much to gain – gains from trade"),
        ("the architect -\nand defender", "the architect - and defender"),
    ],
)
def test_clean_text_joins_a_spaced_dash_with_a_space(raw, expected):
    assert clean_text(raw) == (expected, ())


@pytest.mark.parametrize(
    ("raw", "expected", "numbers"),
    [
        ("common objectives.1  While", "common objectives. While", (1,)),
        ("deter defection.3    ", "deter defection.", (3,)),
        ("had ever seen.”6", "had ever seen.”", (6,)),
        ("a given identity.”18  These", "a given identity.” These", (18,)),
        ("post-WWII international order”20", "post-WWII international order”", (20,)),
        ("by the mid-2020s.22  This", "by the mid-2020s. This", (22,)),
        ("were losing;” 12 however", "were losing;” however", (12,)),
        ("state – behavior.2  Institutions", "state – behavior. Institutions", (2,)),
        ("ends here?7", "ends here?", (7,)),
        ("each year by 2030.1  Who pays?", "each year by 2030. Who pays?", (1,)),
    ],
)
def test_clean_text_removes_footnote_markers_and_records_their_numbers(raw, expected, numbers):
    assert clean_text(raw) == (expected, numbers)


@pytest.mark.parametrize(
    "text",
    [
        "GNP had increased 60% during the war",
        "contributed to its fall in 1991.",
        "trade relations with China in 2000, led to",
        "by 2016 the top 1% of U.S. earners",
        "for the past 70 years.",
        "frame 21st century multilateralism.",
        "by the mid-2020s",
        "between 1944 and 1951, American leaders",
        "Following WWII, the United States",
        "pi is about 3.14 and e is 2.72",
        "a ratio of 3:1 at 10:30 today",
        "it cost $1,250 in total",
        "in the year.2020 it rained",
    ],
)
def test_clean_text_leaves_real_numbers_untouched(text):
    assert clean_text(text) == (text, ())


def test_clean_text_records_footnotes_in_order_across_paragraphs():
    raw = "First claim.4 Second claim.5\n\nThird claim.”6"
    assert clean_text(raw) == ("First claim. Second claim.\n\nThird claim.”", (4, 5, 6))


def test_clean_text_collapses_spaces_and_strips_lines_and_paragraphs():
    assert clean_text("  \n   a  very\t\tspaced   \n   line   \n\n") == ("a very spaced line", ())


def test_clean_text_keeps_quotes_and_dashes_as_they_are():
    text = '“Quoted” and ‘single’ and "straight" – en — em'
    assert clean_text(text) == (text, ())


def test_clean_text_treats_page_breaks_and_crlf_as_line_breaks():
    assert clean_text("one\r\ntwo\fthree\r\n\r\nfour") == ("one two three\n\nfour", ())


def test_clean_text_starts_a_paragraph_at_each_bullet():
    assert clean_text("Questions:\n• Why now?\n• Why here?") == (
        "Questions:\n\nWhy now?\n\nWhy here?",
        (),
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Questions:\n- Why now?\n- why here?", "Questions:\n\nWhy now?\n\nwhy here?"),
        ("1. What should change?\n2. Who should pay?", "What should change?\n\nWho should pay?"),
        ("Ask:\n1) What\nnow?\n2) Who pays?", "Ask:\n\nWhat now?\n\nWho pays?"),
        (
            "Aims:\n- to take stock of the\n  commitments;\n- to identify steps.",
            "Aims:\n\nto take stock of the commitments;\n\nto identify steps.",
        ),
    ],
)
def test_clean_text_starts_a_paragraph_at_each_hyphen_or_numbered_list_item(raw, expected):
    assert clean_text(raw) == (expected, ())


@pytest.mark.parametrize(
    "raw",
    [
        "the fund grew by\n2. The rest is history.",
        "much to gain\n- gains from trade",
        "It rose.\n- and fell",
    ],
)
def test_clean_text_a_dash_or_number_inside_a_sentence_is_no_list_item(raw):
    assert clean_text(raw) == (" ".join(raw.split()), ())


def test_plain_text_numbered_questions_on_consecutive_lines_stay_separate():
    text = (
        "Background\n\nBody.\n\nQuestions for Discussion\n\n"
        "1. Is a two-tier system preferable to none?\n2. What reforms are needed?\n"
    )
    paper = parse_txt(text)
    assert paper.framing_questions == (
        "Is a two-tier system preferable to none?",
        "What reforms are needed?",
    )


def test_clean_text_of_nothing_is_empty():
    assert clean_text("") == ("", ())
    assert clean_text(" \n\t\n ") == ("", ())


# --------------------------------------------------------------------------- questions


def test_extract_questions_keeps_only_question_sentences_in_order():
    text = "A statement. Is this a question? Yes. Why?\n\nHow about this one?"
    assert extract_questions(text) == ["Is this a question?", "Why?", "How about this one?"]


def test_extract_questions_splits_a_compound_question_at_and_plus_interrogative():
    text = (
        "What does the future hold for the United States and multilateralism; and how "
        "might policy-makers frame an approach for the 21st century? These are the questions."
    )
    assert extract_questions(text) == [
        "What does the future hold for the United States and multilateralism?",
        "How might policy-makers frame an approach for the 21st century?",
    ]


def test_extract_questions_does_not_split_a_plain_and_after_a_semicolon():
    text = "Can states cooperate; and the alliance, does it hold?"
    assert extract_questions(text) == ["Can states cooperate; and the alliance, does it hold?"]


def test_extract_questions_accepts_a_closing_quote_after_the_question_mark():
    text = "He asked, “is the order still fit for purpose?” Nobody answered."
    assert extract_questions(text) == ["He asked, “is the order still fit for purpose?”"]


def test_extract_questions_finds_none_in_plain_statements():
    assert extract_questions("No questions here. None at all!") == []
    assert extract_questions("") == []


# --------------------------------------------------------------------------- title_from_filename


@pytest.mark.parametrize(
    ("filename", "title"),
    [
        ("us-multilateralism-discussion-paper.txt", "US Multilateralism Discussion Paper"),
        ("trade_and_security.PDF", "Trade and Security"),
        ("the-un-and-the-g20_brief.docx", "The UN and the G20 Brief"),
        ("eu-wto-reform.md", "EU WTO Reform"),
        ("NATO-report.md", "NATO Report"),
        ("C:\\Users\\me\\my-paper.docx", "My Paper"),
        ("---.txt", "Untitled paper"),
    ],
)
def test_title_from_filename_turns_the_stem_into_capitalised_words(filename, title):
    assert title_from_filename(filename) == title


# --------------------------------------------------------------------------- plain text


def parse_txt(text: str, filename: str = "paper.txt") -> ParsedPaper:
    return parse_paper(text.encode(), filename)


def outline(paper: ParsedPaper) -> list[tuple[str, int]]:
    return [(section.title, section.level) for section in paper.sections]


def test_plain_text_without_headings_is_one_introduction_with_a_warning():
    paper = parse_txt("One plain paragraph.\nIt wraps.\n\nAnd a plain second one.\n")
    assert outline(paper) == [("Introduction", 1)]
    assert paper.sections[0].text == "One plain paragraph. It wraps.\n\nAnd a plain second one."
    assert "No headings found: the whole text is one section; split it in the preview." in (
        paper.warnings
    )
    assert paper.title == "Paper"


def test_plain_text_first_heading_line_is_the_title_only_when_more_headings_follow():
    with_title = parse_txt("Trade and Security\n\nOpening words.\n\nBackground\n\nBody.\n")
    assert with_title.title == "Trade and Security"
    assert outline(with_title) == [("Introduction", 1), ("Background", 1)]

    only_heading = parse_txt("Background\n\nBody text.\n")
    assert only_heading.title == "Paper"
    assert outline(only_heading) == [("Background", 1)]


def test_plain_text_title_with_commas_and_a_colon_over_a_subtitle_line_is_the_title():
    text = (
        "Trade, Jobs and the Green Transition: Choices for the G20\n"
        "Roundtable Discussion Paper\n\n"
        "Introduction\n\nThe transition is under way. Who should pay for it? What comes first?\n\n"
        "Background\n\nBody.\n"
    )
    paper = parse_txt(text, "trade-and-jobs.txt")
    assert paper.title == "Trade, Jobs and the Green Transition: Choices for the G20"
    assert outline(paper) == [("Introduction", 1), ("Background", 1)]


def test_plain_text_title_broken_over_two_lines_is_joined():
    text = (
        "Financing Climate Adaptation in Small Island States:\nLessons for the Next Decade\n\n"
        "Overview\n\nBody.\n\nOptions\n\nMore body.\n"
    )
    paper = parse_txt(text)
    assert paper.title == (
        "Financing Climate Adaptation in Small Island States: Lessons for the Next Decade"
    )
    assert outline(paper) == [("Overview", 1), ("Options", 1)]


def test_plain_text_venue_line_under_the_title_is_neither_a_section_nor_the_opening():
    text = (
        "Cooperation Under Strain: Science and Security\n\n"
        "Policy Brief, Nordic Security Conference, Tromsø\n\n"
        "The Arctic is warming. What remains possible?\n\n"
        "Background\n\nBody.\n"
    )
    paper = parse_txt(text)
    assert paper.title == "Cooperation Under Strain: Science and Security"
    assert outline(paper) == [("Introduction", 1), ("Background", 1)]
    assert paper.sections[0].text == "The Arctic is warming. What remains possible?"
    assert paper.framing_questions == ("What remains possible?",)


@pytest.mark.parametrize(
    "front_matter",
    [
        "Track II Dialogue Paper",
        "Working Paper No. 7\nMigration Policy Dialogue, April 2025",
        "Briefing note for the Ocean Governance Roundtable",
        "Date: 5 November 2025\nVenue: World Urban Forum, Room B",
    ],
)
def test_plain_text_kind_and_date_lines_under_the_title_are_not_sections(front_matter):
    text = (
        f"Chips and Controls: Technology Governance\n\n{front_matter}\n\n"
        "I. Introduction\n\nBody.\n\nII. Scope\n\nBody.\n"
    )
    paper = parse_txt(text)
    assert paper.title == "Chips and Controls: Technology Governance"
    assert outline(paper) == [("Introduction", 1), ("Scope", 1)]


def test_plain_text_a_heading_under_the_title_followed_by_its_text_stays_a_section():
    text = "Trade and Security\n\nA Note on Methods\n\nBody.\n\nTrends Since 2020\n\nBody.\n"
    paper = parse_txt(text)
    assert outline(paper) == [("A Note on Methods", 1), ("Trends Since 2020", 1)]


def test_plain_text_all_caps_kind_line_above_the_title_is_not_the_title():
    text = (
        "CONCEPT NOTE\n\nHealth Security After the Pandemic: Next Steps\n\n"
        "Side event to the Assembly\nGeneva, 21 May 2025\n\n"
        "BACKGROUND\n\nBody text.\n\nOBJECTIVES\n\nMore.\n"
    )
    paper = parse_txt(text)
    assert paper.title == "Health Security After the Pandemic: Next Steps"
    assert outline(paper) == [("BACKGROUND", 1), ("OBJECTIVES", 1)]


def test_plain_text_all_caps_kind_line_in_the_title_block_and_a_comma_ended_line():
    text = (
        "CONCEPT NOTE\nBuilding Urban Resilience to Climate Shocks: Local Action,\n"
        "National Plans and the UN System\n\n"
        "Date: 5 November 2025\nVenue: World Urban Forum, Room B\n\n"
        "Background\n\nBody.\n\nOutcomes\n\nMore.\n"
    )
    paper = parse_txt(text)
    assert paper.title == (
        "Building Urban Resilience to Climate Shocks: Local Action, "
        "National Plans and the UN System"
    )
    assert outline(paper) == [("Background", 1), ("Outcomes", 1)]


def test_plain_text_title_may_be_a_question():
    text = (
        "Can the G20 Deliver Faster Debt Relief?\n\nPolicy Brief, Finance Track, 2025\n\n"
        "Key Messages\n\n• Delays are long.\n\nBackground\n\nBody.\n"
    )
    paper = parse_txt(text)
    assert paper.title == "Can the G20 Deliver Faster Debt Relief?"
    assert outline(paper) == [("Key Messages", 1), ("Background", 1)]
    assert paper.framing_questions == ()


def test_plain_text_title_wrapped_before_a_lowercase_word_is_joined():
    text = (
        "Sharing Responsibility for Refugees: The Global Compact\non Refugees Five Years On\n\n"
        "Discussion Paper prepared for the Regional Consultation, Amman, October 2024\n\n"
        "Introduction\n\nBody.\n\nOptions\n\nBody.\n"
    )
    paper = parse_txt(text)
    assert paper.title == (
        "Sharing Responsibility for Refugees: The Global Compact on Refugees Five Years On"
    )
    assert outline(paper) == [("Introduction", 1), ("Options", 1)]


@pytest.mark.parametrize("title", ["1. INTRODUCTION", "I. Introduction", "INTRODUCTION"])
def test_plain_text_framing_questions_of_a_numbered_or_capital_introduction(title):
    text = f"{title}\n\nStates agreed. Are they enough?\n\nBACKGROUND\n\nBody. Why?\n"
    paper = parse_txt(text)
    assert paper.framing_questions == ("Are they enough?",)
    assert FRAMING_GUESSED in paper.warnings


def test_plain_text_framing_questions_in_a_titled_introduction_are_found_and_flagged():
    text = (
        "Health Security After the Pandemic\n\n"
        "Introduction\n\nStates agreed on new rules. Are they enough? Who enforces them?\n\n"
        "Background\n\nBody. Is this a framing question?\n"
    )
    paper = parse_txt(text)
    assert paper.framing_questions == ("Are they enough?", "Who enforces them?")
    assert paper.sections[0].questions == ()
    assert paper.sections[1].questions == ("Is this a framing question?",)
    assert FRAMING_GUESSED in paper.warnings


def test_plain_text_a_questions_section_wins_over_the_introductions_questions():
    text = (
        "Introduction\n\nWhy meet? Body.\n\nBackground\n\nBody.\n\n"
        "Questions for Discussion\n\nWhat should change? Who should pay?\n"
    )
    paper = parse_txt(text)
    assert paper.framing_questions == ("What should change?", "Who should pay?")


def test_a_title_from_the_file_name_is_flagged_for_the_organizer():
    paper = parse_txt("Background\n\nWhat now?\n\nOptions\n\nBody.\n", "g20-trade.txt")
    assert paper.title == "G20 Trade"
    assert TITLE_FROM_FILE_NAME in paper.warnings


@pytest.mark.parametrize(
    "line",
    [
        "This line ends a sentence.",
        "Does This Ask Something?",
        "“Quoted Words Are Epigraphs”",
        "Lowercase words make a sentence",
        "Ends With A Hyphen-",
        "a Lowercase Start",
    ],
)
def test_plain_text_line_that_is_not_heading_shaped_stays_body_text(line):
    paper = parse_txt(f"Opening paragraph.\n\n{line}\n\nClosing paragraph.\n")
    assert outline(paper) == [("Introduction", 1)]


def test_plain_text_heading_must_be_followed_by_a_blank_line():
    paper = parse_txt("Opening paragraph.\n\nLooks Like A Heading\nbut the paragraph goes on.\n")
    assert outline(paper) == [("Introduction", 1)]


def test_plain_text_heading_glued_under_a_sentence_end_is_found():
    paper = parse_txt("Opening.\n\nFirst part ends here.4  \n Second Part\n\nMore text.\n")
    assert outline(paper) == [("Introduction", 1), ("Second Part", 1)]
    assert paper.sections[0].text == "Opening.\n\nFirst part ends here."
    assert paper.sections[0].footnotes == (4,)


def test_plain_text_numbered_headings_give_levels_from_their_numbers():
    text = "1. Scope\n\nBody.\n\n1.1 Trade Rules\n\nBody.\n\n2 Security Ties\n\nBody.\n"
    assert outline(parse_txt(text)) == [
        ("Scope", 1),
        ("Trade Rules", 2),
        ("Security Ties", 1),
    ]


def test_plain_text_roman_numbered_headings_are_top_level_and_lose_their_numbers():
    text = (
        "I. Introduction\n\nBody.\n\nII. Context\n\nBody.\n\n"
        "2.1 Recent Trends\n\nBody.\n\nIV. Options\n\nBody.\n"
    )
    paper = parse_txt(text)
    assert paper.title == "Paper"
    assert outline(paper) == [
        ("Introduction", 1),
        ("Context", 1),
        ("Recent Trends", 2),
        ("Options", 1),
    ]


def test_markdown_and_docx_headings_lose_their_numbers():
    text = "# 1. Overview\n\nBody.\n\n## 1.1 Trade Rules\n\nBody.\n\n# II. Outlook\n\nBody.\n"
    paper = parse_paper(text.encode(), "x.md")
    assert outline(paper) == [("Overview", 1), ("Trade Rules", 2), ("Outlook", 1)]

    def numbered(document):
        document.add_heading("1. Theory", 1)
        document.add_paragraph("Text.")
        document.add_heading("1.1 Neoliberal View", 2)
        document.add_paragraph("Text.")

    paper = parse_paper(docx_bytes(numbered), "x.docx")
    assert outline(paper) == [("Theory", 1), ("Neoliberal View", 2)]


def test_a_number_that_is_part_of_a_markdown_heading_stays():
    text = "# 10 Years After Paris\n\nBody.\n\n# G20 Choices\n\nBody.\n"
    paper = parse_paper(text.encode(), "x.md")
    assert outline(paper) == [("10 Years After Paris", 1), ("G20 Choices", 1)]


def test_plain_text_heading_may_hold_a_name_with_a_lowercase_particle():
    text = "Opening.\n\nFrom Sharm el-Sheikh to Baku\n\nBody.\n"
    assert outline(parse_txt(text)) == [("Introduction", 1), ("From Sharm el-Sheikh to Baku", 1)]


def test_plain_text_headings_in_sentence_case_are_found_when_there_are_no_others():
    text = (
        "The High Seas Treaty: Institutions and Implementation\n\n"
        "Briefing note for the Ocean Governance Roundtable\n\n"
        "Why the agreement matters\n\nThe high seas cover half the planet.\n\n"
        "Benefit-sharing and capacity building\n\nPart III allows it. Who pays?\n"
    )
    paper = parse_txt(text)
    assert paper.title == "The High Seas Treaty: Institutions and Implementation"
    assert outline(paper) == [
        ("Why the agreement matters", 1),
        ("Benefit-sharing and capacity building", 1),
    ]


def test_plain_text_a_lone_sentence_case_line_stays_body_text():
    text = "Opening paragraph.\n\nThanks to all of you\n\nClosing paragraph.\n"
    assert outline(parse_txt(text)) == [("Introduction", 1)]


def test_plain_text_signposting_paragraph_makes_the_announced_headings_subsections():
    text = (
        "Opening paragraph.\n\nChallenges\n\n"
        "Trade tensions and security rivalries both strain the alliance.\n\n"
        "Trade Tensions\n\nBody.\n\nSecurity Rivalries\n\nBody.\n\n"
        "Conclusion\n\nEnd.\n"
    )
    assert outline(parse_txt(text)) == [
        ("Introduction", 1),
        ("Challenges", 1),
        ("Trade Tensions", 2),
        ("Security Rivalries", 2),
        ("Conclusion", 1),
    ]


def test_plain_text_section_with_several_paragraphs_does_not_signpost():
    text = (
        "Opening.\n\nChallenges\n\n"
        "Trade tensions are one thing.\n\nSecurity rivalries are another.\n\n"
        "Trade Tensions\n\nBody.\n"
    )
    assert outline(parse_txt(text)) == [
        ("Introduction", 1),
        ("Challenges", 1),
        ("Trade Tensions", 1),
    ]


def test_plain_text_discussion_questions_section_provides_the_framing_questions():
    text = (
        "Background\n\nAn introduction without questions.\n\n"
        "Discussion Questions\n\nWhat should change? Who should pay?\n\n"
        "Annex\n\nIs this a question too?\n"
    )
    paper = parse_txt(text)
    assert paper.framing_questions == ("What should change?", "Who should pay?")
    questions = {section.title: section.questions for section in paper.sections}
    assert questions["Discussion Questions"] == ()
    assert questions["Annex"] == ("Is this a question too?",)


def test_plain_text_without_any_framing_question_says_so():
    paper = parse_txt("Background\n\nNothing is asked here.\n")
    assert paper.framing_questions == ()
    assert "No framing questions found: pick them in the preview." in paper.warnings


def test_plain_text_in_cp1252_is_decoded():
    paper = parse_paper("Caf\u00e9 society – a “paper”.".encode("cp1252"), "x.txt")
    assert paper.sections[0].text == "Café society – a “paper”."


def test_plain_text_with_a_byte_order_mark_is_decoded():
    text = "Is this read?"
    assert parse_paper(codecs.BOM_UTF8 + text.encode(), "x.txt").framing_questions == (text,)
    assert parse_paper(text.encode("utf-16"), "x.txt").framing_questions == (text,)


def test_extension_is_case_insensitive():
    assert parse_paper(b"Some text.", "PAPER.TXT").sections[0].text == "Some text."


# --------------------------------------------------------------------------- markdown

MARKDOWN = """\
# Trade and Security

Opening words. What should the alliance do next?

## Background

Trade grew **fast** after the [war](https://example.org).

### Early Years

Details.

## Discussion questions

- Is the order fit for purpose?
- Who pays?

```
# not a heading
```
"""


def test_markdown_single_top_heading_is_the_title_and_the_rest_shift_up():
    paper = parse_paper(MARKDOWN.encode(), "notes.md")
    assert paper.title == "Trade and Security"
    assert outline(paper) == [
        ("Introduction", 1),
        ("Background", 1),
        ("Early Years", 2),
        ("Discussion questions", 1),
    ]
    assert paper.framing_questions == ("What should the alliance do next?",)


def test_markdown_list_items_are_separate_paragraphs_and_inline_markup_is_dropped():
    sections = {s.title: s for s in parse_paper(MARKDOWN.encode(), "notes.md").sections}
    assert sections["Background"].text == "Trade grew fast after the war."
    questions = ("Is the order fit for purpose?", "Who pays?")
    assert sections["Discussion questions"].questions == questions
    assert "# not a heading" in sections["Discussion questions"].text


def test_markdown_with_several_top_headings_takes_the_title_from_the_filename():
    text = "# One\n\nText.\n\n## One A\n\nText.\n\n#### One A i\n\nText.\n\n# Two\n\nText?\n"
    paper = parse_paper(text.encode(), "my_notes.md")
    assert paper.title == "My Notes"
    assert outline(paper) == [("One", 1), ("One A", 2), ("One A i", 2), ("Two", 1)]
    assert paper.sections[-1].questions == ("Text?",)


def test_markdown_questions_section_supplies_framing_questions_when_the_lead_has_none():
    text = "# Paper\n\nLead text.\n\n## Discussion Questions\n\n1. Why?\n2. How?\n"
    paper = parse_paper(text.encode(), "x.md")
    assert paper.framing_questions == ("Why?", "How?")
    assert paper.sections[-1].questions == ()


def test_markdown_footnote_markers_and_definitions_leave_the_text():
    text = (
        "# Digital Trade\n\nRules lag behind.[^1] Who sets them?[^note]\n\n"
        "## Background\n\nData flows grew tenfold.[^2]\n\n"
        "[^1]: WTO, 2023.\n[^note]: A longer note\n    over two lines.\n[^2]: OECD data.\n"
    )
    paper = parse_paper(text.encode(), "x.md")
    assert paper.framing_questions == ("Who sets them?",)
    assert paper.sections[0].text == "Rules lag behind. Who sets them?"
    assert paper.sections[1].text == "Data flows grew tenfold."
    assert paper.sections[0].footnotes == (1,) and paper.sections[1].footnotes == (2,)


def test_markdown_setext_headings_are_recognised():
    text = "Paper Title\n===========\n\nLead?\n\nPart One\n--------\n\nBody.\n"
    paper = parse_paper(text.encode(), "x.md")
    assert paper.title == "Paper Title"
    assert outline(paper) == [("Introduction", 1), ("Part One", 1)]


def test_markdown_yaml_front_matter_gives_the_title_and_no_text():
    text = (
        '---\ntitle: "Food Security: Costs"\nsubtitle: "Background paper"\ndate: 2025-06-10\n'
        "---\n\n## Overview\n\nWhat now?\n\n### Drivers\n\nText.\n\n## Options\n\nText.\n"
    )
    paper = parse_paper(text.encode(), "x.md")
    assert paper.title == "Food Security: Costs"
    assert outline(paper) == [("Overview", 1), ("Drivers", 2), ("Options", 1)]
    assert paper.framing_questions == ("What now?",)


@pytest.mark.parametrize(
    "text",
    [
        "**Robust or Retreating: UN Peacekeeping**\n\n"
        "*Discussion paper for the Peace Operations Roundtable, New York*\n\n",
        "Robust or Retreating: UN Peacekeeping\n*Working Paper No. 14, June 2025*\n\n",
    ],
)
def test_markdown_title_block_typed_above_the_headings_is_the_title(text):
    text += "## 1. Introduction\n\nWhy now?\n\n## 2. Options\n\nText.\n"
    paper = parse_paper(text.encode(), "x.md")
    assert paper.title == "Robust or Retreating: UN Peacekeeping"
    assert outline(paper) == [("Introduction", 1), ("Options", 1)]
    assert paper.framing_questions == ("Why now?",)


@pytest.mark.parametrize(
    "front_matter",
    [
        "*Roundtable Discussion Paper — Digital Economy side event*",
        "## Roundtable Discussion Paper",
    ],
)
def test_markdown_kind_line_under_the_title_is_neither_opening_nor_section(front_matter):
    text = (
        f"# Behaviour in Cyberspace\n\n{front_matter}\n\n"
        "### Introduction\n\nText.\n\n### The Framework\n\nText.\n"
    )
    paper = parse_paper(text.encode(), "x.md")
    assert paper.title == "Behaviour in Cyberspace"
    assert outline(paper) == [("Introduction", 1), ("The Framework", 1)]


# --------------------------------------------------------------------------- docx


def docx_bytes(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_docx_paper(document) -> None:
    document.add_heading("Alliances Today", level=0)
    document.add_paragraph("Why do states ally? This paper asks.")
    document.add_heading("Theory", 1)
    document.add_paragraph("States seek security.1 They also seek gain.")
    document.add_heading("Neoliberal View", 2)
    document.add_paragraph("Institutions reduce uncertainty.")
    document.add_heading("A Deep Point", 3)
    document.add_paragraph("Deeper still.")
    document.add_heading("Outlook", 1)
    document.add_paragraph("What comes next?")
    document.add_paragraph("A second paragraph.")


def test_docx_title_style_headings_and_questions_are_parsed():
    paper = parse_paper(docx_bytes(build_docx_paper), "paper.docx")
    assert paper.title == "Alliances Today"
    assert outline(paper) == [
        ("Introduction", 1),
        ("Theory", 1),
        ("Neoliberal View", 2),
        ("A Deep Point", 2),
        ("Outlook", 1),
    ]
    assert paper.framing_questions == ("Why do states ally?",)
    sections = {section.title: section for section in paper.sections}
    assert sections["Introduction"].questions == ()
    assert sections["Theory"].text == "States seek security. They also seek gain."
    assert sections["Theory"].footnotes == (1,)
    assert sections["Outlook"].questions == ("What comes next?",)
    assert sections["Outlook"].text == "What comes next?\n\nA second paragraph."


def test_docx_title_falls_back_to_core_properties_then_filename():
    def with_core_title(document):
        document.core_properties.title = "From Properties"
        document.add_heading("Only", 1)
        document.add_paragraph("Text.")

    def without_title(document):
        document.add_paragraph("Plain text only.")

    assert parse_paper(docx_bytes(with_core_title), "x.docx").title == "From Properties"
    untitled = parse_paper(docx_bytes(without_title), "plain-notes.docx")
    assert untitled.title == "Plain Notes"
    assert outline(untitled) == [("Introduction", 1)]
    assert untitled.warnings[0].startswith("No headings found")


def test_docx_subtitle_and_a_single_top_heading_over_deeper_ones_make_the_title_block():
    def with_subtitle(document):
        document.add_heading("Alliances Today", level=0)
        document.add_paragraph("Roundtable Discussion Paper", style="Subtitle")
        document.add_heading("Theory", 1)
        document.add_paragraph("Text.")

    def heading_as_title(document):
        document.add_heading("Alliances Today", 1)
        document.add_heading("Theory", 2)
        document.add_paragraph("Text.")
        document.add_heading("Outlook", 2)
        document.add_paragraph("Text.")

    subtitled = parse_paper(docx_bytes(with_subtitle), "x.docx")
    assert subtitled.title == "Alliances Today"
    assert outline(subtitled) == [("Theory", 1)]
    headed = parse_paper(docx_bytes(heading_as_title), "x.docx")
    assert headed.title == "Alliances Today"
    assert outline(headed) == [("Theory", 1), ("Outlook", 1)]


def test_docx_venue_paragraph_under_the_title_is_not_the_opening():
    def with_venue(document):
        document.add_heading("Fisheries Subsidies: Closing the Deal", 1)
        document.add_paragraph("Background note for the Ocean Trade Roundtable, Geneva")
        document.add_heading("Why It Matters", 2)
        document.add_paragraph("Text.")
        document.add_heading("Outlook", 2)
        document.add_paragraph("Text.")

    paper = parse_paper(docx_bytes(with_venue), "x.docx")
    assert paper.title == "Fisheries Subsidies: Closing the Deal"
    assert outline(paper) == [("Why It Matters", 1), ("Outlook", 1)]


def test_docx_without_heading_styles_is_read_like_plain_text():
    def unstyled(document):
        for text in [
            "Made in Africa: Vaccine Manufacturing",
            "Discussion Paper for the Health Roundtable, Kigali",
            "Introduction",
            "Africa imports its vaccines. Why?",
            "Financing the Ambition",
            "Money is short.",
        ]:
            document.add_paragraph(text)

    paper = parse_paper(docx_bytes(unstyled), "x.docx")
    assert paper.title == "Made in Africa: Vaccine Manufacturing"
    assert outline(paper) == [("Introduction", 1), ("Financing the Ambition", 1)]
    assert paper.framing_questions == ("Why?",)


# --------------------------------------------------------------------------- pdf


def pdf_bytes(*pages: list[tuple[str, str]]) -> bytes:
    pdf = FPDF()
    for page in pages:
        pdf.add_page()
        for kind, text in page:
            if kind == "heading":
                pdf.set_font("Helvetica", style="B", size=15)
                pdf.cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(4)
            else:
                pdf.set_font("Helvetica", size=11)
                pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(6)
    return bytes(pdf.output())


PDF_PAPER = pdf_bytes(
    [
        ("heading", "Trade and Security"),
        (
            "text",
            "This paper opens with a long paragraph that wraps over more than one line of "
            "the page so that the importer has to join the lines back together. What should "
            "the alliance do next?",
        ),
        ("heading", "Background"),
        ("text", "Trade grew fast after the war.3 Security followed."),
    ],
    [
        ("heading", "Outlook"),
        ("text", "Can the order adapt; and who will pay for it? Time will tell."),
    ],
)


def test_pdf_title_headings_and_questions_are_parsed():
    paper = parse_paper(PDF_PAPER, "trade.pdf")
    assert paper.title == "Trade and Security"
    assert outline(paper) == [("Introduction", 1), ("Background", 1), ("Outlook", 1)]
    assert paper.framing_questions == ("What should the alliance do next?",)
    sections = {section.title: section for section in paper.sections}
    assert sections["Introduction"].text.startswith("This paper opens with a long paragraph")
    assert "\n" not in sections["Introduction"].text
    assert sections["Background"].text == "Trade grew fast after the war. Security followed."
    assert sections["Background"].footnotes == (3,)
    assert sections["Outlook"].questions == ("Can the order adapt?", "Who will pay for it?")


def test_pdf_in_two_columns_is_read_column_by_column():
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    left = (
        "Donors have cut their aid budgets and programmes face sudden gaps. How should "
        "the burden of financing global health be shared among the remaining donors? "
        "Can countries that receive aid today take over the financing of their own "
        "programmes? This paper offers background for the discussion."
    )
    right = (
        "Proposals for reform range from merging funds to a common results framework. "
        "The risk is that consolidation is driven by which programmes lose funding first "
        "rather than by a shared view of what the system should look like. The leaders "
        "of several agencies have acknowledged that the cuts make reform unavoidable, "
        "and they have begun to say so in public, which is new, and so in the end."
    )
    top = pdf.get_y()
    pdf.multi_cell(85, 6, left)
    pdf.set_xy(110, top)
    pdf.multi_cell(85, 6, right)
    paper = parse_paper(bytes(pdf.output()), "x.pdf")
    assert paper.framing_questions == (
        "How should the burden of financing global health be shared among the remaining donors?",
        "Can countries that receive aid today take over the financing of their own programmes?",
    )
    assert paper.sections[0].text.endswith("which is new, and so in the end.")


class PaperWithFurniture(FPDF):
    def header(self):
        self.set_font("Helvetica", size=8)
        self.cell(0, 6, "Policy Conference 2024", align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(6)

    def footer(self):
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 10, f"Page {self.page_no()} of 3", align="C")


def test_pdf_running_headers_and_page_numbers_are_dropped():
    pdf = PaperWithFurniture()
    for name, sentence in [
        ("Trade", "Trade grew after the war."),
        ("Security", "Security followed the money."),
        ("Outlook", "Will the order last?"),
    ]:
        pdf.add_page()
        pdf.set_font("Helvetica", style="B", size=15)
        pdf.cell(0, 10, f"{name} Matters", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, sentence, new_x="LMARGIN", new_y="NEXT")
    paper = parse_paper(bytes(pdf.output()), "furniture.pdf")
    assert paper.title == "Trade Matters"
    assert outline(paper) == [
        ("Introduction", 1),
        ("Security Matters", 1),
        ("Outlook Matters", 1),
    ]
    assert [section.text for section in paper.sections] == [
        "Trade grew after the war.",
        "Security followed the money.",
        "Will the order last?",
    ]


class PaperWithDashedPageNumbers(FPDF):
    def footer(self):
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 10, f"- {self.page_no()} -", align="C")


def test_pdf_page_number_between_dashes_is_dropped_even_on_a_single_page():
    pdf = PaperWithDashedPageNumbers()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Trade grew after the war.", new_x="LMARGIN", new_y="NEXT")
    paper = parse_paper(bytes(pdf.output()), "x.pdf")
    assert paper.sections[0].text == "Trade grew after the war."


# --------------------------------------------------------------------------- errors


def pdf_without_text() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 80, 40)
    return bytes(pdf.output())


@pytest.mark.parametrize(
    ("data", "filename", "fragment"),
    [
        (b"", "x.txt", "empty"),
        (b" \n\t\r\n ", "x.txt", "empty"),
        (b"", "x.odt", "empty"),
        (codecs.BOM_UTF8, "x.txt", "empty"),
        (b"Some text.", "x.odt", "'.odt'"),
        (b"Some text.", "README", "no extension"),
        (bytes(range(256)) * 10, "x.txt", "binary"),
        (bytes(range(256)) * 10, "x.md", "binary"),
        (b"\x81\x8d\x8f\x90\x9d" * 20, "x.txt", "binary"),
        (b"\x01\x02\x03abc\x04\xe9", "x.txt", "binary"),
        (b"a" * (MAX_BYTES + 1), "x.txt", "the limit is 10 MB"),
        (b"a" * (MAX_BYTES + 1), "x.odt", "10.1 MB"),
        (pdf_without_text(), "scan.pdf", "no text layer"),
        (b"%PDF-1.4 garbage", "x.pdf", "PDF could not be read"),
        (b"PK\x03\x04 junk", "x.docx", ".docx could not be read"),
        (b"# \n\n##  \n", "x.md", "no text"),
    ],
)
def test_parse_paper_refuses_bad_input_with_a_one_line_message(data, filename, fragment):
    with pytest.raises(PaperError) as caught:
        parse_paper(data, filename)
    message = str(caught.value)
    assert message.strip()
    assert "\n" not in message
    assert fragment in message


def test_unsupported_type_message_names_the_supported_ones():
    with pytest.raises(PaperError) as caught:
        parse_paper(b"text", "paper.odt")
    assert str(caught.value) == (
        "Unsupported file type '.odt': upload a .txt, .md, .pdf or .docx file."
    )
    assert SUPPORTED_EXTENSIONS == (".txt", ".md", ".pdf", ".docx")


def test_paper_error_is_a_value_error_with_a_one_line_message():
    error = PaperError("two\nlines")
    assert isinstance(error, ValueError)
    assert str(error) == "two lines"


def test_file_of_exactly_max_bytes_is_accepted():
    data = (b"word " * (MAX_BYTES // 5))[:MAX_BYTES]
    assert parse_paper(data, "x.txt").sections[0].title == "Introduction"


# --------------------------------------------------------------------------- properties


def assert_parses_or_refuses(data: bytes, filename: str) -> None:
    try:
        paper = parse_paper(data, filename)
    except PaperError as error:
        assert str(error).strip()
        assert "\n" not in str(error)
        return
    assert paper.title
    assert paper.sections
    for section in paper.sections:
        assert section.level in (1, 2)
        assert section.title.strip()
    assert isinstance(paper.as_dict(), dict)


@settings(max_examples=200, deadline=None)
@given(text=st.text(), filename=st.sampled_from(["x.txt", "x.md"]))
def test_parse_paper_on_any_text_returns_a_paper_or_refuses(text, filename):
    assert_parses_or_refuses(text.encode("utf-8"), filename)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("Ab .?!:;-#*\n\n\n 1 2 ”“’–"))),
    filename=st.sampled_from(["x.txt", "x.md"]),
)
def test_parse_paper_on_structure_like_text_returns_a_paper_or_refuses(text, filename):
    assert_parses_or_refuses(text.encode("utf-8"), filename)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(), filename=st.sampled_from(["x.txt", "x.md"]))
def test_parse_paper_on_any_bytes_as_text_returns_a_paper_or_refuses(data, filename):
    assert_parses_or_refuses(data, filename)


@settings(max_examples=50, deadline=None)
@given(data=st.binary(), filename=st.sampled_from(["x.pdf", "x.docx"]))
def test_parse_paper_on_any_bytes_as_pdf_or_docx_refuses_cleanly(data, filename):
    assert_parses_or_refuses(data, filename)


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=64), cut=st.integers(min_value=0, max_value=len(PDF_PAPER)))
def test_parse_paper_on_a_damaged_pdf_returns_a_paper_or_refuses(data, cut):
    assert_parses_or_refuses(PDF_PAPER[:cut] + data, "x.pdf")
