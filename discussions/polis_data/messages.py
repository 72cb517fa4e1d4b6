"""Sentences for a person: Message, and PolisDataError, a file refused with one. Both are in
English and keep their message (marked with gettext_noop) apart from the values it names, so
that the page showing them translates them (``render(gettext, number)``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping


def _same(value):
    return value


def english_number(value: int | float) -> str:
    """A number as the English messages write it: 2,147,483,647 and 2.0."""
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def _render(
    message: str,
    params: Mapping[str, object],
    translate: Callable[[str], str],
    number: Callable[[int | float], str],
) -> str:
    def shown(value: object) -> object:
        if isinstance(value, Message):
            return value.render(translate, number)
        if isinstance(value, list):  # of Messages, as a list in a sentence
            return ", ".join(str(shown(item)) for item in value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return number(value)
        return value

    text = translate(message)
    if params:
        text %= {key: shown(value) for key, value in params.items()}
    # One line, but French's no-break spaces (before ":" and ";") kept.
    return _SPACES.sub(" ", str(text)).strip(" ")


_SPACES = re.compile(r"[ \t\n\r\f\v\x1c-\x1f\x85\u2028\u2029]+")


class Message(str):
    """A sentence for a person: the English text (it is a str), with its %-format of named
    placeholders (``message``, marked with gettext_noop) and the values it names (``params``)
    kept apart, so that the page showing it can translate it: ``render(gettext, number)``.
    Numbers are written by ``number``; names, file names and quoted cells are strings."""

    message: str
    params: dict[str, object]

    def __new__(cls, message: str, params: Mapping[str, object] | None = None) -> Message:
        params = dict(params or {})
        self = super().__new__(cls, _render(message, params, _same, english_number))
        self.message = str(message)
        self.params = params
        return self

    def render(
        self,
        translate: Callable[[str], str] = _same,
        number: Callable[[int | float], str] = english_number,
    ) -> str:
        """The sentence in one line, translated by `translate`, its numbers written by
        `number`."""
        return _render(self.message, self.params, translate, number)


class PolisDataError(ValueError):
    """A file that cannot be read as Pol.is open data. str(error) says what, for a person,
    in English; ``error.render(gettext, number)`` says it in the active language."""

    def __init__(self, message: str, params: Mapping[str, object] | None = None) -> None:
        self.text = Message(message, params)
        self.message = self.text.message
        self.params = self.text.params
        super().__init__(str(self.text))

    def render(
        self,
        translate: Callable[[str], str] = _same,
        number: Callable[[int | float], str] = english_number,
    ) -> str:
        return self.text.render(translate, number)
