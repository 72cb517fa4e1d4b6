"""Exports of one session (or one of its groups): JSON, CSV, Markdown and PDF.

Everything is gathered once into a Report (through the same matrix and synthesis the live
view uses), then each renderer only formats it. Participants are pseudonymous by default:
"P001" is the session's first participant to join, the same in every export of the session.
Hidden positions and moderation reasons appear only in the organizer's full export.

The reports (Markdown, PDF) and the CSV files' headers speak the session's language, whoever
downloads them; the JSON document's keys and codes never change (docs/export-schema.json).

This module is the public API; the modules hold:

- document: the gathering: build (the one JSON-ready document every format is made from),
  pseudonyms, and the queries behind them;
- one renderer per format: as_json, as_csv (with spreadsheet, any rows as a safe CSV
  file), markdown (with md, user text made inert in Markdown), pdf (with its fonts);
- wording: the words the two reports share (code names, the title, percentages, tallies);
- download: FORMATS, CONTENT_TYPES, render (one format of a document) and export_file (one
  download, in the session's language: language_of), which discussions.offload runs.

Names with a leading underscore are private to the package; the modules import them from
one another. The dependencies run one way: download imports the renderers and document;
the renderers import wording (pdf also markdown's _split); nothing imports download.
To patch what export_file calls, patch the module that looks it up (download.to_pdf,
pdf.CJK_FONTS), not this one.
"""

from discussions.exports.as_csv import (
    GROUP_COLUMNS,
    POSITION_COLUMNS,
    RECOMMENDATION_COLUMNS,
    VOTE_COLUMNS,
    headers,
    spreadsheet,
    to_csv_zip,
)
from discussions.exports.as_json import to_json
from discussions.exports.document import CHOICE_NAMES, SCHEMA_VERSION, build, pseudonyms
from discussions.exports.download import (
    CONTENT_TYPES,
    FORMATS,
    export_file,
    language_of,
    render,
)
from discussions.exports.markdown import md, to_markdown
from discussions.exports.pdf import cjk_font, to_pdf

__all__ = [
    "CHOICE_NAMES",
    "CONTENT_TYPES",
    "FORMATS",
    "GROUP_COLUMNS",
    "POSITION_COLUMNS",
    "RECOMMENDATION_COLUMNS",
    "SCHEMA_VERSION",
    "VOTE_COLUMNS",
    "build",
    "cjk_font",
    "export_file",
    "headers",
    "language_of",
    "md",
    "pseudonyms",
    "render",
    "spreadsheet",
    "to_csv_zip",
    "to_json",
    "to_markdown",
    "to_pdf",
]
