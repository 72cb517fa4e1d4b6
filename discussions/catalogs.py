"""The translation catalogues: extracted from the code, checked complete, compiled.

The interface speaks the six official languages of the United Nations (settings.LANGUAGES);
English is the source, so five catalogues per domain: `django` (templates and Python) and
`djangojs` (the pages' scripts), under locale/. CI fails when one is out of date or has a
string left untranslated (tests/test_translations.py); after changing the interface's text:

    .venv/bin/python -m discussions.catalogs update    # extract, keep what is translated
    (translate what is new: the empty msgstr of each catalogue)
    .venv/bin/python -m discussions.catalogs compile   # the .mo files the server reads
    .venv/bin/python -m discussions.catalogs check     # what is still missing

Extraction is Django's makemessages (GNU gettext's xgettext); compiling uses polib, so the
server and its set-up need no gettext tools.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings
from django.utils.translation import to_locale

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ("django", "djangojs")
# What makemessages reads: the app's code, templates and scripts, not the tests, the
# virtual environment, vendored scripts or collected static files.
IGNORED = [
    ".venv", "tests", "staticfiles", "static/vendor", "scripts", "docs", "seeds", "locale",
    "node_modules", "*.min.js",
]  # fmt: skip
# The plural rule of each language, as gettext and the Unicode CLDR write it: a catalogue
# with another count of forms would pick the wrong form for some numbers.
PLURAL_FORMS = {
    "ar": 6,
    "zh_Hans": 1,
    "fr": 2,
    "ru": 3,
    "es": 2,
}


def locales() -> list[str]:
    """The catalogues' locale names: every language of the site but the source, English."""
    return [to_locale(code) for code, _name in settings.LANGUAGES if code != "en"]


def catalogue(locale_dir: Path, locale: str, domain: str) -> Path:
    return locale_dir / locale / "LC_MESSAGES" / f"{domain}.po"


@contextmanager
def _in(directory: Path):
    before = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before)


def extract(source: Path = ROOT, locale_dir: Path | None = None) -> None:
    """Bring the catalogues under locale_dir up to date with the text in `source`: new
    strings added untranslated, vanished ones dropped, translations kept."""
    locale_dir = locale_dir or source / "locale"
    locale_dir.mkdir(exist_ok=True)
    with _in(source), override_settings(LOCALE_PATHS=[locale_dir]):
        for domain in DOMAINS:
            call_command(
                "makemessages",
                locale=locales(),
                domain=domain,
                ignore_patterns=IGNORED,
                no_obsolete=True,
                add_location="file",
                verbosity=0,
            )


def compile_all(locale_dir: Path = ROOT / "locale") -> None:
    for locale in locales():
        for domain in DOMAINS:
            path = catalogue(locale_dir, locale, domain)
            if path.exists():
                polib.pofile(str(path)).save_as_mofile(str(path.with_suffix(".mo")))


def problems(locale_dir: Path = ROOT / "locale") -> list[str]:
    """What keeps the catalogues from being complete: missing files, strings untranslated
    or marked fuzzy, a plural rule with the wrong number of forms, a .mo file older than
    its catalogue."""
    found = []
    for locale in locales():
        for domain in DOMAINS:
            path = catalogue(locale_dir, locale, domain)
            if not path.exists():
                found.append(f"{path}: missing")
                continue
            po = polib.pofile(str(path))
            found += [f"{path}: {problem}" for problem in _problems_of(po, locale)]
            found += [f"{path}: {problem}" for problem in _compiled(po, path)]
    return found


def _problems_of(po: polib.POFile, locale: str) -> list[str]:
    found = []
    forms = po.metadata.get("Plural-Forms", "")
    wanted = PLURAL_FORMS[locale]
    if f"nplurals={wanted};" not in forms.replace(" ", ""):
        found.append(f"Plural-Forms should have nplurals={wanted}: {forms!r}")
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural:
            forms_given = [entry.msgstr_plural.get(n, "") for n in range(wanted)]
            if not all(forms_given) or len(entry.msgstr_plural) != wanted:
                found.append(f"untranslated plural: {entry.msgid!r}")
        elif not entry.msgstr:
            found.append(f"untranslated: {entry.msgid!r}")
    return found


def _compiled(po: polib.POFile, path: Path) -> list[str]:
    mo_path = path.with_suffix(".mo")
    if not mo_path.exists():
        return ["not compiled (python -m discussions.catalogs compile)"]
    mo = polib.mofile(str(mo_path))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in mo}
    for entry in po.translated_entries():
        if compiled.get((entry.msgctxt, entry.msgid)) != (entry.msgstr, entry.msgstr_plural):
            return ["compiled from an older catalogue (python -m discussions.catalogs compile)"]
    return []


def msgids(locale_dir: Path) -> dict[tuple[str, str], set[tuple[str | None, str]]]:
    """{(locale, domain): its strings}, to compare catalogues extracted afresh with these."""
    return {
        (locale, domain): {
            (entry.msgctxt, entry.msgid)
            for entry in polib.pofile(str(catalogue(locale_dir, locale, domain)))
            if not entry.obsolete
        }
        for locale in locales()
        for domain in DOMAINS
        if catalogue(locale_dir, locale, domain).exists()
    }


def main(command: str) -> int:
    if command == "update":
        extract()
    elif command == "compile":
        compile_all()
    elif command != "check":
        print(__doc__)
        return 2
    found = problems()
    print("\n".join(found) or "The catalogues are complete.")
    return 1 if found and command == "check" else 0


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")
    django.setup()
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
