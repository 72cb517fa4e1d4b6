"""An organizer imports the demo paper, corrects its structure in the preview and publishes."""

import re

import pytest
from playwright.sync_api import expect

from discussions.models import Paper
from tests.browser.pages import settled
from tests.conftest import DEMO_PAPER

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long organizer password"


@pytest.fixture
def logged_in_page(page, live_server, django_user_model):
    django_user_model.objects.create_user(username="olga", password=PASSWORD, is_staff=True)
    page.goto(f"{live_server.url}/organizer/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Organizer", level=1)).to_be_visible()
    return page


def test_organizer_uploads_corrects_and_publishes_the_demo_paper(logged_in_page, screenshot):
    page = logged_in_page
    page.get_by_label("Discussion paper", exact=True).set_input_files(str(DEMO_PAPER))
    page.get_by_role("button", name="Import and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Preview: US Multilateralism Discussion Paper"
    )
    framing = page.locator(
        "section[aria-labelledby=framing-heading] ol.questions > li textarea.question-text"
    )
    expect(framing).to_have_count(3)
    screenshot(page, "organizer-preview")

    # Rename the paper.
    page.get_by_label("Title", exact=True).fill("The United States and Multilateralism")
    page.get_by_role("button", name="Save title").click()
    expect(page.locator("#paper-structure [role=status]")).to_contain_text("Title saved.")

    # Make a section's question a framing question (it moves to the end of the list).
    conclusion_question = page.get_by_role("textbox", name="Question 1 in Conclusion")
    conclusion_question_id = conclusion_question.get_attribute("id").split("-")[1]
    settled(page)
    page.locator(f"#question-{conclusion_question_id}-frame").click()
    expect(page.locator("#paper-structure [role=status]")).to_contain_text("now a framing question")
    expect(framing).to_have_count(4)
    expect(framing.nth(3)).to_have_value("Is the order still fit for purpose?")

    # Move it up one place, by keyboard: focus stays on the button after the swap. Wait for
    # htmx to wire up the swapped-in forms first (a person is never that quick).
    settled(page)
    page.locator(f"#question-{conclusion_question_id}-up").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#paper-structure [role=status]")).to_contain_text("moved up")
    expect(framing.nth(2)).to_have_value("Is the order still fit for purpose?")

    # Add a framing question of our own, and reword another.
    page.get_by_label("New framing question").fill("Which alliances matter most by 2035?")
    settled(page)
    page.locator("#add-framing-submit").click()
    expect(framing).to_have_count(5)
    first = framing.nth(0)
    first.fill("What contributes to the current trends?")
    settled(page)
    # A question is a textarea (a long one shows whole): Enter starts a line, Save saves.
    first.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#paper-structure [role=status]")).to_contain_text("Question saved.")

    # Demote a section and merge another into the one before it.
    conclusion_level = page.get_by_label("Level of section 7")
    conclusion_level.select_option("2")
    settled(page)
    page.get_by_role("button", name="Save section 7").click()
    expect(page.locator("li.section").nth(6)).to_have_class(re.compile("level-2"))
    settled(page)
    page.get_by_role("button", name="Merge into previous (section 6)").click()
    expect(page.locator("li.section")).to_have_count(6)

    # A bad correction says why and changes nothing.
    page.get_by_label("Title", exact=True).fill("   ")
    settled(page)
    page.get_by_role("button", name="Save title").click()
    # The browser's own required check stops a blank-looking title only when it is empty;
    # spaces reach the server, which refuses them.
    expect(page.get_by_role("alert")).to_contain_text("cannot be empty")
    screenshot(page, "organizer-preview-corrected")

    settled(page)
    page.get_by_role("button", name="Publish this version").click()
    expect(page.get_by_role("heading", name="Discussion prompts")).to_be_visible()
    screenshot(page, "organizer-published")

    paper = Paper.objects.get()
    assert not paper.is_draft
    assert paper.title == "The United States and Multilateralism"
    assert [q.text for q in paper.framing_questions()] == [
        "What contributes to the current trends?",
        "What does the future hold for the United States and multilateralism?",
        "Is the order still fit for purpose?",
        "How might policy-makers frame an approach for the 21st century?",
        "Which alliances matter most by 2035?",
    ]
    assert [(s.title, s.level) for s in paper.sections.all()][-2:] == [
        ("Erosion from Within: Globalization, Nationalism, and Norm-busting", 2),
        ("Conclusion", 2),
    ]
    assert paper.prompts.count() == 5 + 6


def test_organizer_sees_a_clear_error_for_an_unsupported_file(logged_in_page, tmp_path):
    page = logged_in_page
    bad = tmp_path / "notes.odt"
    bad.write_bytes(b"not a paper")
    page.get_by_label("Discussion paper", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Import and preview").click()
    expect(page.get_by_role("alert")).to_contain_text("Unsupported file type")
    assert not Paper.objects.exists()
