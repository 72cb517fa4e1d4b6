"""Reading, the parts: a file opened as CSV under its cap (limits.MAX_BYTES) and checked as
UTF-8, its header and rows, and its cells read as whole numbers, ids, votes and timestamps.
Whatever cannot be read is refused with a PolisDataError that names the file, the line and
the column. The readers of the files (reading) are made of these.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator

from discussions.papers.messages import gettext_noop
from discussions.polis_data.layout import AGREE, DISAGREE, PASS
from discussions.polis_data.limits import _MB, MAX_BYTES
from discussions.polis_data.messages import PolisDataError

# A timestamp above this is in milliseconds, below it in seconds (2e10 s is the year 2603,
# 2e10 ms August 1970): pydantic's rule, which red-dwarf's models read timestamps with.
_MS_FROM = 20_000_000_000


def _reader(data: bytes, name: str):
    """A csv reader over the file, decoded as it is read (the whole text is never held)."""
    limit = MAX_BYTES[name]
    if len(data) > limit:
        raise PolisDataError(
            gettext_noop("%(file)s is %(size)s MB; at most %(limit)s MB is read."),
            {"file": name, "size": round(len(data) / _MB, 1), "limit": limit // _MB},
        )
    _check_utf8(data, name)
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    return csv.reader(text, strict=True)


def _check_utf8(data: bytes, name: str) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    chunk = _MB
    for start in range(0, len(data), chunk):
        try:
            decoder.decode(data[start : start + chunk], final=start + chunk >= len(data))
        except UnicodeDecodeError as error:
            where = start + error.start
            raise PolisDataError(
                gettext_noop("%(file)s is not UTF-8 text (byte %(byte)s cannot be read)."),
                {"file": name, "byte": where},
            ) from None


def _header(reader, name: str, expected: Iterable[str]) -> list[str]:
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise PolisDataError(
            gettext_noop("%(file)s line %(line)s: %(error)s."),
            {"file": name, "line": "1", "error": str(error)},
        ) from None
    if not header:
        raise PolisDataError(
            gettext_noop("%(file)s is empty: it should start with the header %(header)s."),
            {"file": name, "header": ",".join(expected)},
        )
    return [column.strip() for column in header]


def _records(reader, name: str, width: int | None) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of each row that is not blank; every row ``width`` fields if given."""
    try:
        for row in reader:
            if not row:
                continue
            if width is not None and len(row) != width:
                raise PolisDataError(
                    gettext_noop(
                        "%(file)s line %(line)s has %(count)s fields; the header has %(width)s."
                    ),
                    {"file": name, "line": str(reader.line_num), "count": len(row), "width": width},
                )
            yield reader.line_num, row
    except csv.Error as error:
        raise PolisDataError(
            gettext_noop("%(file)s line %(line)s: %(error)s."),
            {"file": name, "line": str(reader.line_num), "error": str(error)},
        ) from None


class _Table:
    """A CSV file with a header naming its columns, checked for the required ones."""

    def __init__(self, data: bytes, name: str, full: tuple[str, ...], required: tuple[str, ...]):
        self.name = name
        self.reader = _reader(data, name)
        header = _header(self.reader, name, full)
        missing = [column for column in required if column not in header]
        if missing:
            raise PolisDataError(
                gettext_noop(
                    "%(file)s has no column %(missing)s: its header is %(header)s; Pol.is open "
                    "data's is %(expected)s."
                ),
                {
                    "file": name,
                    "missing": ", ".join(missing),
                    "header": ",".join(header),
                    "expected": ",".join(full),
                },
            )
        doubled = sorted({c for c in header if header.count(c) > 1 and c in full})
        if doubled:
            raise PolisDataError(
                gettext_noop("%(file)s has the column %(columns)s twice."),
                {"file": name, "columns": ", ".join(doubled)},
            )
        self.width = len(header)
        self.index = {column: header.index(column) for column in full if column in header}

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        return _records(self.reader, self.name, self.width)

    def cell(self, row: list[str], column: str) -> str | None:
        """The row's value in the column, None when the file has no such column."""
        at = self.index.get(column)
        return None if at is None else row[at]


def _int(value: str, name: str, line: int | None, column: str) -> int:
    cell = value.strip()
    try:
        return int(cell)
    except ValueError:
        params = {"file": name, "column": column, "value": repr(cell)}
        if line is None:
            raise PolisDataError(
                gettext_noop("%(file)s: %(column)s is %(value)s, not a whole number."), params
            ) from None
        raise PolisDataError(
            gettext_noop("%(file)s line %(line)s: %(column)s is %(value)s, not a whole number."),
            {**params, "line": str(line)},
        ) from None


def _id(value: str, name: str, line: int, column: str) -> int:
    number = _int(value, name, line, column)
    if not 0 <= number < _MAX_ID:
        raise PolisDataError(
            gettext_noop("%(file)s line %(line)s: %(column)s is %(value)s; ids are 0 to %(max)s."),
            {
                "file": name,
                "line": str(line),
                "column": column,
                "value": str(number),
                "max": _MAX_ID - 1,
            },
        )
    return number


def _optional_count(value: str | None, name: str, line: int | None, column: str) -> int | None:
    if value is None or not value.strip():
        return None
    return _int(value, name, line, column)


def _vote(value: str, name: str, line: int) -> int:
    vote = _VOTE_VALUES.get(value)
    if vote is None:
        vote = _VOTE_VALUES.get(value.strip())
    if vote is None:
        raise PolisDataError(
            gettext_noop(
                "%(file)s line %(line)s: the vote is %(value)s; Pol.is writes 1 (agree), -1 "
                "(disagree) or 0 (pass)."
            ),
            {"file": name, "line": str(line), "value": repr(value.strip())},
        )
    return vote


_VOTE_VALUES = {"1": AGREE, "+1": AGREE, "-1": DISAGREE, "0": PASS, "-0": PASS}
# Ids fit a database integer column (and two fit one 64-bit integer, _keys).
_MAX_ID = 2**31


def _timestamp(value: str, name: str, line: int) -> int:
    number = _int(value, name, line, "timestamp")
    if number < 0:
        raise PolisDataError(
            gettext_noop("%(file)s line %(line)s: the timestamp %(value)s is before 1970."),
            {"file": name, "line": str(line), "value": str(number)},
        )
    return number if number > _MS_FROM else number * 1000
