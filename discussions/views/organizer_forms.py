"""The organizer's forms: a session to create from a paper, a paper to upload, a Pol.is
conversation to import."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from discussions import papers, polis_data, services
from discussions.models import Paper, Prompt, Session
from discussions.views.params import as_ids


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
