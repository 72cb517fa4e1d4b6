"""The words the reports (Markdown, PDF) share, in the active language: the names of the
document's codes, the title, percentages, tallies, decimal numbers, opinion groups."""

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from discussions.templatetags.numbers import percent

# The codes the document keeps (the JSON's), as the reports print them.
PHASE_NAMES = {
    "collecting": pgettext_lazy("phase of a group", "collecting"),
    "voting": pgettext_lazy("phase of a group", "voting"),
    "closed": pgettext_lazy("phase of a group", "closed"),
    "mixed": pgettext_lazy("phase of the groups of a session", "mixed"),
}
STATUS_NAMES = {
    "visible": pgettext_lazy("status of a position", "visible"),
    "pending": pgettext_lazy("status of a position", "pending"),
    "hidden": pgettext_lazy("status of a position", "hidden"),
    "rejected": pgettext_lazy("status of a position", "rejected"),
    "merged": pgettext_lazy("status of a position", "merged"),
}


def _named(names: dict, code: str) -> str:
    return str(names[code]) if code in names else code


def _title(title: str, session: str) -> str:
    # Translators: the report's title: the paper's title, then the session's name.
    return _("%(title)s: %(session)s") % {"title": title, "session": session}


def _percent(value: float | None) -> str:
    return percent(None if value is None else round(100 * value))


def _tally(p: dict) -> str:
    # Translators: a position's votes: its support (a share of agree and disagree votes),
    # then how many people voted agree, disagree and pass.
    return _("support %(support)s (%(agree)s agree, %(disagree)s disagree, %(pass)s pass)") % {
        "support": _percent(p["support"]),
        "agree": p["agree"],
        "disagree": p["disagree"],
        "pass": p["pass"],
    }


def _decimal(value: float, places: int = 2) -> str:
    """A number people read, in the active language's way (0.45, 0,45)."""
    return number_format(Decimal(f"{value:.{places}f}"), places)


def _opinion_group(n: int, size: int) -> str:
    return ngettext(
        "Opinion group %(letter)s (%(count)s participant)",
        "Opinion group %(letter)s (%(count)s participants)",
        size,
    ) % {"letter": chr(ord("A") + n), "count": size}
