"""What the app stores. State rules live here as methods; every write goes through
discussions.services, every shared read rule through discussions.rules.

One module, longer than the others, by Django's convention: the fifteen models refer to one
another (a session's groups, a group's positions, a position's votes), and reading them in
one place, in the order a session is built, is how a newcomer learns the data.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Paper(models.Model):
    """One version of a discussion paper.

    Papers are identified by the hash of the uploaded bytes, so re-importing the same file is a
    no-op. A changed file with the same name is the next version of the same lineage; sessions
    point at the version they were created from, and a published version never changes again.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(max_length=300)
    source_name = models.CharField(max_length=255, help_text=_("The uploaded file's name."))
    lineage = models.SlugField(max_length=255, help_text=_("Versions of one paper share this."))
    version = models.PositiveIntegerField(default=1)
    sha256 = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lineage", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["lineage", "version"], name="paper_version_unique")
        ]

    def __str__(self) -> str:
        # Translators: a paper's title and version number, as in "Annual report (v2)".
        return _("%(title)s (v%(version)s)") % {"title": self.title, "version": self.version}

    def get_absolute_url(self) -> str:
        return reverse("organizer:paper", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def framing_questions(self) -> models.QuerySet[Question]:
        return self.questions.filter(is_framing=True).order_by("position", "pk")


class Section(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    level = models.PositiveSmallIntegerField(
        choices=[(1, _("Section")), (2, _("Subsection"))], default=1
    )
    text = models.TextField(blank=True)
    footnotes = models.JSONField(
        default=list, blank=True, help_text=_("Footnote numbers that were removed from the text.")
    )

    class Meta:
        ordering = ["paper", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=[1, 2]), name="section_level_1_or_2"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p.strip()]


class Question(models.Model):
    """A question the paper poses. Framing questions are the ones put to the participants."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    position = models.PositiveIntegerField()
    text = models.TextField()
    is_framing = models.BooleanField(default=False)

    class Meta:
        ordering = ["paper", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class Prompt(models.Model):
    """Something a breakout group discusses: a framing question, or a section of the paper.

    Created when the paper is published, so positions and sessions can point at a row that
    never changes afterwards.
    """

    class Kind(models.TextChoices):
        QUESTION = "question", _("Framing question")
        SECTION = "section", _("Section")

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="prompts")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.PROTECT, related_name="prompts"
    )
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.PROTECT, related_name="prompts"
    )

    class Meta:
        ordering = ["paper", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="question", question__isnull=False)
                    | models.Q(kind="section", section__isnull=False)
                ),
                name="prompt_points_at_its_kind",
            )
        ]

    def __str__(self) -> str:
        return self.heading

    @property
    def heading(self) -> str:
        """What the participants read as the prompt."""
        if self.kind == self.Kind.QUESTION:
            return self.question.text
        return self.section.title

    @property
    def context_section(self) -> Section | None:
        """The paper text that goes with the prompt, one click away."""
        if self.kind == self.Kind.QUESTION:
            return self.question.section
        return self.section


# Join codes are read aloud in a noisy room: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 6


def generate_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def generate_screen_token() -> str:
    return secrets.token_urlsafe(24)


def generate_invitation_token() -> str:
    return secrets.token_urlsafe(16)


class Session(models.Model):
    """A run of breakout discussions over one published paper version."""

    class Assignment(models.TextChoices):
        CHOOSE = "choose", _("Participants choose their group")
        AUTO = "auto", _("Place each participant in the least-full group")

    paper = models.ForeignKey(Paper, on_delete=models.PROTECT, related_name="sessions")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=12, unique=True, default=generate_join_code)
    assignment = models.CharField(
        max_length=10, choices=Assignment.choices, default=Assignment.CHOOSE
    )
    group_capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Most participants per group; empty for no limit.")
    )
    joining_open = models.BooleanField(default=True)
    join_expires_at = models.DateTimeField(
        null=True, blank=True, help_text=_("After this the join code no longer admits anyone.")
    )
    # The projector's read-only pages are reached by this unguessable link, not by a login:
    # the laptop at the front of the room should not carry a facilitator's session.
    screen_token = models.CharField(max_length=43, unique=True, default=generate_screen_token)
    # The public results page's link (views.results), for the plenary screen and the
    # conference's website: a token of its own, since the screen token opens the live rooms.
    results_token = models.CharField(max_length=43, unique=True, default=generate_screen_token)
    # Set when the organizer publishes the outcome (services.outcome): the results page
    # answers, participants see what became of their positions in the recommendations, and
    # their choice to be credited by name is final.
    outcome_published_at = models.DateTimeField(null=True, blank=True)
    # Asked of everyone who joins when set: the code alone, on a projected slide or passed
    # along, then admits nobody (services.join_session).
    passphrase = models.CharField(max_length=100, blank=True)
    # Spoken to participants whose browser asks for none of the site's languages, and in
    # the exports (discussions.languages); empty: English.
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, blank=True)
    # Only personal invitation links admit (one person each, services.invitations): the code
    # alone and the passphrase admit nobody new.
    invite_only = models.BooleanField(default=False)
    premoderation = models.BooleanField(
        default=False, help_text=_("New positions wait for a facilitator's approval.")
    )
    hide_tallies = models.BooleanField(
        default=False, help_text=_("Participants see tallies only once a group's voting closes.")
    )
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="FacilitatorAssignment",
        related_name="facilitated_sessions",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prompts = models.ManyToManyField(Prompt, through="SessionPrompt", related_name="sessions")

    class Meta:
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("organizer:session", args=[self.pk])

    def get_facilitator_url(self) -> str:
        return reverse("facilitator:overview", args=[self.pk])

    def accepts_joins(self, now=None) -> bool:
        if not self.joining_open:
            return False
        return self.join_expires_at is None or (now or timezone.now()) < self.join_expires_at

    def facilitated_by(self, user) -> bool:
        """Organizers (staff) facilitate every session; others only their assigned ones."""
        if not (user.is_authenticated and user.is_active):
            return False
        return user.is_staff or self.assignments.filter(user=user).exists()

    def led_by(self, user) -> bool:
        """Whether the user facilitates the whole session, not only some of its groups: what
        concerns every group is theirs alone (its options, the plenary round, the
        recommendations, the whole moderation log). Organizers, and facilitators assigned
        without a list of groups or with every group listed."""
        if user.is_authenticated and user.is_active and user.is_staff:
            return True
        return self.groups_facilitated_by(user).count() == self.groups.count() > 0

    def groups_facilitated_by(self, user) -> models.QuerySet[BreakoutGroup]:
        if not (user.is_authenticated and user.is_active):
            return self.groups.none()
        if user.is_staff:
            return self.groups.all()
        assignment = self.assignments.filter(user=user).first()
        if assignment is None:
            return self.groups.none()
        chosen = assignment.groups.all()
        return chosen if chosen.exists() else self.groups.all()

    def ordered_prompts(self) -> models.QuerySet[Prompt]:
        return self.prompts.order_by("sessionprompt__position").select_related(
            "question__section", "section"
        )


class SessionPrompt(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE)
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "prompt"], name="session_prompt_once")
        ]


class BreakoutGroup(models.Model):
    class Phase(models.TextChoices):
        COLLECTING = "collecting", _("Collecting positions")
        VOTING = "voting", _("Voting only")
        CLOSED = "closed", _("Closed")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="groups")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.COLLECTING)
    current_prompt = models.ForeignKey(
        Prompt, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Every broadcast to the group carries the next number, so a browser that sees a gap
    # knows it missed something and re-fetches.
    broadcast_seq = models.PositiveBigIntegerField(default=0)
    # The languages the group's pages speak, space-separated, added as sockets arrive in a
    # new one: each broadcast is rendered once in each (discussions.live.events).
    languages = models.CharField(max_length=60, blank=True, default="")
    # The shared countdown, in server time. Running: timer_ends_at is set. Paused: the
    # remaining time is kept in timer_paused_remaining instead. Either way, when it runs out
    # the group may switch to timer_then_phase by itself.
    timer_ends_at = models.DateTimeField(null=True, blank=True)
    timer_paused_remaining = models.DurationField(null=True, blank=True)
    timer_then_phase = models.CharField(max_length=12, choices=Phase.choices, blank=True)
    announcement = models.CharField(max_length=300, blank=True)
    announced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "name"], name="group_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("room", args=[self.pk])

    def get_facilitator_url(self) -> str:
        return reverse("facilitator:group", args=[self.pk])

    def facilitated_by(self, user) -> bool:
        return self.session.groups_facilitated_by(user).filter(pk=self.pk).exists()

    def timer_remaining(self, now=None) -> timedelta | None:
        """Time left on the countdown (running or paused), or None when there is none."""
        if self.timer_ends_at is not None:
            return max(timedelta(0), self.timer_ends_at - (now or timezone.now()))
        return self.timer_paused_remaining

    @property
    def timer_running(self) -> bool:
        return self.timer_ends_at is not None

    def timer_due(self, now=None) -> bool:
        return self.timer_ends_at is not None and self.timer_ends_at <= (now or timezone.now())

    @property
    def effective_phase(self) -> str:
        """The phase now: a countdown that ran out has switched it, even if nobody has
        written that down yet (services.apply_due_timer does, on the next request)."""
        if self.timer_then_phase and self.timer_due():
            return self.timer_then_phase
        return self.phase

    @property
    def accepts_positions(self) -> bool:
        return self.effective_phase == self.Phase.COLLECTING

    @property
    def accepts_votes(self) -> bool:
        return self.effective_phase in (self.Phase.COLLECTING, self.Phase.VOTING)


class Participant(models.Model):
    """Someone in the room: a display name bound to a browser session, no account."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="participants")
    group = models.ForeignKey(BreakoutGroup, on_delete=models.PROTECT, related_name="participants")
    display_name = models.CharField(max_length=40)
    joined_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Removed by a facilitator; their positions stay, marked."),
    )
    # Named in the published outcome instead of a pseudonym: the participant's own choice,
    # theirs to change until the outcome is published (services.outcome.set_credit).
    credited = models.BooleanField(default=False)

    class Meta:
        ordering = ["session", "joined_at", "pk"]

    def __str__(self) -> str:
        return self.display_name


class Invitation(models.Model):
    """A personal link that admits one named person to a session, once: opened again, in
    any browser, it is the same participant, and a removed one stays out. Made from the
    organizer's list of invitees (services.invitations)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="invitations")
    name = models.CharField(max_length=40)
    # For the organizer's mail merge only: never shown to other participants nor exported.
    email = models.CharField(max_length=254, blank=True)
    # Where the organizer placed them; none: placed as the session places everyone.
    group = models.ForeignKey(
        BreakoutGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.CharField(max_length=32, unique=True, default=generate_invitation_token)
    participant = models.OneToOneField(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.session.code})"

    def get_absolute_url(self) -> str:
        return reverse("join_invited", args=[self.token])


class Position(models.Model):
    """A statement a participant posts for the group to vote on."""

    MAX_LENGTH = 500

    class Status(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        PENDING = "pending", _("Awaiting review")
        HIDDEN = "hidden", _("Hidden")
        REJECTED = "rejected", _("Rejected")
        MERGED = "merged", _("Merged into another")

    group = models.ForeignKey(BreakoutGroup, on_delete=models.CASCADE, related_name="positions")
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="positions")
    author = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="positions")
    text = models.CharField(max_length=MAX_LENGTH)
    # The language of the author's page when they wrote it: what the synthesis's themes
    # read the text as, unless its script says otherwise (discussions.themes).
    language = models.CharField(max_length=10, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    moderation_reason = models.CharField(max_length=300, blank=True)
    pinned = models.BooleanField(default=False)
    # Taken into the plenary round: every group of the session sees it and votes on it.
    plenary = models.BooleanField(default=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="absorbed"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Counts the vote writes on this position. Tallies carry it, so a page (or the
    # rehearsal tool) can tell which of two tally fragments is newer, and which vote a
    # combined broadcast already includes.
    tally_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["group", "prompt", "status"])]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_visible(self) -> bool:
        return self.status == self.Status.VISIBLE


class Vote(models.Model):
    """One participant's current vote on one position: agree, disagree or pass."""

    class Choice(models.IntegerChoices):
        AGREE = 1, pgettext_lazy("vote", "Agree")
        DISAGREE = -1, pgettext_lazy("vote", "Disagree")
        PASS = 0, pgettext_lazy("vote", "Pass")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    position = models.ForeignKey(Position, on_delete=models.CASCADE, related_name="votes")
    choice = models.SmallIntegerField(choices=Choice.choices)
    cast_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "position"], name="one_vote_per_participant_and_position"
            ),
            models.CheckConstraint(condition=models.Q(choice__in=[-1, 0, 1]), name="vote_choice"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} {self.get_choice_display()} {self.position_id}"


class Presence(models.Model):
    """One open WebSocket of a participant. Rows of sockets that died unseen expire."""

    channel_name = models.CharField(max_length=200, unique=True)
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="presences")
    group = models.ForeignKey(BreakoutGroup, on_delete=models.CASCADE, related_name="presences")
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)


class FacilitatorAssignment(models.Model):
    """A user who facilitates a session: all its groups, or only the ones listed."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    groups = models.ManyToManyField(
        BreakoutGroup, blank=True, help_text=_("Leave empty for every group of the session.")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="facilitator_once")]

    def __str__(self) -> str:
        return _("%(user)s facilitates %(session)s") % {"user": self.user, "session": self.session}


class ModerationEntry(models.Model):
    """One facilitator action, for the moderation log the organizer reads."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="moderation_log")
    group = models.ForeignKey(
        BreakoutGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    position = models.ForeignKey(
        Position, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # What undoing the action needs (services.undo): null for an action that cannot be
    # undone; for a merge, the duplicate's votes as they were; for a removed recommendation,
    # the recommendation.
    undo = models.JSONField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    # A slip is noticed at once, or while the room moves on for a few minutes; much later,
    # undoing would surprise those who have acted on the change since.
    UNDO_FOR = timedelta(minutes=5)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = _("moderation entries")

    def __str__(self) -> str:
        return f"{self.created_at:%H:%M:%S} {self.actor} {self.action} {self.detail}"

    def get_action_label(self) -> str:
        """The action in words, for buttons and screen readers."""
        return self.ACTION_LABELS.get(self.action, self.action.replace("_", " "))

    ACTION_LABELS = {
        # Translators: what an Undo button undoes, read out after "Undo" by screen readers.
        "hide": pgettext_lazy("undo an action", "hiding"),
        "merge": pgettext_lazy("undo an action", "merge"),
        "remove": pgettext_lazy("undo an action", "removal"),
        "delete_recommendation": pgettext_lazy("undo an action", "removal of the recommendation"),
    }

    def get_action_display(self) -> str:
        """The action as the moderation log shows it: `action` is a code (undo's, the
        exports'), shown in the reader's language."""
        return self.ACTION_NAMES.get(self.action, self.action)

    ACTION_NAMES = {
        # Translators: the kinds of action in the moderation log, one word or two each.
        "hide": pgettext_lazy("moderation log action", "hide"),
        "restore": pgettext_lazy("moderation log action", "restore"),
        "approve": pgettext_lazy("moderation log action", "approve"),
        "reject": pgettext_lazy("moderation log action", "reject"),
        "pin": pgettext_lazy("moderation log action", "pin"),
        "unpin": pgettext_lazy("moderation log action", "unpin"),
        "merge": pgettext_lazy("moderation log action", "merge"),
        "unmerge": pgettext_lazy("moderation log action", "unmerge"),
        "move": pgettext_lazy("moderation log action", "move"),
        "remove": pgettext_lazy("moderation log action", "remove"),
        "reinstate": pgettext_lazy("moderation log action", "reinstate"),
        "phase": pgettext_lazy("moderation log action", "phase"),
        "next prompt": pgettext_lazy("moderation log action", "next prompt"),
        "timer start": pgettext_lazy("moderation log action", "timer start"),
        "timer pause": pgettext_lazy("moderation log action", "timer pause"),
        "timer resume": pgettext_lazy("moderation log action", "timer resume"),
        "timer extend": pgettext_lazy("moderation log action", "timer extend"),
        "timer stop": pgettext_lazy("moderation log action", "timer stop"),
        "timer end": pgettext_lazy("moderation log action", "timer end"),
        "announce": pgettext_lazy("moderation log action", "announce"),
        "clear announcement": pgettext_lazy("moderation log action", "clear announcement"),
        "option": pgettext_lazy("moderation log action", "option"),
        # Translators: a recommendation's removal (its code, underscore and all, in English).
        "delete_recommendation": pgettext_lazy("moderation log action", "delete_recommendation"),
    }

    @property
    def can_undo(self) -> bool:
        return (
            self.undo is not None
            and self.undone_at is None
            and timezone.now() - self.created_at < self.UNDO_FOR
        )


class Recommendation(models.Model):
    """A policy recommendation curated from positions: reworded, ordered, with its dissent.

    The source positions (and through them their votes) stay linked, so the wording can be
    checked against what people actually voted on.
    """

    MAX_TEXT = 1000

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="recommendations")
    prompt = models.ForeignKey(
        Prompt, null=True, blank=True, on_delete=models.PROTECT, related_name="recommendations"
    )
    position = models.PositiveIntegerField(help_text=_("Order in the session's list."))
    text = models.TextField()
    sources = models.ManyToManyField(Position, related_name="recommendations")
    dissent_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["session", "position", "pk"]

    def __str__(self) -> str:
        return self.text[:80]
