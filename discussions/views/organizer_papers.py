"""An organizer's papers: the start page, importing a paper (or a Pol.is conversation),
correcting its parsed structure, publishing it, and creating a session from it.

Every correction is a small POST form that works without JavaScript (it redirects back to the
preview); with htmx it swaps just the structure and keeps the focus where it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import localize, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from discussions import papers, polis_data, services
from discussions.models import Paper, Question, Section, Session
from discussions.services import polis_interop
from discussions.views.access import organizer_required
from discussions.views.actions import answer, attempt, chosen
from discussions.views.organizer_forms import PolisImportForm, SessionForm, UploadForm
from discussions.views.params import as_id


@require_GET
@organizer_required
def home(request: HttpRequest) -> HttpResponse:
    return _render_home(request, UploadForm())


def _render_home(
    request: HttpRequest,
    form: UploadForm,
    status: int = 200,
    polis_form: PolisImportForm | None = None,
) -> HttpResponse:
    context = {
        "form": form,
        "polis_form": polis_form if polis_form is not None else PolisImportForm(),
        "papers": Paper.objects.annotate(session_count=Count("sessions")),
        "sessions": Session.objects.select_related("paper").annotate(group_count=Count("groups")),
    }
    return render(request, "organizer/home.html", context, status=status)


@require_POST
@organizer_required
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_home(request, form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > papers.MAX_BYTES:
        # Refuse before reading a large file into memory.
        size = number_format(round(upload.size / 1e6, 1), 1)
        form.add_error(
            "file",
            _("The file is %(size)s MB; the limit is %(limit)s MB.") % {"size": size, "limit": 10},
        )
        return _render_home(request, form, status=400)
    try:
        result = services.import_paper(data=upload.read(), filename=upload.name, user=request.user)
    except papers.PaperError as error:
        form.add_error("file", error.render(_, localize))
        return _render_home(request, form, status=400)
    if result.created:
        messages.success(
            request,
            _("Imported “%(title)s”. Check its structure below.") % {"title": result.paper.title},
        )
    else:
        messages.info(request, _("This exact file was imported before; here is that version."))
    for warning in result.paper.warnings if result.created else []:
        messages.warning(request, warning_text(warning))
    return redirect(result.paper)


@require_POST
@organizer_required
def import_polis(request: HttpRequest) -> HttpResponse:
    """A Pol.is conversation's files become a closed session (services.polis_interop)."""
    form = PolisImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_home(request, UploadForm(), status=400, polis_form=form)
    files = {field: form.cleaned_data[field] for field in form.FILES}
    for field, upload in files.items():
        limit = polis_data.MAX_BYTES[form.FILES[field]]
        if upload is not None and upload.size > limit:
            # Refuse before reading a large file into memory.
            size = number_format(round(upload.size / 1e6, 1), 1)
            form.add_error(
                field,
                _("The file is %(size)s MB; the limit is %(limit)s MB.")
                % {"size": size, "limit": limit // (1024 * 1024)},
            )
    if form.errors:
        return _render_home(request, UploadForm(), status=400, polis_form=form)
    optional = {
        field: files[field].read() if files[field] else None
        for field in ("participants_votes", "summary")
    }
    try:
        session = services.import_polis_conversation(
            comments=files["comments"].read(),
            votes=files["votes"].read(),
            **optional,
            name=form.cleaned_data["name"].strip() or None,
            user=request.user,
        )
    except services.ServiceError as error:
        form.add_error(None, str(error))
        return _render_home(request, UploadForm(), status=400, polis_form=form)
    messages.success(
        request,
        _("Imported the Pol.is conversation as the session “%(name)s”.") % {"name": session.name},
    )
    for note in session.polis_notes:
        messages.info(request, note.render(_, polis_interop.number))
    return redirect(session)


_TABLES_NOT_IMPORTED = re.compile(
    re.escape(papers.TABLES_NOT_IMPORTED).replace(re.escape("{count}"), r"(?P<count>\d+)")
)


def warning_text(warning: str) -> str:
    """A warning of the paper's import, stored in English with the paper, in the reader's
    language (discussions.papers marks the others for the catalogues)."""
    if match := _TABLES_NOT_IMPORTED.fullmatch(warning):
        count = int(match["count"])
        return ngettext(
            "The document's %(count)s table(s) were not imported; copy them if needed.",
            "The document's %(count)s table(s) were not imported; copy them if needed.",
            count,
        ) % {"count": count}
    return _(warning)


def _paper_context(paper: Paper) -> dict:
    sections = paper.sections.prefetch_related(
        Prefetch(
            "questions",
            queryset=Question.objects.filter(is_framing=False).order_by("position", "pk"),
            to_attr="own_questions",
        )
    )
    return {
        "paper": paper,
        "warnings": [warning_text(warning) for warning in paper.warnings],
        "sections": sections,
        "framing": paper.framing_questions().select_related("section"),
        "prompts": paper.prompts.select_related("question", "section"),
        "sessions": paper.sessions.all(),
        "other_versions": Paper.objects.filter(lineage=paper.lineage).exclude(pk=paper.pk),
        "session_form": (
            None if paper.is_draft else SessionForm(paper=paper, initial={"name": paper.title})
        ),
    }


@require_GET
@organizer_required
def paper_detail(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=paper_id)
    return render(request, "organizer/paper.html", _paper_context(paper))


@require_POST
@organizer_required
def create_session(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=paper_id)
    form = SessionForm(request.POST, paper=paper)
    if form.is_valid():
        # The checkboxes come back in page order, which is the paper's prompt order.
        chosen = sorted(form.cleaned_data["prompts"], key=lambda prompt: prompt.position)
        try:
            session = services.create_session(
                paper=paper,
                name=form.cleaned_data["name"],
                group_count=form.cleaned_data["group_count"],
                prompts=chosen,
                assignment=form.cleaned_data["assignment"],
                group_capacity=form.cleaned_data["group_capacity"],
                language=form.cleaned_data["language"],
                user=request.user,
            )
        except services.ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Session created. Its join code is %(code)s.") % {"code": session.code}
            )
            return redirect(session)
    context = _paper_context(paper) | {"session_form": form}
    return render(request, "organizer/paper.html", context, status=400)


def _correct(request: HttpRequest, paper: Paper, change: Callable[[], object], done: str):
    """Apply one correction and answer: the structure fragment for htmx, else a redirect."""
    error, notice = attempt(change, done)

    def fragment() -> tuple[str, dict]:
        paper.refresh_from_db()
        return "organizer/paper.html#structure", _paper_context(paper)

    return answer(request, error, notice, back=paper, fragment=fragment)


def _section(paper_id: int, section_id: int) -> Section:
    return get_object_or_404(Section.objects.select_related("paper"), pk=section_id, paper=paper_id)


def _question(paper_id: int, question_id: int) -> Question:
    return get_object_or_404(
        Question.objects.select_related("paper"), pk=question_id, paper=paper_id
    )


@require_POST
@organizer_required
def rename_paper(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=paper_id)
    title = request.POST.get("title", "")
    return _correct(
        request, paper, lambda: services.rename_paper(paper=paper, title=title), _("Title saved.")
    )


@require_POST
@organizer_required
def rename_section(request: HttpRequest, paper_id: int, section_id: int) -> HttpResponse:
    section = _section(paper_id, section_id)
    title = request.POST.get("title", "")
    level = request.POST.get("level", str(section.level))

    def change() -> None:
        if level not in ("1", "2"):
            raise services.ServiceError(_("Choose section or subsection."))
        services.rename_section(section=section, title=title)
        if int(level) != section.level:
            services.set_section_level(section=section, level=int(level))

    return _correct(request, section.paper, change, _("Section saved."))


@require_POST
@organizer_required
def merge_section(request: HttpRequest, paper_id: int, section_id: int) -> HttpResponse:
    section = _section(paper_id, section_id)
    return _correct(
        request,
        section.paper,
        lambda: services.merge_section_into_previous(section=section),
        _("“%(title)s” merged into the section before it.") % {"title": section.title},
    )


@require_POST
@organizer_required
def add_question(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=paper_id)
    section_id = request.POST.get("section", "")
    section = None if (sid := as_id(section_id)) is None else _section(paper_id, sid)
    text = request.POST.get("text", "")
    return _correct(
        request,
        paper,
        lambda: services.add_question(
            paper=paper, section=section, text=text, is_framing=section is None
        ),
        _("Question added."),
    )


@require_POST
@organizer_required
def question_action(request: HttpRequest, paper_id: int, question_id: int) -> HttpResponse:
    """One endpoint for the buttons beside a question: save, up, down, framing, remove."""
    question = _question(paper_id, question_id)
    action = request.POST.get("action", "save")
    actions: dict[str, tuple[Callable[[], object], str]] = {
        "save": (
            lambda: services.edit_question(question=question, text=request.POST.get("text", "")),
            _("Question saved."),
        ),
        "up": (
            lambda: services.move_question(question=question, offset=-1),
            _("Question moved up."),
        ),
        "down": (
            lambda: services.move_question(question=question, offset=1),
            _("Question moved down."),
        ),
        "frame": (
            lambda: services.set_framing(question=question, is_framing=True),
            _("Question is now a framing question."),
        ),
        "unframe": (
            lambda: services.set_framing(question=question, is_framing=False),
            _("Question moved back to its section."),
        ),
        "remove": (lambda: services.remove_question(question=question), _("Question removed.")),
    }
    change, done = chosen(
        actions, action, unknown=_("That button does not exist; reload the page.")
    )
    return _correct(request, question.paper, change, done)


@require_POST
@organizer_required
def publish(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=paper_id)
    return _correct(
        request,
        paper,
        lambda: services.publish_paper(paper=paper),
        _("Published “%(title)s”: its prompts are ready for sessions.") % {"title": paper.title},
    )
