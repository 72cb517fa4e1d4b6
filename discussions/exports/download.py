"""One download: the formats and their content types, render() (one format of a document,
in the active language) and export_file(), which builds a session's document and renders
it in the session's language (language_of), from plain values, so that discussions.offload
can run it in a process of its own."""

from django.conf import settings
from django.utils import translation

from discussions.exports.as_csv import to_csv_zip
from discussions.exports.as_json import to_json
from discussions.exports.document import build
from discussions.exports.markdown import to_markdown
from discussions.exports.pdf import to_pdf
from discussions.models import Session

FORMATS = ("md", "pdf", "csv", "json")
CONTENT_TYPES = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "pdf": ("application/pdf", "pdf"),
    "csv": ("application/zip", "zip"),
    "json": ("application/json; charset=utf-8", "json"),
}


def language_of(session: Session) -> str:
    """The language a session's exports speak: the organizer's choice for the session,
    whoever downloads them (English when none was chosen)."""
    return session.language or settings.LANGUAGE_CODE


def render(document: dict, format: str) -> str | bytes:
    """One format of the document: text for md and json, bytes for pdf and the csv zip, in
    the active language (see language_of)."""
    renderers = {"md": to_markdown, "json": to_json, "csv": to_csv_zip, "pdf": to_pdf}
    if format not in renderers:
        raise ValueError(f"Unknown export format {format!r}")
    return renderers[format](document)


def export_file(
    session_id: int, group_id: int | None, names: bool, full: bool, format: str
) -> str | bytes:
    """One download: the session's (or its group's) export in one format, from ids and
    plain values, so that discussions.offload can build it in a process of its own. It
    speaks the session's language, activated here: a child process has none of the
    request's."""
    session = Session.objects.get(pk=session_id)
    group = None if group_id is None else session.groups.get(pk=group_id)
    with translation.override(language_of(session)):
        document = build(
            session, group=group, names=names, full=full, votes=format in ("csv", "json")
        )
        return render(document, format)
