"""Import a Pol.is conversation (compdemocracy/openData's layout) as a closed session."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from discussions import polis_data, services
from discussions.models import Paper, Position, Prompt, Vote


class Command(BaseCommand):
    help = (
        "Import a Pol.is conversation as a session: a folder holding comments.csv and "
        "votes.csv (participants-votes.csv and summary.csv read when there), or the two files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The conversation's folder, or comments.csv.")
        parser.add_argument("votes", type=Path, nargs="?", help="votes.csv, after comments.csv.")
        parser.add_argument("--participants-votes", type=Path, help="participants-votes.csv.")
        parser.add_argument("--summary", type=Path, help="summary.csv.")
        parser.add_argument("--name", help="The session's name (default: the topic).")
        parser.add_argument(
            "--paper",
            type=int,
            help="Id of a published paper to hold the session (default: one made from the "
            "conversation's topic and description).",
        )
        parser.add_argument("--prompt", type=int, help="Id of that paper's prompt to use.")
        parser.add_argument("--language", default="", help="The session's language code.")
        parser.add_argument(
            "--strict-moderation",
            action="store_true",
            help="Comments not moderated (0) await review instead of being visible.",
        )
        parser.add_argument(
            "--invert-votes",
            action="store_true",
            default=None,
            help="votes.csv writes agree as -1 (read without it, this is recognised only "
            "with participants-votes.csv).",
        )

    def handle(self, *args, path: Path, votes: Path | None, **options):
        files = self._files(path, votes, options["participants_votes"], options["summary"])
        paper = prompt = None
        if options["paper"] is not None:
            paper = Paper.objects.filter(pk=options["paper"]).first()
            if paper is None:
                raise CommandError(f"No paper has the id {options['paper']}.")
        if options["prompt"] is not None:
            prompt = Prompt.objects.filter(pk=options["prompt"]).first()
            if prompt is None:
                raise CommandError(f"No prompt has the id {options['prompt']}.")
        try:
            session = services.import_polis_conversation(
                **files,
                name=options["name"],
                paper=paper,
                prompt=prompt,
                language=options["language"],
                strict_moderation=options["strict_moderation"],
                invert_votes=options["invert_votes"],
            )
        except services.ServiceError as error:
            raise CommandError(str(error)) from None
        for note in session.polis_notes:
            self.stderr.write(self.style.WARNING(f"Note: {note}"))
        positions = Position.objects.filter(group__session=session)
        hidden = positions.exclude(status=Position.Status.VISIBLE).count()
        vote_count = Vote.objects.filter(position__group__session=session).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported “{session.name}” as session {session.pk} (code {session.code}): "
                f"{session.participants.count()} participants, {positions.count()} positions "
                f"({hidden} not visible), {vote_count} votes."
            )
        )
        self.stdout.write(f"Organizer page: {session.get_absolute_url()}")

    def _files(self, path: Path, votes, participants_votes, summary) -> dict[str, bytes | None]:
        if path.is_dir():
            if votes is not None:
                raise CommandError("Give a folder, or comments.csv and votes.csv, not both.")
            folder = path
            votes = folder / polis_data.VOTES
            path = folder / polis_data.COMMENTS
            if participants_votes is None and (folder / polis_data.PARTICIPANTS_VOTES).exists():
                participants_votes = folder / polis_data.PARTICIPANTS_VOTES
            if summary is None and (folder / polis_data.SUMMARY).exists():
                summary = folder / polis_data.SUMMARY
        elif votes is None:
            raise CommandError("Give votes.csv after comments.csv (or the folder of both).")
        return {
            "comments": _read(path),
            "votes": _read(votes),
            "participants_votes": _read(participants_votes) if participants_votes else None,
            "summary": _read(summary) if summary else None,
        }


def _read(path: Path) -> bytes:
    """The file's bytes, refusing one over polis_data's cap before reading it."""
    limit = max(polis_data.MAX_BYTES.values())
    try:
        if path.stat().st_size > limit:
            raise CommandError(f"{path} is over {limit // 1024 // 1024} MB: too big to import.")
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
