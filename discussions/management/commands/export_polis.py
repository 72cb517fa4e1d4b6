"""Export a session as a Pol.is conversation (compdemocracy/openData's layout) to a folder."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from discussions import polis_data, services
from discussions.models import Position, Session, Vote


class Command(BaseCommand):
    help = (
        "Write a session as Pol.is open data: comments.csv, votes.csv, participants-votes.csv "
        "and summary.csv, in a folder."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("session", help="The session's id (or its join code).")
        parser.add_argument("folder", type=Path, help="Where to write (made if missing).")
        parser.add_argument(
            "--site-url", default="", help="https://host, for summary.csv's url (default: none)."
        )
        parser.add_argument(
            "--force", action="store_true", help="Replace the files if the folder has them."
        )

    def handle(self, *args, session: str, folder: Path, site_url: str, force: bool, **options):
        chosen = _session(session)
        existing = [name for name in polis_data.FILES if (folder / name).exists()]
        if existing and not force:
            raise CommandError(
                f"{folder} already has {', '.join(existing)}: choose another folder, or --force."
            )
        files = services.export_polis_conversation(chosen, site_url=site_url)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                (folder / name).write_bytes(data)
        except OSError as error:
            raise CommandError(f"Cannot write to {folder}: {error.strerror}.") from None
        positions = Position.objects.filter(group__session=chosen).count()
        votes = Vote.objects.filter(position__group__session=chosen).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote “{chosen.name}” (session {chosen.pk}) to {folder}: {positions} comments, "
                f"{votes} votes, {chosen.participants.count()} participants."
            )
        )


def _session(given: str) -> Session:
    given = given.strip()
    if given.isdigit():
        found = Session.objects.filter(pk=int(given)).first()
    else:
        found = Session.objects.filter(code=services.normalise_code(given)).first()
    if found is None:
        raise CommandError(f"No session has the id or code {given!r}.")
    return found
