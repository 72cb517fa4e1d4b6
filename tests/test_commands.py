import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from discussions.models import BreakoutGroup, Paper, Prompt, Section, Session
from tests.conftest import DEMO_PAPER

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_load_paper_imports_publishes_and_prints_a_summary():
    out = run("load_paper", str(DEMO_PAPER))
    assert "Title: US Multilateralism Discussion Paper" in out
    assert "Sections: 7" in out
    assert "  3. How might policy-makers frame an approach for the 21st century?" in out
    paper = Paper.objects.get()
    assert not paper.is_draft
    assert paper.prompts.count() == 10


def test_load_paper_again_changes_nothing():
    run("load_paper", str(DEMO_PAPER))
    counts = (Paper.objects.count(), Section.objects.count(), Prompt.objects.count())
    out = run("load_paper", str(DEMO_PAPER))
    assert "nothing changed" in out
    assert (Paper.objects.count(), Section.objects.count(), Prompt.objects.count()) == counts


def test_load_paper_dry_run_json_prints_exactly_the_documented_keys_and_writes_nothing():
    parsed = json.loads(run("load_paper", str(DEMO_PAPER), "--dry-run", "--json"))
    assert set(parsed) == {"title", "framing_questions", "sections"}
    assert parsed["framing_questions"][0] == "What contributes to current trends?"
    for section in parsed["sections"]:
        assert set(section) == {"title", "level", "text", "questions"}
        assert section["level"] in (1, 2)
    assert not Paper.objects.exists()


def test_load_paper_draft_leaves_it_for_the_preview():
    run("load_paper", str(DEMO_PAPER), "--draft")
    assert Paper.objects.get().is_draft


def test_load_paper_reports_a_bad_file_in_one_line(tmp_path):
    bad = tmp_path / "notes.odt"
    bad.write_bytes(b"hello")
    with pytest.raises(CommandError, match=r"^notes\.odt: Unsupported"):
        run("load_paper", str(bad))
    with pytest.raises(CommandError, match="No such file"):
        run("load_paper", str(tmp_path / "missing.txt"))
    assert not Paper.objects.exists()


def test_setup_demo_creates_the_session_and_login_and_is_idempotent(django_user_model):
    out = run("setup_demo", "--password", "demo-password-123")
    session = Session.objects.get()
    assert f"Join code: {session.code}\n" in out
    assert "organizer / demo-password-123" in out
    assert "http://127.0.0.1:8000/organizer/" in out
    assert BreakoutGroup.objects.filter(session=session).count() == 4
    assert [p.heading for p in session.ordered_prompts()][
        0
    ] == "What contributes to current trends?"
    user = django_user_model.objects.get(username="organizer")
    assert user.is_staff and user.check_password("demo-password-123")

    run("setup_demo")
    assert Session.objects.count() == 1
    assert Paper.objects.count() == 1
