"""Make the app ready to show: the demo paper, a demo session, an organizer login."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

from discussions import demo, services
from discussions.models import Session

DEMO_PAPER = Path(settings.BASE_DIR) / "seeds" / "us-multilateralism-discussion-paper.txt"
DEMO_SESSION_NAME = "Demo: the United States and multilateralism"
DEMO_USERNAME = "organizer"


class Command(BaseCommand):
    help = "Import the demo paper, create a demo session and an organizer login (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--groups", type=int, default=4, help="Breakout groups (default 4).")
        parser.add_argument(
            "--password",
            default="",
            help="Organizer password; by default a new random one each run, printed.",
        )
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--activity",
            type=int,
            default=0,
            metavar="N",
            help="Add N synthetic participants with positions and planted votes.",
        )

    def handle(
        self, *args, groups: int, password: str, base_url: str, activity: int, **options
    ) -> None:
        if activity < 0:
            raise CommandError("--activity is a number of participants, 0 or more.")
        password = password or secrets.token_urlsafe(9)
        with transaction.atomic():
            user = self._organizer(password)
            paper = services.import_paper(
                data=DEMO_PAPER.read_bytes(), filename=DEMO_PAPER.name, publish=True
            ).paper
            if paper.is_draft:
                # Imported earlier through the preview and never published.
                paper = services.publish_paper(paper=paper)
            session = Session.objects.filter(paper=paper, name=DEMO_SESSION_NAME).first()
            if session is None:
                session = services.create_session(
                    paper=paper, name=DEMO_SESSION_NAME, group_count=groups, user=user
                )
        if activity:
            added = demo.fill(session, activity, seed=session.participants.count())
            self.stdout.write(
                f"Added {added.participants} participants, {added.positions} positions "
                f"and {added.votes} votes."
            )
        base = base_url.rstrip("/")
        out = self.stdout.write
        out(self.style.SUCCESS("Demo ready."))
        out(f"Paper:    {paper}")
        out(f"Session:  {session.name}")
        out(f"Groups:   {', '.join(g.name for g in session.groups.all())}")
        out(f"Join code: {session.code}")
        out(f"Login:    {DEMO_USERNAME} / {password}  (organizer and facilitator)")
        out("Open:")
        out(f"  Participants: {base}/join/{session.code}/  (or {base}/join/ and type the code)")
        out(f"  Organizer:    {base}/organizer/")
        out(f"  Facilitator:  {base}{session.get_facilitator_url()}")
        out(f"  Projector:    {base}/screen/{session.screen_token}/")
        out(f"  Synthesis:    {base}{reverse('facilitator:synthesis', args=[session.pk])}")
        out(f"  Admin:        {base}/admin/")

    def _organizer(self, password: str):
        user, _ = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        return user
