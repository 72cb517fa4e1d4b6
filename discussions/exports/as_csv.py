"""The CSV export: positions.csv, votes.csv, groups.csv and recommendations.csv in one zip,
their header rows in the session's language; and spreadsheet(), which writes any rows as a
CSV file spreadsheet programs open safely (the invitations' download uses it too)."""

import csv
import io
import zipfile

from django.utils.translation import pgettext_lazy

POSITION_COLUMNS = [
    "id", "group", "prompt", "section", "author", "text", "status", "plenary",
    "agree", "disagree", "pass", "support", "consensus",
]  # fmt: skip
VOTE_COLUMNS = ["position", "participant", "vote", "time"]
GROUP_COLUMNS = ["name", "phase", "participant_count", "position_count", "vote_count"]
RECOMMENDATION_COLUMNS = ["rank", "text", "prompt", "sources", "dissent_note"]

# The CSV files' header rows, in the reader's language. In English they are the JSON
# document's keys, which never change; the cells keep the JSON's codes (agree, hidden...).
COLUMN_HEADERS = {
    "id": pgettext_lazy("CSV column header", "id"),
    "group": pgettext_lazy("CSV column header", "group"),
    "prompt": pgettext_lazy("CSV column header", "prompt"),
    "section": pgettext_lazy("CSV column header", "section"),
    "author": pgettext_lazy("CSV column header", "author"),
    "text": pgettext_lazy("CSV column header", "text"),
    "status": pgettext_lazy("CSV column header", "status"),
    "plenary": pgettext_lazy("CSV column header", "plenary"),
    "agree": pgettext_lazy("CSV column header", "agree"),
    "disagree": pgettext_lazy("CSV column header", "disagree"),
    "pass": pgettext_lazy("CSV column header", "pass"),
    "support": pgettext_lazy("CSV column header", "support"),
    "consensus": pgettext_lazy("CSV column header", "consensus"),
    "position": pgettext_lazy("CSV column header", "position"),
    "participant": pgettext_lazy("CSV column header", "participant"),
    "vote": pgettext_lazy("CSV column header", "vote"),
    "time": pgettext_lazy("CSV column header", "time"),
    "name": pgettext_lazy("CSV column header", "name"),
    "phase": pgettext_lazy("CSV column header", "phase"),
    "participant_count": pgettext_lazy("CSV column header", "participant_count"),
    "position_count": pgettext_lazy("CSV column header", "position_count"),
    "vote_count": pgettext_lazy("CSV column header", "vote_count"),
    "rank": pgettext_lazy("CSV column header", "rank"),
    "sources": pgettext_lazy("CSV column header", "sources"),
    "dissent_note": pgettext_lazy("CSV column header", "dissent_note"),
}


def headers(columns: list[str]) -> list[str]:
    """The header row of these columns in the active language."""
    return [str(COLUMN_HEADERS[column]) for column in columns]


# A cell starting with one of these is a formula to a spreadsheet program: a participant's
# "=HYPERLINK(...)" would run on the organizer's machine. OWASP's advice: a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet(rows: list[dict], columns: list[str], header: list[str] | None = None) -> bytes:
    """A CSV file of these rows, as spreadsheet programs open it safely. The header row is
    `header` if given (the columns' names in the reader's language), else the keys."""
    # A byte-order mark, so spreadsheet programs read the file as UTF-8.
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_cell(name) for name in header or columns])
    # Only the columns asked for, each cell made safe; a missing one is empty. (A
    # csv.DictWriter did the same at twice the cost: the votes are thousands of rows.)
    writer.writerows([_cell(row.get(column, "")) for column in columns] for row in rows)
    return buffer.getvalue().encode("utf-8")


def to_csv_zip(document: dict) -> bytes:
    """positions.csv, votes.csv, groups.csv and recommendations.csv in one zip."""
    files = {
        "positions.csv": spreadsheet(
            document["positions"], POSITION_COLUMNS, headers(POSITION_COLUMNS)
        ),
        "votes.csv": spreadsheet(document["votes"], VOTE_COLUMNS, headers(VOTE_COLUMNS)),
        "groups.csv": spreadsheet(document["groups"], GROUP_COLUMNS, headers(GROUP_COLUMNS)),
        "recommendations.csv": spreadsheet(
            [
                r | {"sources": " ".join(map(str, r["sources"]))}
                for r in document["recommendations"]
            ],
            RECOMMENDATION_COLUMNS,
            headers(RECOMMENDATION_COLUMNS),
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            # A fixed date, so the same session exports to the same bytes.
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
