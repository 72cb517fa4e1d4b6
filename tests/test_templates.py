"""Template hygiene that rendering alone would not show."""

from pathlib import Path

from django.conf import settings


def test_no_single_line_comment_spans_lines():
    """Django's {# #} comment ends at the line's end: one spanning lines is printed on the
    page as text ({% comment %} is the multi-line form)."""
    leaks = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert leaks == []
