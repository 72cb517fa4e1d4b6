"""Export one session (or one group of it) as Markdown, PDF, CSV (zip) or JSON."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from discussions import exports, services
from discussions.models import Session

EXTENSIONS = {"md": "md", "pdf": "pdf", "csv": "zip", "json": "json"}


class Command(BaseCommand):
    help = "Export a session's summary and data: --format md|pdf|csv|json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="The session's join code.")
        parser.add_argument("--format", choices=exports.FORMATS, default="md")
        parser.add_argument("--group", help="Only this breakout group (by name).")
        parser.add_argument("-o", "--output", type=Path, help="File to write (default: stdout).")
        parser.add_argument(
            "--names", action="store_true", help="Show display names instead of pseudonyms."
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="The organizer's full record: hidden positions and the moderation log too.",
        )

    def handle(self, *args, code, format, group, output, names, full, **options):
        session = Session.objects.filter(code=services.normalise_code(code)).first()
        if session is None:
            raise CommandError(f"No session has the code {code}.")
        chosen = None
        if group:
            chosen = session.groups.filter(name__iexact=group.strip()).first()
            if chosen is None:
                names_list = ", ".join(session.groups.values_list("name", flat=True))
                raise CommandError(f"No group called {group!r}; the groups are: {names_list}.")
        if format in ("pdf", "csv") and output is None and sys.stdout.isatty():
            raise CommandError(f"A {format} export is binary: give a file with -o.")

        def progress(step: int, total: int) -> None:
            bar = "#" * step + "-" * (total - step)
            self.stderr.write(f"\r[{bar}] gathering {step}/{total}", ending="")
            self.stderr.flush()

        # In the session's language, as the organizer's download is (exports.language_of).
        with translation.override(exports.language_of(session)):
            document = exports.build(
                session,
                group=chosen,
                names=names,
                full=full,
                votes=format in ("csv", "json"),
                progress=progress,
            )
            self.stderr.write(f"\r{' ' * 40}\rRendering {format}…", ending="\n")
            data = exports.render(document, format)
        if output is None:
            stream = sys.stdout.buffer if isinstance(data, bytes) else self.stdout
            stream.write(data)
            return
        if output.suffix == "":
            output = output.with_suffix("." + EXTENSIONS[format])
        output.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        votes = sum(g["vote_count"] for g in document["groups"])
        self.stderr.write(
            f"Wrote {output} ({len(document['positions'])} positions, {votes} votes)."
        )
