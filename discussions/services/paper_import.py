"""Writes on papers: import a file, correct the parsed structure, publish it as prompts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from discussions import paper_sandbox, papers
from discussions.models import Paper, Prompt, Question, Section
from discussions.services.errors import ServiceError, clean_line

MAX_TITLE_LENGTH = 300
MAX_QUESTION_LENGTH = 1000


@dataclass(frozen=True)
class ImportResult:
    paper: Paper
    created: bool
    parsed: papers.ParsedPaper


def import_paper(
    *,
    data: bytes,
    filename: str,
    user: AbstractBaseUser | None = None,
    publish: bool = False,
) -> ImportResult:
    """Parse a paper file and store it as a draft (or published) paper version.

    The same bytes imported again return the existing version unchanged (created=False).
    Different bytes under a name already known become that lineage's next version.
    Raises papers.PaperError (a bad file, or one that exceeds a limit of the process that
    reads it: discussions.paper_sandbox) before anything is written.
    """
    parsed = paper_sandbox.parse_paper(data, filename)
    digest = hashlib.sha256(data).hexdigest()
    existing = Paper.objects.filter(sha256=digest).first()
    if existing is not None:
        return ImportResult(paper=existing, created=False, parsed=parsed)

    lineage = slugify(PurePath(filename).stem)[:255] or "paper"
    # One transaction for the whole import: a publish that fails leaves no draft behind.
    with transaction.atomic():
        try:
            paper = _store_paper(
                parsed, digest=digest, filename=filename, lineage=lineage, user=user
            )
        except IntegrityError:
            # Someone imported the same bytes (or the same next version) a moment ago.
            existing = Paper.objects.filter(sha256=digest).first()
            if existing is None:
                raise
            return ImportResult(paper=existing, created=False, parsed=parsed)
        if publish:
            paper = publish_paper(paper=paper)
    return ImportResult(paper=paper, created=True, parsed=parsed)


def _store_paper(
    parsed: papers.ParsedPaper,
    *,
    digest: str,
    filename: str,
    lineage: str,
    user: AbstractBaseUser | None,
) -> Paper:
    with transaction.atomic():
        latest = Paper.objects.filter(lineage=lineage).aggregate(v=Max("version"))["v"] or 0
        paper = Paper.objects.create(
            title=parsed.title[:MAX_TITLE_LENGTH],
            source_name=PurePath(filename).name[:255],
            lineage=lineage,
            version=latest + 1,
            sha256=digest,
            warnings=list(parsed.warnings),
            created_by=user if user is not None and user.is_authenticated else None,
        )
        _store_structure(paper, parsed)
    return paper


def _store_structure(paper: Paper, parsed: papers.ParsedPaper) -> None:
    sections = Section.objects.bulk_create(
        Section(
            paper=paper,
            position=index,
            title=parsed_section.title[:MAX_TITLE_LENGTH],
            level=parsed_section.level,
            text=parsed_section.text,
            footnotes=list(parsed_section.footnotes),
        )
        for index, parsed_section in enumerate(parsed.sections)
    )
    # Framing questions come from the introduction (the first section) in the parse; they keep
    # a link to it so a prompt can show the paper text around its question.
    questions = [
        Question(paper=paper, section=sections[0] if sections else None, text=text, is_framing=True)
        for text in parsed.framing_questions
    ]
    for section, parsed_section in zip(sections, parsed.sections, strict=True):
        questions.extend(
            Question(paper=paper, section=section, text=text) for text in parsed_section.questions
        )
    for index, question in enumerate(questions):
        question.position = index
    Question.objects.bulk_create(questions)


def _draft_for_update(paper: Paper) -> Paper:
    """Lock the paper row and refuse if it is published: sessions depend on it not changing."""
    locked = Paper.objects.select_for_update().get(pk=paper.pk)
    if not locked.is_draft:
        raise ServiceError(_("This paper is published and can no longer be changed."))
    return locked


def rename_paper(*, paper: Paper, title: str) -> Paper:
    title = clean_line(title, what="title", limit=MAX_TITLE_LENGTH)
    with transaction.atomic():
        paper = _draft_for_update(paper)
        paper.title = title
        paper.save(update_fields=["title"])
    return paper


def rename_section(*, section: Section, title: str) -> None:
    title = clean_line(title, what="section title", limit=MAX_TITLE_LENGTH)
    with transaction.atomic():
        _draft_for_update(section.paper)
        Section.objects.filter(pk=section.pk).update(title=title)


def set_section_level(*, section: Section, level: int) -> None:
    if level not in (1, 2):
        raise ServiceError(_("A section's level is 1 (section) or 2 (subsection)."))
    with transaction.atomic():
        _draft_for_update(section.paper)
        first = Section.objects.filter(paper=section.paper_id).order_by("position", "pk").first()
        if level == 2 and first is not None and first.pk == section.pk:
            raise ServiceError(
                _("The first section cannot be a subsection: nothing comes before it.")
            )
        Section.objects.filter(pk=section.pk).update(level=level)


def merge_section_into_previous(*, section: Section) -> Section:
    """Fold a section (a heading the parser wrongly found) into the one before it.

    Its text is appended to the previous section's, and its questions and footnotes move there.
    Returns the surviving section.
    """
    with transaction.atomic():
        _draft_for_update(section.paper)
        section = Section.objects.select_for_update().get(pk=section.pk)
        previous = (
            Section.objects.select_for_update()
            .filter(paper=section.paper_id, position__lt=section.position)
            .order_by("-position", "-pk")
            .first()
        )
        if previous is None:
            raise ServiceError(_("The first section has no section before it to merge into."))
        # The heading was body text after all: keep its words as a paragraph of their own.
        previous.text = "\n\n".join(
            part for part in (previous.text, section.title, section.text) if part.strip()
        )
        previous.footnotes = [*previous.footnotes, *section.footnotes]
        previous.save(update_fields=["text", "footnotes"])
        Question.objects.filter(section=section).update(section=previous)
        section.delete()
    return previous


def _next_question_position(paper: Paper) -> int:
    return (paper.questions.aggregate(p=Max("position"))["p"] or -1) + 1


def add_question(
    *, paper: Paper, text: str, section: Section | None = None, is_framing: bool = False
) -> Question:
    text = clean_line(text, what="question", limit=MAX_QUESTION_LENGTH)
    if section is not None and section.paper_id != paper.pk:
        raise ServiceError(_("That section belongs to another paper."))
    with transaction.atomic():
        paper = _draft_for_update(paper)
        return Question.objects.create(
            paper=paper,
            section=section,
            text=text,
            is_framing=is_framing,
            position=_next_question_position(paper),
        )


def edit_question(*, question: Question, text: str) -> None:
    text = clean_line(text, what="question", limit=MAX_QUESTION_LENGTH)
    with transaction.atomic():
        _draft_for_update(question.paper)
        Question.objects.filter(pk=question.pk).update(text=text)


def remove_question(*, question: Question) -> None:
    with transaction.atomic():
        _draft_for_update(question.paper)
        Question.objects.filter(pk=question.pk).delete()


def set_framing(*, question: Question, is_framing: bool) -> None:
    if not is_framing and question.section_id is None:
        raise ServiceError(_("This question has no section to go back to: remove it instead."))
    with transaction.atomic():
        paper = _draft_for_update(question.paper)
        # A question that changes list goes to the end of the list it joins.
        Question.objects.filter(pk=question.pk).update(
            is_framing=is_framing, position=_next_question_position(paper)
        )


def move_question(*, question: Question, offset: int) -> None:
    """Swap a question with its neighbour in its own list (framing, or its section's)."""
    if offset not in (-1, 1):
        raise ServiceError(_("A question moves one place up or down."))
    with transaction.atomic():
        _draft_for_update(question.paper)
        question = Question.objects.select_for_update().get(pk=question.pk)
        siblings = Question.objects.filter(paper=question.paper_id)
        siblings = (
            siblings.filter(is_framing=True)
            if question.is_framing
            else siblings.filter(is_framing=False, section=question.section_id)
        )
        if offset < 0:
            neighbour = (
                siblings.filter(position__lt=question.position).order_by("-position").first()
            )
        else:
            neighbour = siblings.filter(position__gt=question.position).order_by("position").first()
        if neighbour is None:
            raise ServiceError(
                _("That question is already at the top.")
                if offset < 0
                else _("That question is already at the end.")
            )
        question.position, neighbour.position = neighbour.position, question.position
        Question.objects.bulk_update([question, neighbour], ["position"])


def publish_paper(*, paper: Paper) -> Paper:
    """Freeze a draft and create its prompts: each framing question, then each section.

    Side effects: the paper becomes read-only; Prompt rows are created for sessions to use.
    """
    with transaction.atomic():
        paper = _draft_for_update(paper)
        sections = list(paper.sections.order_by("position", "pk"))
        if not sections:
            raise ServiceError(_("A paper needs at least one section before it can be published."))
        # Positions may have gaps after merges and moves; renumber so the order is plain.
        for index, section in enumerate(sections):
            section.position = index
        Section.objects.bulk_update(sections, ["position"])
        framing = list(paper.framing_questions())
        prompts = [
            Prompt(paper=paper, kind=Prompt.Kind.QUESTION, question=question)
            for question in framing
        ] + [Prompt(paper=paper, kind=Prompt.Kind.SECTION, section=section) for section in sections]
        for index, prompt in enumerate(prompts):
            prompt.position = index
        Prompt.objects.bulk_create(prompts)
        paper.status = Paper.Status.PUBLISHED
        paper.published_at = timezone.now()
        paper.save(update_fields=["status", "published_at"])
    return paper
