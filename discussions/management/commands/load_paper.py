"""Import a discussion paper from the command line (published unless --draft)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from discussions import paper_sandbox, papers, services


class Command(BaseCommand):
    help = "Import a discussion paper (.txt, .md, .pdf, .docx) and publish it as prompts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Parse only; write nothing to the database."
        )
        parser.add_argument(
            "--json", action="store_true", help="Print the parse as JSON (with --dry-run)."
        )
        parser.add_argument(
            "--draft",
            action="store_true",
            help="Leave the paper as a draft to correct in the organizer's preview.",
        )

    def handle(self, *args, path: Path, dry_run: bool, json: bool, draft: bool, **options):
        if json and not dry_run:
            raise CommandError("--json goes with --dry-run.")
        try:
            data = _read(path)
            if dry_run:
                parsed = paper_sandbox.parse_paper(data, path.name)
            else:
                result = services.import_paper(data=data, filename=path.name, publish=not draft)
                parsed = result.parsed
        except (papers.PaperError, services.ServiceError) as error:
            raise CommandError(f"{path.name}: {error}") from None

        if json:
            self.stdout.write(_json_dumps(parsed.as_dict()))
            return
        self._summary(parsed)
        for warning in parsed.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        elif not result.created:
            self.stdout.write(
                f"Already imported as “{result.paper}” (id {result.paper.pk}): nothing changed."
            )
        else:
            state = "draft" if result.paper.is_draft else "published"
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported “{result.paper}” (id {result.paper.pk}), {state}, "
                    f"with {result.paper.prompts.count()} prompts."
                )
            )

    def _summary(self, parsed: papers.ParsedPaper) -> None:
        self.stdout.write(f"Title: {parsed.title}")
        self.stdout.write(f"Sections: {len(parsed.sections)}")
        for section in parsed.sections:
            indent = "  " * section.level
            self.stdout.write(f"{indent}{section.title}")
        self.stdout.write(f"Framing questions: {len(parsed.framing_questions)}")
        for number, question in enumerate(parsed.framing_questions, start=1):
            self.stdout.write(f"  {number}. {question}")


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise papers.PaperError(f"No such file: {path}")
    if path.stat().st_size > papers.MAX_BYTES:
        raise papers.PaperError(
            f"The file is {path.stat().st_size / 1e6:.1f} MB; the limit is 10 MB."
        )
    return path.read_bytes()


def _json_dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
