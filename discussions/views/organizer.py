"""Organizer pages: import a paper, correct its parsed structure, publish it, see sessions.

Every correction is a small POST form that works without JavaScript (it redirects back to the
preview); with htmx it swaps just the structure and keeps the focus where it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import localize, number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from discussions import exports, offload, papers, polis_data, services
from discussions.models import BreakoutGroup, Paper, Prompt, Question, Section, Session
from discussions.services import polis_interop
from discussions.views.access import organizer_required
from discussions.views.actions import answer, attempt, chosen
from discussions.views.params import as_id, as_ids
from discussions.views.participant import join_path


class RowChoices(forms.ModelMultipleChoiceField):
    """Rows chosen by id, where a value that is not an id is refused as not a choice before
    it reaches the database: Django's field queried 30 digits, which overflowed the column
    (a 500)."""

    def clean(self, value):
        if isinstance(value, list | tuple) and len(as_ids(value)) != len(value):
            raise forms.ValidationError(_("Choose from the list."), code="invalid_choice")
        return super().clean(value)


# The session's language, on the form that creates it and on its page: blank for none of
# its own (English, for whoever asks for none of the site's languages).
LANGUAGE_LABEL = gettext_lazy("Language of the session")
LANGUAGE_HELP = gettext_lazy(
    "Spoken to participants whose browser asks for none of the six languages, and used in "
    "the exports."
)
NO_LANGUAGE = pgettext_lazy("language of a session", "Not set (English)")


class SessionForm(forms.Form):
    name = forms.CharField(max_length=200, label=gettext_lazy("Session name"))
    prompts = RowChoices(
        queryset=Prompt.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Prompts, in this order"),
        error_messages={"required": gettext_lazy("Choose at least one prompt.")},
    )
    group_count = forms.IntegerField(
        min_value=1,
        max_value=services.MAX_GROUPS,
        initial=4,
        label=gettext_lazy("Breakout groups"),
    )
    assignment = forms.ChoiceField(
        choices=Session.Assignment.choices,
        initial=Session.Assignment.CHOOSE,
        widget=forms.RadioSelect,
        label=gettext_lazy("Placing participants"),
    )
    group_capacity = forms.IntegerField(
        min_value=1,
        max_value=services.MAX_GROUP_CAPACITY,
        required=False,
        label=gettext_lazy("Most people per group"),
        help_text=gettext_lazy("Leave empty for no limit."),
    )
    language = forms.ChoiceField(
        choices=[("", NO_LANGUAGE), *settings.LANGUAGES],
        required=False,
        label=LANGUAGE_LABEL,
        help_text=LANGUAGE_HELP,
    )

    def __init__(self, *args, paper: Paper, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prompts"].queryset = paper.prompts.select_related("question", "section")
        self.fields["prompts"].label_from_instance = lambda prompt: (
            # Translators: a prompt to choose for a session: its kind (Framing question,
            # Section), then its question or the section's title.
            _("%(kind)s: %(heading)s")
            % {"kind": prompt.get_kind_display(), "heading": prompt.heading}
        )
        if not self.is_bound:
            self.initial["prompts"] = [
                p.pk for p in paper.prompts.filter(kind=Prompt.Kind.QUESTION)
            ]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Discussion paper"),
        help_text=gettext_lazy("A .txt, .md, .pdf or .docx file of at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(papers.SUPPORTED_EXTENSIONS)}),
    )


class PolisImportForm(forms.Form):
    """A Pol.is conversation's files (compdemocracy/openData's layout), to become a session."""

    comments = forms.FileField(
        label=polis_data.COMMENTS,  # a file name, the same in every language
        help_text=gettext_lazy("The conversation's comments."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    votes = forms.FileField(
        label=polis_data.VOTES,
        help_text=gettext_lazy("Every vote cast in the conversation."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    participants_votes = forms.FileField(
        required=False,
        label=polis_data.PARTICIPANTS_VOTES,
        help_text=gettext_lazy("Optional: it checks how votes.csv writes agree and disagree."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    summary = forms.FileField(
        required=False,
        label=polis_data.SUMMARY,
        help_text=gettext_lazy("Optional: the conversation's topic and description."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    name = forms.CharField(
        required=False,
        max_length=200,
        label=gettext_lazy("Session name (optional)"),
        help_text=gettext_lazy("Leave empty to use the conversation's topic."),
    )

    # The form's file fields and the Pol.is file each one is.
    FILES = {
        "comments": polis_data.COMMENTS,
        "votes": polis_data.VOTES,
        "participants_votes": polis_data.PARTICIPANTS_VOTES,
        "summary": polis_data.SUMMARY,
    }


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


def _session_context(request: HttpRequest, session: Session) -> dict:
    return {
        "session": session,
        "prompts": session.ordered_prompts(),
        "groups": session.groups.annotate(size=Count("participants")),
        # With its key: the link participants are sent works even while their network's
        # typed codes wait (discussions.ratelimit).
        "join_url": request.build_absolute_uri(join_path(session)),
        "invitations": session.invitations.aggregate(
            invited=Count("pk"), joined=Count("participant")
        ),
        # The upload's help names the columns as the upload reads them back.
        "invitee_columns": services.invitation_column_titles(),
        "assignments": session.assignments.select_related("user").prefetch_related("groups"),
        # Who can be assigned: people with an account who are not organizers (those
        # facilitate every session) and not assigned here yet.
        "candidates": get_user_model()
        .objects.filter(is_active=True, is_staff=False)
        .exclude(assignments__session=session)
        .order_by("username"),
        "languages": settings.LANGUAGES,
        "outcome_counts": {
            "recommendations": session.recommendations.count(),
            "credited": session.participants.filter(credited=True).count(),
        },
        "results_url": request.build_absolute_uri(reverse("results", args=[session.results_token])),
    }


@require_GET
@organizer_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(Session.objects.select_related("paper"), pk=session_id)
    return render(request, "organizer/session.html", _session_context(request, session))


def session_change(
    request: HttpRequest, session: Session, change, done: str | Callable[[], str]
) -> HttpResponse:
    """Apply one change to a session: the groups fragment for htmx, else a redirect. The
    notice can be written once the change is made (`done` a function)."""
    error, notice = attempt(change, done)

    def fragment() -> tuple[str, dict]:
        session.refresh_from_db()
        return "organizer/session.html#setup", _session_context(request, session)

    return answer(request, error, notice, back=session, fragment=fragment)


@require_POST
@organizer_required
def rename_group(request: HttpRequest, session_id: int, group_id: int) -> HttpResponse:
    group = get_object_or_404(
        BreakoutGroup.objects.select_related("session"), pk=group_id, session=session_id
    )
    name = request.POST.get("name", "")
    return session_change(
        request,
        group.session,
        lambda: services.rename_group(group=group, name=name),
        _("Group renamed."),
    )


@require_POST
@organizer_required
def set_joining(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(Session, pk=session_id)
    is_open = request.POST.get("open") == "1"
    return session_change(
        request,
        session,
        lambda: services.set_joining_open(session=session, is_open=is_open),
        _("Joining is open.") if is_open else _("Joining is closed: the code admits nobody new."),
    )


@require_POST
@organizer_required
def session_language(request: HttpRequest, session_id: int) -> HttpResponse:
    """The language the session speaks to whoever asks for none of the site's (not Django's
    set_language, which sets the reader's own)."""
    session = get_object_or_404(Session, pk=session_id)
    language = request.POST.get("language", "")

    def done() -> str:
        names = dict(settings.LANGUAGES)
        if language.strip():
            return _("The session's language is now %(language)s.") % {
                "language": names[language.strip()]
            }
        return _("The session has no language of its own now: English.")

    return session_change(
        request,
        session,
        lambda: services.set_session_language(session=session, language=language),
        done,
    )


@require_POST
@organizer_required
def set_passphrase(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(Session, pk=session_id)
    passphrase = request.POST.get("passphrase", "")
    return session_change(
        request,
        session,
        lambda: services.set_passphrase(session=session, passphrase=passphrase),
        _("Joining now asks for the passphrase.")
        if passphrase.strip()
        else _("Joining no longer asks for a passphrase."),
    )


@require_POST
@organizer_required
def publish_outcome(request: HttpRequest, session_id: int) -> HttpResponse:
    """Publish the session's outcome, or withdraw it (services.outcome)."""
    session = get_object_or_404(Session, pk=session_id)
    if request.POST.get("publish") == "1":
        return session_change(
            request,
            session,
            lambda: services.publish_outcome(session=session),
            _(
                "The outcome is published: the results page is open, and participants see "
                "what became of their positions."
            ),
        )
    return session_change(
        request,
        session,
        lambda: services.withdraw_outcome(session=session),
        _("The publication is withdrawn: the results page is closed."),
    )


@require_POST
@organizer_required
def assign_facilitator(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(Session, pk=session_id)
    username = request.POST.get("username", "")
    group_ids = as_ids(request.POST.getlist("groups"))
    return session_change(
        request,
        session,
        lambda: services.assign_facilitator(
            session=session, username=username, group_ids=group_ids
        ),
        _("%(username)s can now facilitate this session.") % {"username": username.strip()},
    )


@require_POST
@organizer_required
def invite_facilitator(request: HttpRequest, session_id: int) -> HttpResponse:
    """An account for a facilitator who has none, and the link that sets its password."""
    session = get_object_or_404(Session, pk=session_id)
    username = request.POST.get("username", "")
    group_ids = as_ids(request.POST.getlist("groups"))
    link = []

    def change() -> None:
        _assignment, path = services.invite_facilitator(
            session=session, username=username, group_ids=group_ids
        )
        link.append(request.build_absolute_uri(path))

    days = round(settings.PASSWORD_RESET_TIMEOUT / 86400)
    return session_change(
        request,
        session,
        change,
        lambda: (
            ngettext(
                "%(username)s is invited. Send them this link, which sets their password once "
                "and works for %(days)s day: %(link)s",
                "%(username)s is invited. Send them this link, which sets their password once "
                "and works for %(days)s days: %(link)s",
                days,
            )
            % {"username": username.strip(), "days": days, "link": link[0]}
        ),
    )


@require_POST
@organizer_required
def unassign_facilitator(request: HttpRequest, session_id: int, user_id: int) -> HttpResponse:
    session = get_object_or_404(Session, pk=session_id)
    return session_change(
        request,
        session,
        lambda: services.unassign_facilitator(session=session, user_id=user_id),
        _("Facilitator unassigned."),
    )


@require_GET
@organizer_required
def export(request: HttpRequest, session_id: int) -> HttpResponse:
    """Download a session's export, at any time, live sessions included."""
    session = get_object_or_404(Session, pk=session_id)
    format = request.GET.get("format", "md")
    if format == "polis":  # the whole session, as Pol.is's open data (docs/exports.md)
        return _polis_export(request, session)
    if format not in exports.FORMATS:
        return HttpResponse(_("Unknown export format."), status=400, content_type="text/plain")
    group_id = request.GET.get("group", "")
    group = None if (gid := as_id(group_id)) is None else get_object_or_404(session.groups, pk=gid)
    data = offload.run(
        exports.export_file,
        session.pk,
        group.pk if group else None,
        request.GET.get("names") == "1",
        request.GET.get("full") == "1",
        format,
    )
    content_type, extension = exports.CONTENT_TYPES[format]
    response = HttpResponse(data, content_type=content_type)
    stem = slugify(f"{session.code} {group.name if group else session.name}") or session.code
    response["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    return response


def _polis_export(request: HttpRequest, session: Session) -> HttpResponse:
    site = request.build_absolute_uri("/").rstrip("/")
    data = offload.run(polis_interop.export_polis_zip, session.pk, site)
    response = HttpResponse(data, content_type="application/zip")
    stem = slugify(f"{session.code} {session.name}") or session.code
    response["Content-Disposition"] = f'attachment; filename="{stem}-polis.zip"'
    return response
