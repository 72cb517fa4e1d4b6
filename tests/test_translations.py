"""The interface in the six UN languages: nothing escapes translation, nothing is left
untranslated, and the catalogues the server reads are the ones the code asks for."""

import shutil

import pytest

from discussions import catalogs, i18n_check


def test_no_template_text_escapes_translation():
    assert [str(escape) for escape in i18n_check.all_escapes()] == []


def test_the_finder_sees_text_and_readable_attributes_outside_translation(tmp_path):
    """The check above can fail: text, alt and aria-label outside translation are found;
    translated text, variables, scripts and comments are not."""
    (tmp_path / "page.html").write_text(
        "{% load i18n %}<h1>Welcome</h1>\n"
        '<img alt="Join code" src="{{ url }}">{% translate "Fine" %}\n'
        '<button aria-label="{% translate "Close" %}">×</button> {{ name }} · 42\n'
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}{# a note #}\n"
        '<script>const x = "not checked here";</script><p title="{{ t }}">{{ n }}</p>\n'
        '<input type="submit" value="Send"><input type="hidden" value="kept">\n',
        encoding="utf-8",
    )
    found = [(e.line, e.text) for e in i18n_check.escapes(tmp_path / "page.html", tmp_path)]
    assert found == [(1, "Welcome"), (2, "Join code"), (6, "Send")]


def copy_of_the_interface(destination):
    for part in ("conference", "discussions", "templates", "static/js", "locale"):
        shutil.copytree(
            catalogs.ROOT / part,
            destination / part,
            ignore=shutil.ignore_patterns("__pycache__", "fonts", "*.mo"),
        )


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The catalogues as makemessages makes them from today's code, from the committed ones."""
    root = tmp_path_factory.mktemp("interface")
    copy_of_the_interface(root)
    catalogs.extract(root, root / "locale")
    return catalogs.msgids(root / "locale")


def test_the_catalogues_hold_every_string_of_the_interface_and_no_other(extracted):
    committed = catalogs.msgids(catalogs.ROOT / "locale")
    assert sorted(committed) == sorted(extracted)
    for key, strings in extracted.items():
        missing, stale = strings - committed[key], committed[key] - strings
        assert (key, sorted(missing, key=str), sorted(stale, key=str)) == (key, [], []), (
            "Run .venv/bin/python -m discussions.catalogs update, translate, then compile."
        )


def test_every_string_is_translated_in_every_language_and_compiled():
    assert catalogs.problems() == []
