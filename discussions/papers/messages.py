"""The importer's messages: gettext_noop, PaperError, and the warnings a ParsedPaper carries.

They are in English, marked for the catalogues with gettext_noop, and translated where they
are shown: a PaperError keeps its English message and the values it names apart
(PaperError.render), and the warnings are stored in English with the paper and translated by
the page that shows them (views.organizer_papers.warning_text). Messages that one reader alone
raises (a damaged PDF, a .docx that unpacks to too much) stay with that reader.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogues (makemessages knows the name) and
    leaves it in English: it is translated where it is shown."""
    return message


_NO_HEADINGS = gettext_noop(
    "No headings found: the whole text is one section; split it in the preview."
)
_NO_FRAMING = gettext_noop("No framing questions found: pick them in the preview.")
# Where the importer guessed, the preview says so (the warnings are shown there).
TITLE_FROM_FILE_NAME = gettext_noop(
    "No title line found: the title comes from the file name; check it in the preview."
)
FRAMING_GUESSED = gettext_noop(
    "The framing questions are the opening section's questions: check them in the preview."
)
# Translated by views.organizer_papers.warning_text, which recognises it by this shape.
TABLES_NOT_IMPORTED = "The document's {count} table(s) were not imported; copy them if needed."
_NOT_TEXT = gettext_noop("The file does not look like text (it contains binary data).")
_EMPTY = gettext_noop("The file is empty.")


def _same(value):
    return value


class PaperError(ValueError):
    """Raised for any input the importer refuses.

    str(err) is one clear line for a person, in English, e.g. "The file is empty.".
    The message is kept apart from the values it names (``message``, a %-format of named
    placeholders marked with gettext_noop, and ``params``), so that the page showing it
    can translate it: ``error.render(gettext, localize)``.
    """

    def __init__(self, message: str, params: Mapping[str, object] | None = None) -> None:
        self.message = str(message)
        self.params = dict(params or {})
        super().__init__(self.render())

    def render(
        self,
        translate: Callable[[str], str] = _same,
        number: Callable[[int | float], str] = _same,
    ) -> str:
        """The message in one line, translated by `translate` with its numbers written by
        `number`. It is shown as-is in a form error, so it must stay on one line even when
        it quotes part of a hostile file name."""
        text = translate(self.message)
        if self.params:
            text %= {
                key: number(value)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else value
                for key, value in self.params.items()
            }
        return " ".join(str(text).split())
